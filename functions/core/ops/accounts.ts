/** verify, signIn, API tokens and user administration: the account operations. */
import { badRequest, forbidden, notFound, conflict } from '../errors.js';
import { canAccess } from '../permissions.js';
import type { Accounts, NodeStore } from '../ports.js';
import { NewTokenBody, parseBodyWith } from '../schemas.js';
import { newUserNode, userNodeId, validatePassword, type NewUser } from '../users.js';
import type { OpContext, OpResult } from './context.js';

const ok = (body: unknown, status = 200): OpResult => ({ status, body });

/** The caller's user node; `{}` for an anonymous caller (open mode), as damas-core answers. */
export async function verify(ctx: OpContext): Promise<OpResult> {
  if (ctx.caller.username === null) return ok({});
  return ok((await ctx.store.get(userNodeId(ctx.caller.username))) ?? null);
}

export async function signIn(ctx: OpContext, body: unknown): Promise<OpResult> {
  return ok(await ctx.accounts.signIn(body));
}

/** Callers manage their own API tokens; admins (`tokens.admin`) everyone's. */
const managesAllTokens = (ctx: OpContext) => canAccess(ctx.caller, 'tokens.admin');

/** The caller's tokens; for admins everyone's, or one user's when `username` is given. */
export async function listTokens(ctx: OpContext, username?: string): Promise<OpResult> {
  const all = managesAllTokens(ctx);
  return ok(await ctx.accounts.listApiTokens(all ? username : (ctx.caller.username ?? '')));
}

export async function createToken(ctx: OpContext, body: unknown): Promise<OpResult> {
  const me = ctx.caller.username;
  const { name, username = me, site } = parseBodyWith(NewTokenBody, body, 'token');
  if (!username) throw badRequest('username is required');
  if (username !== me && !managesAllTokens(ctx)) {
    throw forbidden('only admins may create tokens for other users');
  }
  if (!(await ctx.store.get(userNodeId(username)))) throw notFound(`user @${username} does not exist`);
  const { token, record } = await ctx.accounts.createApiToken(username, name, site);
  return ok({ ...record, token }, 201);
}

export async function revokeToken(ctx: OpContext, id: string): Promise<OpResult> {
  const record = await ctx.accounts.apiToken(id);
  // Someone else's token is "not found", so token ids cannot be probed.
  if (!record || (record.username !== ctx.caller.username && !managesAllTokens(ctx))) {
    throw notFound(`token ${id} does not exist`);
  }
  await ctx.accounts.revokeApiToken(id);
  return ok(id);
}

/** Creates the user node `@username` and stores the password hash; refuses an existing user. */
export async function addUser(store: NodeStore, accounts: Accounts, user: NewUser, now = Date.now()) {
  const node = newUserNode(user, now);
  validatePassword(user.password);
  const [created] = await store.create([[node]]);
  if (!created) throw conflict(`user ${user.username} already exists`);
  await accounts.setPassword(user.username, user.password);
}

/** Changes a password, which revokes the user's older session tokens. */
export async function changePassword(
  store: NodeStore,
  accounts: Accounts,
  username: string,
  password: string,
) {
  validatePassword(password);
  if (!(await store.get(userNodeId(username)))) throw notFound(`user ${username} does not exist`);
  await accounts.setPassword(username, password);
}
