// The cdk-nag rule packs the Spine app is checked against (AwsSolutions, HIPAA Security, Serverless,
// all verbose), registered as CDK validation plugins: any unacknowledged finding fails synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, ServerlessChecks } from 'cdk-nag';

/** Registers the three packs on the app (bin/spine.ts and the tests both call this) and returns them. */
export function applyNagPacks(app: App): NagPack[] {
  const packs: NagPack[] = [
    new AwsSolutionsChecks(app, { verbose: true }),
    new HIPAASecurityChecks(app, { verbose: true }),
    new ServerlessChecks(app, { verbose: true }),
  ];
  Validations.of(app).addPlugins(...packs);
  return packs;
}
