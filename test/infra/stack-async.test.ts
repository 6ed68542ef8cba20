/**
 * What runs without a caller, from one synthesis without bundling: the nodes-stream fan-out mapping,
 * the webhook queue and its dead-letter queue, the two one-minute schedules, and the alarms on
 * their SNS topic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRACKER_STACK_DEFAULTS } from '../../infra/tracker-stack.js';
import {
  FUNCTION_NAMES,
  getAtt,
  one,
  SynthesizedStack,
  type FunctionName,
  type Json,
} from './stack-fixture.js';

let s: SynthesizedStack;

beforeAll(() => {
  s = new SynthesizedStack();
}, 60_000);

const json = (value: unknown) => JSON.stringify(value);

describe('nodes-stream fan-out', () => {
  it('reads the nodes stream with bisecting, partial failures, bounded age and retries, and an SQS on-failure', () => {
    const nodesStream = json(getAtt(s.tableId('nodes'), 'StreamArn'));
    const readers = s
      .ofType('AWS::Lambda::EventSourceMapping')
      .filter(([, mapping]) => json(mapping.Properties?.EventSourceArn) === nodesStream);
    // DynamoDB serves at most two readers per shard; the fan-out is the only one.
    expect(readers).toHaveLength(1);
    const [id, mapping] = one(readers, 'nodes stream reader');
    expect(mapping.Properties, id).toMatchObject({
      FunctionName: { Ref: s.functionId('fanoutFunction') },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRecordAgeInSeconds: 86_400,
      MaximumRetryAttempts: 10,
      DestinationConfig: { OnFailure: { Destination: getAtt(s.logicalId(s.stack.fanoutFailures)) } },
    });
  });

  it('maps no other stream, and the webhook queue to the delivery function', () => {
    const mappings = s.ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(2);
    const sources = mappings.map(([, mapping]) => json(mapping.Properties?.EventSourceArn));
    expect(sources.filter((source) => source.includes('"StreamArn"'))).toHaveLength(1);
  });
});

describe('webhook delivery queue', () => {
  it('redrives to its dead-letter queue after a few receives, and outlives the delivery timeout', () => {
    expect(s.props(s.logicalId(s.stack.webhookQueue))).toMatchObject({
      RedrivePolicy: {
        deadLetterTargetArn: getAtt(s.logicalId(s.stack.webhookDeadLetters)),
        maxReceiveCount: 5,
      },
      SqsManagedSseEnabled: true,
    });
    const visibility = s.props(s.logicalId(s.stack.webhookQueue)).VisibilityTimeout as number;
    const timeout = s.props(s.functionId('deliveryFunction')).Timeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('encrypts every queue with SQS-managed keys and denies non-TLS access to each', () => {
    const queues = [s.stack.webhookQueue, s.stack.webhookDeadLetters, s.stack.fanoutFailures].map((queue) =>
      s.logicalId(queue),
    );
    expect(
      s
        .ofType('AWS::SQS::Queue')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...queues].sort());
    for (const queue of queues) {
      expect(s.props(queue), queue).toMatchObject({ SqsManagedSseEnabled: true });
      const policies = s
        .ofType('AWS::SQS::QueuePolicy')
        .filter(([, policy]) => json(policy.Properties?.Queues) === json([{ Ref: queue }]));
      expect(policies, queue).toHaveLength(1);
      const statements = (policies[0]![1].Properties?.PolicyDocument as { Statement: Json[] }).Statement;
      expect(statements, queue).toContainEqual({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: getAtt(queue),
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    }
  });

  it('triggers the delivery function from the webhook queue', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(s.logicalId(s.stack.webhookQueue)),
      FunctionName: { Ref: s.functionId('deliveryFunction') },
      BatchSize: 10,
    });
  });
});

describe('schedules', () => {
  it('runs the delivery and re-plan functions every minute through EventBridge rules', () => {
    const rules = s.ofType('AWS::Events::Rule');
    const targets: string[] = [];
    for (const [id, rule] of rules) {
      expect(rule.Properties, id).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
      const ruleTargets = rule.Properties?.Targets as { Arn: unknown }[];
      expect(ruleTargets, id).toHaveLength(1);
      const target = FUNCTION_NAMES.find(
        (name) => json(ruleTargets[0]!.Arn) === json(getAtt(s.functionId(name))),
      );
      expect(target, id).toBeDefined();
      targets.push(target!);
      // EventBridge may invoke the function, for this rule only.
      s.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: getAtt(s.functionId(target!)),
        SourceArn: getAtt(id),
      });
    }
    expect(targets.sort()).toEqual(['deliveryFunction', 'replanFunction']);
  });
});

describe('alarms', () => {
  interface Alarm {
    Namespace?: string;
    MetricName?: string;
    Dimensions?: { Name: string; Value: unknown }[];
    AlarmActions?: unknown[];
    Threshold?: number;
    ComparisonOperator?: string;
  }
  const alarms = () =>
    s.ofType('AWS::CloudWatch::Alarm').map(([id, alarm]) => [id, alarm.Properties as Alarm] as const);
  /** `<namespace> <metric> <dimension value as JSON>` of every alarm. */
  const watched = () =>
    alarms().map(
      ([, a]) =>
        `${a.Namespace} ${a.MetricName} ${a.Dimensions ? json(a.Dimensions.map((d) => d.Value)) : ''}`,
    );
  const fn = (name: FunctionName) => json([{ Ref: s.functionId(name) }]);
  const queueName = (id: string) => json([getAtt(id, 'QueueName')]);

  it('watches errors and throttles of every function', () => {
    for (const name of FUNCTION_NAMES) {
      expect(watched(), name).toContain(`AWS/Lambda Errors ${fn(name)}`);
      expect(watched(), name).toContain(`AWS/Lambda Throttles ${fn(name)}`);
    }
  });

  it('watches REST 5xx, both dead-letter queues and the fan-out iterator age', () => {
    const apiName = s.props(s.logicalId(s.stack.restApi.api)).Name;
    expect(watched()).toContain(`AWS/ApiGateway 5XXError ${json([apiName])}`);
    expect(watched()).toContain(
      `AWS/SQS ApproximateNumberOfMessagesVisible ${queueName(s.logicalId(s.stack.fanoutFailures))}`,
    );
    expect(watched()).toContain(
      `AWS/SQS ApproximateNumberOfMessagesVisible ${queueName(s.logicalId(s.stack.webhookDeadLetters))}`,
    );
    const iteratorAge = alarms().find(([, a]) => a.MetricName === 'IteratorAge');
    expect(iteratorAge?.[1]).toMatchObject({
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.functionId('fanoutFunction') } }],
      Threshold: 300_000,
    });
  });

  it('counts webhook deliveries given up on from the delivery logs, and alarms on them', () => {
    const [id, filter] = one(s.ofType('AWS::Logs::MetricFilter'), 'metric filter');
    expect(filter.Properties, id).toMatchObject({
      LogGroupName: { Ref: s.logicalId(s.stack.deliveryFunction.logGroup) },
    });
    const pattern = filter.Properties?.FilterPattern as string;
    const term = /^"([^"]+)"$/.exec(pattern)?.[1];
    expect(term, pattern).toBeDefined();
    // The line the delivery worker logs when it gives a delivery up carries the term.
    const delivery = readFileSync(
      join(TRACKER_STACK_DEFAULTS.projectRoot, 'functions/webhooks/delivery.ts'),
      'utf8',
    );
    expect(delivery).toMatch(new RegExp(`this\\.log\\(\`[^\`]*\\b${term}\\b`));
    const [transformation] = filter.Properties?.MetricTransformations as {
      MetricNamespace: string;
      MetricName: string;
    }[];
    expect(watched()).toContain(`${transformation!.MetricNamespace} ${transformation!.MetricName} `);
  });

  it('sends every alarm, and only those, to the alarm topic', () => {
    const topic = { Ref: s.logicalId(s.stack.alarms.topic) };
    expect(alarms()).toHaveLength(2 * FUNCTION_NAMES.length + 1 + 2 + 1 + 1);
    for (const [id, alarm] of alarms()) {
      expect(alarm.AlarmActions, id).toEqual([topic]);
      expect(alarm.ComparisonOperator, id).toBe('GreaterThanThreshold');
    }
    s.template.resourceCountIs('AWS::SNS::Topic', 1);
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  /**
   * The AWS-managed key alias/aws/sns does not let CloudWatch use it: every alarm action would fail
   * (KMS access denied) and nobody would be notified. A customer-managed key would need a policy
   * granting cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*; the topic has no KMS.
   */
  it('encrypts the alarm topic with a key CloudWatch may use, or not at all', () => {
    expect(json(s.props(s.logicalId(s.stack.alarms.topic)).KmsMasterKeyId ?? '')).not.toContain(
      'alias/aws/sns',
    );
  });

  /**
   * The topic policy that enforceSSL creates replaces SNS's default policy: without a statement
   * allowing cloudwatch.amazonaws.com to publish (scoped to this account's alarms), it holds only the
   * TLS Deny.
   */
  it('lets CloudWatch alarms publish to the alarm topic', () => {
    const policies = s.ofType('AWS::SNS::TopicPolicy');
    expect(policies).toHaveLength(1);
    const statements = (policies[0]![1].Properties?.PolicyDocument as { Statement: Json[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
      }),
    );
  });
});
