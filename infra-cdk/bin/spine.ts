#!/usr/bin/env node
// The CDK app entry point (cdk.json runs it): SpineStack in CDK_DEFAULT_ACCOUNT/REGION, checked by the
// cdk-nag AwsSolutions, HIPAA Security and Serverless packs (any unacknowledged finding fails synth).
import { App } from 'aws-cdk-lib';
import { applyNagPacks } from '../lib/nag';
import { SpineStack } from '../lib/spine-stack';

const app = new App();
new SpineStack(app, 'SpineStack', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// AwsSolutionsChecks, HIPAASecurityChecks and ServerlessChecks, verbose; see lib/nag.ts.
applyNagPacks(app);
app.synth();
