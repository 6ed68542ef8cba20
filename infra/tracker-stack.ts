/** The SyncPlanet tracker stack: tables, the REST API function and the REST API. No business logic. */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { TrackerRestApi } from './constructs/rest-api.js';
import { TrackerTables } from './constructs/tables.js';
import { TrackerFunction } from './constructs/tracker-function.js';
import { SETTINGS_ENV } from '../functions/config.js';
import { API_TABLES, TABLES, type TableKey } from '../functions/store/schema.js';

export interface TrackerStackProps extends StackProps {
  /** Non-editors may only change nodes they authored (damas authorMode). Default false. */
  readonly authorMode?: boolean;
  /** API Gateway steady-state request rate per second for the stage. Default 200. */
  readonly throttlingRateLimit?: number;
  /** API Gateway burst size. Default 400. */
  readonly throttlingBurstLimit?: number;
  /** Retention of the function and access logs. Default three months. */
  readonly logRetention?: RetentionDays;
  /** Optional regional WAFv2 web ACL to associate with the API stage. */
  readonly webAclArn?: string;
  /** Repository root (package-lock.json, functions/). Default: the parent of infra/. */
  readonly projectRoot?: string;
}

export const TRACKER_STACK_DEFAULTS = {
  authorMode: false,
  throttlingRateLimit: 200,
  throttlingBurstLimit: 400,
  logRetention: RetentionDays.THREE_MONTHS,
  projectRoot: fileURLToPath(new URL('..', import.meta.url)),
} as const;

function checkProps(props: TrackerStackProps): void {
  const { throttlingRateLimit: rate, throttlingBurstLimit: burst } = props;
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) {
    throw new Error(`throttlingRateLimit must be a positive number, not ${rate}`);
  }
  if (burst !== undefined && !(Number.isInteger(burst) && burst > 0)) {
    throw new Error(`throttlingBurstLimit must be a positive integer, not ${burst}`);
  }
}

export class TrackerStack extends Stack {
  public readonly tables: TrackerTables;
  public readonly apiFunction: TrackerFunction;
  public readonly restApi: TrackerRestApi;

  constructor(scope: Construct, id: string, props: TrackerStackProps = {}) {
    checkProps(props);
    super(scope, id, props);
    const logRetention = props.logRetention ?? TRACKER_STACK_DEFAULTS.logRetention;

    this.tables = new TrackerTables(this, 'Tables');

    this.apiFunction = new TrackerFunction(this, 'ApiFunction', {
      projectRoot: props.projectRoot ?? TRACKER_STACK_DEFAULTS.projectRoot,
      entry: 'functions/http/handler.ts',
      description: 'SyncPlanet tracker REST API (damas routes)',
      tables: this.tables,
      access: Object.fromEntries(API_TABLES.map((table) => [table, 'readWrite'])),
      environment: {
        [SETTINGS_ENV.authMode]: 'jwt',
        [SETTINGS_ENV.authorMode]: String(props.authorMode ?? TRACKER_STACK_DEFAULTS.authorMode),
      },
      // scrypt password hashing is CPU and memory bound; Lambda CPU scales with memory.
      memorySize: 1024,
      // API Gateway gives up after 29 s; the function must not run longer than its caller waits.
      timeout: Duration.seconds(29),
      logRetention,
    });

    this.restApi = new TrackerRestApi(this, 'RestApi', {
      handler: this.apiFunction.function,
      throttlingRateLimit: props.throttlingRateLimit ?? TRACKER_STACK_DEFAULTS.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit ?? TRACKER_STACK_DEFAULTS.throttlingBurstLimit,
      logRetention,
      webAclArn: props.webAclArn,
    });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the damas REST API (give it to damas clients and agents)',
      value: this.restApi.apiUrl,
    });
    for (const [key, table] of Object.entries(this.tables.byKey)) {
      new CfnOutput(this, `${key[0]!.toUpperCase()}${key.slice(1)}TableName`, {
        description: `Name of the ${key} table (${TABLES[key as TableKey].env} for npm run admin)`,
        value: table.tableName,
      });
    }
  }
}
