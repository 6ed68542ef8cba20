/**
 * The tracker's DynamoDB tables, created from the layout in functions/store/schema.ts so the cloud
 * tables and the local (DynamoDB Local) tables cannot drift apart.
 *
 * Encryption: AWS-managed KMS key (`aws/dynamodb`). Data is encrypted at rest with KMS and every
 * key use is in CloudTrail, without a customer key to pay for, rotate and keep in sync with the
 * key grants of every reader (the API function and, later, the stream consumers). A studio that
 * needs its own key can switch to `TableEncryption.CUSTOMER_MANAGED`; the grants below then add
 * the KMS permissions automatically.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { AUTH, NODES } from '../../functions/store/schema.js';

/** Settings every tracker table shares: data outlives the stack and can be restored to any second. */
const TABLE_DEFAULTS = {
  billingMode: BillingMode.PAY_PER_REQUEST,
  encryption: TableEncryption.AWS_MANAGED,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  deletionProtection: true,
  removalPolicy: RemovalPolicy.RETAIN,
} as const;

export class TrackerTables extends Construct {
  /** One item per node (see schema.ts), with a stream of old and new images for the event fan-out. */
  public readonly nodes: Table;
  /** Credentials, API tokens and the signing secret; expired sessions/tokens removed by TTL. */
  public readonly auth: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.nodes = new Table(this, 'Nodes', {
      ...TABLE_DEFAULTS,
      partitionKey: { name: NODES.partitionKey, type: AttributeType.STRING },
      stream: StreamViewType[NODES.stream],
    });
    for (const index of NODES.indexes) {
      this.nodes.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      });
    }

    this.auth = new Table(this, 'Auth', {
      ...TABLE_DEFAULTS,
      partitionKey: { name: AUTH.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: AUTH.ttlAttribute,
    });
  }
}
