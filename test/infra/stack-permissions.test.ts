/**
 * Least privilege, read from every `AWS::IAM::Policy` of the synthesized tracker stack: no wildcard
 * action, "*" resources only where AWS allows nothing narrower, the management API and the webhook
 * queue only for the functions that need them, and DynamoDB only on each function's own tables.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SPECS, type TableKey } from '../../functions/store/schema.js';
import {
  asList,
  FUNCTION_NAMES,
  FUNCTION_TABLES,
  getAtt,
  SynthesizedStack,
  type FunctionName,
  type Statement,
} from './stack-fixture.js';

let s: SynthesizedStack;

beforeAll(() => {
  s = new SynthesizedStack();
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
    // Every policy of the stack is one of theirs.
    const policyIds = s.ofType('AWS::IAM::Policy').map(([id]) => id);
    expect(new Set(owned.map(([, id]) => id))).toEqual(new Set(policyIds));
    return owned;
  }

  it('gives the functions explicit roles without managed policies (only API Gateway logging has one)', () => {
    const apiGatewayLogging = s.logicalId(s.stack.restApi.api.node.findChild('CloudWatchRole'));
    for (const [id, role] of s.ofType('AWS::IAM::Role')) {
      if (id === apiGatewayLogging) continue;
      expect(role.Properties?.ManagedPolicyArns, id).toBeUndefined();
      expect(json(role.Properties?.AssumeRolePolicyDocument), id).toContain(
        '"Service":"lambda.amazonaws.com"',
      );
    }
    expect(s.ofType('AWS::IAM::Role')).toHaveLength(FUNCTION_NAMES.length + 1);
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
