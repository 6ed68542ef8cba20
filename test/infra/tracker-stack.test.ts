/**
 * The tracker stack, synthesized once (with the real local esbuild bundling of the handler) and
 * checked with CDK template assertions and cdk-nag's AwsSolutions pack. No network, no Docker.
 */
import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SETTINGS_ENV } from '../../functions/config.js';
import {
  API_TABLES,
  localTableNames,
  TABLE_KEYS,
  TABLE_SPECS,
  TABLES,
} from '../../functions/store/schema.js';
import { ensureTables } from '../../local/tables.js';
import { layoutOfLocalTable, layoutOfSpec, layoutOfTemplate } from './table-layout.js';
import { TRACKER_STACK_DEFAULTS, TrackerStack, type TrackerStackProps } from '../../infra/tracker-stack.js';

const ENVIRONMENT = { account: '000000000000', region: 'eu-west-1' };

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let stack: TrackerStack;
let template: Template;
let resources: Record<string, Json>;

function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const props = (id: string) => resources[id]?.Properties as Json;

/** A second stack with non-default props; bundling skipped (dummy asset) since the first one covers it. */
function synthWithoutBundling(extra: TrackerStackProps): { stack: TrackerStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const other = new TrackerStack(app, 'Other', { env: ENVIRONMENT, ...extra });
  return { stack: other, template: Template.fromStack(other) };
}

beforeAll(() => {
  const app = new App();
  stack = new TrackerStack(app, 'Tracker', { env: ENVIRONMENT });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Json>;
}, 120_000);

describe('tables', () => {
  it('creates every table of the table list: on demand, encrypted, PITR, deletion-protected, retained', () => {
    for (const key of TABLE_KEYS) {
      const id = logicalId(stack.tables.byKey[key]);
      expect(resources[id], key).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(props(id), key).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      });
    }
    expect(Object.keys(template.findResources('AWS::DynamoDB::Table'))).toHaveLength(TABLE_KEYS.length);
  });

  it('gives each table exactly the keys, indexes, stream and TTL of its entry, as the local tables get', async () => {
    const db = new DynamoDBClient({
      endpoint: inject('dynamodbEndpoint'),
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const names = localTableNames(`drift${process.pid}`);
    await ensureTables(db, names);
    for (const key of TABLE_KEYS) {
      const expected = layoutOfSpec(TABLE_SPECS[key]);
      expect(
        layoutOfTemplate(props(logicalId(stack.tables.byKey[key]))),
        `${key} in the CDK template`,
      ).toEqual(expected);
      expect(await layoutOfLocalTable(db, names[key]), `${key} on DynamoDB Local`).toEqual(expected);
    }
    db.destroy();
  });
});

describe('API function', () => {
  it('runs the bundled handler on nodejs22.x / arm64 with the config the handler reads', () => {
    expect(props(logicalId(stack.apiFunction.function))).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 29,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: logicalId(stack.apiFunction.logGroup) } },
      Environment: {
        Variables: {
          ...Object.fromEntries(
            API_TABLES.map((key) => [TABLES[key].env, { Ref: logicalId(stack.tables.byKey[key]) }]),
          ),
          [SETTINGS_ENV.authMode]: 'jwt',
          [SETTINGS_ENV.authorMode]: String(TRACKER_STACK_DEFAULTS.authorMode),
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('has a role with no managed policies and only table, own-log and X-Ray permissions', () => {
    const roleId = logicalId(stack.apiFunction.role);
    expect(props(roleId).ManagedPolicyArns).toBeUndefined();
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify((policy.Properties as Json).Roles).includes(roleId),
    );
    const statements = policies.flatMap(
      (policy) => ((policy.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(statements.length).toBeGreaterThan(0);

    // Exactly the tables the REST handler reads its names of (and their indexes), nothing else.
    const allowedTableResources = API_TABLES.flatMap((key) => {
      const table = getAtt(logicalId(stack.tables.byKey[key]));
      return TABLE_SPECS[key].indexes.length ? [table, { 'Fn::Join': ['', [table, '/index/*']] }] : [table];
    }).map((resource) => JSON.stringify(resource));
    const tablesSeen = new Set<string>();

    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      const actions = [statement.Action].flat();
      const resourcesOf = [statement.Resource].flat().map((resource) => JSON.stringify(resource));
      for (const action of actions) expect(action).not.toContain('*');
      const services = new Set(actions.map((action) => action.split(':')[0]));
      expect(services.size, JSON.stringify(actions)).toBe(1);
      const [service] = services;
      if (service === 'dynamodb') {
        for (const resource of resourcesOf) {
          expect(allowedTableResources).toContain(resource);
          tablesSeen.add(resource);
        }
      } else if (service === 'logs') {
        expect(resourcesOf).toEqual([JSON.stringify(getAtt(logicalId(stack.apiFunction.logGroup)))]);
      } else {
        expect(service).toBe('xray');
        expect(actions.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }
    expect([...tablesSeen].sort()).toEqual([...allowedTableResources].sort());
  });
});

describe('REST API', () => {
  it('proxies ANY on /api and /api/{proxy+} to the function, regional, compressed', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      MinimumCompressionSize: 1024,
      BinaryMediaTypes: Match.absent(),
    });
    const apiResources = template.findResources('AWS::ApiGateway::Resource', {
      Properties: { PathPart: 'api' },
    });
    const [apiResourceId] = Object.keys(apiResources);
    expect(apiResourceId).toBeDefined();
    const proxy = template.findResources('AWS::ApiGateway::Resource', {
      Properties: { PathPart: '{proxy+}', ParentId: { Ref: apiResourceId } },
    });
    expect(Object.keys(proxy)).toHaveLength(1);

    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).toHaveLength(2);
    const fnArn = getAtt(logicalId(stack.apiFunction.function));
    for (const method of methods) {
      expect(method.Properties).toMatchObject({
        HttpMethod: 'ANY',
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(JSON.stringify(method.Properties)).toContain(JSON.stringify(fnArn));
    }
  });

  it('deploys stage prod with access logs, ERROR execution logs without bodies, tracing and throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: getAtt(logicalId(stack.restApi.accessLogs)) },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: TRACKER_STACK_DEFAULTS.throttlingRateLimit,
          ThrottlingBurstLimit: TRACKER_STACK_DEFAULTS.throttlingBurstLimit,
        }),
      ],
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it('outputs the API url ending in api/ and the table names', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toMatch(/"\/api\/"\]\]\}$/);
    expect(outputs.NodesTableName?.Value).toEqual({ Ref: logicalId(stack.tables.byKey.nodes) });
    expect(outputs.AuthTableName?.Value).toEqual({ Ref: logicalId(stack.tables.byKey.auth) });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only findings that exist, each on its own resource with a reason', () => {
    // The pack with acknowledgements ignored (private hook, cdk-nag is pinned) lists the raw findings.
    const rawPack = new AwsSolutionsChecks();
    Object.defineProperty(rawPack, 'isAcknowledged', { value: () => false });
    const raw = rawPack.validateScope(stack);
    expect(raw.violations.length).toBeGreaterThan(0);
    const findings = new Set(
      raw.violations.flatMap((v) => v.violatingResources.map((r) => `${r.constructPath} ${v.ruleName}`)),
    );
    const acknowledged: string[] = [];
    for (const construct of stack.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          expect(reason.length, id).toBeGreaterThan(40);
          acknowledged.push(`${construct.node.path} ${id.replace(/^annotation::/i, '')}`);
        }
      }
    }
    expect(acknowledged.sort()).toEqual([...findings].sort());
  });

  it('leaves no CDK error or warning annotation', () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('stack props', () => {
  it('passes authorMode, throttling and a WAF web ACL through (and then needs no APIG3 acknowledgement)', () => {
    const webAclArn = 'arn:aws:wafv2:eu-west-1:000000000000:regional/webacl/tracker/0000';
    const other = synthWithoutBundling({
      authorMode: true,
      throttlingRateLimit: 50,
      throttlingBurstLimit: 100,
      webAclArn,
    });
    other.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [SETTINGS_ENV.authorMode]: 'true' }) },
    });
    other.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
    });
    other.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: webAclArn });
    expect(new AwsSolutionsChecks().validateScope(other.stack).violations).toEqual([]);
  });

  it('rejects invalid throttling limits', () => {
    expect(() => synthWithoutBundling({ throttlingRateLimit: 0 })).toThrow(/throttlingRateLimit/);
    expect(() => synthWithoutBundling({ throttlingBurstLimit: 1.5 })).toThrow(/throttlingBurstLimit/);
  });
});
