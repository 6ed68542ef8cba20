import { describe, expect, it } from 'vitest';
import {
  fakePasswordCheck,
  hashPassword,
  validatePasswordInput,
  verifyPassword,
} from '../../functions/auth/passwords.js';
import { MAX_PASSWORD_LENGTH } from '../../functions/core/limits.js';

describe('hashPassword / verifyPassword', () => {
  it('round-trips and salts every hash', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse!', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('normalises Unicode (NFC vs NFD)', async () => {
    const stored = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', stored)).toBe(true);
  });

  it('returns false, never throws, on malformed stored hashes', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt, key] = good.split('$');
    const malformed = [
      '',
      'md5$abc',
      'scrypt$32768$8$1$salt',
      `scrypt$1000$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${key}`, // too much memory
      `scrypt$32768$0$1$${salt}$${key}`,
      `scrypt$32768$8$1$${salt}$AAAA`, // key too short
      `scrypt$32768$8$1$!!$${key}`,
      good + '$extra',
    ];
    for (const s of malformed) expect(await verifyPassword('pw', s)).toBe(false);
    expect(await verifyPassword('pw', undefined as unknown as string)).toBe(false);
    expect(await verifyPassword(42 as unknown as string, good)).toBe(false);
  });

  it('verifies a hash made with other (bounded) parameters', async () => {
    const stored = await hashPassword('pw');
    const [, , , , salt, key] = stored.split('$');
    // same salt/key under different params must not match
    expect(await verifyPassword('pw', `scrypt$16384$8$1$${salt}$${key}`)).toBe(false);
  });

  it('fakePasswordCheck always answers false', async () => {
    expect(await fakePasswordCheck('anything')).toBe(false);
  });
});

describe('validatePasswordInput', () => {
  it('accepts normal strings up to the limit', () => {
    expect(validatePasswordInput('secret')).toBe('secret');
    expect(validatePasswordInput('x'.repeat(MAX_PASSWORD_LENGTH))).toHaveLength(MAX_PASSWORD_LENGTH);
  });

  it.each([undefined, null, 42, {}, ['pw'], '', 'x'.repeat(MAX_PASSWORD_LENGTH + 1)])('rejects %j', (p) => {
    expect(() => validatePasswordInput(p)).toThrow(TypeError);
  });

  it('hashPassword rejects invalid input', async () => {
    await expect(hashPassword('')).rejects.toThrow(TypeError);
  });
});
