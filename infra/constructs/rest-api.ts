/**
 * The damas-compatible REST API: `/api` and `/api/{proxy+}` proxied to one Lambda function, which
 * does routing, authentication (Bearer JWT or API token), validation and CORS itself.
 */
import { type CfnElement, Size, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import {
  acknowledgeInvokePermissions,
  acknowledgeLogEncryption,
  STAGE_NAME,
  type TrackerApiProps,
} from './common.js';

export interface TrackerRestApiProps extends TrackerApiProps {
  /** Optional WAFv2 web ACL (REGIONAL scope) to associate with the stage. */
  readonly webAclArn?: string;
}

/** Path prefix of every damas route. */
const API_PREFIX = 'api';

export class TrackerRestApi extends Construct {
  public readonly api: RestApi;
  public readonly accessLogs: LogGroup;
  /** Base URL of the damas API, ending in `/api/`. */
  public readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: TrackerRestApiProps) {
    super(scope, id);

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });

    this.api = new RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'SyncPlanet tracker (damas-core compatible REST API)',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Sets the account's API Gateway CloudWatch role, without which neither access nor
      // execution logs are written.
      cloudWatchRole: true,
      minCompressionSize: Size.bytes(1024),
      deployOptions: {
        stageName: STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Never log bodies: they carry passwords (signIn) and tokens.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
      },
    });

    // One resource-based permission per method is enough; the console's test-invoke needs none.
    const integration = new LambdaIntegration(props.handler, { proxy: true, allowTestInvoke: false });
    const prefix = this.api.root.addResource(API_PREFIX);
    prefix.addMethod('ANY', integration);
    prefix.addProxy({ anyMethod: true, defaultIntegration: integration });
    // Prometheus' usual path; the handler serves it as the `metrics` route (guest, or a token in jwt mode).
    this.api.root.addResource('metrics').addMethod('GET', integration);

    this.apiUrl = `${this.api.url}${API_PREFIX}/`;

    if (props.webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAcl', {
        webAclArn: props.webAclArn,
        resourceArn: Stack.of(this).formatArn({
          service: 'apigateway',
          account: '',
          resource: '/restapis',
          resourceName: `${this.api.restApiId}/stages/${this.api.deploymentStage.stageName}`,
        }),
      });
    }

    this.acknowledgeNagFindings(props.webAclArn !== undefined);
  }

  /** cdk-nag (AwsSolutions) findings acknowledged on the exact resource, each with its reason. */
  private acknowledgeNagFindings(hasWebAcl: boolean): void {
    const authorizationInHandler = {
      reason:
        'Authorization is done in the handler: damas clients send "Authorization: Bearer <token>" with a ' +
        'session JWT or a revocable API token checked against the auth table, and class permissions ' +
        'decide per route (anonymous callers are guests). An API Gateway authorizer could check neither ' +
        'revocation nor the per-route classes. No Cognito: users and tokens live in the tracker, as in damas-core.',
    };
    for (const method of this.api.methods) {
      Validations.of(method.node.defaultChild as CfnElement).acknowledge(
        { id: 'AwsSolutions-APIG4', ...authorizationInHandler },
        { id: 'AwsSolutions-COG4', ...authorizationInHandler },
      );
    }
    acknowledgeInvokePermissions(this.api, "this API's own method ARN");
    acknowledgeLogEncryption(this.accessLogs, 'the access logs hold no request bodies');
    Validations.of(this.api.node.defaultChild as CfnElement).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Every route is a Lambda proxy and the handler validates bodies and parameters (functions/core), answering the ' +
        'damas 4xx texts; an API Gateway request model cannot express the damas bodies.',
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole.node.defaultChild as CfnElement).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role (needed for access and execution logs) uses the AWS " +
          'policy made for it, which only creates and writes log groups for API Gateway.',
      });
    }
    if (!hasWebAcl) {
      Validations.of(this.api.deploymentStage.node.defaultChild as CfnElement).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF by default: the common managed rule set blocks request bodies above 8 KB, which breaks ' +
          'batched publish/create; every request is authenticated by the handler and throttled at the ' +
          'stage. Pass webAclArn to associate a regional web ACL.',
      });
    }
  }
}
