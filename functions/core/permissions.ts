// Class-based permissions (DESIGN §4). Pure: no I/O. Open auth mode is modelled by giving every
// caller the admin class (OPEN_CALLER), so the rules below need no special case for it.
import { forbidden } from './errors.js';
import { isVolume } from './sync.js';

/** open: every caller is an admin (loopback only); jwt: users sign in, agents use API tokens. */
export type AuthMode = 'open' | 'jwt';

export const USER_CLASSES = ['guest', 'user', 'editor', 'admin'] as const;
export type UserClass = (typeof USER_CLASSES)[number];

/**
 * A request's identity. Anonymous callers (jwt mode, empty bearer) are ANONYMOUS. `site`: the
 * caller used an API token scoped to that site (see siteScopeRefusal and assertSiteScope).
 */
export type Caller = { username: string | null; class: UserClass; site?: string };
export const ANONYMOUS: Caller = Object.freeze({ username: null, class: 'guest' });
export const OPEN_CALLER: Caller = Object.freeze({ username: null, class: 'admin' });

export function isUserClass(x: unknown): x is UserClass {
  return typeof x === 'string' && (USER_CLASSES as readonly string[]).includes(x);
}

/** 0 for guest … 3 for admin. */
export function classRank(c: UserClass): number {
  return USER_CLASSES.indexOf(c);
}

const REQUIRED = {
  read: 'guest',
  search: 'guest',
  search_one: 'guest',
  search_mongo: 'guest',
  graph: 'guest',
  verify: 'guest',
  subscribe: 'guest', // change events over a WebSocket
  create: 'user',
  publish: 'user',
  comment: 'user',
  lock: 'user',
  unlock: 'user',
  tokens: 'user', // a caller's own API tokens
  update: 'editor',
  upsert: 'editor',
  delete: 'editor',
  'tokens.admin': 'admin', // everyone's API tokens
  users: 'admin',
  volumes: 'admin',
  webhooks: 'admin',
  // Sites (volumes): status, stats and metrics, the next pairs of a site, and agents' heartbeats.
  sites: 'guest',
  stats: 'guest',
  metrics: 'guest',
  queue: 'guest',
  heartbeat: 'user',
  // Sync transfers: lease pairs of a site's queue, report how they went; re-planning tasks.
  claim: 'user',
  results: 'user',
  tasks: 'admin',
  // Scans: an agent reports files of its volume modified, missing or present again.
  scanned: 'user',
} as const satisfies Record<string, UserClass>;

export type Operation = keyof typeof REQUIRED;

export function requiredClass(operation: Operation): UserClass {
  return REQUIRED[operation];
}

export function canAccess(caller: Caller, operation: Operation): boolean {
  return classRank(caller.class) >= classRank(REQUIRED[operation]);
}

/** User nodes (`@name`) and the global parameters node are admin-only. */
export function isProtectedNodeId(id: string): boolean {
  return id.startsWith('@') || id === 'rsyncGlobalParameters';
}

/** What a site-scoped caller may call besides reads: operations that check the site (assertSiteScope). */
const SITE_OPERATIONS = new Set<string>(['publish', 'heartbeat', 'claim', 'results', 'scanned']);

/**
 * A caller with a site-scoped token may read anything (guest operations) and publish, claim, report
 * results and scans, and heartbeat for its site only; every other operation is refused. Null when allowed.
 */
export function siteScopeRefusal(caller: Caller, operation: Operation): string | null {
  if (caller.site === undefined) return null;
  if (REQUIRED[operation] === 'guest' || SITE_OPERATIONS.has(operation)) return null;
  return `a token scoped to site ${caller.site} may not use '${operation}'`;
}

/** Throws 403 when a site-scoped caller acts for another site (publish origin, claim, results, scanned, heartbeat). */
export function assertSiteScope(caller: Caller, site: unknown): void {
  if (caller.site !== undefined && caller.site !== site) {
    throw forbidden(`this token may act only for site ${caller.site}, not ${String(site)}`);
  }
}

/** Keys only admins may set or change. */
const protectedKeys = ['author', 'time', 'class', 'username'] as const;

type Node = Record<string, unknown>;

/** Is `username` the node's author (`author` is a username or an array of usernames)? */
export function isAuthor(node: Node, username: string | null): boolean {
  if (username === null) return false;
  const a = node.author;
  return a === username || (Array.isArray(a) && a.includes(username));
}

/**
 * Decides whether `caller` may apply `operation` with `incoming` to a node (`existing` is the
 * stored node, undefined when it does not exist yet). Returns null when allowed, else a reason.
 * A protected key is "set" only when its value differs from the stored one, so a read-modify-
 * write of a whole node by a non-admin passes. Handlers that silently override client `author`/
 * `time` on create (damas behaviour) should strip them before calling.
 * Order: a site-scoped token's limits; admins pass; protected keys; admin-only nodes (except a
 * user's own `@name` node, whose non-protected keys its user may update); volumes (nodes that are or
 * become one); the class table; then authorMode.
 */
export function checkWrite(
  caller: Caller,
  operation: Operation,
  incoming: Node,
  existing: Node | undefined,
  opts: { authorMode: boolean },
): string | null {
  const scoped = siteScopeRefusal(caller, operation);
  if (scoped) return scoped;
  if (caller.class === 'admin') return null;
  for (const key of protectedKeys) {
    if (incoming[key] !== undefined && !sameJson(incoming[key], existing?.[key])) {
      return `only admins may set '${key}'`;
    }
  }
  const id = typeof incoming._id === 'string' ? incoming._id : '';
  if (isProtectedNodeId(id)) {
    const ownUserNode = caller.username !== null && id === `@${caller.username}`;
    const isEdit = operation === 'update' || operation === 'upsert';
    if (ownUserNode && isEdit && existing !== undefined) return null;
    return 'only admins may modify users and global parameters';
  }
  if (isVolumeNode(incoming) || isVolumeNode(existing))
    return 'only admins may create, change or delete volumes';
  if (!canAccess(caller, operation)) return `'${operation}' requires class '${REQUIRED[operation]}'`;
  if (opts.authorMode && existing !== undefined && classRank(caller.class) < classRank('editor')) {
    if (!isAuthor(existing, caller.username)) return 'authorMode: only the author may modify this node';
  }
  return null;
}

const isVolumeNode = (node: Node | undefined) =>
  typeof node?._id === 'string' && isVolume(node as Parameters<typeof isVolume>[0]);

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Node)[k], (b as Node)[k]));
}
