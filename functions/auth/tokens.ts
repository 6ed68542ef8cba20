// Session JWTs (HS256 via jose) and long-lived API tokens (`spt_<id>_<secret>`).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import { MAX_TOKEN_LENGTH } from '../core/limits.js';
import { isUserClass, type UserClass } from '../core/permissions.js';

const MIN_SECRET_BYTES = 32;

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  constructor(
    message: string,
    readonly reason: 'expired' | 'invalid',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// ---- signing secret ------------------------------------------------------------------------

export function newSigningSecret(): Uint8Array {
  return new Uint8Array(randomBytes(MIN_SECRET_BYTES));
}

export function encodeSigningSecret(secret: Uint8Array): string {
  return Buffer.from(secret).toString('base64url');
}

/** Decodes a base64url secret (e.g. from config); throws TypeError if malformed or short. */
export function decodeSigningSecret(encoded: string): Uint8Array {
  const bytes = Buffer.from(encoded, 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(encoded) || bytes.toString('base64url') !== encoded) {
    throw new TypeError('signing secret must be base64url');
  }
  if (bytes.length < MIN_SECRET_BYTES)
    throw new TypeError(`signing secret must be >= ${MIN_SECRET_BYTES} bytes`);
  return new Uint8Array(bytes);
}

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES) {
    throw new TypeError(`signing secret must be a Uint8Array of >= ${MIN_SECRET_BYTES} bytes`);
  }
}

// ---- session JWTs --------------------------------------------------------------------------
// Standard `iat` has one-second granularity, too coarse to order a token against a password
// change made in the same second. Tokens therefore also carry `iat_ms` (issue time in ms) and
// issuedAtMs comes from it; see isRevokedByPasswordChange for the rule.

export async function signSession(
  secret: Uint8Array,
  claims: { username: string; class: string },
  expiresInMs: number,
  nowMs: number = Date.now(),
): Promise<string> {
  checkSecret(secret);
  if (typeof claims.username !== 'string' || claims.username === '') throw new TypeError('username required');
  if (!isUserClass(claims.class)) throw new TypeError(`unknown class '${String(claims.class)}'`);
  if (!Number.isSafeInteger(expiresInMs) || expiresInMs <= 0) throw new RangeError('expiresInMs must be > 0');
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ cls: claims.class, iat_ms: nowMs })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.username)
    .setIssuedAt(iat)
    .setExpirationTime(Math.max(iat + 1, Math.floor((nowMs + expiresInMs) / 1000)))
    .setJti(randomBytes(16).toString('base64url'))
    .sign(secret);
}

/** Verifies signature, algorithm, expiry and claim shapes; throws InvalidTokenError otherwise. */
export async function verifySession(
  secret: Uint8Array,
  token: string,
  nowMs: number = Date.now(),
): Promise<{ username: string; class: UserClass; issuedAtMs: number }> {
  checkSecret(secret);
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) {
    throw new InvalidTokenError('malformed token', 'invalid');
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      currentDate: new Date(nowMs),
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    }));
  } catch (e) {
    if (e instanceof errors.JWTExpired) throw new InvalidTokenError('token expired', 'expired', { cause: e });
    throw new InvalidTokenError('invalid token', 'invalid', { cause: e });
  }
  const { sub, cls, iat, iat_ms: iatMs } = payload;
  const iatOk = typeof iatMs === 'number' && Number.isSafeInteger(iatMs) && Math.floor(iatMs / 1000) === iat;
  if (typeof sub !== 'string' || sub === '' || !isUserClass(cls) || !iatOk) {
    throw new InvalidTokenError('invalid token claims', 'invalid');
  }
  return { username: sub, class: cls, issuedAtMs: iatMs };
}

/**
 * True when a session issued at `issuedAtMs` must be refused because the password changed at
 * `passwordChangedAtMs`. Safe rule: a token issued in the same millisecond as the change (or
 * earlier) is revoked. Small clock skew between instances can revoke a brand-new token; the
 * client then signs in again.
 */
export function isRevokedByPasswordChange(
  issuedAtMs: number,
  passwordChangedAtMs: number | undefined,
): boolean {
  return passwordChangedAtMs !== undefined && issuedAtMs <= passwordChangedAtMs;
}

// ---- API tokens ----------------------------------------------------------------------------
// `spt_` + 12 hex id + `_` + 43 base64url chars (32 random bytes). The id locates the stored
// record; only a hash of the secret is stored.

const API_TOKEN = /^spt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function newApiToken(): { id: string; secret: string; token: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `spt_${id}_${secret}` };
}

/** Cheap routing test: anything with the `spt_` prefix is an API token (a JWT starts `eyJ`). */
export function isApiToken(token: string): boolean {
  return typeof token === 'string' && token.startsWith('spt_');
}

/** Strict parse; null unless the token has exactly the shape newApiToken produces. */
export function parseApiToken(token: string): { id: string; secret: string } | null {
  const m = typeof token === 'string' ? API_TOKEN.exec(token) : null;
  const id = m?.[1];
  const secret = m?.[2];
  if (id === undefined || secret === undefined) return null;
  // 43 chars carry 258 bits: reject non-canonical encodings of the 256-bit secret.
  if (Buffer.from(secret, 'base64url').toString('base64url') !== secret) return null;
  return { id, secret };
}

/**
 * SHA-256 hex of the secret. A slow hash (scrypt) protects low-entropy passwords against
 * guessing; these secrets are 256 random bits, so a leaked hash cannot be brute-forced and a
 * fast hash keeps per-request verification cheap.
 */
export function hashApiTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function verifyApiTokenSecret(secret: string, storedHash: string): boolean {
  if (typeof secret !== 'string' || typeof storedHash !== 'string' || !/^[0-9a-f]{64}$/.test(storedHash)) {
    return false;
  }
  return timingSafeEqual(Buffer.from(hashApiTokenSecret(secret), 'hex'), Buffer.from(storedHash, 'hex'));
}
