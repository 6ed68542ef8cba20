/**
 * The REST API's Lambda function: bundled locally with esbuild (never Docker), its own log group and
 * an explicit role that can only write its own logs, send X-Ray traces and read/write the two tables.
 */
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { ENV } from '../../functions/store/schema.js';

export interface ApiFunctionProps {
  /** Repository root: holds package-lock.json and functions/. */
  readonly projectRoot: string;
  readonly nodesTable: ITable;
  readonly authTable: ITable;
  /** Non-editors may only change nodes they authored. */
  readonly authorMode: boolean;
  readonly logRetention: RetentionDays;
}

/** Lets ESM bundles load the CommonJS dependencies esbuild leaves as `require` calls. */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export class ApiFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });

    // An explicit role instead of the default one, which would carry the AWS-managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group of the account).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'SyncPlanet tracker REST API function',
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(props.projectRoot, 'functions/http/handler.ts'),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      // scrypt password hashing is CPU and memory bound; Lambda CPU scales with memory.
      memorySize: 1024,
      // API Gateway gives up after 29 s; the function must not run longer than its caller waits.
      timeout: Duration.seconds(29),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: {
        [ENV.nodesTable]: props.nodesTable.tableName,
        [ENV.authTable]: props.authTable.tableName,
        [ENV.authMode]: 'jwt',
        [ENV.authorMode]: String(props.authorMode),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the pinned AWS SDK rather than use the runtime's copy: the code that runs in
        // Lambda is then the code the tests ran, whatever SDK version the runtime ships.
        externalModules: [],
      },
    });

    props.nodesTable.grantReadWriteData(this.role);
    props.authTable.grantReadWriteData(this.role);

    this.acknowledgeNagFindings(props.nodesTable);
  }

  /** cdk-nag (AwsSolutions) findings acknowledged on the exact resource, each with its reason. */
  private acknowledgeNagFindings(nodesTable: ITable): void {
    Validations.of(this.function.node.defaultChild as CfnElement).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x (LTS; 24.x is the newest): the esbuild target is node22 and the code is tested ' +
        'on Node 20/22. Move to nodejs24.x together with the bundle target once tested on Node 24.',
    });
    const policy = this.role.node.findChild('DefaultPolicy').node.defaultChild as CfnElement;
    const nodesTableId = Stack.of(this).getLogicalId(nodesTable.node.defaultChild as CfnElement);
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the X-Ray actions (PutTraceSegments, PutTelemetryRecords) are on "*": X-Ray supports no ' +
          'resource-level permissions.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${nodesTableId}.Arn>/index/*]`,
        reason:
          "The wildcard covers only the nodes table's own GSIs (NODES.indexes in schema.ts), all of which " +
          'the store queries; no other table or index is reachable.',
      },
    );
  }
}
