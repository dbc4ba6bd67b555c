// Unit tests of MESH in SpineStack: its own REST API (mutual-TLS domain, execute-api endpoint disabled,
// binary bodies, no authorizer, MESH-shaped gateway responses, WAF), the chunk bucket, the mesh-events
// queue and its alarmed DLQ, the shared-key secret, the hourly expiry job, and each MESH function's
// environment and least-privilege grants (chunks, events, shared key; never the audit queue).
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SpineStack } from '../lib/spine-stack';
import {
  allows,
  asArray,
  deniesInsecureTransport,
  envOf,
  expectAlarmedDlq,
  freshApp,
  functionLogicalId,
  gatewayResponseOf,
  isMeshRaw,
  methodsOf,
  rawRoutes,
  resourceLike,
  resourcePolicyStatements,
  statementsOf,
} from './helpers';

const routes = rawRoutes();
const meshRoutes = routes.filter(isMeshRaw);
const meshFunctions = [...new Set(meshRoutes.map((r) => r.function))];
const EXPIRER = 'mesh-expire-messages';
const CHUNK_WRITERS = ['mesh-send', 'mesh-send-chunk'];
const CHUNK_READERS = ['mesh-download', 'mesh-download-chunk', 'mesh-head-message'];
const PUBLISHERS = ['mesh-send', 'mesh-send-chunk', 'mesh-acknowledge', EXPIRER];
const ALL_MESH = [...meshFunctions, EXPIRER];
const writes = (fn: string) => meshRoutes.some((r) => r.function === fn && r.writes);

let stack: SpineStack;
let template: Template;
let resources: Record<string, any>;

beforeAll(() => {
  ({ stack } = freshApp());
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const meshApi = () => resourceLike(template, 'AWS::ApiGateway::RestApi', 'MeshApi');
const bucket = () => resourceLike(template, 'AWS::S3::Bucket', 'MeshChunkBucket');
const queue = () => resourceLike(template, 'AWS::SQS::Queue', 'MeshEventsQueue');
const dlq = () => resourceLike(template, 'AWS::SQS::Queue', 'MeshEventsDeadLetterQueue');
const meshKeyId = () => resourceLike(template, 'AWS::KMS::Key', 'MeshKey').id;
const secretId = () => resourceLike(template, 'AWS::SecretsManager::Secret', 'MeshSharedKey').id;
const auditQueueId = () => resourceLike(template, 'AWS::SQS::Queue', 'AuditQueue').id;
const tableId = () => Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('Table'))!;


describe('MESH API', () => {
  test('its own regional REST API: execute-api endpoint disabled, every body binary', () => {
    const api = meshApi().resource.Properties;
    expect(api.DisableExecuteApiEndpoint).toBe(true);
    expect(api.BinaryMediaTypes).toEqual(['*/*']);
    expect(api.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    expect(meshApi().id).not.toBe(resourceLike(template, 'AWS::ApiGateway::RestApi', 'Api').id);
    // The Spine API keeps its execute-api endpoint and is not binary.
    const spine = resourceLike(template, 'AWS::ApiGateway::RestApi', 'Api').resource.Properties;
    expect(spine.DisableExecuteApiEndpoint).toBeUndefined();
    expect(spine.BinaryMediaTypes).toBeUndefined();
  });

  test('every MESH route (HEAD included) is a method of the MESH API, proxied to its function, with no authorizer', () => {
    const methods = methodsOf(template, 'MeshApi');
    expect(methods.map((m) => m.route).sort()).toEqual(meshRoutes.map((r) => `${r.method} ${r.path}`).sort());
    expect(methods.map((m) => m.props.HttpMethod)).toContain('HEAD');
    for (const r of meshRoutes) {
      const m = methods.find((x) => x.route === `${r.method} ${r.path}`)!.props;
      expect(m.AuthorizationType).toBe('NONE');
      expect(m.AuthorizerId).toBeUndefined();
      expect(m.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(m.Integration.Uri)).toContain(`"${functionLogicalId(template, r.function)}"`);
      expect(m.RequestValidatorId).toBeDefined();
    }
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestParameters: { 'method.request.path.mailbox_id': true, 'method.request.path.message_id': true, 'method.request.path.chunk_number': true },
    });
  });

  test('no MESH route is on the Spine API, and the only authorizer is the Spine API\'s', () => {
    const spine = methodsOf(template, 'Api').map((m) => m.route);
    for (const r of meshRoutes) expect(spine).not.toContain(`${r.method} ${r.path}`);
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    expect(resourceLike(template, 'AWS::ApiGateway::Authorizer', 'Authorizer').resource.Properties.RestApiId).not.toEqual({ Ref: meshApi().id });
  });

  test('mutual TLS: a regional custom domain with a truststore, TLS 1.2, an ACM certificate, mapped to the stage', () => {
    const { id, resource } = resourceLike(template, 'AWS::ApiGateway::DomainName', 'MeshDomain');
    expect(resource.Properties).toMatchObject({
      DomainName: 'mesh.spine.example.invalid',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
      MutualTlsAuthentication: { TruststoreUri: 's3://spine-mesh-truststore-placeholder/truststore.pem' },
      RegionalCertificateArn: 'arn:aws:acm:eu-west-2:123456789012:certificate/00000000-0000-0000-0000-000000000000',
    });
    template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', {
      DomainName: { Ref: id },
      RestApiId: { Ref: meshApi().id },
      Stage: { Ref: resourceLike(template, 'AWS::ApiGateway::Stage', 'MeshApiDeploymentStage').id },
    });
  });

  test('the domain, certificate and truststore come from the context; placeholders warn', () => {
    const context = {
      meshDomainName: 'mesh.int.spine.example.nhs.uk',
      meshCertificateArn: 'arn:aws:acm:eu-west-2:123456789012:certificate/11111111-2222-3333-4444-555555555555',
      meshTruststoreUri: 's3://nhs-mesh-pki/int/truststore.pem',
      meshTruststoreVersion: 'v3',
    };
    const { stack: s } = freshApp({}, context);
    Template.fromStack(s).hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'mesh.int.spine.example.nhs.uk',
      RegionalCertificateArn: context.meshCertificateArn,
      MutualTlsAuthentication: { TruststoreUri: 's3://nhs-mesh-pki/int/truststore.pem', TruststoreVersion: 'v3' },
      SecurityPolicy: 'TLS_1_2',
    });
    expect(Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('MESH mutual TLS'))).toEqual([]);
    const placeholder = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('MESH mutual TLS uses placeholder settings'));
    expect(placeholder.length).toBe(1);
    expect(JSON.stringify(placeholder[0].entry.data)).toContain('meshTruststoreUri');
  });

  test('the domain settings from SpineStackProps.mesh win over the context', () => {
    const { stack: s } = freshApp({ mesh: { domainName: 'mesh.props.example.nhs.uk' } }, { meshDomainName: 'mesh.ctx.example.nhs.uk' });
    Template.fromStack(s).hasResourceProperties('AWS::ApiGateway::DomainName', { DomainName: 'mesh.props.example.nhs.uk' });
  });

  test.each([
    [{ meshDomainName: 'not a host' }, /meshDomainName must be a DNS host name/],
    [{ meshCertificateArn: 'arn:aws:iam::123456789012:role/x' }, /meshCertificateArn must be an ACM certificate ARN/],
    [{ meshCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }, /needs a certificate in eu-west-2/],
    [{ meshTruststoreUri: 'https://bucket/truststore.pem' }, /meshTruststoreUri must be s3:\/\/<bucket>\/<key>/],
    [{ meshTruststoreUri: 's3://bucket-only' }, /meshTruststoreUri must be s3:\/\/<bucket>\/<key>/],
  ])('malformed mutual-TLS context %j is refused', (context, message) => {
    expect(() => freshApp({}, context)).toThrow(message);
  });

  test('stage prod: JSON access logs, X-Ray, execution logs at ERROR, throttling, WAF; waits for the account CloudWatch role', () => {
    const { id, resource } = resourceLike(template, 'AWS::ApiGateway::Stage', 'MeshApiDeploymentStage');
    expect(resource.Properties).toMatchObject({
      StageName: 'prod',
      TracingEnabled: true,
      RestApiId: { Ref: meshApi().id },
      MethodSettings: [
        expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: true, ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 }),
      ],
    });
    expect(JSON.parse(resource.Properties.AccessLogSetting.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(resource.Properties.AccessLogSetting.DestinationArn).toBeDefined();
    expect(resource.DependsOn).toEqual(expect.arrayContaining([resourceLike(template, 'AWS::ApiGateway::Account', 'ApiAccount').id]));
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: id }])]) }) });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: 'aws-waf-logs-SpineStack-mesh' });
  });

  test('the MESH WAF counts body rules (bodies are message content) and blocks the rest', () => {
    const acl = resourceLike(template, 'AWS::WAFv2::WebACL', 'MeshWebAcl').resource.Properties;
    const common = acl.Rules.find((r: any) => r.Name === 'AWSManagedRulesCommonRuleSet');
    const counted = common.Statement.ManagedRuleGroupStatement.RuleActionOverrides.map((o: any) => o.Name);
    expect(counted).toEqual(expect.arrayContaining(['SizeRestrictions_BODY', 'CrossSiteScripting_BODY', 'GenericLFI_BODY']));
    for (const o of common.Statement.ManagedRuleGroupStatement.RuleActionOverrides) {
      expect(o.Name).toMatch(/_BODY$/);
      expect(o.ActionToUse).toEqual({ Count: {} });
    }
  });
});

describe('MESH gateway responses', () => {
  const parse = (r: Record<string, any>, template = 'application/vnd.mesh.v2+json') =>
    JSON.parse((r.ResponseTemplates[template] as string).replace('$context.error.messageString', '"Some message"'));

  test.each([
    ['MISSING_AUTHENTICATION_TOKEN', '404', 'NOT_FOUND', 'Resource not found'],
    ['REQUEST_TOO_LARGE', '413', 'SEND', 'Chunk too large: at most 4500000 bytes per chunk (send larger messages in more chunks)'],
    ['THROTTLED', '429', 'ERROR', 'Too many requests: retry later'],
    ['WAF_FILTERED', '403', 'ERROR', 'Request blocked'],
    ['DEFAULT_5XX', undefined, 'ERROR', 'Internal error'],
    ['DEFAULT_4XX', undefined, 'ERROR', 'Some message'],
  ])('%s: status %s, MESH v2 error JSON (event %s), never an OperationOutcome', (type, status, event, msg) => {
    const r = gatewayResponseOf(template, 'MeshApi', type);
    expect(r.StatusCode).toBe(status);
    expect(r.ResponseParameters).toEqual({ 'gatewayresponse.header.Content-Type': "'application/vnd.mesh.v2+json'" });
    expect(Object.keys(r.ResponseTemplates).sort()).toEqual(['application/json', 'application/vnd.mesh.v2+json']);
    for (const t of Object.keys(r.ResponseTemplates)) {
      expect(r.ResponseTemplates[t]).not.toContain('OperationOutcome');
      expect(parse(r, t)).toEqual({ internal_id: '$context.requestId', detail: [{ event, code: '', msg }] });
    }
  });

  test('the MESH API has no FHIR response, and the Spine API no MESH one', () => {
    const byApi = (id: string) =>
      Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).filter((r) => r.Properties.RestApiId.Ref === id);
    expect(byApi(meshApi().id).length).toBe(6);
    for (const r of byApi(meshApi().id)) expect(JSON.stringify(r)).not.toContain('fhir');
    for (const r of byApi(resourceLike(template, 'AWS::ApiGateway::RestApi', 'Api').id)) expect(JSON.stringify(r)).not.toContain('vnd.mesh');
  });
});

describe('chunk bucket', () => {
  test('SSE-KMS with the MESH key (rotating, retained), bucket key, public access blocked, versioned, access logs, retained', () => {
    const b = bucket().resource;
    expect(b.DeletionPolicy).toBe('Retain');
    expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [meshKeyId(), 'Arn'] } } },
    ]);
    expect(resources[meshKeyId()].Properties.EnableKeyRotation).toBe(true);
    expect(resources[meshKeyId()].DeletionPolicy).toBe('Retain');
    expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(b.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(b.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: resourceLike(template, 'AWS::S3::Bucket', 'AccessLogBucket').id },
      LogFilePrefix: 'mesh-chunks/',
    });
  });

  test('SSL-only bucket policy', () => {
    expect(deniesInsecureTransport(resourcePolicyStatements(template, 'AWS::S3::BucketPolicy', 'Bucket', bucket().id))).toBe(true);
  });

  test('lifecycle: mesh/ expires after 30 days, noncurrent versions after 1 day, incomplete uploads aborted after 1 day', () => {
    const rules = bucket().resource.Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual([
      {
        Id: 'mesh-retention',
        Prefix: 'mesh/',
        Status: 'Enabled',
        ExpirationInDays: 30,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
      { Id: 'mesh-delete-markers', Prefix: 'mesh/', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
    ]);
  });
});

describe('mesh-events queue', () => {
  test('KMS with the MESH key, SSL only, DLQ after 5 receives', () => {
    const q = queue().resource.Properties;
    expect(q.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [meshKeyId(), 'Arn'] });
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq().id, 'Arn'] }, maxReceiveCount: 5 });
    expect(deniesInsecureTransport(resourcePolicyStatements(template, 'AWS::SQS::QueuePolicy', 'Queues', queue().id))).toBe(true);
  });

  test('the DLQ: same key, SSL only, kept 14 days, alarmed to the alarm topic when not empty', () => {
    expectAlarmedDlq(template, dlq().id, 'MeshEventsDeadLetterAlarm', meshKeyId());
  });

  test('nobody consumes it yet: no function may receive from it', () => {
    for (const n of ALL_MESH) expect(allows(statementsOf(template, n), 'sqs:ReceiveMessage')).toBe(false);
  });
});

describe('MESH shared key', () => {
  test('a generated Secrets Manager secret, encrypted with the MESH key, retained', () => {
    const s = resources[secretId()];
    expect(s.DeletionPolicy).toBe('Retain');
    expect(s.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [meshKeyId(), 'Arn'] });
    expect(s.Properties.GenerateSecretString).toBeDefined();
  });

  test.each(meshFunctions)('%s reads it by ARN (MESH_SHARED_KEY_SECRET_ARN); its value is never in the environment', (name) => {
    const st = statementsOf(template, name);
    const read = st.find((s) => asArray(s.Action).includes('secretsmanager:GetSecretValue'));
    expect(read.Resource).toEqual({ Ref: secretId() });
    expect(allows(st, 'kms:Decrypt', meshKeyId())).toBe(true);
    const env = envOf(template, name);
    expect(env.MESH_SHARED_KEY_SECRET_ARN).toEqual({ Ref: secretId() });
    expect(env.MESH_SHARED_KEY).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain('resolve:secretsmanager');
  });

  test('no function outside MESH may read it, nor the expiry job', () => {
    const readers = Object.keys(resources)
      .filter((id) => resources[id].Type === 'AWS::IAM::ManagedPolicy')
      .filter((id) => allows(resources[id].Properties.PolicyDocument.Statement, 'secretsmanager:GetSecretValue'));
    expect(readers.length).toBe(meshFunctions.length);
    expect(allows(statementsOf(template, EXPIRER), 'secretsmanager:GetSecretValue')).toBe(false);
  });
});

describe('MESH functions', () => {
  test.each(meshFunctions)('%s: the Spine table (reads; writes only if its route writes), SPINE_TABLE_NAME, 256 MB, 10 s', (name) => {
    const fn = resources[functionLogicalId(template, name)].Properties;
    expect(fn.MemorySize).toBe(256);
    expect(fn.Timeout).toBe(10);
    expect(fn.Environment.Variables.SPINE_TABLE_NAME).toEqual({ Ref: tableId() });
    expect(fn.Environment.Variables.AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH).toBe('true');
    const st = statementsOf(template, name);
    for (const a of ['dynamodb:GetItem', 'dynamodb:Query']) expect(allows(st, a, tableId())).toBe(true);
    for (const a of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem']) {
      expect(allows(st, a)).toBe(writes(name));
    }
    expect(allows(st, 'dynamodb:Scan')).toBe(false);
  });

  test('ping, endpoint lookup and workflow search are the read-only ones', () => {
    expect(meshFunctions.filter((n) => !writes(n)).sort()).toEqual(['mesh-endpoint-lookup', 'mesh-ping', 'mesh-workflow-search']);
  });

  test.each(ALL_MESH)('%s never sends to the audit queue', (name) => {
    const st = statementsOf(template, name);
    expect(allows(st, 'sqs:SendMessage', auditQueueId())).toBe(false);
    expect(envOf(template, name).SPINE_AUDIT_QUEUE).toBeUndefined();
  });

  test('only the two send functions may PutObject, only under mesh/, with the MESH key via S3', () => {
    for (const n of ALL_MESH) {
      const st = statementsOf(template, n);
      expect({ n, put: allows(st, 's3:PutObject', bucket().id) }).toEqual({ n, put: CHUNK_WRITERS.includes(n) });
    }
    for (const n of CHUNK_WRITERS) {
      const st = statementsOf(template, n);
      const put = st.find((s) => asArray(s.Action).includes('s3:PutObject'));
      expect(put.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket().id, 'Arn'] }, '/mesh/*']] });
      const key = st.find((s) => s.Sid === 'MeshKeyViaS3ForPut');
      expect(asArray(key.Action)).toContain('kms:GenerateDataKey');
      expect(key.Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.eu-west-2.amazonaws.com' } });
      for (const a of ['s3:GetObject', 's3:DeleteObject', 's3:ListBucket']) expect(allows(st, a)).toBe(false);
    }
    expect(allows(statementsOf(template, 'mesh-list-inbox'), 's3:PutObject')).toBe(false);
  });

  test('only the download functions (and HEAD) may GetObject, only under mesh/', () => {
    for (const n of ALL_MESH) {
      expect({ n, get: allows(statementsOf(template, n), 's3:GetObject', bucket().id) }).toEqual({ n, get: CHUNK_READERS.includes(n) });
    }
    for (const n of CHUNK_READERS) {
      const st = statementsOf(template, n);
      const get = st.find((s) => asArray(s.Action).includes('s3:GetObject'));
      expect(get.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket().id, 'Arn'] }, '/mesh/*']] });
      expect(allows(st, 'kms:Decrypt', meshKeyId())).toBe(true);
      for (const a of ['s3:PutObject', 's3:DeleteObject']) expect(allows(st, a)).toBe(false);
    }
  });

  test('SPINE_MESH_BUCKET names the bucket for exactly the chunk functions', () => {
    const withBucket = ALL_MESH.filter((n) => envOf(template, n).SPINE_MESH_BUCKET !== undefined);
    expect(withBucket.sort()).toEqual([...CHUNK_WRITERS, ...CHUNK_READERS].sort());
    for (const n of withBucket) expect(envOf(template, n).SPINE_MESH_BUCKET).toEqual({ Ref: bucket().id });
  });

  test('only the publishers may send to mesh-events, with SPINE_MESH_EVENTS_QUEUE set', () => {
    for (const n of ALL_MESH) {
      const st = statementsOf(template, n);
      const publishes = PUBLISHERS.includes(n);
      expect({ n, send: allows(st, 'sqs:SendMessage', queue().id) }).toEqual({ n, send: publishes });
      expect({ n, env: envOf(template, n).SPINE_MESH_EVENTS_QUEUE }).toEqual({
        n,
        env: publishes ? { 'Fn::GetAtt': [queue().id, 'QueueName'] } : undefined,
      });
    }
    const send = statementsOf(template, 'mesh-send').find((s) => s.Sid === 'MeshEventsSend');
    expect(asArray(send.Action).sort()).toEqual(['sqs:GetQueueUrl', 'sqs:SendMessage']);
    // Nothing outside MESH may send to it either.
    const senders = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p) =>
      allows(p.Properties.PolicyDocument.Statement, 'sqs:SendMessage', queue().id),
    );
    expect(senders.length).toBe(PUBLISHERS.length);
  });
});

describe('expiry job', () => {
  test('mesh-expire-messages: 5 minute timeout, 256 MB, no HTTP environment, the table and the events queue', () => {
    const fn = resources[functionLogicalId(template, EXPIRER)].Properties;
    expect(fn.Timeout).toBe(300);
    expect(fn.MemorySize).toBe(256);
    expect(fn.Runtime).toBe('provided.al2023');
    expect(fn.Environment.Variables.AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH).toBeUndefined();
    expect(fn.Environment.Variables.SPINE_TABLE_NAME).toEqual({ Ref: tableId() });
  });

  test('an hourly EventBridge rule invokes it (with retries), and EventBridge may invoke it', () => {
    const rule = resourceLike(template, 'AWS::Events::Rule', 'MeshExpirySchedule').resource.Properties;
    expect(rule.ScheduleExpression).toBe('rate(1 hour)');
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [functionLogicalId(template, EXPIRER), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionLogicalId(template, EXPIRER), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [resourceLike(template, 'AWS::Events::Rule', 'MeshExpirySchedule').id, 'Arn'] },
    });
  });

  test('grants: Query on gsi2 only, PutItem/UpdateItem/ConditionCheckItem, no DeleteItem, SendMessage to mesh-events', () => {
    const st = statementsOf(template, EXPIRER);
    const query = st.find((s) => asArray(s.Action).includes('dynamodb:Query'));
    expect(asArray(query.Resource)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId(), 'Arn'] }, '/index/gsi2']] }]);
    for (const a of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']) expect(allows(st, a, tableId())).toBe(true);
    for (const a of ['dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem']) expect(allows(st, a)).toBe(false);
    expect(allows(st, 'sqs:SendMessage', queue().id)).toBe(true);
    for (const a of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) expect(allows(st, a)).toBe(false);
  });

  test('alarms: the job\'s errors and the schedule\'s failed invocations notify the alarm topic', () => {
    const topic = { Ref: resourceLike(template, 'AWS::SNS::Topic', 'AlarmTopic').id };
    const errors = resourceLike(template, 'AWS::CloudWatch::Alarm', 'MeshExpireErrorsAlarm').resource.Properties;
    expect(errors).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(template, EXPIRER) } }],
      Threshold: 0,
      AlarmActions: [topic],
    });
    const failed = resourceLike(template, 'AWS::CloudWatch::Alarm', 'MeshExpiryFailedInvocationsAlarm').resource.Properties;
    expect(failed).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: resourceLike(template, 'AWS::Events::Rule', 'MeshExpirySchedule').id } }],
      AlarmActions: [topic],
    });
  });
});

describe('MESH outputs', () => {
  test('the MESH URL on the custom domain, its DNS target, the bucket, the queue URL, the secret', () => {
    const outputs = template.toJSON().Outputs;
    const domainId = resourceLike(template, 'AWS::ApiGateway::DomainName', 'MeshDomain').id;
    expect(outputs.MeshUrl.Value).toEqual({ 'Fn::Join': ['', ['https://', { Ref: domainId }, '/messageexchange']] });
    expect(outputs.MeshDomainTarget.Value).toEqual({ 'Fn::GetAtt': [domainId, 'RegionalDomainName'] });
    expect(outputs.MeshChunkBucketName.Value).toEqual({ Ref: bucket().id });
    expect(outputs.MeshEventsQueueUrl.Value).toEqual({ Ref: queue().id });
    expect(outputs.MeshSharedKeySecretArn.Value).toEqual({ Ref: secretId() });
  });
});
