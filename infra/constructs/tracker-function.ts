/**
 * One Lambda function of the tracker: bundled locally with esbuild (never Docker), its own log
 * group, and an explicit role that can only write its own logs, send X-Ray traces and use the
 * tables it is given, with the access it is given. The function learns the names of those tables,
 * and of no other, through the variables of the table list.
 */
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { tableEnvironment } from '../../functions/config.js';
import { TABLE_SPECS, type TableKey } from '../../functions/store/schema.js';
import { locallyBundled } from '../bundling/local.js';
import { acknowledgeLogEncryption } from './common.js';
import type { TrackerTables } from './tables.js';

export type TableAccess = 'read' | 'readWrite';

export interface TrackerFunctionProps {
  /** Repository root: holds functions/, infra/bundling/ and node_modules/ (esbuild, tsx). */
  readonly projectRoot: string;
  /** The handler module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly tables: TrackerTables;
  /** The tables this function may use, and how. */
  readonly access: Partial<Record<TableKey, TableAccess>>;
  /** Settings besides the table names. */
  readonly environment?: Record<string, string>;
  /** Default 256 MB. */
  readonly memorySize?: number;
  /** Default 30 s. */
  readonly timeout?: Duration;
  readonly logRetention: RetentionDays;
}

export class TrackerFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: TrackerFunctionProps) {
    super(scope, id);
    const granted = Object.entries(props.access) as [TableKey, TableAccess][];
    if (granted.length === 0) throw new Error(`${id}: a tracker function needs at least one table`);

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    // An explicit role instead of the default one, which would carry the AWS-managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group of the account).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    const tables = granted.map(([key, access]) => ({ key, access, table: props.tables.byKey[key] }));
    this.function = new LambdaFunction(this, 'Function', {
      // infra/bundling/bundle.ts; the entry keeps each function's bundle apart in CDK's bundling cache.
      code: Code.fromAsset(
        props.projectRoot,
        locallyBundled(props.projectRoot, 'infra/bundling/bundle.ts', [props.entry]),
      ),
      handler: 'index.handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      // JSON log lines with the request id on each (console.* included), filterable by level.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        ...tableEnvironment(Object.fromEntries(tables.map(({ key, table }) => [key, table.tableName]))),
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });

    for (const { access, table } of tables) {
      if (access === 'read') table.grantReadData(this.role);
      else table.grantReadWriteData(this.role);
    }
    this.acknowledgeNagFindings(
      tables.flatMap(({ key, table }) => (TABLE_SPECS[key].indexes.length ? [table] : [])),
    );
  }

  /** cdk-nag (AwsSolutions) findings acknowledged on the exact resource, each with its reason. */
  private acknowledgeNagFindings(indexedTables: Table[]): void {
    Validations.of(this.function.node.defaultChild as CfnElement).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason:
        'The functions reach only AWS APIs (DynamoDB, SQS, the API Gateway management API) and the webhook ' +
        'receivers on the internet: a VPC would add NAT gateways (the main cost of an idle stack) or endpoints ' +
        'without protecting anything; access is by IAM, per function, to the tables it uses.',
    });
    acknowledgeLogEncryption(this.logGroup, 'the logs hold no secrets (bodies are never logged)');
    Validations.of(this.function.node.defaultChild as CfnElement).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x (LTS; 24.x is the newest): the esbuild target is node22 and the code is tested ' +
        'on Node 20/22. Move to nodejs24.x together with the bundle target once tested on Node 24.',
    });
    const policy = this.role.node.findChild('DefaultPolicy').node.defaultChild as CfnElement;
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the X-Ray actions (PutTraceSegments, PutTelemetryRecords) are on "*": X-Ray supports no ' +
          'resource-level permissions; for the stream reader also dynamodb:ListStreams, which Lambda needs to ' +
          'find the stream and which has no narrower resource.',
      },
      ...indexedTables.map((table) => ({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
        reason:
          "The wildcard covers only this table's own GSIs (its indexes in the table list, " +
          'functions/store/schema.ts), which the store queries; no other table or index is reachable.',
      })),
    );
  }
}
