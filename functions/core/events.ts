/**
 * Change events (DESIGN.md §6): what a node change looks like to subscribers, how event ids are
 * made and ordered, the filters subscribers give (path prefix, damas query, ops), and the frames
 * sent on a WebSocket. Pure: no I/O.
 *
 * Event ids sort in time order: `<13-digit ms>-<40-digit stream sequence number>` (DynamoDB's
 * sequence numbers have 21 to 40 digits). They are made
 * from the stream record, so handling the same record twice gives the same id (idempotent), and
 * within a stream shard they follow the shard's order. Records of two shards handled in parallel
 * can be logged out of id order: replay therefore starts a grace window before `since`, and
 * clients drop ids they have already seen.
 */
import { z } from 'zod';
import { badRequest } from './errors.js';
import type { Node } from './nodes.js';
import { matchesTerms, parseDamasQuery, type Term } from './search.js';

export const EVENT_OPS = ['create', 'update', 'delete'] as const;
export type EventOp = (typeof EVENT_OPS)[number];

export interface ChangeEvent {
  id: string;
  op: EventOp;
  /** The changed node's id. */
  _id: string;
  /** When the change was recorded (ms epoch). */
  time: number;
  /** The new image; null on delete. */
  node: Node | null;
  /** The old image (absent on create). Used for filtering; never sent to clients. */
  previous?: Node | null;
}

const TIME_DIGITS = 13;
const SEQUENCE_DIGITS = 40;
const EVENT_ID = /^(\d{13})-(\d{40})$/;

/** The id of the change a stream record with this time and sequence number describes. */
export function eventId(timeMs: number, sequenceNumber: string): string {
  if (!/^\d{1,40}$/.test(sequenceNumber)) throw new TypeError(`bad stream sequence number ${sequenceNumber}`);
  return `${String(Math.floor(timeMs)).padStart(TIME_DIGITS, '0')}-${sequenceNumber.padStart(SEQUENCE_DIGITS, '0')}`;
}

export const isEventId = (value: unknown): value is string =>
  typeof value === 'string' && EVENT_ID.test(value);

/** The time (ms) of an event id. */
export function eventTime(id: string): number {
  const m = EVENT_ID.exec(id);
  if (!m) throw badRequest(`'${id}' is not an event id`);
  return Number(m[1]);
}

/** The smallest id of events recorded at `timeMs` or later (a lower bound for replays). */
export const firstIdAt = (timeMs: number) => eventId(Math.max(0, timeMs), '0');

// ---- filters -------------------------------------------------------------------------------

const MAX_FILTER_TEXT = 1024;

/** What a subscriber (WebSocket or webhook) asks for; every part is optional. */
export const EventFilterFields = z.object({
  prefix: z
    .string()
    .min(1)
    .max(MAX_FILTER_TEXT)
    .refine((p) => p.isWellFormed(), 'must be valid Unicode')
    .optional(),
  query: z.string().min(1).max(MAX_FILTER_TEXT).optional(),
  ops: z.array(z.enum(EVENT_OPS)).min(1).max(EVENT_OPS.length).optional(),
});
export type EventFilterSpec = z.infer<typeof EventFilterFields>;

export type EventMatcher = (event: ChangeEvent) => boolean;

/**
 * A predicate for a filter: the node id starts with `prefix`, the node matches the damas `query`
 * (a delete is matched on the image before it), the op is one of `ops`. Throws 400 on a bad query.
 */
export function compileFilter(spec: EventFilterSpec): EventMatcher {
  const terms: Term[] | undefined = spec.query === undefined ? undefined : parseDamasQuery(spec.query);
  const ops = spec.ops === undefined ? undefined : new Set<EventOp>(spec.ops);
  return (event) => {
    if (spec.prefix !== undefined && !event._id.startsWith(spec.prefix)) return false;
    if (ops && !ops.has(event.op)) return false;
    if (terms) {
      const image = event.node ?? event.previous;
      if (!image || !matchesTerms(image, terms)) return false;
    }
    return true;
  };
}

// ---- WebSocket protocol --------------------------------------------------------------------

/** API Gateway refuses WebSocket frames over 128 KB; events stay well under it. */
export const MAX_FRAME_BYTES = 120 * 1024;
/** Client frames larger than this are refused (a subscribe frame is a few hundred bytes). */
export const MAX_CLIENT_FRAME_BYTES = 8 * 1024;

export const SubscribeFrame = EventFilterFields.extend({
  action: z.literal('subscribe'),
  since: z.string().refine(isEventId, 'must be an event id').optional(),
});
export type SubscribeFrame = z.infer<typeof SubscribeFrame>;
export const PingFrame = z.object({ action: z.literal('ping') });
export const ClientFrame = z.discriminatedUnion('action', [SubscribeFrame, PingFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export type ServerFrame =
  | { type: 'subscribed' }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string }
  | {
      type: 'event';
      id: string;
      op: EventOp;
      _id: string;
      time: number;
      node: Node | null;
      truncated?: true;
    };

const utf8 = new TextEncoder();

/** The JSON text of an event frame; a node too large for one frame is left out (`truncated`). */
export function eventFrameText(event: ChangeEvent): string {
  const { id, op, _id, time, node } = event;
  const full = JSON.stringify({ type: 'event', id, op, _id, time, node } satisfies ServerFrame);
  if (utf8.encode(full).length <= MAX_FRAME_BYTES) return full;
  return JSON.stringify({
    type: 'event',
    id,
    op,
    _id,
    time,
    node: null,
    truncated: true,
  } satisfies ServerFrame);
}

/** The body of a webhook delivery: the event as clients see it (no old image). */
export function eventPayload(event: ChangeEvent): Omit<ChangeEvent, 'previous'> {
  const { previous: _previous, ...payload } = event;
  return payload;
}
