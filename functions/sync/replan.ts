/**
 * The re-planning worker: takes the oldest unfinished task and re-plans one page of the nodes table
 * per `runOnce` (a Scan from the task's cursor), then saves the cursor and the count, so progress is
 * visible in `GET /api/tasks` and a restarted worker resumes where it stopped. Volumes found by the
 * scan are also recorded in the registry (a tracker whose volumes predate the queues). Locally a
 * loop (`start`/`stop`); in the cloud a scheduled function can call `runOnce`.
 */
import type { ReplanTask } from '../core/ports.js';
import { isRegistryNode } from '../core/sync.js';
import type { DynamoQueueStore } from '../store/queue-store.js';
import { TASK_KEEP_MS } from '../store/task-store.js';

export interface ReplanWorkerOptions {
  /** Nodes read per page. */
  pageSize?: number;
  /** Pause when there is nothing to do. */
  pollMs?: number;
  now?: () => number;
  log?: (message: string, error?: unknown) => void;
}

export class ReplanWorker {
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly pageSize: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly log: (message: string, error?: unknown) => void;

  constructor(
    private readonly queue: DynamoQueueStore,
    options: ReplanWorkerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 200;
    this.pollMs = options.pollMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((message, error) => console.error(message, error ?? ''));
  }

  /** Re-plans one page of the oldest unfinished task; false when there was nothing to do. */
  async runOnce(): Promise<boolean> {
    const tasks = this.queue.taskStore;
    const all = await tasks.list();
    for (const old of all.filter((t) => t.done && (t.finishedAt ?? 0) < this.now() - TASK_KEEP_MS)) {
      await tasks.delete(old.id);
    }
    const task = all.find((t) => !t.done);
    if (!task) return false;
    await this.page(task);
    return true;
  }

  private async page(task: ReplanTask): Promise<void> {
    const tasks = this.queue.taskStore;
    if (task.cursor === undefined && task.total === undefined) {
      const total = await tasks.countNodes();
      if (total !== undefined) await tasks.setTotal(task, total);
    }
    const { nodes, next } = await tasks.scanNodes(task.cursor, this.pageSize);
    for (const node of nodes.filter((n) => isRegistryNode(n))) await this.queue.setRegistry(node._id, node);
    await this.queue.replan(nodes, await this.queue.planning(), task.sites);
    await tasks.advance(task, next, nodes.length, this.now());
  }

  start(): void {
    this.stopped = false;
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let more = false;
      try {
        more = await this.runOnce();
      } catch (error) {
        this.log('re-planning failed', error);
      }
      if (!more && !this.stopped) await this.sleep(this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
