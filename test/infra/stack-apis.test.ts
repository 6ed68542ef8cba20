/**
 * The tracker's two APIs and the stack outputs, from one synthesis without bundling: the damas REST
 * API (`/api`, `/api/{proxy+}`, `GET /metrics`) and the change-events WebSocket API.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../functions/store/schema.js';
import { TRACKER_STACK_DEFAULTS } from '../../infra/tracker-stack.js';
import { getAtt, one, SynthesizedStack, type Json } from './stack-fixture.js';

let s: SynthesizedStack;
let restApi: string;
let webSocketApi: string;

beforeAll(() => {
  s = new SynthesizedStack();
  restApi = s.logicalId(s.stack.restApi.api);
  webSocketApi = s.logicalId(s.stack.webSocketApi.api);
}, 60_000);

const json = (value: unknown) => JSON.stringify(value);

describe('REST API', () => {
  it('is regional and compressed, without binary media types', () => {
    s.template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    s.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      MinimumCompressionSize: 1024,
      BinaryMediaTypes: Match.absent(),
    });
  });

  it('proxies ANY /api, ANY /api/{proxy+} and GET /metrics to the API function, nothing else', () => {
    const root = getAtt(restApi, 'RootResourceId');
    const pathOf = new Map<string, string>();
    for (const [id, resource] of s.ofType('AWS::ApiGateway::Resource')) {
      const { PathPart, ParentId } = resource.Properties as { PathPart: string; ParentId: unknown };
      const parent = json(ParentId) === json(root) ? '' : pathOf.get((ParentId as { Ref: string }).Ref);
      expect(parent, `${id} hangs under a known resource`).toBeDefined();
      pathOf.set(id, `${parent}/${PathPart}`);
    }
    expect([...pathOf.values()].sort()).toEqual(['/api', '/api/{proxy+}', '/metrics']);

    const apiFunction = json(getAtt(s.functionId('apiFunction')));
    const routes: string[] = [];
    for (const [id, method] of s.ofType('AWS::ApiGateway::Method')) {
      const props = method.Properties as {
        HttpMethod: string;
        ResourceId: { Ref: string };
        Integration: Json;
      };
      expect(props.Integration, id).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(json(props.Integration.Uri), id).toContain(apiFunction);
      routes.push(`${props.HttpMethod} ${pathOf.get(props.ResourceId.Ref)}`);
    }
    expect(routes.sort()).toEqual(['ANY /api', 'ANY /api/{proxy+}', 'GET /metrics']);

    // One invoke permission per method, for this API only.
    const permissions = s
      .ofType('AWS::Lambda::Permission')
      .filter(([, permission]) => json(permission.Properties?.SourceArn).includes(json({ Ref: restApi })));
    expect(permissions).toHaveLength(3);
    for (const [id, permission] of permissions) {
      expect(permission.Properties, id).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        FunctionName: getAtt(s.functionId('apiFunction')),
      });
    }
  });

  it('deploys stage prod with access logs, ERROR execution logs without bodies, tracing and throttling', () => {
    s.template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      RestApiId: { Ref: restApi },
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: getAtt(s.logicalId(s.stack.restApi.accessLogs)),
        Format: Match.stringLikeRegexp('"status":"\\$context.status"'),
      },
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
    s.template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });
});

describe('WebSocket API', () => {
  const ROUTES = ['$connect', '$default', '$disconnect', 'ping', 'subscribe'];

  it('is a WEBSOCKET API choosing routes on $request.body.action', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    expect(s.resources[webSocketApi]?.Type).toBe('AWS::ApiGatewayV2::Api');
    expect(s.props(webSocketApi)).toMatchObject({
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('routes $connect, $disconnect, $default, subscribe and ping to the WebSocket function', () => {
    const routes = s.ofType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, route]) => route.Properties?.RouteKey).sort()).toEqual(ROUTES);
    const webSocketFunction = json(getAtt(s.functionId('webSocketFunction')));
    for (const [id, route] of routes) {
      expect(route.Properties?.ApiId, id).toEqual({ Ref: webSocketApi });
      const target = route.Properties?.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
      expect(target['Fn::Join'][1][0], id).toBe('integrations/');
      const integration = s.props(target['Fn::Join'][1][1].Ref);
      expect(integration, id).toMatchObject({ ApiId: { Ref: webSocketApi }, IntegrationType: 'AWS_PROXY' });
      expect(json(integration.IntegrationUri), id).toContain(webSocketFunction);
    }
    // API Gateway may invoke the function for each route of this API.
    const permissions = s
      .ofType('AWS::Lambda::Permission')
      .filter(([, permission]) =>
        json(permission.Properties?.SourceArn).includes(json({ Ref: webSocketApi })),
      );
    expect(permissions).toHaveLength(ROUTES.length);
    for (const [id, permission] of permissions) {
      expect(permission.Properties, id).toMatchObject({
        Principal: 'apigateway.amazonaws.com',
        FunctionName: getAtt(s.functionId('webSocketFunction')),
      });
    }
  });

  it('deploys stage prod with throttling and JSON access logs', () => {
    const [id, stage] = one(s.ofType('AWS::ApiGatewayV2::Stage'), 'WebSocket stage');
    expect(stage.Properties, id).toMatchObject({
      ApiId: { Ref: webSocketApi },
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: TRACKER_STACK_DEFAULTS.throttlingRateLimit,
        ThrottlingBurstLimit: TRACKER_STACK_DEFAULTS.throttlingBurstLimit,
      },
      AccessLogSettings: { DestinationArn: getAtt(s.logicalId(s.stack.webSocketApi.accessLogs)) },
    });
    const format = JSON.parse((stage.Properties?.AccessLogSettings as { Format: string }).Format) as Json;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      connectionId: '$context.connectionId',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
  });

  /**
   * WebSocket access logs need the account's API Gateway CloudWatch role, which
   * `AWS::ApiGateway::Account` (made by the REST API) sets: without the dependency, a first deployment
   * in a fresh account/region can fail on the stage.
   */
  it('creates the WebSocket stage after the account-level API Gateway logging role', () => {
    const [accountId] = one(s.ofType('AWS::ApiGateway::Account'), 'API Gateway account');
    const [stageId, stage] = one(s.ofType('AWS::ApiGatewayV2::Stage'), 'WebSocket stage');
    expect(stage.DependsOn ?? [], stageId).toContain(accountId);
  });
});

describe('outputs', () => {
  it('outputs the REST url ending in api/, the WebSocket url, the alarm topic and every table name', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const apiUrl = json(outputs.ApiUrl?.Value);
    expect(apiUrl).toContain(json({ Ref: restApi }));
    expect(apiUrl).toMatch(/"\/api\/"\]\]\}$/);
    expect(outputs.WebSocketUrl?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'wss://',
          { Ref: webSocketApi },
          `.execute-api.${s.stack.region}.`,
          { Ref: 'AWS::URLSuffix' },
          '/prod',
        ],
      ],
    });
    expect(outputs.AlarmTopicArn?.Value).toEqual({ Ref: s.logicalId(s.stack.alarms.topic) });
    const tableOutputs = Object.keys(outputs).filter((name) => name.endsWith('TableName'));
    expect(tableOutputs).toHaveLength(TABLE_KEYS.length);
    for (const key of TABLE_KEYS) {
      const name = `${key[0]!.toUpperCase()}${key.slice(1)}TableName`;
      expect(outputs[name]?.Value, name).toEqual({ Ref: s.tableId(key) });
    }
  });
});
