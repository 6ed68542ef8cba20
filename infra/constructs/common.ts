/**
 * What the tracker's constructs share: the props and stage name of its two APIs, and the validation
 * acknowledgements that read the same wherever the finding occurs.
 */
import { type CfnElement, Validations } from 'aws-cdk-lib';
import { CfnPermission, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The one stage of each API. */
export const STAGE_NAME = 'prod';

/** What the REST and the WebSocket API are both given. */
export interface TrackerApiProps {
  /** The function behind every route. */
  readonly handler: IFunction;
  /** Steady-state requests per second across the stage. */
  readonly throttlingRateLimit: number;
  /** Burst bucket size. */
  readonly throttlingBurstLimit: number;
  /** Retention of the stage's access logs. */
  readonly logRetention: RetentionDays;
}

/**
 * cfn-guard's public-access finding on every invoke permission API Gateway got under `api`: its
 * principal is apigateway.amazonaws.com, limited by SourceArn to `source`.
 */
export function acknowledgeInvokePermissions(api: Construct, source: string): void {
  for (const permission of api.node.findAll().filter((c) => c instanceof CfnPermission)) {
    Validations.of(permission).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
      reason: `The principal is apigateway.amazonaws.com with SourceArn set to ${source}: only this API can invoke the function.`,
    });
  }
}

/** cfn-guard's customer-key finding on a log group whose content (`holds`) needs no more than CloudWatch's own encryption. */
export function acknowledgeLogEncryption(logGroup: LogGroup, holds: string): void {
  Validations.of(logGroup.node.defaultChild as CfnElement).acknowledge({
    id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
    reason:
      `CloudWatch Logs encrypts every log group at rest with service-managed keys; ${holds}. ` +
      'A customer key would add cost and key-policy upkeep for no gain here.',
  });
}
