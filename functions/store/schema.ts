/**
 * Every table of the tracker, declared once. The CDK stack, the local table creation, the
 * environment variable names and the config loader all read this list: adding a table is one entry
 * here plus its store module.
 *
 * nodes: one item per node. `pk` = the node's `_id`; `doc` = every other key of the node (a map,
 * so concurrent writers update different keys atomically with `SET doc.#k`). Sparse index keys:
 *   root   first folder of a path id ('/proj' for '/proj/a/b.exr') → prefix searches (byRoot)
 *   dir    containing folder ('/proj/a/')                         → folder listings (byDir)
 *   parent the node's `#parent` when it is a string               → children, comments (byParent)
 *   target the node's `tgt_id` when it is a string                → graph edges into a node (byTarget)
 * auth: credentials, API tokens and the signing secret, kept out of the nodes table (and so out of
 * its stream). Nothing in it expires by itself, so it has no TTL.
 * events: the change log replayed to WebSocket subscribers (store/event-log.ts), expiring by TTL.
 * connections: open WebSocket connections, their user and filter.
 * webhooks: webhook subscriptions; deliveries: the durable queue of webhook deliveries, due ones
 * found through byDue, dead-lettered ones per webhook through byDeadHook.
 * queue: the sync engine's per-site work queues (ready, waiting, leased pairs), the registry of
 * volumes and global parameters they are planned from, and re-planning tasks (store/queue-store.ts).
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableSpec {
  /** Locally the table is `<prefix>-<suffix>`; in the cloud CloudFormation names it. */
  readonly suffix: string;
  /** The environment variable that gives handlers the table's name. */
  readonly env: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Global secondary indexes, all projecting every attribute. */
  readonly indexes: readonly IndexSpec[];
  readonly stream?: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'KEYS_ONLY';
  /** Attribute holding an expiry time (s epoch); DynamoDB deletes expired items. */
  readonly ttlAttribute?: string;
}

const text = (name: string): KeyAttribute => ({ name, type: 'S' });
const byId = (name: string, partitionKey: string): IndexSpec => ({
  name,
  partitionKey: text(partitionKey),
  sortKey: text('pk'),
});

export const TABLES = {
  nodes: {
    suffix: 'nodes',
    env: 'NODES_TABLE',
    partitionKey: text('pk'),
    indexes: [
      byId('byRoot', 'root'),
      byId('byDir', 'dir'),
      byId('byParent', 'parent'),
      byId('byTarget', 'target'),
    ],
    stream: 'NEW_AND_OLD_IMAGES',
  },
  auth: {
    suffix: 'auth',
    env: 'AUTH_TABLE',
    partitionKey: text('pk'),
    indexes: [],
  },
  events: {
    suffix: 'events',
    env: 'EVENTS_TABLE',
    partitionKey: text('pk'),
    sortKey: text('id'),
    indexes: [],
    ttlAttribute: 'expiresAt',
  },
  connections: {
    suffix: 'connections',
    env: 'CONNECTIONS_TABLE',
    partitionKey: text('pk'),
    indexes: [],
    ttlAttribute: 'expiresAt',
  },
  webhooks: {
    suffix: 'webhooks',
    env: 'WEBHOOKS_TABLE',
    partitionKey: text('pk'),
    indexes: [],
  },
  queue: {
    suffix: 'queue',
    env: 'QUEUE_TABLE',
    partitionKey: text('pk'),
    sortKey: text('sk'),
    indexes: [],
  },
  deliveries: {
    suffix: 'deliveries',
    env: 'DELIVERIES_TABLE',
    partitionKey: text('pk'),
    indexes: [
      { name: 'byDue', partitionKey: text('dueShard'), sortKey: { name: 'dueAt', type: 'N' } },
      { name: 'byDeadHook', partitionKey: text('deadFor'), sortKey: text('pk') },
    ],
    ttlAttribute: 'expiresAt',
  },
} as const satisfies Record<string, TableSpec>;

export type TableKey = keyof typeof TABLES;
export const TABLE_KEYS = Object.keys(TABLES) as TableKey[];
/** The same list, typed for code that walks every table. */
export const TABLE_SPECS: Readonly<Record<TableKey, TableSpec>> = TABLES;

/** The tables each handler uses: its Lambda is granted these and learns no other table's name. */
export const API_TABLES = [
  'nodes',
  'auth',
  'webhooks',
  'deliveries',
  'queue',
] as const satisfies readonly TableKey[];
export const WEBSOCKET_TABLES = [
  'nodes',
  'auth',
  'connections',
  'events',
] as const satisfies readonly TableKey[];
export const FANOUT_TABLES = [
  'events',
  'connections',
  'webhooks',
  'deliveries',
  'queue',
] as const satisfies readonly TableKey[];
export const DELIVERY_TABLES = ['webhooks', 'deliveries'] as const satisfies readonly TableKey[];
/** The re-planning worker: it scans the nodes and writes the queues. */
export const REPLAN_TABLES = ['nodes', 'queue'] as const satisfies readonly TableKey[];

export type IndexName = (typeof TABLES.nodes.indexes)[number]['name'];

/** Table names as the local runtime creates them: `<prefix>-<suffix>`. */
export function localTableNames(prefix = 'tracker'): Record<TableKey, string> {
  return Object.fromEntries(TABLE_KEYS.map((key) => [key, `${prefix}-${TABLES[key].suffix}`])) as Record<
    TableKey,
    string
  >;
}
