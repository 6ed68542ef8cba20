/**
 * What a command runs with: the global flags, the process streams and environment, and lazily
 * the repository, the server URL, the token and the client.
 */
import { TrackerClient } from '../api-client.js';
import { apiBaseUrl } from '../server-url.js';
import type { RequestEvent } from '../transport.js';
import { UsageError } from './failures.js';
import type { Input } from './input.js';
import { progressBar, type Progress, type Stream } from './output.js';
import { findRepository, requireRepository, type Repository } from './repository.js';
import { TokenStore } from './token-store.js';

export const DEFAULT_SERVER = 'http://localhost:8090';

export interface GlobalFlags {
  quiet?: boolean;
  verbose?: boolean;
  lines?: boolean;
  server?: string;
}

export interface Io extends Input {
  stdout: Stream;
  stderr: Stream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** For in-process runs (benchmark): an instrumented fetch. */
  fetch?: typeof fetch;
}

export class CliContext {
  private client_: TrackerClient | undefined;

  constructor(
    readonly flags: GlobalFlags,
    readonly io: Io,
  ) {}

  /** The repository holding the current directory (or DAMAS_DIR); exit 2 when there is none. */
  repository(): Repository {
    return requireRepository(this.io.cwd, this.io.env.DAMAS_DIR);
  }

  /** API base URL: -s, else DAMAS_SERVER, else the repository's URL, else http://localhost:8090. */
  server(): string {
    const given =
      this.flags.server ??
      (this.io.env.DAMAS_SERVER || undefined) ??
      (findRepository(this.io.cwd, this.io.env.DAMAS_DIR)?.config.url || undefined) ??
      DEFAULT_SERVER;
    try {
      return apiBaseUrl(given);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }

  tokens(): TokenStore {
    return new TokenStore(this.io.env);
  }

  /** A client with DAMAS_TOKEN, else the token signin kept for this server. */
  client(): TrackerClient {
    if (this.client_) return this.client_;
    const server = this.server();
    const token = this.io.env.DAMAS_TOKEN || this.tokens().get(server)?.token;
    this.client_ = new TrackerClient({
      server,
      token,
      retries: 2,
      retryDelayMs: 200,
      onRequest: (event) => this.logRequest(event),
      ...(this.io.fetch ? { fetch: this.io.fetch } : {}),
    });
    return this.client_;
  }

  /** A remark on stderr (not an error): silenced by -q. */
  note(message: string): void {
    if (!this.flags.quiet) this.io.stderr.write(`damas: ${message}\n`);
  }

  progress(label: string): Progress {
    return progressBar(this.io.stderr, label, !this.flags.quiet);
  }

  private logRequest({ method, url, attempt, status }: RequestEvent): void {
    if (!this.flags.verbose) return;
    const retry = attempt > 1 ? ` (attempt ${attempt})` : '';
    this.io.stderr.write(`damas: ${method} ${url} → ${status ?? 'unreachable'}${retry}\n`);
  }
}

/** What a command answers: an HTTP-like status (exit code), and a JSON body or ready-made text. */
export interface Outcome {
  status: number;
  body?: unknown;
  text?: string;
}

/** `args` are the command's operands in order; `options` its own options. */
export type Handler = (ctx: CliContext, args: string[], options: Record<string, unknown>) => Promise<Outcome>;
