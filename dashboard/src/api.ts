/**
 * The page's one way to the tracker: the typed client with the session's token, every failure as
 * a readable sentence, and a 401 anywhere sending the user to the sign-in form.
 */
import { TrackerClient } from '../../client/api-client.js';
import { ApiError, UnreachableError } from '../../client/errors.js';
import { Transport, type ApiReply } from '../../client/transport.js';

/** A dead-lettered webhook delivery (`GET webhooks/<id>/failures`). */
export interface WebhookFailure {
  id: string;
  eventId: string;
  attempt?: number;
  lastError?: string;
  [key: string]: unknown;
}

export interface Webhook {
  id: string;
  url: string;
  disabled?: boolean;
  [key: string]: unknown;
}

export class Api {
  readonly client: TrackerClient;
  private readonly raw: Transport;

  constructor(
    /** `https://host/api/` (DashboardConfig.apiUrl). */
    apiUrl: string,
    token: string | undefined,
    /** Called on any 401: the token is missing, expired or revoked. */
    private readonly onUnauthorized: (message: string) => void,
  ) {
    this.client = new TrackerClient({ server: apiUrl, token, retries: 2 });
    this.raw = new Transport({ server: apiUrl, token, retries: 2 });
  }

  /** Runs one call; answers its body (a 207's nulls included). */
  async run<T>(call: (client: TrackerClient) => Promise<ApiReply<T>>): Promise<T> {
    try {
      return (await call(this.client)).body;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.onUnauthorized(errorMessage(error));
      throw error;
    }
  }

  /** Routes the typed client has no method for (webhooks). */
  get<T>(path: string): Promise<T> {
    return this.run(() => this.raw.send<T>({ method: 'GET', path, idempotent: true }));
  }

  webhooks = () => this.get<Webhook[]>('webhooks');
  webhookFailures = (id: string) => this.get<WebhookFailure[]>(`webhooks/${encodeURIComponent(id)}/failures`);
}

/** What a failure reads as on the page: the server's own error text when it sent one. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const text = error.message.startsWith('HTTP ') ? `the tracker answered ${error.status}` : error.message;
    return error.status >= 500 ? `${text} (HTTP ${error.status}; try again in a moment)` : text;
  }
  if (error instanceof UnreachableError) return `The tracker cannot be reached: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

export const isStatus = (error: unknown, status: number) =>
  error instanceof ApiError && error.status === status;
