/**
 * Table layout shared by the CDK stack and the local runtime, so both create the same tables.
 *
 * nodes: one item per node. `pk` = the node's `_id`; `doc` = every other key of the node (a map,
 * so concurrent writers update different keys atomically with `SET doc.#k`). Sparse index keys:
 *   root   first folder of a path id ('/proj' for '/proj/a/b.exr') → prefix searches (byRoot)
 *   dir    containing folder ('/proj/a/')                         → folder listings (byDir)
 *   parent the node's `#parent` when it is a string               → children, comments (byParent)
 *   target the node's `tgt_id` when it is a string                → graph edges into a node (byTarget)
 * auth: credentials and API tokens, kept out of the nodes table (and so out of its stream).
 */
export const NODES = {
  partitionKey: 'pk',
  document: 'doc',
  stream: 'NEW_AND_OLD_IMAGES',
  indexes: [
    { name: 'byRoot', partitionKey: 'root', sortKey: 'pk' },
    { name: 'byDir', partitionKey: 'dir', sortKey: 'pk' },
    { name: 'byParent', partitionKey: 'parent', sortKey: 'pk' },
    { name: 'byTarget', partitionKey: 'target', sortKey: 'pk' },
  ],
} as const;

export const AUTH = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
} as const;

export type IndexName = (typeof NODES.indexes)[number]['name'];

/** Environment variables the infra sets and the handlers read (config is read once, at start). */
export const ENV = {
  nodesTable: 'NODES_TABLE',
  authTable: 'AUTH_TABLE',
  authMode: 'AUTH_MODE',
  authorMode: 'AUTHOR_MODE',
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
} as const;
