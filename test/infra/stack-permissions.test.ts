/**
 * Least privilege, read from every `AWS::IAM::Policy` of the synthesized tracker stack: no wildcard
 * action, "*" resources only where AWS allows nothing narrower, the management API and the webhook
 * queue only for the functions that need them, and DynamoDB only on each function's own tables.
 * The one exception, CDK's BucketDeployment helper (which copies the dashboard into its bucket), is
 * recognised explicitly and pinned: S3 on the CDK assets bucket and the dashboard bucket only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SPECS, type TableKey } from '../../functions/store/schema.js';
import {
  asList,
  ENVIRONMENT,
  FUNCTION_NAMES,
  FUNCTION_TABLES,
  getAtt,
  SynthesizedStack,
  type DeploymentHelper,
  type FunctionName,
  type Statement,
} from './stack-fixture.js';

let s: SynthesizedStack;
let helper: DeploymentHelper;

beforeAll(() => {
  s = new SynthesizedStack();
  helper = s.deploymentHelper();
}, 60_000);

describe('least privilege', () => {
  const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
  const json = (value: unknown) => JSON.stringify(value);
  /** Every policy statement with the function whose role it is attached to. */
  function statementsByFunction(): [FunctionName, string, Statement][] {
    const owned: [FunctionName, string, Statement][] = [];
    for (const name of FUNCTION_NAMES) {
      const policies = s.policiesOfRole(s.logicalId(s.trackerFunction(name).role));
      expect(policies, name).toHaveLength(1);
      for (const [id, statements] of policies)
        owned.push(...statements.map((st): [FunctionName, string, Statement] => [name, id, st]));
    }
    // Every policy of the stack is one of theirs, or the deployment helper's (checked on its own below).
    const policyIds = s.ofType('AWS::IAM::Policy').map(([id]) => id);
    expect(owned.map(([, id]) => id)).not.toContain(helper.policy);
    expect(new Set([...owned.map(([, id]) => id), helper.policy])).toEqual(new Set(policyIds));
    return owned;
  }

  it('gives the functions explicit roles without managed policies (only API Gateway logging and the deployment helper have one)', () => {
    const apiGatewayLogging = s.logicalId(s.stack.restApi.api.node.findChild('CloudWatchRole'));
    const functionRoles = FUNCTION_NAMES.map((name) => s.logicalId(s.trackerFunction(name).role));
    for (const id of [...functionRoles, helper.role]) {
      const role = s.resources[id];
      expect(role?.Type, id).toBe('AWS::IAM::Role');
      expect(json(role?.Properties?.AssumeRolePolicyDocument), id).toContain(
        '"Service":"lambda.amazonaws.com"',
      );
      if (id !== helper.role) expect(role?.Properties?.ManagedPolicyArns, id).toBeUndefined();
    }
    // CDK's helper has the AWS managed basic execution role (its logs), and nothing more.
    expect(s.props(helper.role).ManagedPolicyArns).toEqual([
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        ],
      },
    ]);
    expect(helper.role).not.toBe(apiGatewayLogging);
    // No other role.
    expect(
      s
        .ofType('AWS::IAM::Role')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...functionRoles, apiGatewayLogging, helper.role].sort());
  });

  it('allows no wildcard action, and Resource "*" only for the X-Ray actions (and ListStreams of the stream reader)', () => {
    for (const [name, id, statement] of statementsByFunction()) {
      expect(statement.Effect, id).toBe('Allow');
      const actions = asList(statement.Action);
      for (const action of actions) expect(action, id).not.toContain('*');
      if (!asList(statement.Resource).includes('*')) continue;
      expect(statement.Resource, id).toBe('*');
      // dynamodb:ListStreams supports no resource-level permission; Lambda needs it to read the stream.
      const allowed = name === 'fanoutFunction' ? [...XRAY, 'dynamodb:ListStreams'] : XRAY;
      for (const action of actions) expect(allowed, `${id}: ${action} on *`).toContain(action);
    }
  });

  it('lets only the WebSocket and fan-out functions manage connections, on this API stage only', () => {
    const connections = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:execute-api:${s.stack.region}:${s.stack.account}:`,
          { Ref: s.logicalId(s.stack.webSocketApi.api) },
          '/prod/*/@connections/*',
        ],
      ],
    };
    const managers = new Set<FunctionName>();
    for (const [name, id, statement] of statementsByFunction()) {
      const actions = asList(statement.Action);
      if (!actions.some((action) => action.startsWith('execute-api:'))) continue;
      managers.add(name);
      expect(actions, id).toEqual(['execute-api:ManageConnections']);
      expect(statement.Resource, id).toEqual(connections);
    }
    expect([...managers].sort()).toEqual(['fanoutFunction', 'webSocketFunction']);
  });

  it('lets only the fan-out send to the webhook queue (and its failure queue), only delivery receive', () => {
    const webhookQueue = json(getAtt(s.logicalId(s.stack.webhookQueue)));
    const fanoutFailures = json(getAtt(s.logicalId(s.stack.fanoutFailures)));
    const sqs: string[] = [];
    for (const [name, id, statement] of statementsByFunction()) {
      const actions = asList(statement.Action);
      if (!actions.some((action) => action.startsWith('sqs:'))) continue;
      const resources = asList(statement.Resource).map(json);
      expect(resources, id).toHaveLength(1);
      const queue =
        resources[0] === webhookQueue ? 'webhook' : resources[0] === fanoutFailures ? 'failures' : '?';
      const sends = actions.includes('sqs:SendMessage');
      const receives = actions.includes('sqs:ReceiveMessage');
      expect(sends !== receives, `${id}: ${actions.join(' ')}`).toBe(true);
      sqs.push(`${name} ${sends ? 'send' : 'receive'} ${queue}`);
    }
    expect(sqs.sort()).toEqual([
      'deliveryFunction receive webhook',
      'fanoutFunction send failures',
      'fanoutFunction send webhook',
    ]);
  });

  it("limits each function's DynamoDB actions to its own tables (and their indexes), logs to its own group", () => {
    const nodesStream = json(getAtt(s.tableId('nodes'), 'StreamArn'));
    const seen = new Map<FunctionName, Set<string>>();
    for (const [name, id, statement] of statementsByFunction()) {
      const actions = asList(statement.Action);
      const services = new Set(actions.map((action) => action.split(':')[0]));
      expect(services.size, `${id}: ${actions.join(' ')}`).toBe(1);
      const [service] = services;
      const resources = asList(statement.Resource).map(json);
      if (service === 'logs') {
        expect(resources, id).toEqual([json(getAtt(s.logicalId(s.trackerFunction(name).logGroup)))]);
        expect(actions.sort(), id).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        continue;
      }
      if (service !== 'dynamodb') continue;
      const own = ownTableResources(FUNCTION_TABLES[name]);
      for (const resource of resources) {
        if (resource === '"*"' || resource === nodesStream) {
          // The nodes stream, read by the fan-out's event source mapping.
          expect(name, id).toBe('fanoutFunction');
          expect(
            actions.every((action) =>
              /^dynamodb:(ListStreams|DescribeStream|GetRecords|GetShardIterator)$/.test(action),
            ),
            `${id}: ${actions.join(' ')}`,
          ).toBe(true);
          continue;
        }
        expect(own, `${id} (${name}): ${resource}`).toContain(resource);
        if (!seen.has(name)) seen.set(name, new Set());
        seen.get(name)!.add(resource);
      }
    }
    for (const name of FUNCTION_NAMES) {
      expect([...(seen.get(name) ?? [])].sort(), `${name} is granted all its tables`).toEqual(
        ownTableResources(FUNCTION_TABLES[name]).sort(),
      );
    }
  });

  function ownTableResources(keys: readonly TableKey[]): string[] {
    return keys.flatMap((key) => {
      const table = getAtt(s.tableId(key));
      const withIndexes = TABLE_SPECS[key].indexes.length > 0;
      return (withIndexes ? [table, { 'Fn::Join': ['', [table, '/index/*']] }] : [table]).map(json);
    });
  }
});

describe("CDK's BucketDeployment helper: the one CDK-managed function", () => {
  const json = (value: unknown) => JSON.stringify(value);
  const READ = ['s3:GetBucket*', 's3:GetObject*', 's3:List*'];
  const WRITE = [
    's3:Abort*',
    's3:DeleteObject*',
    's3:PutObject',
    's3:PutObjectLegalHold',
    's3:PutObjectRetention',
    's3:PutObjectTagging',
    's3:PutObjectVersionTagging',
  ];

  it('is the function serving the dashboard deployment: CDK code, its own role, no tracker resource', () => {
    expect(s.resources[helper.deployment]?.Type).toBe('Custom::CDKBucketDeployment');
    s.template.resourceCountIs('Custom::CDKBucketDeployment', 1);
    const props = s.props(helper.function);
    expect(props).toMatchObject({
      Runtime: expect.stringMatching(/^python3\.\d+$/),
      Role: getAtt(helper.role),
    });
    expect(props.VpcConfig).toBeUndefined();
    // Not one of the tracker's functions, and told nothing about the stack's resources.
    expect(FUNCTION_NAMES.map((name) => s.functionId(name))).not.toContain(helper.function);
    expect(json(props.Environment ?? {})).not.toMatch(/"Ref"|"Fn::GetAtt"|"Fn::ImportValue"/);
    // It is the only function nothing of the tracker defines.
    expect(s.ofType('AWS::Lambda::Function')).toHaveLength(FUNCTION_NAMES.length + 1);
  });

  it('may only read the CDK assets bucket, write the dashboard bucket and invalidate the CDN: nothing else', () => {
    const statements = s.resources[helper.policy]!.Properties!.PolicyDocument as { Statement: Statement[] };
    // resource → its actions, over every statement.
    const grants = new Map<string, Set<string>>();
    for (const statement of statements.Statement) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Condition).toBeUndefined();
      for (const action of asList(statement.Action)) {
        expect(action, 'no tracker data or API').not.toMatch(
          /^(dynamodb|sqs|execute-api|sns|lambda|iam|kms):/,
        );
        for (const resource of asList(statement.Resource)) {
          const key = json(resource);
          if (!grants.has(key)) grants.set(key, new Set());
          grants.get(key)!.add(action);
        }
      }
    }
    // The CDK bootstrap's asset bucket (read), the dashboard bucket (read and write), each with its objects.
    const assets = (suffix: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:s3:::cdk-hnb659fds-assets-${ENVIRONMENT.account}-${ENVIRONMENT.region}${suffix}`,
        ],
      ],
    });
    const dashboard = getAtt(s.logicalId(s.stack.dashboard.bucket));
    const readWrite = [...READ, ...WRITE].sort();
    expect(
      Object.fromEntries([...grants].map(([resource, actions]) => [resource, [...actions].sort()])),
    ).toEqual({
      [json(assets(''))]: READ,
      [json(assets('/*'))]: READ,
      [json(dashboard)]: readWrite,
      [json({ 'Fn::Join': ['', [dashboard, '/*']] })]: readWrite,
      // CloudFront invalidation after each deployment (CDK grants it on "*").
      '"*"': ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'],
    });
  });
});
