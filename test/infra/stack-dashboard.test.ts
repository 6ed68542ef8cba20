/**
 * The dashboard in the cloud, from one synthesis without bundling but with both validation plugins:
 * its private bucket (no public access, encrypted, TLS only, read by this distribution alone), the
 * CloudFront distribution (origin access control, HTTPS, security headers, the page for its own
 * addresses), the deployment and the `config.json` that points the page at the two APIs, the
 * DashboardUrl output, and the acknowledgements of the dashboard's and its deployment helper's findings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  acknowledgements,
  getAtt,
  one,
  statementsOf,
  SynthesizedStack,
  type DeploymentHelper,
  type Json,
} from './stack-fixture.js';

let s: SynthesizedStack;
let helper: DeploymentHelper;
let bucket: string;
let distribution: string;

beforeAll(() => {
  s = new SynthesizedStack({ validationPlugins: true });
  helper = s.deploymentHelper();
  bucket = s.logicalId(s.stack.dashboard.bucket);
  distribution = s.logicalId(s.stack.dashboard.distribution);
}, 120_000);

const json = (value: unknown) => JSON.stringify(value);
const objectsOf = (arn: unknown) => ({ 'Fn::Join': ['', [arn, '/*']] });
const distributionConfig = () => s.props(distribution).DistributionConfig as Json;

describe('dashboard bucket', () => {
  it('blocks all public access, is encrypted, keeps old versions 30 days, is retained and hosts no website', () => {
    expect(s.resources[bucket]?.Type).toBe('AWS::S3::Bucket');
    s.template.resourceCountIs('AWS::S3::Bucket', 1);
    const props = s.props(bucket);
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.LifecycleConfiguration).toMatchObject({
      Rules: [{ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }],
    });
    expect(props.WebsiteConfiguration).toBeUndefined();
    expect(props.AccessControl).toBeUndefined();
    expect(s.resources[bucket]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('denies every request without TLS, and lets only this distribution read objects (origin access control)', () => {
    const policies = s
      .ofType('AWS::S3::BucketPolicy')
      .filter(([, policy]) => json(policy.Properties?.Bucket) === json({ Ref: bucket }));
    const [, policy] = one(policies, 'policy of the dashboard bucket');
    const statements = statementsOf(policy);
    expect(statements).toHaveLength(2);
    expect(
      one(
        statements.filter((st) => st.Effect === 'Deny'),
        'deny statement',
      ),
    ).toEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Resource: [getAtt(bucket), objectsOf(getAtt(bucket))],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    const distributionArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':cloudfront::',
          { Ref: 'AWS::AccountId' },
          ':distribution/',
          { Ref: distribution },
        ],
      ],
    };
    expect(
      one(
        statements.filter((st) => st.Effect === 'Allow'),
        'allow statement',
      ),
    ).toEqual({
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: objectsOf(getAtt(bucket)),
      Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
    });
  });
});

describe('dashboard distribution', () => {
  it('has the bucket as its only origin, through an S3 origin access control (no OAI, no website endpoint)', () => {
    s.template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    const [oacId, oac] = one(s.ofType('AWS::CloudFront::OriginAccessControl'), 'origin access control');
    expect(oac.Properties?.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const origin = one(distributionConfig().Origins as Json[], 'origin');
    expect(origin).toMatchObject({
      DomainName: getAtt(bucket, 'RegionalDomainName'),
      OriginAccessControlId: getAtt(oacId, 'Id'),
      S3OriginConfig: { OriginAccessIdentity: '' },
    });
    expect(origin.CustomOriginConfig).toBeUndefined();
    expect((distributionConfig().DefaultCacheBehavior as Json).TargetOriginId).toBe(origin.Id);
  });

  it('redirects HTTP to HTTPS and allows GET and HEAD only, with the security headers, on every path', () => {
    const config = distributionConfig();
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
      ResponseHeadersPolicyId: { Ref: s.logicalId(headersPolicy()) },
    });
    // No other behaviour that could differ.
    expect(config.CacheBehaviors).toBeUndefined();
    expect(config.Enabled).toBe(true);
  });

  function headersPolicy() {
    return s.stack.dashboard.node.findChild('Headers');
  }

  it('sends a strict Content-Security-Policy, HSTS for a year, nosniff, DENY and no-referrer', () => {
    const [id, policy] = one(s.ofType('AWS::CloudFront::ResponseHeadersPolicy'), 'response headers policy');
    expect(id).toBe(s.logicalId(headersPolicy()));
    const headers = (policy.Properties?.ResponseHeadersPolicyConfig as Json).SecurityHeadersConfig as Json;
    expect(headers).toMatchObject({
      ContentSecurityPolicy: { ContentSecurityPolicy: expect.any(String), Override: true },
      StrictTransportSecurity: { IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    });
    const hsts = headers.StrictTransportSecurity as { AccessControlMaxAgeSec: number };
    expect(hsts.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(365 * 24 * 3600);

    const csp = cspOf(headers);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    // No inline code, no eval, no whole scheme or bare "*" anywhere: keywords, data: images, named hosts.
    for (const [directive, sources] of csp) {
      for (const source of sources) {
        const allowed =
          /^'(self|none)'$/.test(source) ||
          (directive === 'img-src' && source === 'data:') ||
          /^(https|wss):\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(source);
        expect(allowed, `${directive} ${source}`).toBe(true);
      }
    }
  });

  it('lets the page connect to its REST API and its WebSocket (connect-src)', () => {
    const [, policy] = one(s.ofType('AWS::CloudFront::ResponseHeadersPolicy'), 'response headers policy');
    const csp = cspOf((policy.Properties?.ResponseHeadersPolicyConfig as Json).SecurityHeadersConfig as Json);
    const connect = csp.get('connect-src') ?? [];
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const output of ['ApiUrl', 'WebSocketUrl']) {
      const url = new URL(sampleUrl(outputs[output]!.Value));
      const allowed = connect.some((source) => {
        const match = /^([a-z]+):\/\/(.+)$/.exec(source);
        if (!match || `${match[1]}:` !== url.protocol) return false;
        const host = match[2]!;
        return host.startsWith('*.') ? url.hostname.endsWith(host.slice(1)) : url.hostname === host;
      });
      expect(allowed, `${url.href} under connect-src ${connect.join(' ')}`).toBe(true);
    }
  });

  it('serves index.html at / and for the page addresses S3 does not know (403 and 404)', () => {
    const config = distributionConfig();
    expect(config.DefaultRootObject).toBe('index.html');
    const errors = config.CustomErrorResponses as Json[];
    expect(errors.map((error) => error.ErrorCode).sort()).toEqual([403, 404]);
    for (const error of errors) {
      expect(error, String(error.ErrorCode)).toMatchObject({
        ResponseCode: 200,
        ResponsePagePath: '/index.html',
      });
    }
  });
});

describe('dashboard deployment', () => {
  it('copies the page into the dashboard bucket (pruning old files), then invalidates every cached path', () => {
    const props = s.props(helper.deployment);
    expect(props).toMatchObject({
      DestinationBucketName: { Ref: bucket },
      Prune: true,
      DistributionId: { Ref: distribution },
      // `app.js?v=<hash>` shares its cache key with the previous `app.js` (query strings are not in it).
      DistributionPaths: ['/*'],
    });
    expect(props.DestinationBucketKeyPrefix).toBeUndefined();
  });

  it('writes config.json, last, with the REST API URL and the WebSocket URL the stack outputs give', () => {
    const props = s.props(helper.deployment) as {
      SourceObjectKeys: string[];
      SourceMarkers: Record<string, unknown>[];
      SourceMarkersConfig: Json[];
    };
    // The page first, config.json last: it replaces the page's default `{}` (the sources unzip in order).
    expect(props.SourceObjectKeys).toHaveLength(2);
    const folder = s.assetFolder(props.SourceObjectKeys[1]);
    expect(readdirSync(folder)).toEqual(['config.json']);
    const text = readFileSync(join(folder, 'config.json'), 'utf8');
    const config = JSON.parse(text) as Record<string, string>;
    expect(Object.keys(config).sort()).toEqual(['apiUrl', 'eventsUrl']);

    // Source.jsonData: the tokens are markers in the file, replaced at deploy time (JSON-escaped).
    expect(props.SourceMarkers[0]).toEqual({});
    expect(props.SourceMarkersConfig[1]).toEqual({ jsonEscape: true });
    const markers = props.SourceMarkers[1]!;
    expect(Object.keys(markers).length).toBeGreaterThan(0);
    for (const marker of Object.keys(markers)) expect(text, marker).toContain(marker);
    const deployed = (value: string) => ({
      'Fn::Join': [
        '',
        value
          .split(/(<<marker:0xbaba:\d+>>)/)
          .filter((part) => part !== '')
          .map((part) => (part in markers ? markers[part] : part)),
      ],
    });
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(deployed(config.apiUrl!)).toEqual(outputs.ApiUrl!.Value);
    expect(deployed(config.eventsUrl!)).toEqual(outputs.WebSocketUrl!.Value);
    expect(json(outputs.ApiUrl!.Value)).toContain(json({ Ref: s.logicalId(s.stack.restApi.api) }));
    expect(json(outputs.WebSocketUrl!.Value)).toContain(json({ Ref: s.logicalId(s.stack.webSocketApi.api) }));
  });

  it('outputs DashboardUrl, the https address of the distribution', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;
    expect(outputs.DashboardUrl).toEqual({
      Description: expect.stringMatching(/dashboard/i),
      Value: { 'Fn::Join': ['', ['https://', getAtt(distribution, 'DomainName'), '/']] },
    });
  });
});

describe('validation findings of the dashboard and of the deployment helper', () => {
  /** The dashboard's constructs and the helper function's (a child of the stack, named by CDK). */
  const inScope = (key: string) =>
    key.startsWith(`${s.stack.dashboard.node.path}/`) || key.startsWith(`${helperPath()}/`);
  const helperPath = () => s.pathOf(helper.function).replace(/\/Resource$/, '');

  it('leaves no unacknowledged finding, acknowledged on the very resource', () => {
    expect(s.pluginReports, 'validation-report.json').toBeDefined();
    const violations = s.pluginReports!.flatMap((report) =>
      report.violations.flatMap((v) => v.violatingConstructs.map((c) => `${c.constructPath} ${v.ruleName}`)),
    );
    expect(violations.filter(inScope)).toEqual([]);
    const guard = [...s.guardFindings()].filter(([finding]) => inScope(finding));
    expect(guard.length).toBeGreaterThan(0);
    for (const [finding, acknowledgedAt] of guard) {
      expect(acknowledgedAt, finding).toBe(finding.slice(0, finding.indexOf(' ')));
    }
  });

  it('acknowledges exactly the findings that occur, each with a written reason', () => {
    const findings = [...s.rawNagFindings(), ...s.guardFindings().keys()].filter(inScope);
    const acknowledged = [...acknowledgements(s.stack)].filter(([key]) => inScope(key));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [key, reason] of acknowledged) expect(reason.trim().length, key).toBeGreaterThan(40);
    // No finding left unacknowledged, no stale acknowledgement.
    expect(acknowledged.map(([key]) => key).sort()).toEqual([...new Set(findings)].sort());
  });

  it("acknowledges for CDK's helper only its runtime, VPC, managed basic execution role and S3 wildcards", () => {
    const path = helperPath();
    const account = `${s.stack.account}-${s.stack.region}`;
    const wildcards = [
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Resource::*',
      `Resource::<${bucket}.Arn>/*`,
      `Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${account}/*`,
    ];
    const expected = [
      `${path}/Resource AwsSolutions-L1`,
      `${path}/Resource cdk-validator-cfnguard::lambda_inside_vpc_check`,
      `${path}/ServiceRole/Resource AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]`,
      ...wildcards.map((w) => `${path}/ServiceRole/DefaultPolicy/Resource AwsSolutions-IAM5[${w}]`),
    ];
    const acknowledged = [...acknowledgements(s.stack).keys()].filter((key) => key.startsWith(`${path}/`));
    expect(acknowledged.sort()).toEqual(expected.sort());
  });
});

/** The directives of the policy's Content-Security-Policy: name → sources. */
function cspOf(headers: Json): Map<string, string[]> {
  const csp = (headers.ContentSecurityPolicy as { ContentSecurityPolicy: string }).ContentSecurityPolicy;
  return new Map(
    csp
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name!, sources]),
  );
}

/** A URL as it would deploy: the template's `Fn::Join` with sample values for the references. */
function sampleUrl(value: unknown): string {
  const join = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      if (ref) return 'a1b2c3d4e5';
      throw new Error(`unexpected part ${json(part)}`);
    })
    .join(join[0]);
}
