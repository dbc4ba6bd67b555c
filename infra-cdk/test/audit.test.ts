// Unit tests of the audit trail in SpineStack: the KMS-encrypted audit queue and its alarmed DLQ, the
// writer's event source mapping and grants, the audit table, the archive bucket, and who may send to
// the queue or read and write the trail.
import { Template } from 'aws-cdk-lib/assertions';
import { SpineStack } from '../lib/spine-stack';
import {
  EXTRA_FUNCTIONS,
  allows,
  asArray,
  deniesInsecureTransport,
  envOf,
  expectAlarmedDlq,
  freshApp,
  functionLogicalId,
  isMeshRaw,
  isPublicRaw,
  rawRoutes,
  resourceLike,
  resourcePolicyStatements,
  statementsOf,
} from './helpers';

const routes = rawRoutes();
const functionNames = [...new Set(routes.map((r) => r.function))];
const publicFunctions = functionNames.filter((n) => routes.some((r) => r.function === n && isPublicRaw(r)));
/** MESH functions take no bearer token and are not audited (MESH has no patient-data access to record). */
const meshFunctions = [...functionNames.filter((n) => routes.some((r) => r.function === n && isMeshRaw(r))), 'mesh-expire-messages'];
const protectedFunctions = functionNames.filter((n) => !publicFunctions.includes(n) && !meshFunctions.includes(n));

let stack: SpineStack;
let template: Template;
let resources: Record<string, any>;

beforeAll(() => {
  ({ stack } = freshApp());
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const queue = () => resourceLike(template, 'AWS::SQS::Queue', 'AuditQueue');
const dlq = () => resourceLike(template, 'AWS::SQS::Queue', 'AuditDeadLetterQueue');
const auditKeyId = () => resourceLike(template, 'AWS::KMS::Key', 'AuditKey').id;
const auditTableId = () => Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('AuditTable'))!;
const bucket = () => resourceLike(template, 'AWS::S3::Bucket', 'AuditArchiveBucket');


describe('audit queue', () => {
  test('encrypted with the customer-managed audit key (rotating), SSL only, DLQ after 5 receives', () => {
    const q = queue().resource.Properties;
    expect(q.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [auditKeyId(), 'Arn'] });
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq().id, 'Arn'] }, maxReceiveCount: 5 });
    expect(resources[auditKeyId()].Properties.EnableKeyRotation).toBe(true);
    expect(resources[auditKeyId()].DeletionPolicy).toBe('Retain');
    expect(deniesInsecureTransport(resourcePolicyStatements(template, 'AWS::SQS::QueuePolicy', 'Queues', queue().id))).toBe(true);
  });

  test('the visibility timeout is at least 6x the writer\'s timeout', () => {
    const writer = resources[functionLogicalId(template, 'audit-writer')].Properties;
    expect(queue().resource.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * writer.Timeout);
  });

  test('the DLQ: same key, SSL only, kept 14 days (longer than the source queue), alarmed when not empty', () => {
    expectAlarmedDlq(template, dlq().id, 'AuditDeadLetterAlarm', auditKeyId());
    expect(dlq().resource.Properties.MessageRetentionPeriod).toBeGreaterThan(queue().resource.Properties.MessageRetentionPeriod);
  });

  test('outputs name the queue, table, bucket and key', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.AuditQueueName.Value).toEqual({ 'Fn::GetAtt': [queue().id, 'QueueName'] });
    expect(outputs.AuditTableName.Value).toEqual({ Ref: auditTableId() });
    expect(outputs.AuditArchiveBucketName.Value).toEqual({ Ref: bucket().id });
    expect(outputs.TokenSigningKeyArn.Value).toEqual({ 'Fn::GetAtt': [resourceLike(template, 'AWS::KMS::Key', 'TokenSigningKey').id, 'Arn'] });
    expect(JSON.stringify(outputs.JwksUrl.Value)).toContain('oauth2/jwks');
  });
});

describe('audit writer', () => {
  test('consumes the queue: batches of 100, 1 s window, partial batch failures reported', () => {
    const onAuditQueue = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [queue().id, 'Arn'] }),
    );
    expect(onAuditQueue.length).toBe(1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue().id, 'Arn'] },
      FunctionName: { Ref: functionLogicalId(template, 'audit-writer') },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('environment: the audit table and the archive bucket', () => {
    expect(envOf(template, 'audit-writer')).toMatchObject({
      SPINE_AUDIT_TABLE_NAME: { Ref: auditTableId() },
      SPINE_AUDIT_BUCKET: { Ref: bucket().id },
    });
    expect(envOf(template, 'audit-writer').SPINE_TABLE_NAME).toBeUndefined();
  });

  test('grants: consume the queue (key via SQS), put into the audit table, PutObject under audit/', () => {
    const st = statementsOf(template, 'audit-writer');
    for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) expect(allows(st, a, queue().id)).toBe(true);
    // The writer puts one item at a time and in batches (BatchWriteItem), nothing else.
    for (const a of ['dynamodb:PutItem', 'dynamodb:BatchWriteItem']) expect(allows(st, a, auditTableId())).toBe(true);
    for (const a of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Scan']) expect(allows(st, a)).toBe(false);
    const put = st.find((s) => asArray(s.Action).includes('s3:PutObject'));
    expect(put.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket().id, 'Arn'] }, '/audit/*']] });
    for (const a of ['s3:GetObject', 's3:DeleteObject']) expect(allows(st, a)).toBe(false);
    // The Spine table is not the writer's business.
    const mainTable = Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('Table'))!;
    expect(JSON.stringify(st)).not.toContain(`"${mainTable}"`);
  });
});

describe('audit table', () => {
  test('the Spine table shape, PITR, customer-managed audit key, deletion protection, retained, backed up', () => {
    const t = resources[auditTableId()];
    expect(t.DeletionPolicy).toBe('Retain');
    expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(t.Properties.DeletionProtectionEnabled).toBe(true);
    expect(t.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [auditKeyId(), 'Arn'] } });
    expect(t.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(t.Properties.GlobalSecondaryIndexes.map((g: any) => [g.IndexName, g.KeySchema.map((k: any) => k.AttributeName)])).toEqual([
      ['gsi1', ['gsi1pk', 'gsi1sk']],
      ['gsi2', ['gsi2pk', 'gsi2sk']],
    ]);
    const selection = Object.values(template.findResources('AWS::Backup::BackupSelection'))[0];
    expect(JSON.stringify(selection.Properties.BackupSelection.Resources)).toContain(`"${auditTableId()}"`);
  });

  test('audit-search-events reads the audit table (table and indexes) and cannot write it or touch the Spine table', () => {
    const st = statementsOf(template, 'audit-search-events');
    for (const a of ['dynamodb:GetItem', 'dynamodb:Query']) expect(allows(st, a, auditTableId())).toBe(true);
    for (const a of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Scan']) {
      expect(allows(st, a)).toBe(false);
    }
    const mainTable = Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('Table'))!;
    expect(JSON.stringify(st)).not.toContain(`"${mainTable}"`);
    expect(envOf(template, 'audit-search-events').SPINE_AUDIT_TABLE_NAME).toEqual({ Ref: auditTableId() });
    expect(envOf(template, 'audit-search-events').SPINE_TABLE_NAME).toBeUndefined();
  });

  test('only the writer may write the audit table', () => {
    const all = [...functionNames, ...EXTRA_FUNCTIONS];
    for (const a of ['dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
      const writers = all.filter((n) => allows(statementsOf(template, n), a, auditTableId()));
      expect({ action: a, writers }).toEqual({ action: a, writers: a.endsWith('PutItem') || a.endsWith('BatchWriteItem') ? ['audit-writer'] : [] });
    }
  });
});

describe('archive bucket', () => {
  test('KMS (audit key), public access blocked, versioned, access logs to the access-log bucket', () => {
    const b = bucket().resource;
    expect(b.DeletionPolicy).toBe('Retain');
    expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [auditKeyId(), 'Arn'] } },
      },
    ]);
    expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(b.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(b.Properties.LoggingConfiguration.DestinationBucketName).toEqual({
      Ref: resourceLike(template, 'AWS::S3::Bucket', 'AccessLogBucket').id,
    });
  });

  test('SSL-only bucket policy', () => {
    expect(deniesInsecureTransport(resourcePolicyStatements(template, 'AWS::S3::BucketPolicy', 'Bucket', bucket().id))).toBe(true);
  });

  test('lifecycle: Glacier after 90 days, expired after 8 years (current and noncurrent versions)', () => {
    const [rule] = bucket().resource.Properties.LifecycleConfiguration.Rules;
    expect(rule).toMatchObject({
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 90 }],
      ExpirationInDays: 2922,
      NoncurrentVersionTransitions: [{ StorageClass: 'GLACIER', TransitionInDays: 90 }],
      NoncurrentVersionExpiration: { NoncurrentDays: 2922 },
    });
  });

  test('the access-log bucket: SSE-S3 (log delivery needs it), public access blocked, SSL only', () => {
    const { id, resource } = resourceLike(template, 'AWS::S3::Bucket', 'AccessLogBucket');
    expect(resource.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect(resource.Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets).toBe(true);
    expect(deniesInsecureTransport(resourcePolicyStatements(template, 'AWS::S3::BucketPolicy', 'Bucket', id))).toBe(true);
  });
});

describe('who may send to the audit queue', () => {
  test.each([...protectedFunctions, 'cis-authorizer'])('%s (token-protected) can send, with SPINE_AUDIT_QUEUE set', (name) => {
    const st = statementsOf(template, name);
    expect(allows(st, 'sqs:SendMessage', queue().id)).toBe(true);
    expect(allows(st, 'kms:GenerateDataKey', auditKeyId())).toBe(true);
    expect(envOf(template, name).SPINE_AUDIT_QUEUE).toEqual({ 'Fn::GetAtt': [queue().id, 'QueueName'] });
  });

  test('every function serving patient data is among them', () => {
    const patientData = routes.filter((r) => r.patient_data).map((r) => r.function);
    expect(patientData.length).toBeGreaterThan(0);
    for (const n of patientData) expect(allows(statementsOf(template, n), 'sqs:SendMessage', queue().id)).toBe(true);
  });

  test.each(publicFunctions)('%s (public) cannot send and is not told the queue', (name) => {
    expect(allows(statementsOf(template, name), 'sqs:SendMessage')).toBe(false);
    expect(envOf(template, name).SPINE_AUDIT_QUEUE).toBeUndefined();
  });

  test.each(meshFunctions)('%s (MESH) cannot send to the audit queue or use the audit key, and is not told the queue', (name) => {
    const st = statementsOf(template, name);
    expect(allows(st, 'sqs:SendMessage', queue().id)).toBe(false);
    expect(JSON.stringify(st)).not.toContain(`"${auditKeyId()}"`);
    expect(envOf(template, name).SPINE_AUDIT_QUEUE).toBeUndefined();
  });

  test('nobody but the writer may receive or delete audit messages', () => {
    const all = [...functionNames, ...EXTRA_FUNCTIONS];
    expect(all.filter((n) => allows(statementsOf(template, n), 'sqs:ReceiveMessage', queue().id))).toEqual(['audit-writer']);
    expect(all.filter((n) => allows(statementsOf(template, n), 'sqs:DeleteMessage', queue().id))).toEqual(['audit-writer']);
  });
});
