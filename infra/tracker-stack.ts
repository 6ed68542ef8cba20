/**
 * The SyncPlanet tracker stack: the tables of the table list; the REST API and its function; the
 * WebSocket API and its function; the nodes-stream fan-out (events, webhooks, work queues); webhook
 * delivery (an SQS nudge queue with a dead-letter queue, plus a one-minute sweep for retries); the
 * work queues' re-planning (every minute); alarms; the dashboard (S3 + CloudFront). No business logic.
 */
import { CfnOutput, type CfnElement, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { TrackerAlarms } from './constructs/alarms.js';
import { DashboardSite } from './constructs/dashboard-site.js';
import { TrackerRestApi } from './constructs/rest-api.js';
import { TrackerTables } from './constructs/tables.js';
import { TrackerFunction, type TableAccess } from './constructs/tracker-function.js';
import { TrackerWebSocketApi } from './constructs/websocket-api.js';
import { SETTINGS_ENV } from '../functions/config.js';
import {
  API_TABLES,
  DELIVERY_TABLES,
  FANOUT_TABLES,
  REPLAN_TABLES,
  TABLES,
  WEBSOCKET_TABLES,
  type TableKey,
} from '../functions/store/schema.js';

export interface TrackerStackProps extends StackProps {
  /** Non-editors may only change nodes they authored (damas authorMode). Default false. */
  readonly authorMode?: boolean;
  /** API Gateway steady-state request rate per second for the stage. Default 200. */
  readonly throttlingRateLimit?: number;
  /** API Gateway burst size. Default 400. */
  readonly throttlingBurstLimit?: number;
  /** Retention of the function and access logs. Default one year. */
  readonly logRetention?: RetentionDays;
  /** Optional regional WAFv2 web ACL to associate with the API stage. */
  readonly webAclArn?: string;
  /** Repository root (functions/, dashboard/, infra/bundling/, node_modules/). Default: the parent of infra/. */
  readonly projectRoot?: string;
  /** Tables refuse deletion and outlive the stack. Set false only for throw-away stacks. Default true. */
  readonly deletionProtection?: boolean;
  /** Subscribed to the alarm topic. */
  readonly alarmEmail?: string;
}

export const TRACKER_STACK_DEFAULTS = {
  authorMode: false,
  throttlingRateLimit: 200,
  throttlingBurstLimit: 400,
  logRetention: RetentionDays.ONE_YEAR,
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
  public readonly webSocketFunction: TrackerFunction;
  public readonly webSocketApi: TrackerWebSocketApi;
  public readonly fanoutFunction: TrackerFunction;
  public readonly deliveryFunction: TrackerFunction;
  public readonly replanFunction: TrackerFunction;
  /** Stream batches the fan-out gave up on (after retries and bisecting). */
  public readonly fanoutFailures: Queue;
  /** Nudges from the fan-out to webhook delivery, and their dead-letter queue. */
  public readonly webhookQueue: Queue;
  public readonly webhookDeadLetters: Queue;
  public readonly alarms: TrackerAlarms;
  public readonly dashboard: DashboardSite;

  constructor(scope: Construct, id: string, props: TrackerStackProps = {}) {
    checkProps(props);
    super(scope, id, props);
    const logRetention = props.logRetention ?? TRACKER_STACK_DEFAULTS.logRetention;
    const projectRoot = props.projectRoot ?? TRACKER_STACK_DEFAULTS.projectRoot;
    const throttling = {
      throttlingRateLimit: props.throttlingRateLimit ?? TRACKER_STACK_DEFAULTS.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit ?? TRACKER_STACK_DEFAULTS.throttlingBurstLimit,
    };
    this.tables = new TrackerTables(this, 'Tables', { deletionProtection: props.deletionProtection });
    const fn = (
      id: string,
      entry: string,
      description: string,
      tables: readonly TableKey[],
      more: { environment?: Record<string, string>; memorySize?: number; timeout?: Duration } = {},
    ) =>
      new TrackerFunction(this, id, {
        projectRoot,
        entry,
        description,
        tables: this.tables,
        access: Object.fromEntries(tables.map((table) => [table, 'readWrite' as TableAccess])),
        logRetention,
        ...more,
      });

    this.apiFunction = fn(
      'ApiFunction',
      'functions/http/handler.ts',
      'SyncPlanet tracker REST API (damas routes)',
      API_TABLES,
      {
        environment: {
          [SETTINGS_ENV.authMode]: 'jwt',
          [SETTINGS_ENV.authorMode]: String(props.authorMode ?? TRACKER_STACK_DEFAULTS.authorMode),
        },
        // scrypt password hashing is CPU and memory bound; Lambda CPU scales with memory.
        memorySize: 1024,
        // API Gateway gives up after 29 s; the function must not run longer than its caller waits.
        timeout: Duration.seconds(29),
      },
    );
    this.restApi = new TrackerRestApi(this, 'RestApi', {
      handler: this.apiFunction.function,
      ...throttling,
      logRetention,
      webAclArn: props.webAclArn,
    });

    // The WebSocket API and the function behind it (token check at $connect, subscribe + replay, ping).
    this.webSocketFunction = fn(
      'WebSocketFunction',
      'functions/events/websocket-handler.ts',
      'SyncPlanet tracker change events (WebSocket routes)',
      WEBSOCKET_TABLES,
      { environment: { [SETTINGS_ENV.authMode]: 'jwt' }, timeout: Duration.seconds(29) },
    );
    this.webSocketApi = new TrackerWebSocketApi(this, 'WebSocketApi', {
      handler: this.webSocketFunction.function,
      ...throttling,
      logRetention,
    });
    // Its access logs need the account-level API Gateway logging role the REST API sets up.
    this.webSocketApi.stage.node.addDependency(this.restApi.api.node.findChild('Account'));
    this.webSocketFunction.function.addEnvironment(
      SETTINGS_ENV.websocketEndpoint,
      this.webSocketApi.callbackUrl,
    );
    // The replay after `subscribe` sends many frames, which only the management API can do.
    this.webSocketApi.grantManageConnections(this.webSocketFunction);

    // Webhook delivery: the fan-out nudges it through SQS; a schedule sweeps retries every minute.
    this.webhookDeadLetters = this.queue('WebhookDeadLetters', {}, true);
    const deliveryTimeout = Duration.minutes(2);
    this.webhookQueue = this.queue('WebhookQueue', {
      // At least six times the function's timeout, as AWS advises for SQS event sources.
      visibilityTimeout: Duration.minutes(12),
      deadLetterQueue: { queue: this.webhookDeadLetters, maxReceiveCount: 5 },
    });
    this.deliveryFunction = fn(
      'DeliveryFunction',
      'functions/webhooks/handler.ts',
      'SyncPlanet tracker webhook delivery (signed POSTs, retries)',
      DELIVERY_TABLES,
      { timeout: deliveryTimeout },
    );
    this.deliveryFunction.function.addEventSource(new SqsEventSource(this.webhookQueue, { batchSize: 10 }));
    this.schedule('DeliverySweep', this.deliveryFunction, 'sends webhook deliveries whose retry is due');

    // The nodes-stream fan-out: event log, WebSocket pushes, webhook queue, work queues.
    this.fanoutFailures = this.queue('FanoutFailures');
    this.fanoutFunction = fn(
      'FanoutFunction',
      'functions/events/fanout-handler.ts',
      'SyncPlanet tracker nodes-stream fan-out (events, webhooks, work queues)',
      FANOUT_TABLES,
      {
        environment: {
          [SETTINGS_ENV.websocketEndpoint]: this.webSocketApi.callbackUrl,
          [SETTINGS_ENV.webhookQueueUrl]: this.webhookQueue.queueUrl,
        },
        memorySize: 512,
        timeout: Duration.minutes(1),
      },
    );
    this.webSocketApi.grantManageConnections(this.fanoutFunction);
    this.webhookQueue.grantSendMessages(this.fanoutFunction.role);
    this.fanoutFunction.function.addEventSource(
      new DynamoEventSource(this.tables.byKey.nodes, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.millis(0),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        parallelizationFactor: 1,
        onFailure: new SqsDlq(this.fanoutFailures),
      }),
    );

    // Re-planning of the work queues after volume changes (GET /api/tasks shows progress).
    this.replanFunction = fn(
      'ReplanFunction',
      'functions/sync/replan-handler.ts',
      'SyncPlanet tracker work-queue re-planning',
      REPLAN_TABLES,
      { timeout: Duration.minutes(5) },
    );
    this.schedule('ReplanSweep', this.replanFunction, 're-plans pages of the oldest unfinished task');

    this.alarms = new TrackerAlarms(this, 'Alarms', {
      functions: {
        Api: this.apiFunction.function,
        WebSocket: this.webSocketFunction.function,
        Fanout: this.fanoutFunction.function,
        Delivery: this.deliveryFunction.function,
        Replan: this.replanFunction.function,
      },
      restApi: this.restApi.api,
      deadLetterQueues: { FanoutFailures: this.fanoutFailures, WebhookDeadLetters: this.webhookDeadLetters },
      streamReader: this.fanoutFunction.function,
      deliveryLogs: this.deliveryFunction.logGroup,
      email: props.alarmEmail,
    });

    this.dashboard = new DashboardSite(this, 'Dashboard', {
      projectRoot,
      apiUrl: this.restApi.apiUrl,
      eventsUrl: this.webSocketApi.url,
    });

    this.outputs();
  }

  /** An SQS queue encrypted with SQS-managed keys, TLS only, kept 14 days. */
  private queue(
    id: string,
    more: Partial<ConstructorParameters<typeof Queue>[2]> = {},
    dlqOfAnother = false,
  ): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      ...more,
    });
    if (!more.deadLetterQueue) {
      const reason =
        'This queue is itself a dead-letter queue (or the on-failure destination of the stream mapping).';
      Validations.of(queue.node.defaultChild as CfnElement).acknowledge({
        id: 'cdk-validator-cfnguard::sqs_dlq_check',
        reason,
      });
      // cdk-nag already knows another queue's dead-letter queue; the stream's on-failure queue it cannot know.
      if (!dlqOfAnother)
        Validations.of(queue.node.defaultChild as CfnElement).acknowledge({
          id: 'AwsSolutions-SQS3',
          reason,
        });
    }
    return queue;
  }

  /** Runs a function every minute (EventBridge rule). */
  private schedule(id: string, target: TrackerFunction, description: string): void {
    new Rule(this, id, {
      description: `SyncPlanet tracker: ${description}`,
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(target.function, { retryAttempts: 0 })],
    });
  }

  private outputs(): void {
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the damas REST API (give it to damas clients and agents)',
      value: this.restApi.apiUrl,
    });
    new CfnOutput(this, 'WebSocketUrl', {
      description:
        'Change events WebSocket URL (wss://…; the client and the agents derive it from the REST URL)',
      value: this.webSocketApi.url,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'The dashboard (CloudFront): sites, files and failures, live',
      value: this.dashboard.url,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic of the alarms (subscribe an e-mail or a pager to it)',
      value: this.alarms.topic.topicArn,
    });
    for (const [key, table] of Object.entries(this.tables.byKey)) {
      new CfnOutput(this, `${key[0]!.toUpperCase()}${key.slice(1)}TableName`, {
        description: `Name of the ${key} table (${TABLES[key as TableKey].env} for npm run admin)`,
        value: table.tableName,
      });
    }
  }
}
