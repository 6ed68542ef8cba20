/** CDK app entry (cdk.json: `npx tsx infra/app.ts`). Synthesizes offline: explicit env, no lookups. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TrackerStack } from './tracker-stack.js';

const app = new App();

new TrackerStack(app, 'SyncPlanetTracker', {
  description: 'SyncPlanet tracker: damas-core compatible file-sync tracker (REST API + DynamoDB)',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? '000000000000',
    region: process.env.CDK_DEFAULT_REGION ?? 'eu-west-1',
  },
  // `cdk synth -c authorMode=true` (context values from the command line are strings).
  authorMode: String(app.node.tryGetContext('authorMode')) === 'true',
});

// cdk-nag 3 runs as a CDK policy-validation plugin (not an Aspect): findings fail `cdk synth`
// unless acknowledged on the resource with Validations.of(construct).acknowledge({ id, reason }).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
