/** Builds the per-key UpdateExpression of a node update. */
import type { NodeBody } from '../core/nodes.js';
import { indexable, INDEXED_KEYS } from './items.js';

/** `SET doc.#k = :v` / `REMOVE doc.#k` for each key, keeping the index attributes in step. */
export function updateExpression(set: NodeBody, remove: readonly string[]) {
  const names: Record<string, string> = { '#d': 'doc' };
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  let i = 0;
  const follow = (key: string, value: unknown) => {
    const attribute = INDEXED_KEYS.get(key);
    if (!attribute) return;
    names[`#${attribute}`] = attribute;
    const indexValue = indexable(value);
    if (indexValue === undefined) removes.push(`#${attribute}`);
    else {
      values[`:${attribute}`] = indexValue;
      sets.push(`#${attribute} = :${attribute}`);
    }
  };
  for (const [key, value] of Object.entries(set)) {
    names[`#k${i}`] = key;
    values[`:v${i}`] = value;
    sets.push(`#d.#k${i} = :v${i}`);
    follow(key, value);
    i++;
  }
  for (const key of remove) {
    names[`#k${i}`] = key;
    removes.push(`#d.#k${i}`);
    follow(key, undefined);
    i++;
  }
  const parts = [
    sets.length ? `SET ${sets.join(', ')}` : '',
    removes.length ? `REMOVE ${removes.join(', ')}` : '',
  ];
  return {
    UpdateExpression: parts.filter(Boolean).join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  };
}
