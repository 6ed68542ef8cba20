/**
 * The tracker stack, synthesized once as infra/app.ts does it: the real local esbuild bundling of
 * every handler, and the cdk-nag AwsSolutions and cfn-guard (Control Tower) validation plugins.
 * Tables, functions and their bundles, the dashboard page's bundle, validation findings and their
 * acknowledgements, stack props. The other stack-*.test.ts files check the rest (without bundling):
 * stack-apis (REST, WebSocket, outputs), stack-async (stream mapping, queues, schedules, alarms),
 * stack-permissions (IAM), stack-dashboard (S3, CloudFront, config.json).
 */
import { FileSystem } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SETTINGS_ENV } from '../../functions/config.js';
import { localTableNames, TABLE_KEYS, TABLE_SPECS, TABLES } from '../../functions/store/schema.js';
import { ensureTables } from '../../local/tables.js';
import { layoutOfLocalTable, layoutOfSpec, layoutOfTemplate } from './table-layout.js';
import { TRACKER_STACK_DEFAULTS } from '../../infra/tracker-stack.js';
import {
  acknowledgements,
  asList,
  FUNCTION_NAMES,
  FUNCTION_TABLES,
  one,
  SynthesizedStack,
  type FunctionName,
} from './stack-fixture.js';

let s: SynthesizedStack;

beforeAll(() => {
  s = new SynthesizedStack({ bundling: true, validationPlugins: true });
}, 120_000);

const TABLE_ENVS: string[] = TABLE_KEYS.map((key) => TABLES[key].env);

describe('tables', () => {
  it('creates every table of the table list: on demand, encrypted, PITR, deletion-protected, retained', () => {
    for (const key of TABLE_KEYS) {
      const id = s.tableId(key);
      expect(s.resources[id], key).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(s.props(id), key).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
      });
    }
    s.template.resourceCountIs('AWS::DynamoDB::Table', TABLE_KEYS.length);
    // The fan-out reads the nodes table's changes with both images.
    expect(s.props(s.tableId('nodes')).StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
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
      expect(layoutOfTemplate(s.props(s.tableId(key))), `${key} in the CDK template`).toEqual(expected);
      expect(await layoutOfLocalTable(db, names[key]), `${key} on DynamoDB Local`).toEqual(expected);
    }
    db.destroy();
  });
});

describe('functions', () => {
  it('runs every function on nodejs22.x / arm64, index.handler, JSON logs in its own group, traced', () => {
    // The tracker's own functions, and CDK's BucketDeployment helper (checked in stack-permissions).
    const functions = s.ofType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(
      [...FUNCTION_NAMES.map((name) => s.functionId(name)), s.deploymentHelper().function].sort(),
    );
    for (const name of FUNCTION_NAMES) {
      expect(s.props(s.functionId(name)), name).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: {
          LogFormat: 'JSON',
          LogGroup: { Ref: s.logicalId(s.trackerFunction(name).logGroup) },
        },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      });
    }
    // Function and access logs are kept one year.
    const logGroups = s.ofType('AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(FUNCTION_NAMES.length + 2);
    for (const [id, group] of logGroups) expect(group.Properties?.RetentionInDays, id).toBe(365);
  });

  it('tells each function the names of exactly the tables of its list, and no other', () => {
    for (const name of FUNCTION_NAMES) {
      const variables = (s.props(s.functionId(name)).Environment as { Variables: Record<string, unknown> })
        .Variables;
      const tableVariables = Object.fromEntries(
        Object.entries(variables).filter(([variable]) => TABLE_ENVS.includes(variable)),
      );
      expect(tableVariables, name).toEqual(
        Object.fromEntries(
          FUNCTION_TABLES[name].map((key) => [TABLES[key].env, { Ref: s.tableId(key) }] as const),
        ),
      );
    }
  });

  it('gives the management endpoint to the WebSocket and fan-out functions, the webhook queue to the fan-out', () => {
    const endpoint = {
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: s.logicalId(s.stack.webSocketApi.api) },
          `.execute-api.${s.stack.region}.`,
          { Ref: 'AWS::URLSuffix' },
          '/prod',
        ],
      ],
    };
    const variable = (name: FunctionName, key: string) =>
      (s.props(s.functionId(name)).Environment as { Variables: Record<string, unknown> }).Variables[key];
    for (const name of FUNCTION_NAMES) {
      const withEndpoint = name === 'webSocketFunction' || name === 'fanoutFunction';
      expect(variable(name, SETTINGS_ENV.websocketEndpoint), name).toEqual(
        withEndpoint ? endpoint : undefined,
      );
      expect(variable(name, SETTINGS_ENV.webhookQueueUrl), name).toEqual(
        name === 'fanoutFunction' ? { Ref: s.logicalId(s.stack.webhookQueue) } : undefined,
      );
    }
  });

  it('runs the REST handler with the config it reads, within API Gateway timeout', () => {
    expect(s.props(s.functionId('apiFunction'))).toMatchObject({
      MemorySize: 1024,
      Timeout: 29,
      Environment: {
        Variables: {
          [SETTINGS_ENV.authMode]: 'jwt',
          [SETTINGS_ENV.authorMode]: String(TRACKER_STACK_DEFAULTS.authorMode),
        },
      },
    });
    expect(s.props(s.functionId('webSocketFunction'))).toMatchObject({
      Timeout: 29,
      Environment: { Variables: { [SETTINGS_ENV.authMode]: 'jwt' } },
    });
  });

  it('deploys each handler as one esbuild ES module with its source map, the AWS SDK left to the runtime', () => {
    const folders = new Set<string>();
    for (const name of FUNCTION_NAMES) {
      const folder = s.codeFolder(name);
      folders.add(folder);
      const files = readdirSync(folder);
      expect(files, name).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map']));
      // Nothing else goes into the function's zip.
      expect(files.sort(), name).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(folder, 'index.mjs'), 'utf8');
      expect(code, name).toMatch(
        /export\s*\{[^}]*\bas handler\b[^}]*\};?\s*(\/\/# sourceMappingURL=index\.mjs\.map\s*)?$/,
      );
      // The SDK is imported from the runtime, not bundled; the bundle stays small.
      expect(code, name).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
      expect(code, name).not.toMatch(/"node_modules\/@aws-sdk\//);
      expect(statSync(join(folder, 'index.mjs')).size, name).toBeLessThan(500_000);
    }
    expect(folders.size).toBe(FUNCTION_NAMES.length);
  });
});

describe('dashboard page', () => {
  it('deploys the page built by the local bundling, hashed by its built files, followed by config.json', () => {
    const { SourceObjectKeys: keys } = s.props(s.deploymentHelper().deployment) as {
      SourceObjectKeys: string[];
    };
    // The page first, config.json (stack-dashboard checks it) last: it replaces the page's default one.
    expect(keys).toHaveLength(2);
    const page = s.assetFolder(keys[0]);
    expect(readdirSync(page).sort()).toEqual(['app.css', 'app.js', 'config.json', 'index.html']);
    const html = readFileSync(join(page, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" src="app\.js\?v=[0-9a-f]{12}"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="app\.css\?v=[0-9a-f]{12}" \/>/);
    expect(readdirSync(s.assetFolder(keys[1]))).toEqual(['config.json']);
    // Hashed by what was built, not by the repository (whose every file would otherwise redeploy the page).
    expect(keys[0]).toBe(`${FileSystem.fingerprint(page, { exclude: ['.is_custom_resource'] })}.zip`);
  });
});

describe('cdk-nag AwsSolutions and cfn-guard (Control Tower proactive controls)', () => {
  it('leave no unacknowledged finding when the app synthesizes with both plugins', () => {
    const reports = s.pluginReports;
    expect(reports, 'validation-report.json').toBeDefined();
    const findings = reports!.flatMap((report) =>
      report.violations.map(
        (v) =>
          `${report.pluginName} ${v.ruleName}: ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
      ),
    );
    expect(findings).toEqual([]);
    for (const report of reports!) expect(report.conclusion, report.pluginName).toBe('success');
    // cfn-guard ran: what it found is in the report, every finding acknowledged.
    expect(reports!.map((report) => report.pluginName)).toContain('cdk-validator-cfnguard');
    // And the AwsSolutions pack on its own agrees.
    const nag = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(s.stack);
    expect(nag.violations).toEqual([]);
    expect(nag.success).toBe(true);
  });

  /** cdk-nag's findings with acknowledgements ignored. */
  function rawNagFindings(): Set<string> {
    const found = s.rawNagFindings();
    expect(found.size).toBeGreaterThan(0);
    return found;
  }

  /** cfn-guard's findings, from the acknowledged (suppressed) violations of the report. */
  function guardFindings(): Set<string> {
    const found = s.guardFindings();
    expect(found.size).toBeGreaterThan(0);
    for (const [finding, acknowledgedAt] of found) {
      // Acknowledged on the very resource, not on a scope above it.
      expect(acknowledgedAt, finding).toBe(finding.slice(0, finding.indexOf(' ')));
    }
    return new Set(found.keys());
  }

  it('acknowledges every finding on the resource where it occurs, each with a written reason', () => {
    const acknowledged = acknowledgements(s.stack);
    for (const [key, reason] of acknowledged) expect(reason.trim().length, key).toBeGreaterThan(40);
    const findings = [...rawNagFindings(), ...guardFindings()];
    expect(findings.filter((finding) => !acknowledged.has(finding))).toEqual([]);
  });

  // E.g. AwsSolutions-SQS3 on a queue that is another queue's dead-letter queue, which cdk-nag does
  // not report (infra/tracker-stack.ts, `queue()`).
  it('acknowledges only findings that occur (no stale acknowledgement)', () => {
    const findings = new Set([...rawNagFindings(), ...guardFindings()]);
    const stale = [...acknowledgements(s.stack).keys()].filter((key) => !findings.has(key));
    expect(stale.sort()).toEqual([]);
  });

  // E.g. the fan-out's dynamodb:ListStreams on "*" (added by DynamoEventSource) next to X-Ray's actions.
  it('explains every action on Resource "*" in the acknowledgement of that wildcard', () => {
    const acknowledged = acknowledgements(s.stack);
    const unexplained: string[] = [];
    // The policies of the tracker's functions and of the BucketDeployment helper.
    const policies = [
      ...FUNCTION_NAMES.map((name) => one(s.policiesOfRole(s.logicalId(s.trackerFunction(name).role)), name)),
      one(s.policiesOfRole(s.deploymentHelper().role), 'deployment helper'),
    ];
    expect(policies).toHaveLength(FUNCTION_NAMES.length + 1);
    for (const [id, statements] of policies) {
      const path = s.pathOf(id);
      const reason = acknowledged.get(`${path} AwsSolutions-IAM5[Resource::*]`) ?? '';
      for (const statement of statements) {
        if (statement.Resource !== '*') continue;
        for (const action of asList(statement.Action)) {
          if (!reason.includes(action.split(':')[1]!)) unexplained.push(`${path} ${action}`);
        }
      }
    }
    expect(unexplained.sort()).toEqual([]);
  });

  it('leaves no CDK error or warning annotation', () => {
    // The messages of the synthesis above (Annotations.fromStack would synthesize, and bundle, again).
    const messages = s.assembly.getStackArtifact(s.stack.artifactId).messages;
    expect(messages.filter((m) => m.level === 'error' || m.level === 'warning')).toEqual([]);
  });
});

describe('stack props', () => {
  const webAclArn = 'arn:aws:wafv2:eu-west-1:000000000000:regional/webacl/tracker/0000';
  let other: SynthesizedStack;
  beforeAll(() => {
    other = new SynthesizedStack({
      id: 'Other',
      props: {
        authorMode: true,
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
        webAclArn,
        deletionProtection: false,
        alarmEmail: 'ops@example.com',
      },
    });
  }, 60_000);

  it('passes authorMode, throttling and a WAF web ACL through (and then needs no APIG3 acknowledgement)', () => {
    other.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [SETTINGS_ENV.authorMode]: 'true' }) },
    });
    other.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
    });
    other.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    other.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: webAclArn });
    expect(new AwsSolutionsChecks().validateScope(other.stack).violations).toEqual([]);
  });

  it('makes throw-away tables with deletionProtection: false (no protection, deleted with the stack)', () => {
    const tables = other.ofType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(TABLE_KEYS.length);
    for (const [id, table] of tables) {
      expect(table, id).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      expect(table.Properties, id).toMatchObject({
        DeletionProtectionEnabled: false,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it('subscribes alarmEmail to the alarm topic (and nothing by default)', () => {
    other.template.resourceCountIs('AWS::SNS::Subscription', 1);
    other.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: other.logicalId(other.stack.alarms.topic) },
    });
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('rejects invalid throttling limits', () => {
    expect(() => new SynthesizedStack({ props: { throttlingRateLimit: 0 } })).toThrow(/throttlingRateLimit/);
    expect(() => new SynthesizedStack({ props: { throttlingBurstLimit: 1.5 } })).toThrow(
      /throttlingBurstLimit/,
    );
  });
});
