/**
 * Bad input: generated hostile requests to every route, against an open-mode tracker and a jwt-mode
 * tracker (anonymous callers and garbage bearer tokens). For every request:
 *  - the status is below 500 (and the tracker answers at all);
 *  - an answer >= 400 is a damas error text `<Operation> error: <reason>` (unknown paths outside
 *    /api/ may answer any 4xx text);
 *  - an answer >= 400 leaves the stored nodes and API tokens exactly as they were (207 may write
 *    partially, by design). Requests run one at a time so the before/after fingerprints are exact.
 * Requests go through node:http with the raw request target, so malformed percent-encodings, `..`
 * and double slashes reach the tracker as sent, and a body can be sent with no content type at all.
 *
 * The deterministic cases at the end pin what the properties found (5xx, a crash, hangs, partial
 * writes); they fail until the application is fixed. Inputs that would kill or block the tracker
 * sharing this process (catastrophic regexes, mingo's $range, unbounded batches) are left out of
 * the generators and run once each in a separate tracker process instead; bodies over 6 MB are
 * one deterministic sweep over every route rather than a generated case.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addUser } from '../../functions/core/ops/accounts.js';
import type { Node } from '../../functions/core/nodes.js';
import type { LocalTracker } from '../../local/runtime.js';
import { startTestTracker } from '../support/tracker.js';

/** API Gateway gives up after 29 s; an answer that takes longer is a hang. */
const ANSWER_LIMIT_MS = 30_000;
const DAMAS_ERROR = /^[A-Z][A-Za-z_]* error: .+/s;
const RUNS_OPEN = 40;
const RUNS_JWT = 15;

// ---- raw HTTP ------------------------------------------------------------------------------------

interface Req {
  method: string;
  /** The request target exactly as sent, e.g. `/api/read/%E0%A4%A`. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with chunked transfer encoding instead of Content-Length. */
  chunked?: boolean;
}

type Outcome = { status: number; text: string } | { error: string };

function send(baseUrl: string, req: Req, limitMs = ANSWER_LIMIT_MS): Promise<Outcome> {
  const { hostname, port } = new URL(baseUrl);
  const headers = { ...req.headers };
  if (req.body !== undefined) {
    // node:http only chunks POST/PUT/PATCH bodies by itself; say it for every method.
    if (req.chunked) headers['Transfer-Encoding'] = 'chunked';
    else headers['Content-Length'] = String(Buffer.byteLength(req.body));
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = http.request(
      { host: hostname, port, method: req.method, path: req.path, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          done({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', (error) => done({ error: `answer broken off: ${error.message}` }));
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      done({ error: `no answer within ${limitMs / 1000} s` });
    }, limitMs);
    // A server answering early (413) may reset the upload; give its answer a moment to arrive.
    request.on('error', (error) =>
      setTimeout(() => done({ error: `connection failed: ${error.message}` }), 100),
    );
    request.end(req.body);
  });
}

const short = (text: string, max = 240) =>
  text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;

function describeReq(req: Req): string {
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `${k}: ${short(JSON.stringify(v), 80)}`)
    .join(', ');
  const body =
    req.body === undefined
      ? 'no body'
      : Buffer.isBuffer(req.body)
        ? `bytes ${short(req.body.toString('hex'), 120)}`
        : `body ${short(JSON.stringify(req.body))}`;
  return `${req.method} ${short(req.path, 200)} [${headers}] ${body}${req.chunked ? ' (chunked)' : ''}`;
}

/** Whether the local adapter hands this target to the API handler (the rest answer a plain 404). */
function servedByApi(path: string): boolean {
  let pathname: string;
  try {
    pathname = new URL(path, 'http://localhost').pathname;
  } catch {
    return false; // e.g. `//`: not even a URL path
  }
  return pathname === '/api' || pathname.startsWith('/api/');
}

// ---- store fingerprint ---------------------------------------------------------------------------

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Every stored node (read straight from the table) and every API token record. */
async function fingerprint(t: LocalTracker): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const page of t.tracker.store.find({ kind: 'scan' })) {
    for (const node of page) out.set(`node ${JSON.stringify(node._id)}`, canonical(node));
  }
  for (const token of await t.tracker.authStore.listTokens()) out.set(`token ${token.id}`, canonical(token));
  return out;
}

/** Writes nodes straight to the store (seeding). */
async function seed(t: LocalTracker, nodes: readonly Node[]): Promise<void> {
  if (nodes.length > 0) await t.tracker.store.create(nodes.map((n) => [n]));
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [key, value] of after) {
    if (!before.has(key)) out.push(`added ${short(key, 100)}`);
    else if (before.get(key) !== value) out.push(`changed ${short(key, 100)}: ${short(value, 200)}`);
  }
  for (const key of before.keys()) if (!after.has(key)) out.push(`removed ${short(key, 100)}`);
  return out;
}

// ---- the invariant -------------------------------------------------------------------------------

interface Check {
  /** jwt mode with no valid credentials: a route that needs a class must never succeed. */
  mustBeRefused?: boolean;
  /**
   * Wait this long before the second fingerprint: writes that raced an error answer (Promise.all
   * rejects at the first failure, the other writes still land) then count too.
   */
  settleMs?: number;
}

async function check(
  t: LocalTracker,
  req: Req,
  options: Check = {},
): Promise<{ status: number; text: string }> {
  const before = await fingerprint(t);
  const outcome = await send(t.url, req);
  const what = describeReq(req);
  if ('error' in outcome) throw new Error(`${what}\n→ ${outcome.error}`);
  const seen = `${what}\n→ ${outcome.status} ${short(JSON.stringify(outcome.text), 300)}`;
  expect(outcome.status, seen).toBeLessThan(500);
  if (outcome.status >= 400 && req.method !== 'HEAD') {
    if (servedByApi(req.path)) expect(outcome.text, seen).toMatch(DAMAS_ERROR);
    else expect(outcome.text, seen).toMatch(/\S/);
  }
  // Only the API needs credentials: a path whose dot segments lead out of /api/ reaches the public page.
  if (options.mustBeRefused && req.method !== 'OPTIONS' && servedByApi(req.path)) {
    expect(outcome.status, `${seen}\n(no valid credentials)`).toBeGreaterThanOrEqual(400);
  }
  if (outcome.status >= 400) {
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    expect(changes(before, await fingerprint(t)), `${seen}\nbut the store changed:`).toEqual([]);
  }
  return outcome;
}

// ---- JSON values, including the ones JSON.stringify cannot write --------------------------------

/** A number written verbatim into the JSON text (`-0`, `1e999`, `1E-200`…). */
class RawNumber {
  constructor(readonly text: string) {}
}

type Json = string | number | boolean | null | RawNumber | Json[] | { [key: string]: Json };

function jsonText(value: Json): string {
  if (value instanceof RawNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An object with own properties only (a `__proto__` key stays a key, as JSON.parse makes it). */
const objectOf = (entries: readonly (readonly [string, Json])[]): Json => Object.fromEntries(entries);

function optionalFields(fields: Record<string, fc.Arbitrary<Json>>): fc.Arbitrary<Json> {
  return fc
    .tuple(
      ...Object.entries(fields).map(([key, arb]) =>
        fc.option(
          arb.map((v) => [key, v] as const),
          { nil: undefined },
        ),
      ),
    )
    .map((pairs) => objectOf(pairs.filter((p) => p !== undefined)));
}

function nest(depth: number, leaf: Json, key: string): Json {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 3 === 0 ? [value] : objectOf([[key, value]]);
  return value;
}

// ---- hostile atoms ----------------------------------------------------------------------------------

const LONG_STRINGS = [
  'x'.repeat(1025), // over the 1024-byte id limit
  'é'.repeat(513), // 513 characters, 1026 UTF-8 bytes
  '😀'.repeat(257), // 514 UTF-16 units, 1028 bytes
  '/long/' + 'z'.repeat(2049), // over DynamoDB's 2048-byte partition key
  'y'.repeat(10_000),
];

const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '/nul\u0000byte',
  '\ud800',
  '\udfff',
  '/lone/\ud83d',
  '\udc00\ud800',
  '\u202e/evil/\u202d',
  '/rtl/\u200f\u200e',
  '\ufeff/bom',
  '/emoji/😀',
  '/family/👩‍👩‍👧‍👦',
  '/combining/e\u0301',
  '/zalgo/a' + '\u0301\u0302\u0303'.repeat(30),
  '%',
  '%2F',
  '/pct/%E0%A4%A',
  '%00',
  '%25%25',
  '..',
  '/..',
  '/../..',
  '/seed/../seed/a',
  '/./',
  '//',
  '/',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  'toString',
  '$gt',
  '$where',
  'REGEX_(',
  'RX_x_RXy',
  '@',
  '@seeduser',
  '@ada',
  '#parent',
  ',',
  '"',
  '\\',
  '\n',
  '\r\n',
  '\t',
  ...LONG_STRINGS,
];

const RAW_NUMBERS = [
  '-0',
  '-0.0',
  '0e0',
  '1e200',
  '-1e200',
  '1e-200',
  '1E-200',
  '1e999',
  '-1e999',
  '1e-999',
  '1e126',
  '1e125',
  '1e-130',
  '1e-131',
  '5e-324',
  '1.7976931348623157e308',
  '9007199254740993',
  '123456789012345678901234567890123456789012',
].map((text) => new RawNumber(text));

const HOSTILE_KEYS = [
  '',
  ' ',
  '_id',
  'author',
  'time',
  '#parent',
  'tgt_id',
  'src_id',
  'lock',
  'password',
  'class',
  'username',
  'comment',
  'origin',
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '$gt',
  '$where',
  '$set',
  'a.b',
  'doc',
  'pk',
  'root',
  '\u0000',
  '\ud800',
  '😀',
  'k'.repeat(70_000), // over DynamoDB's 64 KB attribute-name limit
];

const SEED_IDS = [
  '/seed/a',
  '/seed/b',
  '/seed/dir/',
  '/seed/dir/file',
  '/seed/locked',
  '/seed/edge',
  '@seeduser',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const printableAscii = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(printableAscii, loneSurrogate), maxLength: 8 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('/', '/seed/', '/new/', '@', ''), fc.string({ unit: 'binary', maxLength: 10 }))
      .map(([a, b]) => a + b),
  },
);

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'n', 's', 'tags', 'note') },
);

const scalar: fc.Arbitrary<Json> = fc.oneof(
  hostileString,
  fc.constantFrom(...RAW_NUMBERS),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);

const deep: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 40, max: 120 }), scalar, hostileKey)
  .map(([depth, leaf, key]) => nest(depth, leaf, key));

const { junk } = fc.letrec<{ junk: Json }>((tie) => ({
  junk: fc.oneof(
    { maxDepth: 3 },
    { weight: 4, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie('junk'), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(hostileKey, tie('junk')), { maxLength: 4 }).map(objectOf),
    },
    { weight: 1, arbitrary: fc.constantFrom<Json>({ $gt: '' }, { $ne: null }, {}, [], [[]]) },
  ),
}));

const hostileJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 5, arbitrary: junk },
  { weight: 1, arbitrary: deep },
);

/** Something in a place that wants an id: odd strings, existing ids, wrong types, operators. */
const idValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: fc.constantFrom(...SEED_IDS) },
  { weight: 1, arbitrary: scalar },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Json>({ $gt: '' }, { $ne: null }, { $regex: '.*' }, {}, [], [[]], ['/seed/a']),
  },
  { weight: 1, arbitrary: deep },
);

const idsBody: fc.Arbitrary<Json> = fc.oneof(
  idValue,
  fc.array(idValue, { maxLength: 5 }),
  idValue.map((id) => objectOf([['_id', id]])),
  hostileJson,
);

function batch(element: fc.Arbitrary<Json>): fc.Arbitrary<Json> {
  return fc.oneof(
    { weight: 3, arbitrary: element },
    {
      weight: 2,
      arbitrary: fc.array(fc.oneof({ weight: 4, arbitrary: element }, hostileJson), { maxLength: 4 }),
    },
    { weight: 1, arbitrary: hostileJson },
  );
}

const extraFields = fc.array(fc.tuple(hostileKey, hostileJson), { maxLength: 4 });

const nodeElement: fc.Arbitrary<Json> = fc
  .tuple(fc.option(idValue, { nil: undefined }), extraFields)
  .map(([id, fields]) => objectOf(id === undefined ? fields : [['_id', id], ...fields]));

const publishElement: fc.Arbitrary<Json> = fc
  .tuple(
    fc.option(idValue, { nil: undefined }),
    fc.option(fc.oneof(hostileString, hostileJson), { nil: undefined }),
    fc.option(fc.oneof(hostileString, hostileJson), { nil: undefined }),
    extraFields,
  )
  .map(([id, origin, comment, fields]) =>
    objectOf([
      ...(id === undefined ? [] : ([['_id', id]] as const)),
      ...(origin === undefined ? [] : ([['origin', origin]] as const)),
      ...(comment === undefined ? [] : ([['comment', comment]] as const)),
      ...fields,
    ]),
  );

const commentElement: fc.Arbitrary<Json> = fc
  .tuple(
    fc.oneof(idValue, fc.array(idValue, { maxLength: 4 })),
    fc.oneof(hostileString, hostileJson),
    extraFields,
  )
  .map(([parent, comment, fields]) => objectOf([['#parent', parent], ['comment', comment], ...fields]));

// search_mongo: filters, operators and expressions. Regular expressions come from a fixed list of
// linear patterns so a generated one cannot backtrack for minutes (see the ReDoS finding below).
const SAFE_PATTERNS = ['(', '[', '*', '^/seed', '^\\/seed\\/[^/]+$', 'a|b', '.*', '\\', '(?<x>', 'x{2,1}'];
const mongoKey = fc.constantFrom(
  '_id',
  '#parent',
  'a',
  'n',
  'tags',
  'a.b',
  '$and',
  '$or',
  '$nor',
  '$not',
  '$expr',
  '$where',
  '$text',
  '$comment',
  '$jsonSchema',
  '__proto__',
  'constructor',
  '',
);
const mongoOperator = fc.constantFrom(
  '$gt',
  '$gte',
  '$lt',
  '$in',
  '$nin',
  '$ne',
  '$eq',
  '$exists',
  '$regex',
  '$options',
  '$size',
  '$type',
  '$mod',
  '$all',
  '$elemMatch',
  '$not',
  '$where',
  '$function',
  '$foo',
  '$',
  '__proto__',
  'constructor',
);
const mongoExpression = fc.constantFrom<Json>(
  { $gt: ['$n', 0] },
  { $divide: [1, 0] },
  { $toDate: '$s' },
  { $regexMatch: { input: '$s', regex: '(' } },
  { $substr: ['$s', 0, -1] },
  { $literal: { $x: 1 } },
  { $concat: ['$s', 1] },
  { $size: '$n' },
  { $arrayElemAt: ['$tags', new RawNumber('1e200')] },
  { $function: { body: 'return 1', args: [], lang: 'js' } },
  { $accumulator: {} },
  '$$ROOT',
  { $let: { vars: {}, in: '$$nothing' } },
  { $pow: [10, 400] },
  { $unknownOperator: 1 },
);
const mongoCondition: fc.Arbitrary<Json> = fc
  .array(
    fc.tuple(
      mongoOperator,
      fc.oneof(
        { weight: 3, arbitrary: junk },
        { weight: 1, arbitrary: fc.constantFrom(...SAFE_PATTERNS) },
        { weight: 1, arbitrary: fc.constantFrom(...SAFE_PATTERNS).map((p) => `REGEX_${p}`) },
        { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
      ),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map(objectOf);
const mongoFilter: fc.Arbitrary<Json> = fc
  .array(
    fc.tuple(
      mongoKey,
      fc.oneof(
        { weight: 2, arbitrary: junk },
        { weight: 2, arbitrary: mongoCondition },
        { weight: 1, arbitrary: mongoExpression },
        { weight: 1, arbitrary: fc.array(mongoCondition, { maxLength: 3 }) },
        { weight: 1, arbitrary: fc.constantFrom(...SAFE_PATTERNS).map((p) => `RX_${p}_RXgiy`) },
      ),
    ),
    { maxLength: 3 },
  )
  .map(objectOf);
const mongoBody: fc.Arbitrary<Json> = optionalFields({
  query: fc.oneof({ weight: 4, arbitrary: mongoFilter }, { weight: 1, arbitrary: hostileJson }),
  sort: fc.oneof(
    hostileJson,
    fc
      .array(
        fc.tuple(
          fc.constantFrom('a', '_id', 'n', '__proto__', 'constructor', '', '$x', 'a.b'),
          fc.constantFrom<Json>(1, -1, 0, '1', null, 2, {}, new RawNumber('-0')),
        ),
        { maxLength: 3 },
      )
      .map(objectOf),
  ),
  limit: fc.oneof(scalar, fc.nat(5)),
  skip: fc.oneof(scalar, fc.nat(5)),
});

const signInBody: fc.Arbitrary<Json> = optionalFields({
  username: fc.oneof(hostileString, hostileJson, fc.constantFrom('ada', 'seeduser')),
  password: fc.oneof(hostileString, hostileJson, fc.constantFrom('ada-secret', 'x'.repeat(1025))),
  expiresIn: fc.oneof(
    hostileJson,
    fc.constantFrom<Json>('1d', '0', '-1s', 'forever', '1e400', '999999y', '', 'x'.repeat(200), 1e300, -5),
  ),
});

const tokensBody: fc.Arbitrary<Json> = optionalFields({
  name: fc.oneof(hostileString, hostileJson),
  username: fc.oneof(hostileString, hostileJson, fc.constant('seeduser')),
});

/** Sites: the seeded volume's, unknown ones, and anything else. */
const siteField = fc.oneof(fc.constantFrom('A', 'B', 'nope', ''), hostileString, hostileJson);
const filterFields = {
  prefix: fc.oneof(hostileString, hostileJson),
  query: fc.oneof(hostileString, hostileJson),
  ops: fc.oneof(fc.constant<Json>(['create']), hostileJson),
};
const webhookBody: fc.Arbitrary<Json> = optionalFields({
  url: fc.oneof(
    fc.constantFrom('http://127.0.0.1:9/', 'ftp://x/', 'http://u:p@h/'),
    hostileString,
    hostileJson,
  ),
  ...filterFields,
});
const resultElement: fc.Arbitrary<Json> = optionalFields({
  _id: fc.oneof(fc.constant('/seed/file'), hostileString, hostileJson),
  ok: fc.oneof(fc.boolean(), hostileJson),
  error: fc.oneof(fc.integer({ min: -1, max: 300 }), hostileJson),
  message: fc.oneof(hostileString, hostileJson),
  destination: siteField,
});
const syncBody: fc.Arbitrary<Json> = optionalFields({
  site: siteField,
  limit: fc.oneof(fc.integer({ min: -5, max: 200 }), hostileJson),
  lease: fc.oneof(fc.integer({ min: -5, max: 100_000 }), hostileJson),
  direction: fc.oneof(fc.constantFrom('reception', 'emission'), hostileJson),
  results: fc.oneof(fc.array(resultElement, { maxLength: 5 }), hostileJson),
});
const scannedEntry: fc.Arbitrary<Json> = optionalFields({
  _id: fc.oneof(
    fc.constantFrom('/seed/file', '/seed/a', '/seed/none', 'vol-a', '@seeduser', 'rsyncGlobalParameters'),
    hostileString,
    hostileJson,
  ),
  change: fc.oneof(fc.constantFrom('modified', 'missing', 'present'), hostileJson),
  file_size: fc.oneof(fc.integer({ min: -5, max: 1_000_000 }), hostileJson),
  file_mtime: fc.oneof(fc.integer(), hostileJson),
  time: fc.oneof(fc.integer(), hostileJson),
});
const scannedBody: fc.Arbitrary<Json> = optionalFields({
  site: siteField,
  files: fc.oneof(fc.array(scannedEntry, { maxLength: 5 }), hostileJson),
});
const heartbeatBody: fc.Arbitrary<Json> = optionalFields({
  site: siteField,
  agentStatus: fc.oneof(fc.constantFrom('on', 'off'), hostileJson),
  bytesTotal: fc.oneof(fc.integer(), hostileJson),
  lastConnectionSuccess: fc.oneof(fc.integer(), hostileJson),
  scan_held: fc.oneof(fc.integer({ min: -5, max: 1_000 }), hostileJson),
});

// ---- bodies -----------------------------------------------------------------------------------------

interface Body {
  data: string | Buffer;
  /** null: no Content-Type header at all. */
  type: string | null;
  chunked?: boolean;
}

const jsonType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json;charset=utf-16',
  'APPLICATION/JSON',
  'application/vnd.damas+json',
  ' application/json ;;;',
);
const FORM = 'application/x-www-form-urlencoded';

const MALFORMED_JSON = [
  '{',
  '[',
  '{"_id":',
  '{"_id":"/a"',
  '{"a":1,}',
  "{'_id':'/a'}",
  'NaN',
  'undefined',
  '{"a":1}{"b":2}',
  '\ufeff{}',
  '{"a":"\\u12"}',
  '{"a":"\\x41"}',
  '{"a":"\\ud800"}',
  '"unterminated',
  '[1,]',
  '01',
  '--1',
  '+1',
  '.5',
  'true false',
  '{"_id":"/dup","_id":{"$gt":""}}',
  '/* comment */ {}',
  '{"a":\u0000}',
  '{"nul":"a\u0000b"}',
  ' ',
  '\n\t\n',
  '['.repeat(5_000) + ']'.repeat(5_000),
  '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000),
  '['.repeat(5_000),
];

const malformedBody: fc.Arbitrary<Body> = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...MALFORMED_JSON) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
      {
        weight: 2,
        arbitrary: fc.tuple(hostileJson, fc.nat()).map(([v, n]) => {
          const text = jsonText(v);
          return text.slice(0, n % Math.max(1, text.length));
        }),
      },
    ),
    jsonType,
  )
  .map(([data, type]) => ({ data, type }));

const formPiece = fc.oneof(
  fc.constantFrom(
    '',
    '_id',
    '%',
    '%E0%A4%A',
    '%00',
    '%2F',
    '%ED%A0%80',
    '+',
    '=',
    '__proto__',
    'constructor',
    '%23parent',
    'username',
    'password',
    'comment',
    'origin',
    'query',
    'expiresIn',
    'x'.repeat(1025),
    '%2Fseed%2Fa',
  ),
  fc.string({ unit: printableAscii, maxLength: 10 }),
);
const formBody: fc.Arbitrary<Body> = fc
  .array(fc.tuple(formPiece, formPiece), { maxLength: 5 })
  .map((pairs) => ({ data: pairs.map(([k, v]) => `${k}=${v}`).join('&'), type: FORM }));

const otherTypeBody = (shaped: fc.Arbitrary<Json>): fc.Arbitrary<Body> =>
  fc.oneof(
    fc
      .tuple(
        shaped,
        fc.constantFrom(
          null,
          'text/plain',
          'application/xml',
          'application/octet-stream',
          '',
          ';',
          'application/jsonx',
          'json',
          '*/*',
        ),
      )
      .map(([v, type]) => ({ data: jsonText(v), type })),
    fc.constant<Body>({
      data: '--XyZ\r\nContent-Disposition: form-data; name="_id"\r\n\r\n/multipart\r\n--XyZ--\r\n',
      type: 'multipart/form-data; boundary=XyZ',
    }),
    fc.constant<Body>({
      data: Buffer.from('{"_id":"/caf\xe9","s":"\xff"}', 'latin1'),
      type: 'application/json',
    }),
    fc.constant<Body>({ data: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), type: 'application/json' }),
    fc.constant<Body>({ data: Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]), type: FORM }),
  );

/** Nodes over the 400 KB item limit (answered 413, or 400 when the body is refused earlier). */
const BIG_NODES: string[] = (() => {
  const blob = 'x'.repeat(450_000);
  const manyKeys = jsonText(objectOf(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, i] as const)));
  return [
    `{"_id":"/big/one","blob":"${blob}"}`,
    `[{"_id":"/big/a"},{"_id":"/big/b","blob":"${blob}"}]`,
    `{"_id":["/big/c","/big/d"],"blob":"${blob}"}`,
    `{"_id":"/seed/a","blob":"${blob}"}`,
    `{"#parent":"/seed/a","comment":"c","blob":"${blob}"}`,
    `{"_id":"/big/p","origin":"o","comment":"c","blob":"${blob}"}`,
    `{"query":{"a":"${blob}"}}`,
    `{"username":"${blob}","password":"p"}`,
    manyKeys,
  ];
})();
const bigNodeBody: fc.Arbitrary<Body> = fc
  .constantFrom(...BIG_NODES)
  .map((data) => ({ data, type: 'application/json' }));

function bodies(shaped: fc.Arbitrary<Json>): fc.Arbitrary<Body | undefined> {
  return fc
    .tuple(
      fc.oneof(
        {
          weight: 8,
          arbitrary: fc.tuple(shaped, jsonType).map(([v, type]): Body => ({ data: jsonText(v), type })),
        },
        {
          weight: 2,
          arbitrary: fc.tuple(hostileJson, jsonType).map(([v, type]): Body => ({ data: jsonText(v), type })),
        },
        { weight: 3, arbitrary: malformedBody },
        { weight: 1, arbitrary: formBody },
        { weight: 2, arbitrary: otherTypeBody(shaped) },
        { weight: 1, arbitrary: bigNodeBody },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      fc.boolean(),
    )
    .map(([body, chunked]) => (body && chunked ? { ...body, chunked } : body));
}

// ---- URL paths --------------------------------------------------------------------------------------

/** Keeps what node:http sends verbatim (0x21-0x7e); percent-encodes the rest, lone surrogates included. */
function rawPath(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x21 && code <= 0x7e) out += ch;
    else if (ch.isWellFormed()) out += encodeURIComponent(ch);
    else
      out +=
        `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
  }
  return out;
}

const RAW_PIECES = [
  '%E0%A4%A',
  '%00',
  '%',
  '%%',
  '%zz',
  '%2',
  '%ED%A0%80', // an encoded lone surrogate
  '%C0%AF', // overlong '/'
  '%FF',
  '..',
  '../..',
  '%2e%2e',
  '%2E%2E%2F',
  '.',
  '',
  ',',
  ',,',
  '%2C',
  '//',
  '///',
  'a//b',
  '%2F%2F',
  '?x=%',
  '#fragment',
  ';',
  '~',
  "'",
  '"',
  '<>',
  '{|}',
  '\\',
  '^`',
  '%252F',
  'a'.repeat(3_000),
  '%41'.repeat(1_000),
  'x'.repeat(12_000), // a 12 KB URL, still under node's 16 KB header limit
];

const pathPiece: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...RAW_PIECES) },
  { weight: 2, arbitrary: hostileString.filter((s) => s.isWellFormed()).map(encodeURIComponent) },
  { weight: 2, arbitrary: hostileString.map(rawPath) },
  { weight: 2, arbitrary: fc.constantFrom(...SEED_IDS).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.string({ unit: printableAscii, maxLength: 12 }) },
);

const idsPath: fc.Arbitrary<string> = fc
  .array(pathPiece, { minLength: 1, maxLength: 4 })
  .map((p) => p.join(','));

const SEARCH_TERMS = [
  '*',
  '_id:',
  '_id:/seed/a',
  '_id:%2Fseed%2Fa',
  '_id:/^\\/seed\\//',
  '_id:/^\\/seed\\/[^/]+$/',
  '_id:/^\\/seed\\/dir\\/[^/]*\\/?$/',
  '_id:/^\\/[/',
  '%23parent:',
  '%23parent:/seed/a',
  'a:/(/',
  'a:/x/q',
  'a:/x/gimy',
  'n<',
  'n<=1e400',
  'n>-0',
  'n>=1e-200',
  '<',
  ':',
  '::',
  'a:b:c',
  'tags:x',
  'a.b.c:1',
  '__proto__:x',
  'constructor.name:Object',
  'toString:x',
  'tgt_id:/seed/b',
  '_id:' + 'x'.repeat(2_049),
  '_id:/^\\/' + 'x'.repeat(1_100) + '/',
  '%23parent:' + 'y'.repeat(1_500),
  '_id:/^\\/' + 'd'.repeat(1_030) + '\\/[^/]+$/',
];
const searchPath: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.array(fc.constantFrom(...SEARCH_TERMS), { maxLength: 4 }).map((t) => t.join('%20')),
  },
  { weight: 2, arbitrary: pathPiece },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.array(fc.oneof(fc.constantFrom(...SEARCH_TERMS), pathPiece), { maxLength: 4 }),
        fc.constantFrom('%20', '+', '%20%20', '%09'),
      )
      .map(([terms, separator]) => terms.join(separator)),
  },
);

const depthPiece = fc.constantFrom(
  '0',
  '1',
  '2',
  '-1',
  '-0',
  '1.5',
  '1e3',
  'abc',
  '',
  '%31',
  'NaN',
  'Infinity',
  '0x10',
  '99999999999999999999',
  '%E0%A4%A',
);

// ---- routes -----------------------------------------------------------------------------------------

const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

interface RouteCase {
  /** Label of the property. */
  label: string;
  /** Route name as the API spells it. */
  name: string;
  methods: readonly string[];
  /** Whether the route needs a class (everything but signIn and health). */
  guarded: boolean;
  rest?: fc.Arbitrary<string>;
  body?: fc.Arbitrary<Json>;
}

const ROUTE_CASES: RouteCase[] = [
  { label: 'create', name: 'create', methods: ['POST'], guarded: true, body: batch(nodeElement) },
  { label: 'read (GET)', name: 'read', methods: ['GET'], guarded: true, rest: idsPath },
  { label: 'read (POST)', name: 'read', methods: ['POST'], guarded: true, body: idsBody },
  { label: 'update', name: 'update', methods: ['PUT', 'POST'], guarded: true, body: batch(nodeElement) },
  { label: 'upsert', name: 'upsert', methods: ['POST', 'PUT'], guarded: true, body: batch(nodeElement) },
  { label: 'delete', name: 'delete', methods: ['DELETE', 'POST'], guarded: true, body: idsBody },
  { label: 'search', name: 'search', methods: ['GET'], guarded: true, rest: searchPath },
  { label: 'search_one', name: 'search_one', methods: ['GET'], guarded: true, rest: searchPath },
  { label: 'search_mongo', name: 'search_mongo', methods: ['POST'], guarded: true, body: mongoBody },
  {
    label: 'graph (GET)',
    name: 'graph',
    methods: ['GET'],
    guarded: true,
    rest: fc.tuple(depthPiece, idsPath).map(([d, ids]) => `${d}/${ids}`),
  },
  { label: 'graph (POST)', name: 'graph', methods: ['POST'], guarded: true, rest: depthPiece, body: idsBody },
  { label: 'publish', name: 'publish', methods: ['POST'], guarded: true, body: batch(publishElement) },
  { label: 'lock', name: 'lock', methods: ['PUT', 'POST'], guarded: true, body: idsBody },
  { label: 'unlock', name: 'unlock', methods: ['PUT', 'POST'], guarded: true, body: idsBody },
  { label: 'comment', name: 'comment', methods: ['POST'], guarded: true, body: batch(commentElement) },
  { label: 'signIn', name: 'signIn', methods: ['POST'], guarded: false, body: signInBody },
  { label: 'verify', name: 'verify', methods: ['GET', 'POST'], guarded: true, body: hostileJson },
  {
    label: 'tokens',
    name: 'tokens',
    methods: ['GET', 'POST', 'DELETE'],
    guarded: true,
    rest: pathPiece,
    body: tokensBody,
  },
  { label: 'health', name: 'health', methods: ['GET'], guarded: false },
  {
    label: 'webhooks',
    name: 'webhooks',
    methods: ['GET', 'POST', 'DELETE'],
    guarded: true,
    rest: pathPiece,
    body: webhookBody,
  },
  { label: 'claim', name: 'claim', methods: ['POST'], guarded: true, body: syncBody },
  { label: 'results', name: 'results', methods: ['POST'], guarded: true, body: syncBody },
  { label: 'heartbeat', name: 'heartbeat', methods: ['POST'], guarded: true, body: heartbeatBody },
  { label: 'scanned', name: 'scanned', methods: ['POST'], guarded: true, body: scannedBody },
  { label: 'sites', name: 'sites', methods: ['GET'], guarded: true },
  { label: 'stats', name: 'stats', methods: ['GET'], guarded: true },
  { label: 'metrics', name: 'metrics', methods: ['GET'], guarded: true },
  { label: 'queue', name: 'queue', methods: ['GET'], guarded: true, rest: pathPiece },
  { label: 'tasks', name: 'tasks', methods: ['GET', 'POST'], guarded: true, body: hostileJson },
];

const prefix = fc.oneof(
  { weight: 12, arbitrary: fc.constant('/api/') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/api//',
      '//api/',
      '/api/./',
      '/api/%2e/',
      '/stage/api/',
      '/API/',
      '/api/x/../',
    ),
  },
);

function routeName(name: string): fc.Arbitrary<string> {
  return fc.constantFrom(
    name,
    name.toUpperCase(),
    name.toLowerCase(),
    name[0]!.toUpperCase() + name.slice(1),
  );
}

/** Builds a request that fast-check prints as one readable line (bodies can be megabytes). */
function asReq(req: Req): Req {
  return Object.assign(req, { [fc.toStringMethod]: () => describeReq(req) });
}

function requestFor(route: RouteCase, authorization: fc.Arbitrary<string | undefined>): fc.Arbitrary<Req> {
  return fc
    .record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...route.methods) },
        { weight: 1, arbitrary: fc.constantFrom(...ALL_METHODS) },
      ),
      prefix,
      name: routeName(route.name),
      rest: route.rest
        ? route.rest.map((r) => `/${r}`)
        : fc.constantFrom('', '', '', '/', '//', '/%E0%A4%A', '/..', `/${'q'.repeat(5_000)}`),
      query: fc.oneof(
        { weight: 6, arbitrary: fc.constant('') },
        { weight: 1, arbitrary: fc.constantFrom('?', '?a=%', '?_id=/seed/a&_id=x', '?%00') },
      ),
      body: route.body ? bodies(route.body) : fc.option(bodies(hostileJson), { nil: undefined }),
      authorization,
    })
    .map(({ method, prefix: p, name, rest, query, body, authorization: auth }) => {
      const headers: Record<string, string> = {};
      if (body && body.type !== null) headers['Content-Type'] = body.type;
      if (auth !== undefined) headers.Authorization = auth;
      const withBody = body && method !== 'HEAD';
      return asReq({
        method,
        path: `${p}${name}${rest}${query}`,
        headers,
        ...(withBody ? { body: body.data, chunked: body.chunked ?? false } : {}),
      });
    });
}

const unknownRouteRequest: fc.Arbitrary<Req> = fc
  .tuple(
    fc.constantFrom(...ALL_METHODS),
    fc.oneof(
      fc
        .oneof(
          fc.constantFrom(
            'nope',
            'creat',
            'create2',
            'reads',
            'users',
            'search-mongo',
            'search_mongo_',
            '%63reate',
            'create%2F',
            'create%00',
            '%E0%A4%A',
            '..',
            '.',
            '%2e%2e',
            'signin%20',
            '__proto__',
            'constructor',
            'toString',
            'hasOwnProperty',
            'valueOf',
            '',
          ),
          fc.string({ unit: printableAscii, maxLength: 12 }),
        )
        .map((name) => `/api/${name}`),
      fc.constantFrom(
        '/',
        '/api',
        '/apix',
        '/API/create',
        '//',
        '//:99999/api/create',
        '//[/api/create',
        '//api/create',
        '/api/../create',
        '/x/api/create',
        '/%61pi/create',
        '/api%2Fcreate',
        '/.well-known/x',
        `/${'u'.repeat(12_000)}`,
      ),
    ),
    fc.option(bodies(hostileJson), { nil: undefined }),
  )
  .map(([method, path, body]) =>
    asReq({
      method,
      path,
      headers: body && body.type !== null ? { 'Content-Type': body.type } : {},
      ...(body && method !== 'HEAD' ? { body: body.data } : {}),
    }),
  );

// ---- trackers and seeds -----------------------------------------------------------------------------

const SEEDS: Node[] = [
  { _id: '/seed/a', n: 1, tags: ['x', 'y'], author: 'seed', time: 1 },
  { _id: '/seed/b', s: 'b', author: 'seed', time: 1 },
  { _id: '/seed/dir/', author: 'seed', time: 1 },
  { _id: '/seed/dir/file', '#parent': '/seed/a', comment: 'c', author: 'seed', time: 1 },
  { _id: '/seed/locked', lock: 'bob', author: 'seed', time: 1 },
  { _id: '/seed/edge', src_id: '/seed/a', tgt_id: '/seed/b', author: 'seed', time: 1 },
  { _id: '@seeduser', username: 'seeduser', class: 'user', author: 'seed', time: 1 },
  // Sites A and B and a file of A, so claims, results, scans and heartbeats reach real volumes and pairs.
  { _id: 'vol-a', name: 'A', url: 'ssh://sync@a:22/data/', author: 'seed', time: 1 },
  { _id: 'vol-b', name: 'B', url: 'ssh://sync@b:22/data/', author: 'seed', time: 1 },
  { _id: '/seed/file', origin: 'A', file_size: 10, author: 'seed', time: 1 },
];

/** Puts back seed nodes that earlier (successful) requests deleted, so ids keep hitting real nodes. */
async function ensureSeeds(t: LocalTracker): Promise<void> {
  const found = await t.tracker.store.getMany(SEEDS.map((n) => n._id));
  const missing = SEEDS.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) await seed(t, missing);
}

let open: LocalTracker;
let jwt: LocalTracker;
let garbageTokens: string[] = [];

/** Bearer tokens that must all be refused: forged, unsigned, truncated, wrong shapes. */
async function makeGarbageTokens(t: LocalTracker): Promise<string[]> {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Date.now();
  const forged = await new SignJWT({ cls: 'admin', iat_ms: now })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('ada')
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime('1h')
    .setJti('forged')
    .sign(randomBytes(32));
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'ada', cls: 'admin', iat: Math.floor(now / 1000), iat_ms: now, exp: Math.floor(now / 1000) + 3600, jti: 'x' })}.`;
  const signIn = await send(t.url, {
    method: 'POST',
    path: '/api/signIn',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'ada', password: 'ada-secret' }),
  });
  const real = 'status' in signIn ? (JSON.parse(signIn.text) as { token: string }).token : 'eyJ.x.y';
  const [head, payload, signature] = real.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  return [
    forged,
    unsigned,
    real.slice(0, -3),
    `${real}x`,
    `${head}.${b64({ ...claims, sub: 'nobody' })}.${signature}`,
    `${head}.${b64({ ...claims, cls: 'superuser' })}.${signature}`,
    `${b64({ alg: 'HS512' })}.${payload}.${signature}`,
    'eyJ',
    '...',
    'x',
    'null',
    'undefined',
    'spt_',
    'spt_zzz',
    `spt_${'0'.repeat(12)}_${'A'.repeat(43)}`,
    `spt_${'0'.repeat(12)}_${'A'.repeat(42)}B`,
    'y'.repeat(5_000),
    'tök\u00e9n',
    '%E0%A4%A',
  ];
}

const openAuthorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('Bearer garbage', 'Basic eDp5', '') },
);

function jwtAuthorization(): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom(...garbageTokens).map((token) => `Bearer ${token}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '',
        'Bearer',
        'Bearer ',
        'Bearer  ',
        'Basic YWRhOmFkYS1zZWNyZXQ=',
        'Bearer a b',
        'bearer\ttoken',
        'Token xyz',
        'Bearer \u00e9\u00ff',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: printableAscii, maxLength: 40 }).map((s) => `Bearer ${s}`) },
  );
}

// Cases that crash or block a tracker run in separate processes, started now, checked at the end.
let isolated: Promise<IsolatedResults> | undefined;

beforeAll(async () => {
  isolated = runIsolatedCases();
  isolated.catch(() => undefined);
  open = await startTestTracker();
  jwt = await startTestTracker({ auth: 'jwt' });
  await ensureSeeds(open);
  await ensureSeeds(jwt);
  await addUser(jwt.tracker.store, jwt.tracker.auth, {
    username: 'ada',
    userClass: 'admin',
    password: 'ada-secret',
  });
  garbageTokens = await makeGarbageTokens(jwt);
});

afterAll(async () => {
  await Promise.all([open?.close(), jwt?.close()]);
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

// ---- properties -------------------------------------------------------------------------------------

async function assertProperty(
  t: () => LocalTracker,
  arb: fc.Arbitrary<Req>,
  runs: number,
  options: Check = {},
) {
  await fc.assert(
    fc.asyncProperty(arb, async (req) => {
      await ensureSeeds(t());
      await check(t(), req, options);
    }),
    { numRuns: runs, endOnFailure: true },
  );
}

describe('open mode: hostile requests never 5xx, answer damas errors and write nothing when refused', () => {
  for (const route of ROUTE_CASES) {
    it(route.label, () => assertProperty(() => open, requestFor(route, openAuthorization), RUNS_OPEN));
  }
  it('unknown routes and paths outside /api/', () =>
    assertProperty(() => open, unknownRouteRequest, RUNS_OPEN));
});

describe('jwt mode, anonymous or garbage tokens: refused without 5xx and without writes', () => {
  for (const route of ROUTE_CASES) {
    it(route.label, () =>
      assertProperty(() => jwt, requestFor(route, jwtAuthorization()), RUNS_JWT, {
        mustBeRefused: route.guarded,
      }),
    );
  }
  it('unknown routes and paths outside /api/', () =>
    assertProperty(() => jwt, unknownRouteRequest, RUNS_JWT));
});

// ---- deterministic cases --------------------------------------------------------------------------

const jsonReq = (method: string, route: string, body: string): Req =>
  asReq({ method, path: `/api/${route}`, headers: { 'Content-Type': 'application/json' }, body });

describe('dot segments out of /api/', () => {
  it('reach the public page, never an API route, without credentials in jwt mode', async () => {
    for (const path of ['/api/search/../..', '/api/tokens/../..', '/api/../api/../']) {
      const r = await check(jwt, asReq({ method: 'GET', path, headers: {} }), { mustBeRefused: true });
      expect(r.status, path).toBe(200);
      expect(r.text, path).toMatch(/^<!doctype html>/);
    }
    const api = await check(jwt, asReq({ method: 'GET', path: '/api/x/../tokens', headers: {} }), {
      mustBeRefused: true,
    });
    expect(api.status).toBe(401);
  });
});

describe('delete with non-string ids', () => {
  const ids = ['/det/d1', '/det/d2', '/det/d3'];
  beforeAll(async () => {
    await seed(
      open,
      ids.map((_id) => ({ _id, author: 'seed', time: 1 })),
    );
  });

  it.each(['5', 'null', '{}', '[5]', '{"_id":{"$gt":""}}', 'true'])(
    'DELETE delete %s → 400, nothing deleted',
    async (body) => {
      const r = await check(open, jsonReq('DELETE', 'delete', body));
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/^Remove error: /);
      const found = await open.tracker.store.getMany(ids);
      expect(found.map((n) => n?._id)).toEqual(ids);
    },
  );
});

describe('oversized bodies', () => {
  const overLimit = `{"_id":"/huge/body","blob":"${'x'.repeat(7 * 1024 * 1024)}"}`;

  /** Every route with each of its methods, answered 413 with a damas error and no write. */
  async function everyRoute(t: LocalTracker, authorization?: string): Promise<string[]> {
    const failures: string[] = [];
    for (const route of ROUTE_CASES) {
      for (const method of route.methods) {
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (authorization) headers.Authorization = authorization;
        const req = asReq({ method, path: `/api/${route.name}`, headers, body: overLimit });
        const before = await fingerprint(t);
        const outcome = await send(t.url, req);
        const after = await fingerprint(t);
        const answer =
          'error' in outcome
            ? outcome.error
            : `${outcome.status} ${JSON.stringify(short(outcome.text, 100))}`;
        const ok =
          'status' in outcome &&
          outcome.status === 413 &&
          DAMAS_ERROR.test(outcome.text) &&
          changes(before, after).length === 0;
        if (!ok) failures.push(`${method} /api/${route.name} (7 MB body) → ${answer}`);
      }
    }
    return failures;
  }

  it('answers 413 with a damas error to bodies over 6 MB on every route (open mode)', async () => {
    expect(await everyRoute(open)).toEqual([]);
  });

  it('answers 413 with a damas error to bodies over 6 MB on every route (jwt mode, garbage token)', async () => {
    expect(await everyRoute(jwt, 'Bearer garbage')).toEqual([]);
  });

  const blob = 'x'.repeat(450_000);
  it.each([
    ['POST', 'create', `{"_id":"/huge/node","blob":"${blob}"}`],
    ['POST', 'upsert', `{"_id":"/huge/node","blob":"${blob}"}`],
    ['PUT', 'update', `{"_id":"/seed/a","blob":"${blob}"}`],
    ['POST', 'publish', `{"_id":"/huge/file","origin":"o","comment":"c","blob":"${blob}"}`],
    ['POST', 'comment', `{"#parent":"/seed/a","comment":"${blob}"}`],
  ])('refuses a single node over 400 KB: %s %s → 413', async (method, route, body) => {
    await ensureSeeds(open);
    const r = await check(open, jsonReq(method, route, body));
    expect(r.status).toBe(413);
  });
});

// Each row is a request the properties found answered with a 5xx or a partial write. They fail
// until the application is fixed; see the comments for the suspected cause.
describe('findings: 5xx answers', () => {
  beforeAll(() => ensureSeeds(open));

  it.each([
    // @aws-sdk/util-dynamodb marshall() treats an object whose own `constructor` key is not a
    // function named "Object" as a class instance and throws "Unsupported type passed" → 500.
    ['POST', 'create', '{"_id":"/finding/constructor","constructor":1}'],
    ['POST', 'create', '{"_id":"/finding/nested-constructor","a":{"constructor":1}}'],
    ['POST', 'create', '{"_id":"/finding/to-string","a":{"toString":1,"constructor":1}}'],
    ['PUT', 'update', '{"_id":"/seed/a","a":{"constructor":1}}'],
    ['POST', 'upsert', '{"_id":"/finding/upsert-constructor","a":{"constructor":1}}'],
    ['POST', 'publish', '{"_id":"/finding/file","origin":"o","constructor":1}'],
    ['POST', 'comment', '{"#parent":"/seed/a","comment":"c","constructor":1}'],
    // update-expression.ts follow(): INDEXED_KEYS[key] (items.ts) is a plain object, so the key
    // "__proto__" finds Object.prototype and becomes an "indexed attribute"; the request DynamoDB
    // gets has a non-string ExpressionAttributeNames value → InternalFailure → 500. (Keys named
    // constructor/toString/valueOf find Object's methods the same way: 400 "Syntax error".)
    ['PUT', 'update', '{"_id":"/seed/b","__proto__":null}'],
    ['POST', 'upsert', '{"_id":"/finding/proto","__proto__":null}'],
  ])('%s %s %s → < 500', async (method, route, body) => {
    await check(open, jsonReq(method, route, body));
  });
});

// local/http-adapter.ts serve(): `new URL(req.url, 'http://localhost')` throws on a request target
// that is not a path (`//`, `//[`, `//:99999`), and the adapter's catch-all answers
// 500 "request error: internal error".
describe('findings: request targets the local adapter cannot parse', () => {
  it.each(['//', '//[/api/create', '//:99999/api/create'])('GET %s → 4xx', async (path) => {
    await check(open, asReq({ method: 'GET', path, headers: {} }));
  });
});

// Found by the first runs of this file and fixed meanwhile (zod SignInBody caps usernames at 256
// characters): auth-store.ts get() does not map DynamoDB errors, so a `pwd#<username>` key over
// DynamoDB's 2048-byte limit answered 500, even to anonymous callers.
describe('regressions', () => {
  const longUser = JSON.stringify({ username: 'u'.repeat(2_046), password: 'p' });
  it('POST signIn with a 2046-character username → < 500 (open mode)', async () => {
    await check(open, jsonReq('POST', 'signIn', longUser));
  });
  it('POST signIn with a 2046-character username → < 500 (jwt mode, anonymous)', async () => {
    await check(jwt, jsonReq('POST', 'signIn', longUser));
  });
});

describe('findings: partial writes behind an error status', () => {
  beforeAll(async () => {
    await ensureSeeds(open);
    await seed(open, [
      { _id: '/finding/big', a: 'x'.repeat(300_000), author: 'seed', time: 1 },
      { _id: '/finding/free', author: 'seed', time: 1 },
      { _id: '/finding/mine', lock: 'anonymous', author: 'seed', time: 1 },
      { _id: '/finding/unlocked', author: 'seed', time: 1 },
    ]);
  });

  const bigKey = 'k'.repeat(70_000);
  it.each([
    // crud.ts create()/files.ts publish(): units are written independently (Promise.all); a unit
    // DynamoDB refuses (attribute name over 64 KB) turns the answer into 400 after the other
    // units were stored.
    ['POST', 'create', `[{"_id":"/finding/c1"},{"_id":"/finding/c2","${bigKey}":1}]`],
    [
      'POST',
      'publish',
      `[{"_id":"/finding/f1","origin":"o"},{"_id":"/finding/f2","origin":"o","${bigKey}":1}]`,
    ],
    // crud.ts update()/upsert(): each element is written independently; one refused by DynamoDB
    // (item over 400 KB once merged, empty update expression for a "__proto__"-only element)
    // answers 413/400 while the others stay written.
    ['PUT', 'update', `[{"_id":"/seed/a","x":1},{"_id":"/finding/big","y":"${'y'.repeat(200_000)}"}]`],
    ['PUT', 'update', '[{"_id":"/seed/a","x":2},{"_id":"/seed/b","__proto__":{"q":1}}]'],
    ['POST', 'upsert', '[{"_id":"/finding/u1","a":1},{"_id":"/finding/u2","__proto__":1}]'],
    // files.ts lockOrUnlock(): every id is locked/unlocked, then a 409 is thrown if any conflicted.
    ['PUT', 'lock', '["/finding/free","/seed/locked"]'],
    ['PUT', 'unlock', '["/finding/mine","/finding/unlocked"]'],
  ])('%s %s %s → error status with nothing written', async (method, route, body) => {
    await check(open, jsonReq(method, route, body), { settleMs: 300 });
  });
});

// ---- cases that kill or block the server, in separate tracker processes -------------------------

interface IsolatedResult {
  request: string;
  outcome: Outcome;
  /** How the tracker process ended, if it did. */
  exit?: string;
  stderr: string;
}
interface IsolatedResults {
  crash: IsolatedResult;
  redos: IsolatedResult;
  batch: IsolatedResult;
}

const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A tracker in its own process (same DynamoDB Local, fresh tables), so a crash or a block stays there. */
async function startIsolatedTracker() {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const runtime = pathToFileURL(fileURLToPath(new URL('../../local/runtime.ts', import.meta.url))).href;
  const script = [
    `const { startLocalTracker } = await import(${JSON.stringify(runtime)});`,
    'const t = await startLocalTracker({ dynamodbEndpoint: process.env.BAD_INPUT_DYNAMODB, tablePrefix: process.env.BAD_INPUT_TABLES, port: 0 });',
    'console.log(JSON.stringify({ url: t.url }));',
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repo,
    env: {
      ...process.env,
      BAD_INPUT_DYNAMODB: inject('dynamodbEndpoint'),
      BAD_INPUT_TABLES: `t${randomBytes(4).toString('hex')}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-3_000)));
  const exit = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /\{"url":"[^"]+"\}/.exec(out);
      if (line) resolve((JSON.parse(line[0]) as { url: string }).url);
    });
    void exit.then((how) => reject(new Error(`isolated tracker ${how} before starting: ${stderr}`)));
  });
  return { url, child, exit, stderr: () => stderr };
}

async function isolatedCase(setup: Req[], req: Req, niceness = 0): Promise<IsolatedResult> {
  const request = describeReq(req);
  let tracker: Awaited<ReturnType<typeof startIsolatedTracker>>;
  try {
    tracker = await startIsolatedTracker();
  } catch (error) {
    return { request, outcome: { error: (error as Error).message }, stderr: '' };
  }
  for (const step of setup) await send(tracker.url, step);
  // A process that only burns CPU (the ReDoS case) should not slow the rest of the file down.
  if (niceness > 0 && tracker.child.pid !== undefined) setPriority(tracker.child.pid, niceness);
  const outcome = await send(tracker.url, req);
  const exit = await Promise.race([tracker.exit, sleep(1_000).then(() => undefined)]);
  tracker.child.kill('SIGKILL');
  return { request, outcome, ...(exit ? { exit } : {}), stderr: tracker.stderr() };
}

function runIsolatedCases(): Promise<IsolatedResults> {
  const crash = isolatedCase(
    [jsonReq('POST', 'create', '{"_id":"/x"}')],
    jsonReq('POST', 'search_mongo', '{"query":{"$expr":{"$range":[0,1000000000]}}}'),
  );
  const redos = isolatedCase(
    [jsonReq('POST', 'create', JSON.stringify({ _id: '/redos', s: `${'a'.repeat(40)}!` }))],
    asReq({ method: 'GET', path: '/api/search/s:/(a+)+$/', headers: {} }),
    19,
  );
  const ids = Array.from({ length: 200_000 }, (_, i) => `/none/${i}`);
  const batch = isolatedCase([], jsonReq('DELETE', 'delete', JSON.stringify(ids)), 10);
  return Promise.all([crash, redos, batch]).then(([c, r, b]) => ({ crash: c, redos: r, batch: b }));
}

function expectAnswered(result: IsolatedResult): void {
  const what = `${result.request}\n→ ${'error' in result.outcome ? result.outcome.error : `${result.outcome.status} ${short(result.outcome.text)}`}${result.exit ? `; the tracker process ${result.exit}` : ''}\n${short(result.stderr, 600)}`;
  expect('error' in result.outcome ? result.outcome.error : undefined, what).toBeUndefined();
  if ('status' in result.outcome) expect(result.outcome.status, what).toBeLessThan(500);
  expect(result.exit, what).toBeUndefined();
}

describe('findings: crash and hangs (separate tracker processes)', () => {
  // mongo.ts compileMongoQuery() runs any mingo expression operator: {$range:[0,1e9]} grows an
  // array past V8's limit and the whole process aborts ("Fatal JavaScript invalid size error").
  it('POST search_mongo {$expr:{$range:[0,1e9]}} → answered, tracker alive', async () => {
    expectAnswered((await isolated!).crash);
  });

  // search.ts equalityTerm() compiles user regexes with no guard; matching runs synchronously on the
  // event loop, so a catastrophic pattern blocks every request (checkDeadline only runs per page).
  it('GET search/s:/(a+)+$/ over a 41-character value → answered within API Gateway’s 29 s', async () => {
    expectAnswered((await isolated!).redos);
  });

  // No bound on the number of elements: 200,000 ids run 200,000 DeleteItem calls; the local gateway
  // timeout (29 s) fires and the adapter answers 500 "request error: internal error".
  it('DELETE delete with 200,000 ids → answered < 500', async () => {
    expectAnswered((await isolated!).batch);
  });
});
