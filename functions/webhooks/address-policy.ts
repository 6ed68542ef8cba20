/**
 * Which addresses webhook deliveries may connect to (SSRF guard). Every address is classified
 * (IPv4-mapped and NAT64 IPv6 addresses as the IPv4 address they carry); WEBHOOK_ALLOW lets
 * loopback ('loopback'), or loopback, private and link-local ('private') through, never cloud
 * metadata, unspecified, multicast or reserved addresses. Host names are resolved and refused if
 * any of their addresses is; `checkedLookup` makes http(s).request connect only to checked
 * addresses, so a DNS answer that changes between check and connect (rebinding) gains nothing.
 */
import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import type { WebhookAllow } from '../config.js';
import { badRequest } from '../core/errors.js';

export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'invalid';

export type AddressCheck =
  { allowed: true; kind: AddressKind } | { allowed: false; kind: AddressKind; reason: string };

/** A delivery refused by the address policy (its message names the address and why). */
export class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError';
}

// In the order they are tested: the first class an address is in wins.
const CLASSES: [Exclude<AddressKind, 'public' | 'invalid'>, string[]][] = [
  [
    'metadata',
    [
      '169.254.169.254/32', // AWS, Azure, GCP instance metadata
      '169.254.170.2/32', // ECS task credentials
      '169.254.170.23/32', // EKS pod identity
      '100.100.100.200/32', // Alibaba Cloud
      '192.0.0.192/32', // Oracle Cloud
      'fd00:ec2::254/128', // AWS (IPv6)
      'fd00:ec2::23/128', // EKS pod identity (IPv6)
    ],
  ],
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']],
  [
    'private',
    [
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '100.64.0.0/10', // carrier-grade NAT
      '198.18.0.0/15', // benchmarking, used inside some networks
      'fc00::/7', // unique local
      'fec0::/10', // site-local (deprecated)
      '64:ff9b:1::/48', // local-use NAT64
    ],
  ],
  [
    'reserved',
    [
      '192.0.0.0/24', // IETF protocol assignments
      '192.0.2.0/24', // documentation
      '198.51.100.0/24',
      '203.0.113.0/24',
      '240.0.0.0/4', // reserved and broadcast
      '::/96', // IPv4-compatible (deprecated)
      '100::/64', // discard
      '2001:db8::/32', // documentation
    ],
  ],
];

const BLOCKS = CLASSES.map(([kind, subnets]) => {
  const list = new net.BlockList();
  for (const subnet of subnets) {
    const [address, prefix] = subnet.split('/') as [string, string];
    list.addSubnet(address, Number(prefix), net.isIPv4(address) ? 'ipv4' : 'ipv6');
  }
  return [kind, list] as const;
});

/** The 8 16-bit words of an IPv6 address (already validated by net.isIPv6, zone removed). */
function ipv6Words(ip: string): number[] {
  let text = ip.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const words = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  if (tail === undefined) return words(head);
  const left = words(head);
  const right = words(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The IPv4 address an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) address carries. */
function embeddedIPv4(ip: string): string | undefined {
  const w = ipv6Words(ip);
  const mapped = w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff;
  const nat64 = w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0);
  if (!mapped && !nat64) return undefined;
  const [hi, lo] = [w[6]!, w[7]!];
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** The class of an IP address (`invalid` when it is not one). */
export function classifyAddress(ip: string): AddressKind {
  let address = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  let family = net.isIP(address);
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4 !== undefined) [address, family] = [v4, 4];
  }
  if (family === 0) return 'invalid';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of BLOCKS) if (list.check(address, type)) return kind;
  return 'public';
}

const ALLOWED: Record<WebhookAllow, ReadonlySet<AddressKind>> = {
  public: new Set(['public']),
  loopback: new Set(['public', 'loopback']),
  private: new Set(['public', 'loopback', 'private', 'link-local']),
};

/** Whether a delivery may connect to `ip` under WEBHOOK_ALLOW=`allow`, and why not. */
export function checkAddress(ip: string, allow: WebhookAllow): AddressCheck {
  const kind = classifyAddress(ip);
  if (ALLOWED[allow].has(kind)) return { allowed: true, kind };
  const what = kind === 'invalid' ? 'not an IP address' : `a ${kind} address`;
  const never = kind !== 'loopback' && kind !== 'private' && kind !== 'link-local';
  const reason = never
    ? `${ip} is ${what}, never allowed`
    : `${ip} is ${what}, refused by WEBHOOK_ALLOW=${allow}`;
  return { allowed: false, kind, reason };
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * The addresses of `hostname` (an IP literal, bracketed or not, is its own address), if all are
 * allowed; throws AddressRefusedError if any is refused, the lookup's error if it fails.
 */
export async function resolveAllowed(hostname: string, allow: WebhookAllow): Promise<ResolvedAddress[]> {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const literal = net.isIP(host);
  const addresses: ResolvedAddress[] = literal
    ? [{ address: host, family: literal as 4 | 6 }]
    : (await dns.promises.lookup(host, { all: true })).map(({ address, family }) => ({
        address,
        family: family === 6 ? 6 : 4,
      }));
  if (addresses.length === 0) throw new AddressRefusedError(`${host} has no address`);
  for (const { address } of addresses) {
    const check = checkAddress(address, allow);
    if (!check.allowed) {
      throw new AddressRefusedError(address === host ? check.reason : `${host} resolves to ${check.reason}`);
    }
  }
  return addresses;
}

/** Refuses (400) a receiver URL whose host is, or resolves to, an address the policy refuses. */
export async function assertAllowedUrl(url: URL, allow: WebhookAllow): Promise<void> {
  try {
    await resolveAllowed(url.hostname, allow);
  } catch (error) {
    if (error instanceof AddressRefusedError) throw badRequest(`webhook url: ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code ?? 'failed';
    throw badRequest(`webhook url: cannot resolve ${url.hostname} (${code})`, error);
  }
}

/**
 * A `lookup` for http(s).request / net.connect that resolves with `resolveAllowed`: the socket only
 * ever connects to addresses that were checked in the same lookup.
 */
export function checkedLookup(allow: WebhookAllow): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    resolveAllowed(hostname, allow).then(
      (resolved) => {
        const usable = family === 4 || family === 6 ? resolved.filter((a) => a.family === family) : resolved;
        const first = usable[0];
        if (!first) {
          const error = Object.assign(new Error(`${hostname} has no IPv${family} address`), {
            code: 'ENOTFOUND',
          });
          callback(error, '', 0);
        } else if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
