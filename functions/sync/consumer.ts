/**
 * The work queues' consumer of the nodes stream (called by the fan-out for every batch): volume and
 * global-parameter changes update the registry and, when they move files between queues, start a
 * re-planning task; file changes are projected onto the queues. Idempotent, like the rest of the
 * fan-out: registry puts and queue writes are the same for the same images, and a task's id is the
 * event id of the change that started it.
 */
import type { ChangeEvent } from '../core/events.js';
import type { Node } from '../core/nodes.js';
import { isPlannedFile, isRegistryNode, replanSites } from '../core/sync.js';
import type { DynamoQueueStore } from '../store/queue-store.js';

export interface SyncConsumer {
  consume(changes: readonly ChangeEvent[]): Promise<void>;
}

/** Why a change re-plans, in words for `GET /api/tasks`. */
function reasonOf(change: ChangeEvent, sites: readonly string[]): string {
  const what =
    sites.length === 0 ? 'global syncEverywhere' : `volume ${change._id} (site ${sites.join(', ')})`;
  return `${change.op} of ${what}`;
}

export function createSyncConsumer(queue: DynamoQueueStore): SyncConsumer {
  return {
    async consume(changes) {
      // Registry first, in stream order, so the files of this batch are planned with it.
      for (const change of changes) {
        const old = change.previous ?? null;
        if (!isRegistryNode(old) && !isRegistryNode(change.node)) continue;
        await queue.setRegistry(change._id, change.node);
        const sites = replanSites(old, change.node);
        if (sites) await queue.startTask(change.id, reasonOf(change, sites), sites, change.time);
      }
      const files = changes
        .filter((c) => isPlannedFile(c.previous) || isPlannedFile(c.node))
        .map((c): [Node | null, Node | null] => [c.previous ?? null, c.node]);
      if (files.length > 0) await queue.applyChanges(files, await queue.planning());
    },
  };
}
