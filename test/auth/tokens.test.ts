import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  InvalidTokenError,
  decodeSigningSecret,
  encodeSigningSecret,
  hashApiTokenSecret,
  isApiToken,
  isRevokedByPasswordChange,
  newApiToken,
  newSigningSecret,
  parseApiToken,
  signSession,
  verifyApiTokenSecret,
  verifySession,
} from '../../functions/auth/tokens.js';

const secret = newSigningSecret();
const T0 = 1_700_000_000_123;
const HOUR = 3_600_000;
const alice = { username: 'alice', class: 'editor' };

async function expectInvalid(p: Promise<unknown>, reason: 'expired' | 'invalid') {
  const err: unknown = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidTokenError);
  expect((err as InvalidTokenError).reason).toBe(reason);
}

describe('signing secret', () => {
  it('is 32 random bytes and round-trips through base64url', () => {
    expect(secret).toBeInstanceOf(Uint8Array);
    expect(secret).toHaveLength(32);
    expect(newSigningSecret()).not.toEqual(secret);
    expect(decodeSigningSecret(encodeSigningSecret(secret))).toEqual(secret);
  });

  it('rejects malformed or short encodings', () => {
    for (const bad of ['', 'abc', 'not base64!', encodeSigningSecret(new Uint8Array(16))]) {
      expect(() => decodeSigningSecret(bad)).toThrow(TypeError);
    }
  });
});

describe('session JWTs', () => {
  it('signs and verifies', async () => {
    const token = await signSession(secret, alice, HOUR, T0);
    expect(token.startsWith('eyJ')).toBe(true);
    expect(await verifySession(secret, token, T0 + 1000)).toEqual({
      username: 'alice',
      class: 'editor',
      issuedAtMs: T0,
    });
  });

  it('gives each token a distinct jti', async () => {
    const [a, b] = await Promise.all([
      signSession(secret, alice, HOUR, T0),
      signSession(secret, alice, HOUR, T0),
    ]);
    expect(a).not.toBe(b);
  });

  it('expires', async () => {
    const token = await signSession(secret, alice, HOUR, T0);
    await verifySession(secret, token, T0 + HOUR - 1000);
    await expectInvalid(verifySession(secret, token, T0 + HOUR), 'expired');
    await expectInvalid(verifySession(secret, token, T0 + 2 * HOUR), 'expired');
  });

  it('rejects a wrong secret and tampering', async () => {
    const token = await signSession(secret, alice, HOUR, T0);
    await expectInvalid(verifySession(newSigningSecret(), token, T0), 'invalid');
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...payload, cls: 'admin' })).toString('base64url');
    await expectInvalid(verifySession(secret, `${h}.${forged}.${s}`, T0), 'invalid');
    const flipped = s.slice(0, -2) + (s.endsWith('AA') ? 'BB' : 'AA');
    await expectInvalid(verifySession(secret, `${h}.${p}.${flipped}`, T0), 'invalid');
  });

  it('rejects alg none, other algorithms and malformed strings', async () => {
    const now = Math.floor(T0 / 1000);
    const claims = { cls: 'admin', iat_ms: T0 };
    const unsecured = new UnsecuredJWT(claims)
      .setSubject('root')
      .setIssuedAt(now)
      .setExpirationTime(now + 60);
    await expectInvalid(verifySession(secret, unsecured.setJti('x').encode(), T0), 'invalid');
    const hs512 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('root')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti('x')
      .sign(secret);
    await expectInvalid(verifySession(secret, hs512, T0), 'invalid');
    for (const bad of ['', 'a.b.c', 'not a jwt', 'x'.repeat(5000), 42 as unknown as string]) {
      await expectInvalid(verifySession(secret, bad, T0), 'invalid');
    }
  });

  it('rejects well-signed tokens with bad claims', async () => {
    const now = Math.floor(T0 / 1000);
    const sign = (claims: Record<string, unknown>, jti = true) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('bob');
      jwt.setIssuedAt(now).setExpirationTime(now + 60);
      return (jti ? jwt.setJti('j') : jwt).sign(secret);
    };
    await verifySession(secret, await sign({ cls: 'user', iat_ms: T0 }), T0);
    await expectInvalid(verifySession(secret, await sign({ cls: 'root', iat_ms: T0 }), T0), 'invalid');
    await expectInvalid(verifySession(secret, await sign({ cls: 'user' }), T0), 'invalid');
    await expectInvalid(verifySession(secret, await sign({ cls: 'user', iat_ms: T0 + 5000 }), T0), 'invalid');
    await expectInvalid(verifySession(secret, await sign({ cls: 'user', iat_ms: T0 }, false), T0), 'invalid');
  });

  it('validates its inputs', async () => {
    await expect(signSession(new Uint8Array(8), alice, HOUR)).rejects.toThrow(TypeError);
    await expect(signSession(secret, { username: '', class: 'user' }, HOUR)).rejects.toThrow(TypeError);
    await expect(signSession(secret, { username: 'a', class: 'root' }, HOUR)).rejects.toThrow(TypeError);
    await expect(signSession(secret, alice, 0)).rejects.toThrow(RangeError);
    await expect(signSession(secret, alice, Number.NaN)).rejects.toThrow(RangeError);
  });

  it('revokes tokens issued at or before a password change, with ms precision', async () => {
    const changedAt = T0 + 500; // same second as T0
    const before = await verifySession(secret, await signSession(secret, alice, HOUR, T0), changedAt);
    const after = await verifySession(secret, await signSession(secret, alice, HOUR, T0 + 600), T0 + 600);
    expect(isRevokedByPasswordChange(before.issuedAtMs, changedAt)).toBe(true);
    expect(isRevokedByPasswordChange(changedAt, changedAt)).toBe(true);
    expect(isRevokedByPasswordChange(after.issuedAtMs, changedAt)).toBe(false);
    expect(isRevokedByPasswordChange(before.issuedAtMs, undefined)).toBe(false);
  });
});

describe('API tokens', () => {
  it('have the documented shape and parse back', () => {
    const t = newApiToken();
    expect(t.id).toMatch(/^[0-9a-f]{12}$/);
    expect(t.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t.token).toBe(`spt_${t.id}_${t.secret}`);
    expect(parseApiToken(t.token)).toEqual({ id: t.id, secret: t.secret });
    expect(newApiToken().token).not.toBe(t.token);
  });

  it('parses secrets containing _ and -', () => {
    const secret = '_-' + 'A'.repeat(41);
    expect(parseApiToken(`spt_0123456789ab_${secret}`)).toEqual({ id: '0123456789ab', secret });
  });

  it('rejects malformed tokens', () => {
    const { id, secret } = newApiToken();
    const bad = [
      '',
      'spt_',
      `spt_${id}`,
      `spt_${id}_`,
      `spt_ABCDEF012345_${secret}`, // uppercase hex
      `spt_${id}0_${secret}`,
      `spt_${id}_${secret}A`,
      `spt_${id}_${secret.slice(1)}`,
      `SPT_${id}_${secret}`,
      `spt_${id}_${secret} `,
      `spt_${id}_${secret.slice(0, 42)}=`,
      `spt_${id}_${secret.slice(0, 42)}B`, // non-canonical last char (low bits set)
      `spt_${'g'.repeat(12)}_${secret}`,
    ];
    for (const t of bad) expect(parseApiToken(t)).toBeNull();
    expect(parseApiToken(undefined as unknown as string)).toBeNull();
  });

  it('isApiToken tells API tokens from JWTs', async () => {
    expect(isApiToken(newApiToken().token)).toBe(true);
    expect(isApiToken('spt_garbage')).toBe(true); // routed to the API-token path, then rejected
    expect(isApiToken(await signSession(secret, alice, HOUR))).toBe(false);
    expect(isApiToken('')).toBe(false);
  });

  it('hashes and verifies secrets in constant time', () => {
    const { secret: s } = newApiToken();
    const stored = hashApiTokenSecret(s);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyApiTokenSecret(s, stored)).toBe(true);
    expect(verifyApiTokenSecret(s + 'x', stored)).toBe(false);
    expect(verifyApiTokenSecret(newApiToken().secret, stored)).toBe(false);
    // different lengths / malformed stored hashes: false, no throw from timingSafeEqual
    for (const h of ['', stored.slice(0, 62), stored + '00', stored.toUpperCase(), 'z'.repeat(64)]) {
      expect(verifyApiTokenSecret(s, h)).toBe(false);
    }
    expect(verifyApiTokenSecret(s, undefined as unknown as string)).toBe(false);
  });
});
