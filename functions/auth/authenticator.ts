/**
 * Who is calling: open mode makes everyone an admin; jwt mode accepts signed session tokens and
 * long-lived API tokens, checked against the user's node (class, `disable`) on every request.
 */
import { badRequest, unauthorized } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { MAX_SESSION_MS } from '../core/limits.js';
import type { Node } from '../core/nodes.js';
import { OPEN_CALLER, type AuthMode, type Caller } from '../core/permissions.js';
import type { Accounts, ApiTokenRecord, AuthStore, NodeStore, PublicTokenRecord } from '../core/ports.js';
import { classOf, isActiveUser, userNodeId, validatePassword } from '../core/users.js';
import { SignInBody } from '../core/schemas.js';
import { fakePasswordCheck, hashPassword, verifyPassword } from './passwords.js';
import {
  hashApiTokenSecret,
  InvalidTokenError,
  isApiToken,
  isRevokedByPasswordChange,
  newApiToken,
  parseApiToken,
  signSession,
  verifySession,
  verifyApiTokenSecret,
} from './tokens.js';

const DEFAULT_SESSION = '1d';

export class Authenticator implements Accounts {
  constructor(
    readonly mode: AuthMode,
    private readonly nodes: NodeStore,
    private readonly auth: AuthStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The caller for a bearer token; null means anonymous (no or empty token in jwt mode). */
  async identify(token: string | undefined): Promise<Caller | null> {
    if (this.mode === 'open') return OPEN_CALLER;
    if (!token) return null;
    return isApiToken(token) ? this.identifyApiToken(token) : this.identifySession(token);
  }

  private async identifySession(token: string): Promise<Caller> {
    try {
      const session = await verifySession(await this.auth.signingSecret(), token, this.now());
      const credential = await this.auth.getCredential(session.username);
      if (isRevokedByPasswordChange(session.issuedAtMs, credential?.changedAt)) {
        throw unauthorized('token revoked by a password change; sign in again');
      }
      return await this.activeUser(session.username);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw unauthorized(error.message);
      throw error;
    }
  }

  private async identifyApiToken(token: string): Promise<Caller> {
    const parsed = parseApiToken(token);
    const record = parsed && (await this.auth.getToken(parsed.id));
    if (!parsed || !record || !verifyApiTokenSecret(parsed.secret, record.secretHash)) {
      throw unauthorized('invalid or revoked API token');
    }
    const caller = await this.activeUser(record.username);
    return record.site === undefined ? caller : { ...caller, site: record.site };
  }

  /** The user's current class comes from their node, so a demotion or `disable` applies at once. */
  private async activeUser(username: string): Promise<Caller> {
    const user = await this.nodes.get(userNodeId(username));
    if (!isActiveUser(user)) throw unauthorized(`user ${username} is unknown or disabled`);
    return { username, class: classOf(user) };
  }

  /** damas signIn: username and password (form or JSON), optional expiresIn; every refusal is a 401. */
  async signIn(fields: unknown): Promise<{ _id: string; user: Node; token: string }> {
    const parsed = SignInBody.safeParse(fields);
    if (!parsed.success) throw unauthorized('username and password are required');
    const { username, password, expiresIn } = parsed.data;
    const ttl = sessionLength(expiresIn);
    const [user, credential] = await Promise.all([
      this.nodes.get(userNodeId(username)),
      this.auth.getCredential(username),
    ]);
    const valid = credential
      ? await verifyPassword(password, credential.passwordHash)
      : await fakePasswordCheck(password);
    if (!valid || !isActiveUser(user)) throw unauthorized('invalid username or password');
    const token = await signSession(
      await this.auth.signingSecret(),
      { username, class: classOf(user) },
      ttl,
      this.now(),
    );
    return { _id: user._id, user, token };
  }

  setPassword = async (username: string, password: string): Promise<void> => {
    const passwordHash = await hashPassword(validatePassword(password));
    await this.auth.putCredential({ username, passwordHash, changedAt: this.now() });
  };

  async createApiToken(
    username: string,
    name: string,
    site?: string,
  ): Promise<{ token: string; record: PublicTokenRecord }> {
    const { id, secret, token } = newApiToken();
    const record: ApiTokenRecord = {
      id,
      username,
      name,
      secretHash: hashApiTokenSecret(secret),
      createdAt: this.now(),
      ...(site === undefined ? {} : { site }),
    };
    await this.auth.putToken(record);
    return { token, record: withoutHash(record) };
  }

  async listApiTokens(username?: string): Promise<PublicTokenRecord[]> {
    return (await this.auth.listTokens(username)).map(withoutHash);
  }

  async apiToken(id: string): Promise<PublicTokenRecord | undefined> {
    const record = /^[0-9a-f]{12}$/.test(id) ? await this.auth.getToken(id) : undefined;
    return record && withoutHash(record);
  }

  revokeApiToken(id: string): Promise<boolean> {
    return this.auth.deleteToken(id);
  }
}

function withoutHash({ secretHash: _hash, ...record }: ApiTokenRecord): PublicTokenRecord {
  return record;
}

function sessionLength(expiresIn: unknown): number {
  if (expiresIn === undefined || expiresIn === '') return parseDuration(DEFAULT_SESSION);
  let ms: number;
  try {
    ms = parseDuration(typeof expiresIn === 'number' ? expiresIn : String(expiresIn));
  } catch (error) {
    throw badRequest(`expiresIn: ${(error as Error).message}`);
  }
  if (ms <= 0 || ms > MAX_SESSION_MS) throw badRequest('expiresIn must be between 1 second and 366 days');
  return ms;
}
