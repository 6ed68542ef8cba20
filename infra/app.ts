/**
 * CDK app entry (cdk.json: `npx tsx infra/app.ts`). Synthesizes offline: explicit env, no lookups.
 * Switches (`npm run synth -- -c name=value`, or `npm run deploy -- -c …`): `authorMode=true`,
 * `deletionProtection=false` (a throw-away stack whose tables go with `cdk destroy`), `alarmEmail=a@b.c`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TrackerStack } from './tracker-stack.js';

const app = new App();
const context = (name: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined ? undefined : String(value);
};

new TrackerStack(app, 'SyncPlanetTracker', {
  description:
    'SyncPlanet tracker: damas-core compatible file-sync tracker (REST + WebSocket APIs, DynamoDB)',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? '000000000000',
    region: process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
  },
  authorMode: context('authorMode') === 'true',
  deletionProtection: context('deletionProtection') !== 'false',
  alarmEmail: context('alarmEmail'),
});

// cdk-nag's AwsSolutions pack and AWS Control Tower's proactive controls (cfn-guard, run offline)
// as CDK policy-validation plugins: a finding fails `cdk synth` unless acknowledged on its resource
// with Validations.of(construct).acknowledge({ id, reason }).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new CfnGuardValidator());
