// cdk-nag tests: a fresh app with the AwsSolutions, HIPAA Security and Serverless packs has no
// unacknowledged finding (error or warning), synthesizes, and the packs really do catch new findings.
import { Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { PLACEHOLDER_ASSET } from '../lib/spine-function';
import { freshApp } from './helpers';

const describeViolations = (packs: ReturnType<typeof freshApp>['packs'], scope: Parameters<(typeof packs)[0]['validateScope']>[0]) =>
  packs.flatMap((p) =>
    p.validateScope(scope).violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
  );

test('the three packs are registered', () => {
  const { packs } = freshApp();
  expect(packs.map((p) => p.readPackName).sort()).toEqual(['AwsSolutions', 'HIPAA.Security', 'Serverless']);
});

test('no unacknowledged cdk-nag finding (errors or warnings) in any pack', () => {
  const { app, packs } = freshApp();
  expect(describeViolations(packs, app)).toEqual([]);
});

test('the app synthesizes with the packs as validation plugins, with no error annotations', () => {
  const { app, stack } = freshApp();
  // In-memory synth prints the validation report (the placeholder notices) to stderr; keep test output quiet.
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    expect(() => app.synth()).not.toThrow();
  } finally {
    quiet.mockRestore();
  }
  const annotations = Annotations.fromStack(stack);
  expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  // The only warnings allowed are the placeholder notices: "run scripts/build-lambdas.sh" (no Rust build)
  // and the MESH mutual-TLS settings (no meshDomainName/meshCertificateArn/meshTruststoreUri given).
  const warnings = annotations.findWarning('*', Match.anyValue());
  for (const w of warnings) expect(JSON.stringify(w.entry.data)).toMatch(/scripts\/build-lambdas\.sh|MESH mutual TLS uses placeholder settings/);
});

test('acknowledgements are per finding, not blanket: an unreviewed function is caught', () => {
  const { app, stack, packs } = freshApp();
  new lambda.Function(stack, 'Unreviewed', {
    runtime: lambda.Runtime.PROVIDED_AL2023,
    handler: 'bootstrap',
    code: lambda.Code.fromAsset(PLACEHOLDER_ASSET),
  });
  const found = describeViolations(packs, app);
  for (const rule of [
    'HIPAA.Security-LambdaInsideVPC',
    'HIPAA.Security-LambdaDLQ',
    'HIPAA.Security-LambdaConcurrency',
    'Serverless-LambdaTracing',
    'AwsSolutions-IAM4',
  ]) {
    expect(found.some((f) => f.includes(rule) && f.includes('/Unreviewed/'))).toBe(true);
  }
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    expect(() => app.synth()).toThrow(/LambdaInsideVPC/);
  } finally {
    quiet.mockRestore();
  }
});

describe('acknowledgement inventory', () => {
  // Every acknowledged rule id in the app. Adding one must be a reviewed change to this list and to
  // the README's table; each id is acknowledged on the construct that has the finding, never on the stack.
  const EXPECTED_IDS = [
    'AwsSolutions-APIG4',
    'AwsSolutions-COG4',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-IAM5[Resource::<AuditArchiveBucketF2441F74.Arn>/audit/*]',
    'AwsSolutions-IAM5[Resource::<MeshChunkBucketAA89F2FE.Arn>/mesh/*]',
    'AwsSolutions-SMG4',
    'AwsSolutions-SQS3',
    'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
    'HIPAA.Security-APIGWSSLEnabled',
    'HIPAA.Security-LambdaConcurrency',
    'HIPAA.Security-LambdaDLQ',
    'HIPAA.Security-LambdaInsideVPC',
    'HIPAA.Security-S3BucketReplicationEnabled',
    'HIPAA.Security-S3DefaultEncryptionKMS',
    'HIPAA.Security-SecretsManagerRotationEnabled',
    'Serverless-EventBusDLQ',
    'Serverless-LambdaDLQ',
    'Serverless-LambdaEventSourceMappingDestination',
    'Serverless-SQSRedrivePolicy',
  ];

  const recordAcks = () => {
    const acks: { path: string; id: string; reason: string }[] = [];
    const proto = Validations.prototype as unknown as { acknowledge: (...r: { id: string; reason: string }[]) => void };
    const original = proto.acknowledge;
    proto.acknowledge = function (this: { scope: IConstruct }, ...rules: { id: string; reason: string }[]) {
      for (const r of rules) acks.push({ path: this.scope.node.path, id: r.id, reason: r.reason });
    };
    try {
      const built = freshApp();
      return { acks, ...built };
    } finally {
      proto.acknowledge = original;
    }
  };

  test('the acknowledged ids are exactly the reviewed list, none on the stack or app, each with a real reason', () => {
    const { acks } = recordAcks();
    expect([...new Set(acks.map((a) => a.id))].sort()).toEqual([...EXPECTED_IDS].sort());
    for (const a of acks) {
      expect(a.path.split('/').length).toBeGreaterThan(1); // never the whole stack
      expect(a.reason.length).toBeGreaterThan(80);
    }
  });

  test('every acknowledgement matches a real finding, and every finding is acknowledged (no stale acks)', () => {
    const { app, packs, acks } = recordAcks(); // built with acknowledge() disabled
    const findings = packs.flatMap((p) =>
      p.validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath! }))),
    );
    const covers = (a: { path: string; id: string }, f: { path: string; id: string }) =>
      a.id === f.id && (f.path === a.path || f.path.startsWith(`${a.path}/`));
    for (const a of acks) expect({ ack: a.id, at: a.path, matched: findings.some((f) => covers(a, f)) }).toMatchObject({ matched: true });
    for (const f of findings) expect({ finding: f.id, at: f.path, acked: acks.some((a) => covers(a, f)) }).toMatchObject({ acked: true });
  });
});
