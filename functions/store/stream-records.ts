/**
 * Nodes-table stream records (the Lambda event shape) as change events: the images are items of
 * the nodes table (see schema.ts), turned back into nodes; the id comes from the record's time and
 * sequence number, so the same record always gives the same event.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, StreamRecord } from 'aws-lambda';
import { eventId, type ChangeEvent, type EventOp } from '../core/events.js';
import type { Node } from '../core/nodes.js';
import { fromItem, toItem } from './items.js';

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

type LambdaImage = StreamRecord['NewImage'];
const imageOf = (node: Node) => marshall(toItem(node), { removeUndefinedValues: true }) as LambdaImage;

/**
 * The other way: the stream record Lambda delivers for a write of `node` (INSERT, or MODIFY over
 * `old`) at `seconds` with stream sequence `sequence`, for the tests and the benchmark that feed the
 * fan-out hand-made batches.
 */
export function nodeStreamRecord(
  sequence: number | string,
  seconds: number,
  node: Node,
  old?: Node,
): DynamoDBRecord {
  const seq = String(sequence).padStart(21, '0');
  return {
    eventID: `e${seq}`,
    eventName: old ? 'MODIFY' : 'INSERT',
    eventSource: 'aws:dynamodb',
    eventVersion: '1.1',
    awsRegion: 'local',
    dynamodb: {
      ApproximateCreationDateTime: seconds,
      Keys: marshall({ pk: node._id }) as LambdaImage,
      NewImage: imageOf(node),
      ...(old && { OldImage: imageOf(old) }),
      SequenceNumber: seq,
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}
