/**
 * Every limit a request is checked against, in one place (the README's "Limits" table). Most come
 * from what Lambda, API Gateway and DynamoDB accept (DESIGN.md §3, §4).
 */

/** Lambda accepts at most 6 MB of request; the local runtime applies the same bound (413). */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;
/** Largest JSON answer: Lambda answers at most 6 MB; room is kept for headers and encoding. */
export const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** How long a request may compute before long searches give up (API Gateway waits 29 s). */
export const TIME_BUDGET_MS = 25_000;

/** Most elements (after `_id` arrays are expanded) or ids one request may carry. */
export const MAX_ELEMENTS = 1000;
/** Ids are index sort keys in DynamoDB: at most 1024 bytes. */
export const MAX_ID_BYTES = 1024;
/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;
/** One node: the item limit minus room for the store's own attributes (index keys). */
export const MAX_NODE_BYTES = MAX_ITEM_BYTES - 4 * 1024;
/** Nesting of a node's values. */
export const MAX_NESTING = 30;
/** DynamoDB attribute names (and map keys) are at most 64 KB. */
export const MAX_KEY_BYTES = 65_535;
/** DynamoDB numbers: magnitudes below 1e126 and, apart from 0, at least 1e-130. */
export const MAX_NUMBER = 1e126;
export const MIN_NUMBER = 1e-130;
/** Keys one update element may name (DynamoDB limits an update expression to 4 KB). */
export const MAX_KEYS_PER_UPDATE = 200;
/** A lock or unlock is one DynamoDB transaction (all or nothing), which holds at most 100 items. */
export const MAX_LOCK_IDS = 100;
/** Nodes a graph walk may collect. */
export const MAX_GRAPH_NODES = 10_000;
/** Pairs one claim may lease. */
export const MAX_CLAIM_PAIRS = 100;
/** Pairs `GET queue/<site>` may list. */
export const MAX_PEEK = 1000;

/** A user regular expression's length. */
export const MAX_PATTERN_LENGTH = 1000;
/** Nesting of a search_mongo query. */
export const MAX_QUERY_DEPTH = 20;

/** Usernames as sent to signIn and the token routes. */
export const MAX_USERNAME_LENGTH = 256;
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_TOKEN_NAME_LENGTH = 200;
/** A bearer token's length. */
export const MAX_TOKEN_LENGTH = 4096;
/** Longest session a signIn may ask for (`expiresIn`). */
export const MAX_SESSION_MS = 366 * 24 * 3600 * 1000;
