/**
 * The tracker's DynamoDB tables, one per entry of the table list (functions/store/schema.ts), so the
 * cloud tables and the local (DynamoDB Local) tables cannot drift apart.
 *
 * Encryption: AWS-managed KMS key (`aws/dynamodb`). Data is encrypted at rest with KMS and every
 * key use is in CloudTrail, without a customer key to pay for, rotate and keep in sync with the
 * key grants of every reader. A studio that needs its own key can switch to
 * `TableEncryption.CUSTOMER_MANAGED`; the grants then add the KMS permissions automatically.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  StreamViewType,
  Table,
  TableEncryption,
  type Attribute,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_KEYS, TABLE_SPECS, type KeyAttribute, type TableKey } from '../../functions/store/schema.js';

/** Settings every tracker table shares: on demand, encrypted, restorable to any second of the last 35 days. */
const TABLE_DEFAULTS = {
  billingMode: BillingMode.PAY_PER_REQUEST,
  encryption: TableEncryption.AWS_MANAGED,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
} as const;

const attribute = (key: KeyAttribute | undefined): Attribute | undefined =>
  key && { name: key.name, type: key.type === 'N' ? AttributeType.NUMBER : AttributeType.STRING };

/** Construct id of a table: `nodes` → `Nodes`. */
const constructId = (key: TableKey) => key[0]!.toUpperCase() + key.slice(1);

export class TrackerTables extends Construct {
  /** Every table by its key in the table list. */
  public readonly byKey: Readonly<Record<TableKey, Table>>;

  /** `deletionProtection: false` (a throw-away stack): the tables go with `cdk destroy`. Default true. */
  constructor(scope: Construct, id: string, props: { deletionProtection?: boolean } = {}) {
    super(scope, id);
    const protect = props.deletionProtection ?? true;
    const tables = {} as Record<TableKey, Table>;
    for (const key of TABLE_KEYS) {
      const spec = TABLE_SPECS[key];
      const table = new Table(this, constructId(key), {
        ...TABLE_DEFAULTS,
        deletionProtection: protect,
        removalPolicy: protect ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        partitionKey: attribute(spec.partitionKey)!,
        sortKey: attribute(spec.sortKey),
        stream: spec.stream && StreamViewType[spec.stream],
        timeToLiveAttribute: spec.ttlAttribute,
      });
      for (const index of spec.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey)!,
          sortKey: attribute(index.sortKey),
        });
      }
      tables[key] = table;
    }
    this.byKey = tables;
  }
}
