/**
 * The change-events WebSocket API: `$connect` (the token check), `$disconnect`, `$default`, and the
 * `subscribe` and `ping` routes, chosen on `$request.body.action`, all served by one function. One
 * stage with throttling and JSON access logs. Frames go back through the management API
 * (`@connections`), which only the functions given to `grantManageConnections` may call.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnRoute, LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { WEBSOCKET_ROUTES } from '../../functions/events/websocket.js';
import {
  acknowledgeInvokePermissions,
  acknowledgeLogEncryption,
  STAGE_NAME,
  type TrackerApiProps,
} from './common.js';
import type { TrackerFunction } from './tracker-function.js';

export class TrackerWebSocketApi extends Construct {
  public readonly api: WebSocketApi;
  public readonly stage: WebSocketStage;
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: TrackerApiProps) {
    super(scope, id);
    // One integration for every route (each route still gets its own invoke permission); construct
    // ids avoid 'Default', which CDK drops from logical ids (it would collide with the $default route's).
    const integration = new WebSocketLambdaIntegration('EventsIntegration', props.handler);
    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-events`,
      description: 'SyncPlanet tracker change events (subscribe with a filter, replay after an event id)',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: { integration },
      disconnectRouteOptions: { integration },
      defaultRouteOptions: { integration },
    });
    for (const route of WEBSOCKET_ROUTES) this.api.addRoute(route, { integration });

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: STAGE_NAME,
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit, burstLimit: props.throttlingBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            connectionId: '$context.connectionId',
            routeKey: '$context.routeKey',
            eventType: '$context.eventType',
            status: '$context.status',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.acknowledgeNagFindings();
  }

  /** `wss://…/prod`: what clients connect to (`?token=` carries the bearer token). */
  get url(): string {
    return this.stage.url;
  }

  /** `https://…/prod`: the management API's endpoint (WEBSOCKET_ENDPOINT). */
  get callbackUrl(): string {
    return this.stage.callbackUrl;
  }

  /**
   * execute-api:ManageConnections on this stage's `@connections` only. The wildcard stands for the
   * connection ids, which exist only at run time.
   */
  grantManageConnections(grantee: TrackerFunction): void {
    this.stage.grantManagementApiAccess(grantee.role);
    const stack = Stack.of(this);
    const api = stack.getLogicalId(this.api.node.defaultChild as CfnElement);
    const resource = `arn:<AWS::Partition>:execute-api:${stack.region}:${stack.account}:<${api}>/${STAGE_NAME}/*/@connections/*`;
    Validations.of(grantee.role.node.findChild('DefaultPolicy').node.defaultChild as CfnElement).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource}]`,
      reason:
        "The management API's resource is one connection id (`@connections/<id>`), known only at run time: the " +
        'wildcard covers the connections of this stage of this API, nothing else.',
    });
  }

  private acknowledgeNagFindings(): void {
    const tokenAtConnect =
      'The $connect route checks the token itself (query parameter `token`: a session JWT or a revocable API ' +
      'token looked up in the auth table; a Lambda authorizer could not check revocation without the same ' +
      'lookup). The other routes run on a connection that passed $connect.';
    for (const route of this.api.node.children) {
      const cfn = route.node.defaultChild;
      if (!(cfn instanceof CfnRoute)) continue;
      Validations.of(cfn).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: tokenAtConnect },
        {
          id: 'cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check',
          reason: tokenAtConnect,
        },
      );
    }
    acknowledgeInvokePermissions(this.api, "this WebSocket API's own route");
    acknowledgeLogEncryption(this.accessLogs, 'the access logs hold no message bodies');
  }
}
