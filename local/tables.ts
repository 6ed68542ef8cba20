/** Creates the tracker's tables on DynamoDB Local from the same layout the CDK stack uses. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { AUTH, NODES } from '../functions/store/schema.js';

export interface TableNames {
  nodesTable: string;
  authTable: string;
}

export const tableNames = (prefix = 'tracker'): TableNames => ({
  nodesTable: `${prefix}-nodes`,
  authTable: `${prefix}-auth`,
});

async function exists(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

/** Creates missing tables (idempotent: a persisted data folder already has them). */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  if (!(await exists(client, names.nodesTable))) {
    const attributes = new Set<string>([NODES.partitionKey]);
    for (const index of NODES.indexes) attributes.add(index.partitionKey).add(index.sortKey);
    await client.send(
      new CreateTableCommand({
        TableName: names.nodesTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [{ AttributeName: NODES.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: NODES.indexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        StreamSpecification: { StreamEnabled: true, StreamViewType: NODES.stream },
      }),
    );
  }
  if (!(await exists(client, names.authTable))) {
    await client.send(
      new CreateTableCommand({
        TableName: names.authTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: AUTH.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: AUTH.partitionKey, KeyType: 'HASH' }],
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: names.authTable,
        TimeToLiveSpecification: { AttributeName: AUTH.ttlAttribute, Enabled: true },
      }),
    );
  }
}
