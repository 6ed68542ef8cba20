/** The tracker calls the agent makes, over the typed client (site-scoped token in jwt mode). */
import { ApiError } from '../client/errors.js';
import {
  TrackerClient,
  type ClaimedPair,
  type ScannedFile,
  type TransferResult,
} from '../client/api-client.js';
import type { Node } from '../client/types.js';

export type { ClaimedPair, TransferResult };

/** A file a scan found modified, missing or present again (`POST scanned`). */
export type ScanChange = ScannedFile;

export interface NewFile {
  _id: string;
  file_size: number;
  file_mtime: number;
}

export class AgentTracker {
  readonly client: TrackerClient;

  constructor(
    server: string,
    token: string | undefined,
    readonly site: string,
  ) {
    this.client = new TrackerClient({ server, token, retries: 2 });
  }

  /** Sets the agent's keys on the volume and answers the volume (its switches). */
  async heartbeat(keys: Record<string, unknown>): Promise<Node> {
    return (await this.client.heartbeat({ site: this.site, ...keys })).body;
  }

  /** The global parameters node, or undefined when there is none. */
  async globals(): Promise<Node | undefined> {
    try {
      return (await this.client.read('rsyncGlobalParameters')).body;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async claim(limit: number, lease: number, direction: 'reception' | 'emission'): Promise<ClaimedPair[]> {
    return (await this.client.claim({ site: this.site, limit, lease, direction })).body;
  }

  /** The ids applied, null where refused. */
  async results(results: TransferResult[]): Promise<(string | null)[]> {
    return (await this.client.results({ site: this.site, results })).body;
  }

  /** Publishes new files of this site; answers the ids that already existed. */
  async publish(files: NewFile[]): Promise<string[]> {
    const comment = `scanned at ${this.site}`;
    try {
      const reply = await this.client.publish(files.map((f) => ({ ...f, origin: this.site, comment })));
      const created = new Set(reply.body.filter((n) => n && n['#parent'] === undefined).map((n) => n._id));
      return files.map((f) => f._id).filter((id) => !created.has(id));
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return files.map((f) => f._id);
      throw error;
    }
  }

  /** Modified, missing and reappeared files; answers the nodes, null where the file does not exist. */
  async scanned(changes: ScanChange[]): Promise<(Node | null)[]> {
    try {
      return (await this.client.scanned(this.site, changes)).body;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return changes.map(() => null);
      throw error;
    }
  }

  async read(ids: string[]): Promise<(Node | null)[]> {
    return (await this.client.read(ids)).body;
  }
}
