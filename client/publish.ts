/**
 * Publishing many files at once (`damas add`, agents' scans): batched reads find the files already
 * tracked, batched publishes create the others. Re-running over the same tree only reads, and a
 * file published by someone else meanwhile counts as tracked, never as an error.
 */
import type { TrackerClient } from './api-client.js';
import { sendInBatches, type BatchLimits } from './bulk.js';
import { ApiError } from './errors.js';
import type { Node } from './types.js';

/** What the disk says about a file: its id (path from the project root), bytes and mtime (ms). */
export interface FileFacts {
  id: string;
  size: number;
  mtime: number;
}

/**
 * Files per publish request: each writes two items (file and history entry) and must finish well
 * inside API Gateway's 29 s even on a busy DynamoDB Local. Reads take the default 500 ids.
 */
export const PUBLISH_BATCH = 250;

export interface PublishFilesOptions extends BatchLimits {
  /** The site the files come from. */
  origin: string;
  comment: string;
  onProgress?: (phase: 'check' | 'publish', done: number, total: number) => void;
}

export interface PublishFilesResult {
  /** The file nodes created, in input order. */
  created: Node[];
  /** Files that were already tracked (left unchanged). */
  tracked: FileFacts[];
  /** Those of `tracked` whose size or mtime on the tracker differ from the disk. */
  changed: FileFacts[];
}

export async function publishFiles(
  client: TrackerClient,
  files: readonly FileFacts[],
  { origin, comment, onProgress, ...limits }: PublishFilesOptions,
): Promise<PublishFilesResult> {
  const existing = await trackedNodes(client, files, limits, onProgress);
  const fresh = files.filter((_, i) => !existing[i]);
  const created = await publish(client, fresh, origin, comment, limits, onProgress);
  const createdIds = new Set(created.map((node) => node._id));
  const tracked = files.filter((f) => !createdIds.has(f.id));
  const changed = files.filter((f, i) => {
    const node = existing[i];
    return node && (node.file_size !== f.size || node.file_mtime !== f.mtime);
  });
  return { created, tracked, changed };
}

/** The tracked node of each file, null where there is none. */
async function trackedNodes(
  client: TrackerClient,
  files: readonly FileFacts[],
  limits: BatchLimits,
  onProgress: PublishFilesOptions['onProgress'],
): Promise<(Node | null)[]> {
  const ids = files.map((f) => f.id);
  try {
    const reply = await sendInBatches<string, Node>(ids, (batch) => client.read(batch), {
      ...limits,
      success: 200,
      allFailed: 404,
      onProgress: (done, total) => onProgress?.('check', done, total),
    });
    return reply.body;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return ids.map(() => null);
    throw error;
  }
}

async function publish(
  client: TrackerClient,
  files: readonly FileFacts[],
  origin: string,
  comment: string,
  limits: BatchLimits,
  onProgress: PublishFilesOptions['onProgress'],
): Promise<Node[]> {
  if (files.length === 0) return [];
  const nodes = files.map((f) => ({ _id: f.id, origin, comment, file_size: f.size, file_mtime: f.mtime }));
  try {
    const reply = await sendInBatches(nodes, (batch) => client.publish(batch), {
      maxItems: PUBLISH_BATCH,
      ...limits,
      success: 201,
      allFailed: 409,
      // The answer lists the created files, then their history entries (generated ids).
      results: (batch, body) => {
        const byId = new Map((body as Node[]).map((node) => [node._id, node]));
        return batch.map((file) => byId.get(file._id) ?? null);
      },
      onProgress: (done, total) => onProgress?.('publish', done, total),
    });
    return reply.body.filter((node): node is Node => node !== null);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return []; // all published meanwhile
    throw error;
  }
}
