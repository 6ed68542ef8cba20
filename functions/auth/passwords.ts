// Password hashing with scrypt (node:crypto). Stored form is self-describing so parameters can
// be raised later without breaking old hashes: `scrypt$N$r$p$<salt b64>$<key b64>`.
// Passwords are NFC-normalised so the same visible password always matches.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { MAX_PASSWORD_LENGTH } from '../core/limits.js';

const N = 2 ** 15; // 32 MiB of memory per hash (128 * N * r bytes)
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 64;

function derive(plain: string, salt: Buffer, keylen: number, n: number, r: number, p: number) {
  const maxmem = 256 * n * r * p; // node refuses to use more than maxmem (default 32 MiB)
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(plain.normalize('NFC'), salt, keylen, { N: n, r, p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Validates a password from a request body; throws TypeError with a client-safe message. */
export function validatePasswordInput(p: unknown): string {
  if (typeof p !== 'string') throw new TypeError('password must be a string');
  if (p.length === 0) throw new TypeError('password must not be empty');
  if (p.length > MAX_PASSWORD_LENGTH) {
    throw new TypeError(`password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  }
  return p;
}

export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(validatePasswordInput(plain), salt, KEY_BYTES, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

const STORED = /^scrypt\$(\d{1,8})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** Parses a stored hash, bounding its parameters so a corrupt record cannot exhaust memory. */
function parseStored(stored: string) {
  const m = STORED.exec(stored);
  if (!m) return null;
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4] ?? '', 'base64');
  const key = Buffer.from(m[5] ?? '', 'base64');
  const powerOfTwo = n >= 2 ** 10 && n <= 2 ** 20 && (n & (n - 1)) === 0;
  if (!powerOfTwo || r < 1 || p < 1 || 128 * n * r * p > 64 * 2 ** 20) return null;
  if (salt.length < 8 || key.length < 16 || key.length > 128) return null;
  return { n, r, p, salt, key };
}

/** True when `plain` matches `stored`; false (never throws) on any malformed input. */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (typeof plain !== 'string' || typeof stored !== 'string' || plain.length > MAX_PASSWORD_LENGTH) {
    return false;
  }
  const parsed = parseStored(stored);
  if (!parsed) return false;
  try {
    const key = await derive(plain, parsed.salt, parsed.key.length, parsed.n, parsed.r, parsed.p);
    return timingSafeEqual(key, parsed.key);
  } catch {
    return false;
  }
}

const DUMMY_SALT = Buffer.alloc(SALT_BYTES);

/** Costs as much as verifyPassword and returns false: use it for unknown users (no timing oracle). */
export async function fakePasswordCheck(plain: string): Promise<false> {
  const p = typeof plain === 'string' ? plain.slice(0, MAX_PASSWORD_LENGTH) : '';
  await derive(p, DUMMY_SALT, KEY_BYTES, N, R, P);
  return false;
}
