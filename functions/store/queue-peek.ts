/**
 * `queuePeek` for the sites routes: a site's next ready pairs as the queue store lists them (no
 * lease), each described from its file node as read now. Reads the queue's first `limit` items of
 * each shard and one batch of nodes: capacity proportional to `limit`.
 */
import type { NodeStore } from '../core/ports.js';
import type { QueuedPair, SiteHooks } from '../core/sites.js';
import { pairState, retryDueAt } from '../core/sync.js';

/** What the peek needs of the queue store (DynamoQueueStore.pending). */
export interface ReadyPairs {
  pending(site: string, limit: number): Promise<{ fileId: string }[]>;
}

export function queuePeek(queue: ReadyPairs, nodes: NodeStore, now = Date.now): SiteHooks['queuePeek'] {
  return async (site, limit) => {
    const ids = (await queue.pending(site, limit)).map((item) => item.fileId);
    const files = await nodes.getMany(ids);
    const at = now();
    return files.flatMap((file): QueuedPair[] => {
      // The queue may lag behind the nodes: a deleted or already current file is not shown.
      const state = file && pairState(file, site, at);
      if (!file || !state || state === 'current') return [];
      const num = (key: string) => (typeof file[key] === 'number' ? (file[key] as number) : undefined);
      const error = num(`syncError_${site}`);
      const due = state === 'waiting' ? retryDueAt(file, site) : num(`syncLease_${site}`);
      return [
        {
          _id: file._id,
          sync_priority: num('sync_priority') ?? 0,
          time: num('time') ?? 0,
          ...(num('file_size') === undefined ? {} : { file_size: num('file_size') }),
          state,
          ...(state !== 'pending' && due !== undefined ? { dueAt: due } : {}),
          ...(error === undefined ? {} : { syncError: error }),
        },
      ];
    });
  };
}
