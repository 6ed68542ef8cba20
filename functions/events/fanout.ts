/**
 * The stream fan-out: one Lambda handler for batches of the nodes table's stream. Each change is
 * logged in the event log, queued for the webhooks whose filter matches, then pushed to the
 * WebSocket subscribers whose filter matches. Logging and queueing are idempotent (the stream is
 * at-least-once), so a failed batch is reported whole and handled again; pushes are best effort
 * (a subscriber that missed one catches up with `since`), and connections that are gone are removed.
 * With `sync`, the per-site work queues are kept from the same changes (idempotent too).
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import pLimit from 'p-limit';
import { compileFilter, eventFrameText, type ChangeEvent, type EventMatcher } from '../core/events.js';
import type {
  Connection,
  ConnectionSender,
  ConnectionStore,
  DeliveryQueue,
  EventLog,
  WebhookStore,
} from '../core/ports.js';
import { deliveriesFor } from '../core/webhooks.js';
import { changeFromRecord } from '../store/stream-records.js';
import type { SyncConsumer } from '../sync/consumer.js';

export interface FanoutDeps {
  log: EventLog;
  connections: ConnectionStore;
  sender: ConnectionSender;
  hooks: WebhookStore;
  queue: DeliveryQueue;
  /** The work queues' consumer (registry, queue items, re-planning tasks). */
  sync?: SyncConsumer;
  /** Told how many webhook deliveries were just queued, so they go out now rather than at the next sweep. */
  deliveriesQueued?: (count: number) => Promise<void>;
  now?: () => number;
  report?: (message: string, error?: unknown) => void;
}

/** Connections pushed to at once (each connection still gets its events in order). */
const PUSH_CONCURRENCY = 32;

export function createFanoutHandler(deps: FanoutDeps) {
  const now = deps.now ?? Date.now;
  const report = deps.report ?? ((message: string, error?: unknown) => console.error(message, error ?? ''));
  const matchers = new Map<string, EventMatcher>();

  /** A connection's compiled filter, kept while its filter text stays the same. */
  function matcherOf(connection: Connection): EventMatcher | undefined {
    const key = JSON.stringify(connection.filter);
    let matcher = matchers.get(key);
    if (!matcher) {
      try {
        matcher = compileFilter(connection.filter ?? {});
      } catch {
        return undefined; // checked at subscribe; a filter that no longer compiles gets nothing
      }
      if (matchers.size > 10_000) matchers.clear();
      matchers.set(key, matcher);
    }
    return matcher;
  }

  async function push(events: readonly ChangeEvent[]): Promise<void> {
    const audience = await deps.connections.subscribed();
    const limit = pLimit(PUSH_CONCURRENCY);
    // Each event's frame is built once, when a first subscriber matches it, not once per subscriber.
    const frames = new Map<ChangeEvent, string>();
    const frameOf = (event: ChangeEvent) => {
      let text = frames.get(event);
      if (text === undefined) frames.set(event, (text = eventFrameText(event)));
      return text;
    };
    await Promise.all(
      audience.map((connection) =>
        limit(async () => {
          const matches = matcherOf(connection);
          if (!matches) return;
          for (const event of events) {
            if (!matches(event)) continue;
            try {
              if (!(await deps.sender.send(connection.id, frameOf(event)))) {
                await deps.connections.delete(connection.id);
                return;
              }
            } catch (error) {
              report(`push of ${event.id} to ${connection.id} failed`, error);
            }
          }
        }),
      ),
    );
  }

  return async function handleStream(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    try {
      const changes = records.map(changeFromRecord);
      await deps.log.append(changes);
      await deps.sync?.consume(changes);
      const hooks = (await deps.hooks.list()).filter((hook) => !hook.disabled);
      if (hooks.length > 0) {
        const at = now();
        const deliveries = changes.flatMap((change) => deliveriesFor(change, hooks, at));
        await deps.queue.enqueue(deliveries);
        // A lost nudge only delays the deliveries to the next sweep: it never fails the batch.
        if (deliveries.length > 0) {
          await deps
            .deliveriesQueued?.(deliveries.length)
            .catch((error: unknown) => report('nudge failed', error));
        }
      }
      await push(changes);
      return { batchItemFailures: [] };
    } catch (error) {
      // Everything from the first record is handled again; logging and queueing are idempotent.
      report(`stream batch of ${records.length} records failed`, error);
      return { batchItemFailures: [{ itemIdentifier: records[0]!.dynamodb?.SequenceNumber ?? '' }] };
    }
  };
}
