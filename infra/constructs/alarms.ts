/**
 * CloudWatch alarms on what needs a human: function errors and throttles, API 5xx, anything in a
 * dead-letter queue, a fan-out falling behind the nodes stream, webhooks given up on. Every alarm
 * notifies one SNS topic (TLS only, publishable by this account's alarms); an e-mail address
 * subscribes to it when given.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface TrackerAlarmsProps {
  /** Functions by a short name (Api, Fanout…). */
  readonly functions: Record<string, IFunction>;
  readonly restApi: RestApi;
  /** Dead-letter queues by a short name. */
  readonly deadLetterQueues: Record<string, IQueue>;
  /** The function reading the nodes stream. */
  readonly streamReader: IFunction;
  /** Where the delivery function logs a webhook delivery it gives up on. */
  readonly deliveryLogs: ILogGroup;
  /** Subscribed to the alarm topic when set. */
  readonly email?: string;
}

/** A stream record older than this means the fan-out (events, webhooks, work queues) lags. */
const ITERATOR_AGE_LIMIT = Duration.minutes(5);
const NAMESPACE = 'SyncPlanet';

export class TrackerAlarms extends Construct {
  public readonly topic: Topic;
  public readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: TrackerAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'SyncPlanet tracker alarms', enforceSSL: true });
    // enforceSSL's topic policy replaces SNS's default one: let this account's alarms publish.
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    // Not KMS-encrypted: CloudWatch alarms cannot use the AWS-managed SNS key, and the notifications
    // carry only alarm names and states (no tracker data).
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));

    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(
        `${name}Errors`,
        fn.metricErrors({ period: Duration.minutes(5) }),
        `${name} function errors`,
      );
      this.alarm(
        `${name}Throttles`,
        fn.metricThrottles({ period: Duration.minutes(5) }),
        `${name} function throttled`,
      );
    }
    this.alarm(
      'Api5xx',
      props.restApi.metricServerError({ period: Duration.minutes(5) }),
      'REST API answered 5xx',
    );
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarm(
        `${name}NotEmpty`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        `messages in the ${name} dead-letter queue`,
      );
    }
    const iteratorAge = new Metric({
      namespace: 'AWS/Lambda',
      metricName: 'IteratorAge',
      dimensionsMap: { FunctionName: props.streamReader.functionName },
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
    this.alarm(
      'StreamIteratorAge',
      iteratorAge,
      'the fan-out lags behind the nodes stream',
      ITERATOR_AGE_LIMIT.toMilliseconds(),
    );

    const deadLettered = new MetricFilter(this, 'WebhookDeadLettered', {
      logGroup: props.deliveryLogs,
      filterPattern: FilterPattern.anyTerm('dead-lettered'),
      metricNamespace: NAMESPACE,
      metricName: 'WebhookDeliveriesDeadLettered',
      metricValue: '1',
      defaultValue: 0,
    });
    this.alarm(
      'WebhookFailures',
      deadLettered.metric({ period: Duration.minutes(5), statistic: 'Sum' }),
      'webhook deliveries given up on',
    );
  }

  /** An alarm when the metric goes above `threshold` (default: anything above zero). */
  private alarm(id: string, metric: IMetric, description: string, threshold = 0): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `SyncPlanet tracker: ${description}`,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
