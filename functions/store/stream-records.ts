/**
 * Nodes-table stream records (the Lambda event shape) as change events: the images are items of
 * the nodes table (see schema.ts), turned back into nodes; the id comes from the record's time and
 * sequence number, so the same record always gives the same event.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { eventId, type ChangeEvent, type EventOp } from '../core/events.js';
import type { Node } from '../core/nodes.js';
import { fromItem } from './items.js';

const OPS: Record<string, EventOp> = { INSERT: 'create', MODIFY: 'update', REMOVE: 'delete' };

type Image = Record<string, AttributeValue> | undefined;

function toNode(image: Image): Node | null {
  if (!image) return null;
  // JSON numbers are doubles: read them back as numbers, as the store's client does.
  return fromItem(unmarshall(image, { wrapNumbers: false }));
}

export function changeFromRecord(record: DynamoDBRecord): ChangeEvent {
  const data = record.dynamodb;
  const op = OPS[record.eventName ?? ''];
  if (!data?.SequenceNumber || !op) throw new Error(`not a nodes-table stream record: ${record.eventID}`);
  const node = toNode(data.NewImage as Image);
  const previous = toNode(data.OldImage as Image);
  const id = (node ?? previous)?._id ?? String(unmarshall(data.Keys as Record<string, AttributeValue>).pk);
  const time = Math.round((data.ApproximateCreationDateTime ?? 0) * 1000);
  return {
    id: eventId(time, data.SequenceNumber),
    op,
    _id: id,
    time,
    node: op === 'delete' ? null : node,
    previous: op === 'create' ? null : previous,
  };
}
