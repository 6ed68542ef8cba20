/**
 * Re-planning tasks, in the queue table's `tasks` partition (sk = task id, which starts with the
 * 13-digit start time, so tasks sort by age), and the paged scan of the nodes table they run.
 * Finished tasks are kept a week for `GET /api/tasks`, then deleted by the worker.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Node } from '../core/nodes.js';
import type { ReplanTask } from '../core/ports.js';
import { isConditionFailed } from './errors.js';
import { fromItem } from './items.js';
import { CAPACITY } from './requests.js';
import type { RequestRunner } from './runner.js';

const TASKS = 'tasks';
export const TASK_KEEP_MS = 7 * 24 * 3_600_000;

function toTask({ pk: _pk, sk, ...fields }: Record<string, unknown>): ReplanTask {
  return { id: sk as string, ...fields } as ReplanTask;
}

export class DynamoTaskStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly nodesTable: string,
    private readonly runner: RequestRunner,
  ) {}

  /** Creates a task unless one with this id exists (a replayed stream batch). */
  async start(id: string, reason: string, sites: readonly string[], now: number): Promise<void> {
    const Item = { pk: TASKS, sk: id, reason, sites: [...sites], startedAt: now, scanned: 0, done: false };
    await this.runner.putNew(this.db, this.table, Item, 'sk');
  }

  /** Tasks, newest first (`limit`), or every task oldest first. */
  async list(limit?: number): Promise<ReplanTask[]> {
    const tasks: ReplanTask[] = [];
    const input: QueryCommandInput = {
      TableName: this.table,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': TASKS },
      ScanIndexForward: limit === undefined,
      ConsistentRead: true,
      Limit: limit,
      ...CAPACITY,
    };
    for await (const page of this.runner.pages(this.db, input)) {
      tasks.push(...page.map(toTask));
      if (limit !== undefined) break;
    }
    return tasks;
  }

  /** Records a page's progress, unless another worker already moved the task past `task.cursor`. */
  async advance(task: ReplanTask, cursor: string | undefined, read: number, now: number): Promise<void> {
    const done = cursor === undefined;
    try {
      await this.runner.write(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: TASKS, sk: task.id },
            UpdateExpression: done
              ? 'SET scanned = scanned + :n, done = :t, finishedAt = :now REMOVE #c'
              : 'SET scanned = scanned + :n, #c = :c',
            ConditionExpression:
              task.cursor === undefined ? 'attribute_not_exists(#c) AND done = :f' : '#c = :prev',
            ExpressionAttributeNames: { '#c': 'cursor' },
            ExpressionAttributeValues: {
              ':n': read,
              ...(done ? { ':t': true, ':now': now } : { ':c': cursor }),
              ...(task.cursor === undefined ? { ':f': false } : { ':prev': task.cursor }),
            },
            ...CAPACITY,
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  async setTotal(task: ReplanTask, total: number): Promise<void> {
    await this.runner.write(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: TASKS, sk: task.id },
          UpdateExpression: 'SET #total = :n',
          ConditionExpression: 'attribute_exists(sk)',
          ExpressionAttributeNames: { '#total': 'total' },
          ExpressionAttributeValues: { ':n': total },
          ...CAPACITY,
        }),
      ),
    );
  }

  async delete(id: string): Promise<void> {
    await this.runner.write(() =>
      this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: TASKS, sk: id }, ...CAPACITY })),
    );
  }

  /** One page of the nodes table after node `cursor`; `next` is undefined at the end. */
  async scanNodes(cursor: string | undefined, limit: number): Promise<{ nodes: Node[]; next?: string }> {
    const out = await this.runner.read(() =>
      this.db.send(
        new ScanCommand({
          TableName: this.nodesTable,
          ConsistentRead: true,
          Limit: limit,
          ExclusiveStartKey: cursor === undefined ? undefined : { pk: cursor },
          ...CAPACITY,
        }),
      ),
    );
    return { nodes: (out.Items ?? []).map(fromItem), next: out.LastEvaluatedKey?.pk as string | undefined };
  }

  /** Roughly how many nodes there are (DynamoDB refreshes it every few hours); undefined if unknown. */
  async countNodes(): Promise<number | undefined> {
    try {
      const out = await this.runner.run(() =>
        this.db.send(new DescribeTableCommand({ TableName: this.nodesTable })),
      );
      return out.Table?.ItemCount;
    } catch {
      return undefined;
    }
  }
}
