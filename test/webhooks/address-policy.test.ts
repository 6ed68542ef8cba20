/** The SSRF guard of webhook deliveries: address classes, allow levels, host resolution, the checked lookup. */
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '../../functions/core/errors.js';
import {
  AddressRefusedError,
  assertAllowedUrl,
  checkAddress,
  checkedLookup,
  classifyAddress,
  resolveAllowed,
  type AddressKind,
} from '../../functions/webhooks/address-policy.js';

const CASES: [string, AddressKind][] = [
  // public
  ['93.184.216.34', 'public'],
  ['8.8.8.8', 'public'],
  ['172.32.0.1', 'public'],
  ['100.128.0.1', 'public'],
  ['2606:4700:4700::1111', 'public'],
  ['::ffff:8.8.8.8', 'public'],
  ['64:ff9b::808:808', 'public'],
  // loopback
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  // private
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'private'],
  ['100.127.255.255', 'private'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:192.168.0.1', 'private'],
  // link-local
  ['169.254.1.1', 'link-local'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf::1', 'link-local'],
  ['::ffff:169.254.1.1', 'link-local'],
  // metadata
  ['169.254.169.254', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:a9fe:a9fe', 'metadata'],
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['169.254.170.2', 'metadata'],
  // unspecified
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['::ffff:0.0.0.0', 'unspecified'],
  // multicast
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  // reserved
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['::7f00:1', 'reserved'],
  // not addresses
  ['example.com', 'invalid'],
  ['127.1', 'invalid'],
  ['', 'invalid'],
];

describe('classifyAddress', () => {
  it.each(CASES)('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it('accepts a bracketed IPv6 literal (URL hostname)', () => {
    expect(classifyAddress(new URL('http://[::ffff:127.0.0.1]/').hostname)).toBe('loopback');
    expect(classifyAddress('[fd00:ec2::254]')).toBe('metadata');
  });
});

describe('checkAddress', () => {
  const allowedAt = {
    public: ['public'],
    loopback: ['public', 'loopback'],
    private: ['public', 'loopback', 'private', 'link-local'],
  } as const;

  it.each(['public', 'loopback', 'private'] as const)('allow=%s lets only its classes through', (allow) => {
    for (const [ip, kind] of CASES) {
      const check = checkAddress(ip, allow);
      expect(check.kind).toBe(kind);
      expect(check.allowed, `${ip} (${kind}) at allow=${allow}`).toBe(
        (allowedAt[allow] as readonly string[]).includes(kind),
      );
    }
  });

  it('explains a refusal', () => {
    expect(checkAddress('127.0.0.1', 'public')).toEqual({
      allowed: false,
      kind: 'loopback',
      reason: '127.0.0.1 is a loopback address, refused by WEBHOOK_ALLOW=public',
    });
    expect(checkAddress('10.0.0.1', 'loopback')).toMatchObject({
      reason: expect.stringMatching(/private address/),
    });
    expect(checkAddress('169.254.169.254', 'private')).toMatchObject({
      reason: '169.254.169.254 is a metadata address, never allowed',
    });
  });
});

describe('resolveAllowed', () => {
  it('checks literals without resolving', async () => {
    await expect(resolveAllowed('8.8.8.8', 'public')).resolves.toEqual([{ address: '8.8.8.8', family: 4 }]);
    await expect(resolveAllowed('[::1]', 'loopback')).resolves.toEqual([{ address: '::1', family: 6 }]);
    await expect(resolveAllowed('[::1]', 'public')).rejects.toThrow(AddressRefusedError);
  });

  it('resolves names and refuses if any address is refused', async () => {
    const resolved = await resolveAllowed('localhost', 'loopback');
    expect(resolved.length).toBeGreaterThan(0);
    for (const { address } of resolved) expect(classifyAddress(address)).toBe('loopback');
    await expect(resolveAllowed('localhost', 'public')).rejects.toThrow(
      /localhost resolves to .* loopback address/,
    );
  });

  it('passes lookup failures on', async () => {
    await expect(resolveAllowed('no-such-host.invalid', 'public')).rejects.toMatchObject({
      code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/),
    });
  });
});

describe('assertAllowedUrl', () => {
  it('answers 400 for a refused or unresolvable receiver', async () => {
    await expect(assertAllowedUrl(new URL('http://8.8.8.8/h'), 'public')).resolves.toBeUndefined();
    for (const url of ['http://127.0.0.1:9/h', 'http://localhost/h', 'http://[::ffff:a9fe:a9fe]/h']) {
      const error = await assertAllowedUrl(new URL(url), 'public').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TrackerError);
      expect((error as TrackerError).status).toBe(400);
    }
    await expect(assertAllowedUrl(new URL('http://no-such-host.invalid/'), 'public')).rejects.toThrow(
      /cannot resolve no-such-host.invalid/,
    );
  });
});

describe('checkedLookup', () => {
  const lookup = (allow: 'public' | 'loopback', options: { all?: boolean; family?: number }) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>(
      (resolve) =>
        checkedLookup(allow)('localhost', options, (error, address, family) =>
          resolve({ error, address, family }),
        ),
    );

  it('answers one address or all of them, in the form net.connect asks for', async () => {
    const one = await lookup('loopback', {});
    expect(one.error).toBeNull();
    expect(classifyAddress(one.address as string)).toBe('loopback');
    expect([4, 6]).toContain(one.family);
    const all = await lookup('loopback', { all: true });
    expect(Array.isArray(all.address)).toBe(true);
    expect((all.address as LookupAddress[]).every((a) => classifyAddress(a.address) === 'loopback')).toBe(
      true,
    );
    const v4 = await lookup('loopback', { family: 4 });
    expect(v4).toMatchObject({ error: null, family: 4 });
  });

  it('fails the connection when an address is refused', async () => {
    const refused = await lookup('public', { all: true });
    expect(refused.error).toBeInstanceOf(AddressRefusedError);
  });
});
