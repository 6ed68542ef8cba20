/**
 * The dashboard in the cloud: the built page in a private S3 bucket (no public access, encrypted,
 * TLS only) behind CloudFront with origin access control, HTTPS only and security headers, and a
 * `config.json` next to the page naming the REST and WebSocket URLs (written at deploy time).
 */
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { locallyBundled } from '../bundling/local.js';

export interface DashboardSiteProps {
  readonly projectRoot: string;
  /** `https://…/prod/api/`. */
  readonly apiUrl: string;
  /** `wss://…/prod`. */
  readonly eventsUrl: string;
}

export class DashboardSite extends Construct {
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      // Each deployment replaces the page: old versions are kept a month for a rollback, then expire.
      lifecycleRules: [
        {
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Kept when the stack is deleted, even a throw-away one: CloudFormation cannot delete a bucket
      // that still holds (versioned) files. Empty and delete it by hand after `cdk destroy`.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'SyncPlanet dashboard security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // The page, its API and its WebSocket: nothing else is loaded or contacted.
          contentSecurityPolicy:
            "default-src 'self'; connect-src 'self' https://*.amazonaws.com wss://*.amazonaws.com; " +
            "img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'SyncPlanet tracker dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        responseHeadersPolicy: headers,
      },
      // The page's own addresses (a folder, a file panel) all load index.html.
      errorResponses: [403, 404].map((status) => ({
        httpStatus: status,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(10),
      })),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [
        // The page built by dashboard/build.ts, hashed by its built files (not by every file of
        // the repository: node_modules, cdk.out…).
        Source.asset(props.projectRoot, locallyBundled(props.projectRoot, 'dashboard/build.ts')),
        Source.jsonData('config.json', { apiUrl: props.apiUrl, eventsUrl: props.eventsUrl }),
      ],
      distribution: this.distribution,
      // Everything: the cache policy leaves query strings out of the cache key, so `app.js?v=<new>` would
      // otherwise be answered with the cached `app.js` of the previous deployment (and `/` is its own key).
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    this.acknowledgeFindings();
  }

  /** `https://<id>.cloudfront.net/`. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}/`;
  }

  private acknowledgeFindings(): void {
    const bucket = this.bucket.node.defaultChild as CfnElement;
    const staticFiles =
      'Static page files only, read solely through CloudFront (origin access control) and written solely by the ' +
      'deployment; they hold no tracker data (every call the page makes is authenticated by the API).';
    Validations.of(bucket).acknowledge(
      { id: 'AwsSolutions-S1', reason: `${staticFiles} Server access logs would record nothing else.` },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
        reason: `${staticFiles} Server access logs would record nothing else.`,
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
        reason: `${staticFiles} SSE-S3 encrypts them at rest; SSE-KMS would need CloudFront in the key policy for no gain.`,
      },
      {
        id: 'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
        reason: `${staticFiles} Nothing reacts to their changes.`,
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        reason: `${staticFiles} Each deployment must replace them; versions are kept 30 days for rollback.`,
      },
    );
    const page =
      'The distribution serves only the static page; the API it calls has its own authentication and throttling.';
    const certificate =
      "It uses CloudFront's default *.cloudfront.net certificate (TLS negotiated by CloudFront's own policy, SNI " +
      "included); a custom domain, its certificate and a TLSv1.2_2021 minimum are the studio's choice outside this stack.";
    Validations.of(this.distribution.node.defaultChild as CfnElement).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: `Studios work worldwide with partner sites. ${page}` },
      { id: 'AwsSolutions-CFR2', reason: page },
      {
        id: 'AwsSolutions-CFR3',
        reason: `${page} Access logs would need a log bucket with ACLs for no security gain.`,
      },
      {
        id: 'cdk-validator-cfnguard::cloudfront_access_logs_enabled_check',
        reason: `${page} Access logs would need a log bucket with ACLs for no security gain.`,
      },
      { id: 'AwsSolutions-CFR4', reason: certificate },
      { id: 'cdk-validator-cfnguard::cloudfront_custom_ssl_certificate_check', reason: certificate },
      { id: 'cdk-validator-cfnguard::cloudfront_sni_enabled_check', reason: certificate },
      { id: 'cdk-validator-cfnguard::cloudfront_security_policy_check', reason: certificate },
      {
        id: 'cdk-validator-cfnguard::cloudfront_origin_failover_enabled_check',
        reason: `${page} S3 is its only origin; a second bucket would be a copy of the same files.`,
      },
    );
    this.acknowledgeDeploymentHelper();
  }

  /** CDK's BucketDeployment helper (a CDK-managed function that copies the page at deploy time). */
  private acknowledgeDeploymentHelper(): void {
    const stack = Stack.of(this);
    const helper = stack.node.children.find((child) =>
      child.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    if (!helper) return;
    const reason =
      "CDK's BucketDeployment helper, which copies the built page and config.json into the bucket during deployments " +
      'only; its role and policy are generated by CDK (read the CDK asset bucket, write the dashboard bucket).';
    Validations.of(helper.node.defaultChild as CfnElement).acknowledge(
      { id: 'cdk-validator-cfnguard::lambda_inside_vpc_check', reason },
      { id: 'AwsSolutions-L1', reason: `${reason} Its runtime is the one this CDK version pins.` },
    );
    const role = helper.node.findChild('ServiceRole');
    Validations.of(role.node.defaultChild as CfnElement).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason,
    });
    const assets = `arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*`;
    const bucket = `<${stack.getLogicalId(this.bucket.node.defaultChild as CfnElement)}.Arn>/*`;
    const wildcards = [
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Resource::*',
      `Resource::${bucket}`,
      `Resource::${assets}`,
    ];
    const invalidation =
      'Resource::* holds only cloudfront:CreateInvalidation and cloudfront:GetInvalidation, which CDK grants on ' +
      '"*" to refresh the distribution\'s cache after a deployment.';
    Validations.of(role.node.findChild('DefaultPolicy').node.defaultChild as CfnElement).acknowledge(
      ...wildcards.map((w) => ({
        id: `AwsSolutions-IAM5[${w}]`,
        reason: w === 'Resource::*' ? `${reason} ${invalidation}` : reason,
      })),
    );
  }
}
