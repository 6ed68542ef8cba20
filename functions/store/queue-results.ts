/**
 * Transfer results: one conditional update per result on the file node, applied only while the site
 * holds a claim on it (`syncing_<site>` set). Success records the claimed version (`synced_<site>` =
 * the claim time, so a file modified after the claim stays pending); failure records the rsync exit
 * code and schedules a retry. The stream then moves the pair's queue item. A result naming another
 * `destination` is an emission result: the reporting site pushed the file there.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ResultOutcome, TransferResult } from '../core/ports.js';
import { isConditionFailed } from './errors.js';
import type { QueueContext } from './queue-claims.js';
import { CAPACITY } from './requests.js';

/** Longest error message kept on the node (`syncErrorMessage_<site>`). */
const MAX_MESSAGE = 1000;

/** Applies results in input order per file (several results for one file apply one after the other). */
export function applyResults(
  ctx: QueueContext,
  site: string,
  results: readonly TransferResult[],
  now: number,
): Promise<ResultOutcome[]> {
  const chains = new Map<string, Promise<unknown>>();
  return Promise.all(
    results.map((result) => {
      const key = `${result.destination ?? site}\n${result._id}`;
      const next = (chains.get(key) ?? Promise.resolve()).then(() => applyResult(ctx, site, result, now));
      chains.set(key, next);
      return next;
    }),
  );
}

function expression(
  site: string,
  result: TransferResult,
  now: number,
): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  const names: Record<string, string> = {
    '#d': 'doc',
    '#sy': `syncing_${site}`,
    '#ls': `syncLease_${site}`,
    '#err': `syncError_${site}`,
    '#last': `syncLastAttempt_${site}`,
    '#att': `syncAttempts_${site}`,
    '#msg': `syncErrorMessage_${site}`,
  };
  if ('ok' in result) {
    return {
      UpdateExpression: 'SET #d.#ok = #d.#sy REMOVE #d.#sy, #d.#ls, #d.#err, #d.#last, #d.#att, #d.#msg',
      ExpressionAttributeNames: { ...names, '#ok': `synced_${site}` },
    };
  }
  const message = result.message?.slice(0, MAX_MESSAGE);
  const values = { ':code': result.error, ':now': now, ':zero': 0, ':one': 1 };
  return {
    UpdateExpression:
      'SET #d.#err = :code, #d.#last = :now, #d.#att = if_not_exists(#d.#att, :zero) + :one' +
      (message ? ', #d.#msg = :msg REMOVE #d.#sy, #d.#ls' : ' REMOVE #d.#sy, #d.#ls, #d.#msg'),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: message ? { ...values, ':msg': message } : values,
  };
}

async function applyResult(
  ctx: QueueContext,
  site: string,
  result: TransferResult,
  now: number,
): Promise<ResultOutcome> {
  const target = result.destination ?? site;
  const {
    UpdateExpression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  } = expression(target, result, now);
  let condition = 'attribute_exists(#d.#sy)';
  if (target !== site) {
    // Emission: the reporting site pushed the file, so it must hold the file (its origin, or a current copy).
    condition += ' AND (#d.#o = :src OR #d.#src >= #d.#t OR #d.#mod >= #d.#t)';
    Object.assign(names, {
      '#o': 'origin',
      '#t': 'time',
      '#src': `synced_${site}`,
      '#mod': `modified_${site}`,
    });
  }
  const allValues = target === site ? values : { ...values, ':src': site };
  try {
    await ctx.runner.write(() =>
      ctx.db.send(
        new UpdateCommand({
          TableName: ctx.nodesTable,
          Key: { pk: result._id },
          UpdateExpression,
          ExpressionAttributeNames: names,
          ...(allValues && { ExpressionAttributeValues: allValues }),
          ConditionExpression: condition,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...CAPACITY,
        }),
      ),
    );
    return 'ok';
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    return (error as { Item?: unknown }).Item ? 'notClaimed' : 'notFound';
  }
}
