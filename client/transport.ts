/**
 * One HTTP exchange with the tracker: URL, bearer token, JSON or form body, typed errors, and
 * retries with exponential backoff for idempotent calls on network errors, 5xx and 429.
 */
import { ApiError, UnreachableError } from './errors.js';
import { apiBaseUrl } from './server-url.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Call {
  method: HttpMethod;
  /** Path under the API base, e.g. `create/` or `search/<encoded query>`. */
  path: string;
  /** Sent as JSON (a bare string or array too, as damas clients do). */
  body?: unknown;
  /** May be sent again without changing the outcome: only these calls are retried. */
  idempotent: boolean;
}

/** A successful answer (status < 300; 207 means some elements failed and are null in the body). */
export interface ApiReply<T> {
  status: number;
  body: T;
}

/** Reported once per HTTP attempt, for `-v` output and request counting. */
export interface RequestEvent {
  method: HttpMethod;
  url: string;
  attempt: number;
  /** Undefined when the server could not be reached. */
  status?: number;
}

export interface TransportOptions {
  /** `https://host`, `host:port` or `http://host/api/`. */
  server: string;
  token?: string | undefined;
  /** Retries after the first attempt (idempotent calls only). Default 3. */
  retries?: number;
  /** First backoff delay; doubles each retry, with jitter. Default 250 ms. */
  retryDelayMs?: number;
  /** Per attempt (API Gateway itself gives up after 29 s). Default 35 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  onRequest?: (event: RequestEvent) => void;
}

const MAX_DELAY_MS = 10_000;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether a failed attempt may be worth repeating. */
const isRetryableStatus = (status: number) => status === 429 || status >= 500;

export class Transport {
  readonly baseUrl: string;
  token: string | undefined;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onRequest: ((event: RequestEvent) => void) | undefined;

  constructor(options: TransportOptions) {
    this.baseUrl = apiBaseUrl(options.server);
    this.token = options.token || undefined;
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 35_000;
    // Called through a wrapper: browsers refuse `fetch` called as a method of another object.
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? defaultSleep;
    this.onRequest = options.onRequest;
  }

  async send<T>(call: Call): Promise<ApiReply<T>> {
    const url = this.baseUrl + call.path;
    const attempts = call.idempotent ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      let response: Response;
      try {
        response = await this.fetch(url, this.init(call));
      } catch (error) {
        this.onRequest?.({ method: call.method, url, attempt });
        if (last) throw new UnreachableError(url, error);
        await this.sleep(this.backoff(attempt));
        continue;
      }
      this.onRequest?.({ method: call.method, url, attempt, status: response.status });
      const text = await response.text();
      if (response.status < 300) return { status: response.status, body: parseJson(text, url) as T };
      if (last || !isRetryableStatus(response.status)) {
        throw new ApiError(response.status, text, call.method, url);
      }
      await this.sleep(Math.max(this.backoff(attempt), retryAfterMs(response)));
    }
  }

  private init(call: Call): RequestInit {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const init: RequestInit = { method: call.method, headers, signal: AbortSignal.timeout(this.timeoutMs) };
    if (call.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(call.body);
    }
    return init;
  }

  /** Exponential with "equal jitter": half fixed, half random, capped. */
  private backoff(attempt: number): number {
    const delay = Math.min(MAX_DELAY_MS, this.retryDelayMs * 2 ** (attempt - 1));
    return delay / 2 + Math.random() * (delay / 2);
  }
}

/** Success bodies are JSON; an empty one (never sent by the tracker) reads as null. */
function parseJson(text: string, url: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${url} answered a success that is not JSON: ${text.slice(0, 80)}`, { cause: error });
  }
}

/** `Retry-After` in seconds (the HTTP-date form is rare from API Gateway and is ignored). */
function retryAfterMs(response: Response): number {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_DELAY_MS) : 0;
}
