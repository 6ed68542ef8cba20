/**
 * The page's one event subscription (WebSocket `subscribe`): live from when the page opened (a
 * replay of past minutes can be thousands of frames, which would hold back live ones), resuming
 * after reconnects (the client asks for the events after the last id it got), handing each event
 * to the views that listen, and keeping the recent ones and the transfer rates they show.
 */
import type { TrackerClient } from '../../client/api-client.js';
import {
  GoneError,
  type EventFrame,
  type Subscription,
  type SubscriptionStatus,
} from '../../client/events.js';
import type { Node } from '../../client/types.js';
import { errorMessage } from './api.js';
import { TransferRates } from './rates.js';

export type LiveStatus = SubscriptionStatus | 'stopped' | 'failed';
export type EventListener = (event: EventFrame) => void;

/** An event as the page saw it. */
export interface SeenEvent {
  frame: EventFrame;
  /** When it arrived (event times may be coarse: DynamoDB Local rounds them). */
  seenAt: number;
  /** The node before the change, when the page had seen it. */
  before: Node | undefined;
}

const KEPT_EVENTS = 300;
const KEPT_IMAGES = 20_000;

export class LiveFeed {
  status: LiveStatus = 'stopped';
  detail = '';
  /** Newest first. */
  readonly recent: SeenEvent[] = [];
  readonly rates = new TransferRates(Date.now());
  /** The last image seen of each node, to tell what an update changed. */
  private readonly lastSeen = new Map<string, Node>();
  private readonly listeners = new Set<EventListener>();
  private readonly statusListeners = new Set<() => void>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly client: TrackerClient,
    private readonly eventsUrl: string | undefined,
    private readonly onUnauthorized: (message: string) => void,
  ) {}

  start(): void {
    const subscription = this.client.subscribe(
      {},
      {
        eventsUrl: this.eventsUrl,
        WebSocket: globalThis.WebSocket,
        pingMs: 60_000,
        reconnect: { initialMs: 500, maxMs: 15_000 },
        onStatus: (status, detail) => this.setStatus(status, detail.reason ?? ''),
      },
    );
    this.subscription = subscription;
    void this.pump(subscription);
  }

  stop(): void {
    this.subscription?.close();
    this.subscription = undefined;
    this.setStatus('stopped', '');
  }

  /** Calls `listener` with each event from now on; answers the function that stops it. */
  listen(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private async pump(subscription: Subscription): Promise<void> {
    try {
      for await (const event of subscription) this.dispatch(event);
    } catch (error) {
      if (this.subscription !== subscription) return;
      if (error instanceof GoneError) {
        // Older than the log keeps: follow from now on (views poll or re-read their data).
        this.start();
        return;
      }
      const message = errorMessage(error);
      if ((error as { code?: string }).code === 'unauthorized') this.onUnauthorized(message);
      this.setStatus('failed', message);
    }
  }

  private dispatch(frame: EventFrame): void {
    const seenAt = Date.now();
    const before = this.lastSeen.get(frame._id);
    if (this.lastSeen.size >= KEPT_IMAGES) this.lastSeen.clear();
    if (frame.node) this.lastSeen.set(frame._id, frame.node);
    else this.lastSeen.delete(frame._id);
    this.rates.observe(frame.node, before, seenAt);
    this.recent.unshift({ frame, seenAt, before });
    this.recent.splice(KEPT_EVENTS);
    for (const listener of this.listeners) listener(frame);
  }

  private setStatus(status: LiveStatus, detail: string): void {
    this.status = status;
    this.detail = detail;
    for (const listener of this.statusListeners) listener();
  }
}
