/** Mapping between nodes and DynamoDB items (see schema.ts for the layout). */
import { MAX_ID_BYTES } from '../core/limits.js';
import { byteLength, PARENT_KEY, type Node, type NodeBody } from '../core/nodes.js';
import { dirOf, rootOf } from '../core/plan.js';

export type Item = {
  pk: string;
  doc: NodeBody;
  root?: string;
  dir?: string;
  parent?: string;
  target?: string;
};

/** A string usable as an index key (index keys are limited to 1024 bytes). */
export function indexable(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && byteLength(value) <= MAX_ID_BYTES
    ? value
    : undefined;
}

export function toItem(node: Node): Item {
  const { _id, ...doc } = node;
  return {
    pk: _id,
    doc,
    root: rootOf(_id),
    dir: dirOf(_id),
    parent: indexable(doc[PARENT_KEY]),
    target: indexable(doc.tgt_id),
  };
}

export function fromItem(item: Record<string, unknown>): Node {
  return { _id: item.pk as string, ...(item.doc as NodeBody) };
}

/** Index attributes that follow a node key when an update sets or removes it. */
export const INDEXED_KEYS = new Map<string, 'parent' | 'target'>([
  [PARENT_KEY, 'parent'],
  ['tgt_id', 'target'],
]);
