/** `damas watch [prefix]`: change events as JSON lines until interrupted (client/events.ts). */
import { WebSocket } from 'ws';
import { EVENT_OPS, isEventId, type EventOp } from '../../../functions/core/events.js';
import { eventsUrl, GoneError, type StatusDetail, type SubscriptionStatus } from '../../events.js';
import type { CliContext, Outcome } from '../context.js';
import { UsageError } from '../failures.js';

export async function watch(
  ctx: CliContext,
  args: string[],
  options: Record<string, unknown>,
): Promise<Outcome> {
  const since = options.since as string | undefined;
  if (since !== undefined && !isEventId(since)) {
    throw new UsageError(`--since: '${since}' is not an event id (the "id" of a printed event)`);
  }
  const filter = {
    prefix: args[0], // a tracker id, not a local path: no repository mapping
    query: options.query as string | undefined,
    ops: parseOps(options.ops as string | undefined),
    since,
  };
  const client = ctx.client();
  const explicit = ctx.io.env.DAMAS_EVENTS_URL || undefined; // the cloud's WebSocket API has its own host
  const url = eventsUrl(client.baseUrl, undefined, explicit);
  const onStatus = (status: SubscriptionStatus, detail: StatusDetail) => {
    if (status === 'reconnecting') {
      ctx.note(`connection lost (${detail.reason}); reconnecting in ${Math.round(detail.delayMs ?? 0)} ms`);
    } else if (ctx.flags.verbose) {
      ctx.note(status === 'connecting' ? `connecting to ${url} (attempt ${detail.attempt})` : 'subscribed');
    }
  };
  // `ws` rather than Node's own WebSocket: it tells a refusal (401) from a network failure.
  const subscription = client.subscribe(filter, { WebSocket, onStatus, eventsUrl: explicit });
  const stop = () => subscription.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  ctx.io.stdout.once('error', stop); // a closed pipe (`damas watch | head`)
  try {
    for await (const { type: _type, ...event } of subscription) {
      if (!ctx.flags.quiet) ctx.io.stdout.write(`${JSON.stringify(event)}\n`);
    }
  } catch (error) {
    if (error instanceof GoneError) {
      throw new GoneError(
        `event ${error.since} is older than the event log's retention, so changes may have been missed: ` +
          'resynchronise (read the current state again), then run damas watch without --since',
        error.since,
      );
    }
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    ctx.io.stdout.off('error', stop);
  }
  return { status: 200 };
}

/** `create,update` → ['create', 'update']. */
function parseOps(text: string | undefined): EventOp[] | undefined {
  if (text === undefined) return undefined;
  const ops = [...new Set(text.split(',').map((op) => op.trim()))];
  for (const op of ops) {
    if (!(EVENT_OPS as readonly string[]).includes(op)) {
      throw new UsageError(`--ops: '${op}' is not one of ${EVENT_OPS.join(', ')}`);
    }
  }
  return ops as EventOp[];
}
