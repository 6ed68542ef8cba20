/**
 * One comparable shape for a table's layout (keys with their types, indexes, stream, TTL), read
 * from a table list entry, from a CloudFormation table, or from a live DynamoDB table.
 */
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { TableSpec } from '../../functions/store/schema.js';

type Key = { AttributeName?: string; KeyType?: string };
type Definition = { AttributeName?: string; AttributeType?: string };
type Index = { IndexName?: string; KeySchema?: Key[]; Projection?: { ProjectionType?: string } };

export interface Layout {
  keys: string[];
  indexes: { name: string; keys: string[]; projection: string }[];
  stream: string | null;
  ttl: string | null;
}

const describeKeys = (keys: Key[] | undefined, definitions: Definition[] | undefined) =>
  (keys ?? []).map((k) => {
    const type = definitions?.find((d) => d.AttributeName === k.AttributeName)?.AttributeType;
    return `${k.KeyType} ${k.AttributeName} ${type}`;
  });

function layout(
  keys: Key[] | undefined,
  definitions: Definition[] | undefined,
  indexes: Index[] | undefined,
  stream: string | undefined,
  ttl: string | undefined,
): Layout {
  return {
    keys: describeKeys(keys, definitions),
    indexes: (indexes ?? [])
      .map((i) => ({
        name: i.IndexName ?? '',
        keys: describeKeys(i.KeySchema, definitions),
        projection: i.Projection?.ProjectionType ?? '',
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    stream: stream ?? null,
    ttl: ttl ?? null,
  };
}

export function layoutOfSpec(spec: TableSpec): Layout {
  const keys = (partition: TableSpec['partitionKey'], sort?: TableSpec['partitionKey']) => [
    `HASH ${partition.name} ${partition.type}`,
    ...(sort ? [`RANGE ${sort.name} ${sort.type}`] : []),
  ];
  return {
    keys: keys(spec.partitionKey, spec.sortKey),
    indexes: spec.indexes
      .map((i) => ({ name: i.name, keys: keys(i.partitionKey, i.sortKey), projection: 'ALL' }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    stream: spec.stream ?? null,
    ttl: spec.ttlAttribute ?? null,
  };
}

/** From the `Properties` of an `AWS::DynamoDB::Table` resource. */
export function layoutOfTemplate(properties: Record<string, unknown>): Layout {
  const p = properties as {
    KeySchema?: Key[];
    AttributeDefinitions?: Definition[];
    GlobalSecondaryIndexes?: Index[];
    StreamSpecification?: { StreamViewType?: string };
    TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
  };
  const ttl = p.TimeToLiveSpecification?.Enabled ? p.TimeToLiveSpecification.AttributeName : undefined;
  return layout(
    p.KeySchema,
    p.AttributeDefinitions,
    p.GlobalSecondaryIndexes,
    p.StreamSpecification?.StreamViewType,
    ttl,
  );
}

export async function layoutOfLocalTable(db: DynamoDBClient, name: string): Promise<Layout> {
  const { Table: t } = await db.send(new DescribeTableCommand({ TableName: name }));
  const { TimeToLiveDescription: ttl } = await db.send(new DescribeTimeToLiveCommand({ TableName: name }));
  const enabled = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
  const stream = t?.StreamSpecification?.StreamEnabled ? t.StreamSpecification.StreamViewType : undefined;
  return layout(
    t?.KeySchema,
    t?.AttributeDefinitions,
    t?.GlobalSecondaryIndexes,
    stream,
    enabled ? ttl?.AttributeName : undefined,
  );
}
