// Unit tests of EPS's status events in SpineStack: the Spine table's stream (and none on the audit table),
// the eps-status-events queue and its alarmed DLQ, the outbox relay (its filtered stream mapping with
// partial batch failures, bisection, retries and an alarmed on-failure queue; GetItem/DeleteItem on outbox
// items only; sending to the queue; its alarms), the notifier (its SQS mapping with partial batch failures;
// the table; consuming the queue), the daily expiry job (its schedule and retry policy, its alarms, its
// partition-key-limited table grants, its Serverless-EventBusDLQ acknowledgement, no cdk-nag finding left),
// and that the EPS route functions get nothing beyond their routes'.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { NagPack } from 'cdk-nag';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SpineEps } from '../lib/eps';
import { SpineStack } from '../lib/spine-stack';
import {
  ENV,
  EXTRA_FUNCTIONS,
  allows,
  asArray,
  deniesInsecureTransport,
  envOf,
  expectAlarmedDlq,
  freshApp,
  functionLogicalId,
  methodsOf,
  rawRoutes,
  resourceLike,
  resourcePolicyStatements,
  statementsOf,
} from './helpers';

const routes = rawRoutes();
const RELAY = 'eps-relay-status-events';
const NOTIFIER = 'eps-notify-patients';
const EXPIRER = 'eps-expire-prescriptions';
const epsRoutes = routes.filter((r) => r.service === 'eps');
const epsRouteFunctions = [...new Set(epsRoutes.map((r) => r.function))];
const everyFunction = [...new Set(routes.map((r) => r.function)), ...EXTRA_FUNCTIONS];

let stack: SpineStack;
let packs: NagPack[];
let template: Template;
let resources: Record<string, any>;

beforeAll(() => {
  ({ stack, packs } = freshApp());
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const tableId = () => Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('Table'))!;
const auditTableId = () => Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('AuditTable'))!;
const tableKeyId = () => resources[tableId()].Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'][0] as string;
const queue = () => resourceLike(template, 'AWS::SQS::Queue', 'EpsStatusEventsQueue');
const dlq = () => resourceLike(template, 'AWS::SQS::Queue', 'EpsStatusEventsDeadLetterQueue');
const failureQueue = () => resourceLike(template, 'AWS::SQS::Queue', 'EpsRelayFailureQueue');
const epsKeyId = () => resourceLike(template, 'AWS::KMS::Key', 'EpsKey').id;
const alarmTopic = () => ({ Ref: resourceLike(template, 'AWS::SNS::Topic', 'AlarmTopic').id });
const getAtt = (id: string, attr: string) => ({ 'Fn::GetAtt': [id, attr] });
/** The EPS functions' environment (the relay adds the queue's name): every function's settings and the Spine table. */
const baseEnvWithTable = () => ({
  SPINE_STORE: 'aws',
  RUST_LOG: 'info',
  SPINE_BASE_URL: 'https://api.service.nhs.uk',
  SPINE_TOKEN_ISSUER: 'https://api.service.nhs.uk/oauth2',
  SPINE_TOKEN_AUDIENCE: 'https://api.service.nhs.uk',
  SPINE_TABLE_NAME: { Ref: tableId() },
});
const mappingOf = (fn: string) => {
  const found = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
    (m) => m.Properties.FunctionName.Ref === functionLogicalId(template, fn),
  );
  expect(found.length).toBe(1);
  return found[0].Properties;
};
const actionsOf = (statements: any[]) => new Set(statements.flatMap((s) => asArray(s.Action)) as string[]);
const statementWith = (statements: any[], action: string) => statements.filter((s) => asArray(s.Action).includes(action));

describe('the Spine table stream', () => {
  test('the Spine table streams new images; the audit table has no stream', () => {
    expect(resources[tableId()].Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(resources[auditTableId()].Properties.StreamSpecification).toBeUndefined();
  });

  test('only the relay reads the stream', () => {
    const readers = everyFunction.filter((n) => allows(statementsOf(template, n), 'dynamodb:GetRecords'));
    expect(readers).toEqual([RELAY]);
    const st = statementWith(statementsOf(template, RELAY), 'dynamodb:GetRecords');
    expect(st.length).toBe(1);
    expect(st[0].Resource).toEqual(getAtt(tableId(), 'StreamArn'));
    expect(asArray(st[0].Action).sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
  });
});

describe('eps-status-events queue', () => {
  test('KMS with the EPS key (rotating, retained), SSL only, DLQ after 5 receives, visibility 6x the notifier\'s timeout plus its batching window', () => {
    const q = queue().resource.Properties;
    expect(q.KmsMasterKeyId).toEqual(getAtt(epsKeyId(), 'Arn'));
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt(dlq().id, 'Arn'), maxReceiveCount: 5 });
    expect(resources[epsKeyId()].Properties.EnableKeyRotation).toBe(true);
    expect(resources[epsKeyId()].DeletionPolicy).toBe('Retain');
    expect(deniesInsecureTransport(resourcePolicyStatements(template, 'AWS::SQS::QueuePolicy', 'Queues', queue().id))).toBe(true);
    const notifier = resources[functionLogicalId(template, NOTIFIER)].Properties;
    const window = mappingOf(NOTIFIER).MaximumBatchingWindowInSeconds;
    expect(q.VisibilityTimeout).toBeGreaterThanOrEqual(6 * notifier.Timeout + window);
  });

  test('the DLQ: same key, SSL only, kept 14 days, alarmed to the alarm topic when not empty', () => {
    expectAlarmedDlq(template, dlq().id, 'EpsStatusEventsDeadLetterAlarm', epsKeyId());
  });

  test('the EPS key policy names no function (every grant is in the functions\' own policies)', () => {
    expect(JSON.stringify(resources[epsKeyId()].Properties.KeyPolicy)).not.toMatch(/Role/);
  });

  test('only the relay may send to it; only the notifier may receive or delete', () => {
    expect(everyFunction.filter((n) => allows(statementsOf(template, n), 'sqs:SendMessage', queue().id))).toEqual([RELAY]);
    expect(everyFunction.filter((n) => allows(statementsOf(template, n), 'sqs:ReceiveMessage', queue().id))).toEqual([NOTIFIER]);
    expect(everyFunction.filter((n) => allows(statementsOf(template, n), 'sqs:DeleteMessage', queue().id))).toEqual([NOTIFIER]);
  });

  test('output: the queue URL', () => {
    expect(template.toJSON().Outputs.EpsStatusEventsQueueUrl.Value).toEqual({ Ref: queue().id });
  });
});

describe('outbox relay', () => {
  test('eps-relay-status-events: 30 s, 256 MB, no HTTP environment; the table and the queue\'s generated name', () => {
    const fn = resources[functionLogicalId(template, RELAY)].Properties;
    expect(fn.Timeout).toBe(30);
    expect(fn.MemorySize).toBe(256);
    expect(fn.Runtime).toBe('provided.al2023');
    expect(envOf(template, RELAY)).toEqual({
      ...baseEnvWithTable(),
      SPINE_EPS_EVENTS_QUEUE: getAtt(queue().id, 'QueueName'),
    });
  });

  test('the stream mapping: TRIM_HORIZON, batches of 100, partial batch failures, bisection, 10 retries, on-failure queue', () => {
    expect(mappingOf(RELAY)).toMatchObject({
      EventSourceArn: getAtt(tableId(), 'StreamArn'),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: getAtt(failureQueue().id, 'Arn') } },
    });
  });

  test('the stream mapping is filtered: only INSERTs whose pk begins EPSOUTBOX#', () => {
    const filters = mappingOf(RELAY).FilterCriteria.Filters;
    expect(filters.length).toBe(1);
    expect(JSON.parse(filters[0].Pattern)).toEqual({
      eventName: ['INSERT'],
      dynamodb: { Keys: { pk: { S: [{ prefix: 'EPSOUTBOX#' }] } } },
    });
  });

  test('the on-failure queue: the EPS key, SSL only, kept 14 days, alarmed; only the relay may send to it', () => {
    const q = failureQueue().resource.Properties;
    expect(q.KmsMasterKeyId).toEqual(getAtt(epsKeyId(), 'Arn'));
    expect(q.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(deniesInsecureTransport(resourcePolicyStatements(template, 'AWS::SQS::QueuePolicy', 'Queues', failureQueue().id))).toBe(true);
    const alarm = resourceLike(template, 'AWS::CloudWatch::Alarm', 'EpsRelayFailureAlarm').resource.Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(failureQueue().id, 'QueueName') }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [alarmTopic()],
    });
    expect(everyFunction.filter((n) => allows(statementsOf(template, n), 'sqs:SendMessage', failureQueue().id))).toEqual([RELAY]);
  });

  test('least privilege: GetItem/DeleteItem on outbox items of the Spine table, the stream, SendMessage to the queue; nothing else', () => {
    const st = statementsOf(template, RELAY);
    const dynamo = [...actionsOf(st)].filter((a) => a.startsWith('dynamodb:')).sort();
    expect(dynamo).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:DescribeStream',
      'dynamodb:GetItem',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
    const items = statementWith(st, 'dynamodb:GetItem');
    expect(items.length).toBe(1);
    expect(asArray(items[0].Action).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem']);
    expect(items[0].Resource).toEqual(getAtt(tableId(), 'Arn'));
    expect(items[0].Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EPSOUTBOX#*'] } });
    // The table key for reads only, through DynamoDB.
    const tableKey = st.filter((s) => JSON.stringify(s.Resource).includes(`"${tableKeyId()}"`));
    expect(tableKey.length).toBe(1);
    expect(asArray(tableKey[0].Action).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(tableKey[0].Condition).toEqual({ StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-2.amazonaws.com' } });
    // The queue: send (and resolve its URL) only.
    const send = statementWith(st, 'sqs:SendMessage').find((s) => JSON.stringify(s.Resource).includes(`"${queue().id}"`));
    expect(asArray(send.Action).sort()).toEqual(['sqs:GetQueueUrl', 'sqs:SendMessage']);
    const sqsActions = [...actionsOf(st)].filter((a) => a.startsWith('sqs:')).sort();
    expect(sqsActions).toEqual(['sqs:GetQueueUrl', 'sqs:SendMessage']);
    const epsKey = st.filter((s) => JSON.stringify(s.Resource).includes(`"${epsKeyId()}"`));
    expect(epsKey.length).toBe(1);
    expect(asArray(epsKey[0].Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(epsKey[0].Condition).toEqual({ StringEquals: { 'kms:ViaService': 'sqs.eu-west-2.amazonaws.com' } });
    // Nothing on the audit trail, no S3, no secrets.
    expect(JSON.stringify(st)).not.toContain(`"${auditTableId()}"`);
    for (const a of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:Scan', 's3:GetObject', 'secretsmanager:GetSecretValue']) {
      expect(allows(st, a)).toBe(false);
    }
    expect(envOf(template, RELAY).SPINE_AUDIT_QUEUE).toBeUndefined();
  });

  test('alarms: the relay\'s errors and its iterator age notify the alarm topic', () => {
    const fnRef = { Ref: functionLogicalId(template, RELAY) };
    expect(resourceLike(template, 'AWS::CloudWatch::Alarm', 'EpsRelayErrorsAlarm').resource.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: fnRef }],
      Threshold: 0,
      AlarmActions: [alarmTopic()],
    });
    expect(resourceLike(template, 'AWS::CloudWatch::Alarm', 'EpsRelayIteratorAgeAlarm').resource.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'FunctionName', Value: fnRef }],
      Threshold: 10 * 60 * 1000,
      AlarmActions: [alarmTopic()],
    });
  });
});

describe('notifier', () => {
  test('eps-notify-patients: 10 s, 256 MB, no HTTP environment, the table', () => {
    const fn = resources[functionLogicalId(template, NOTIFIER)].Properties;
    expect(fn.Timeout).toBe(10);
    expect(fn.MemorySize).toBe(256);
    expect(envOf(template, NOTIFIER)).toEqual(baseEnvWithTable());
  });

  test('the SQS mapping: the queue, batches of up to 100 gathered for 1 s, partial batch failures, capped concurrency', () => {
    expect(mappingOf(NOTIFIER)).toMatchObject({
      EventSourceArn: getAtt(queue().id, 'Arn'),
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  test('grants: the Spine table (transactional puts), consuming the queue with the EPS key via SQS; no send, no stream', () => {
    const st = statementsOf(template, NOTIFIER);
    for (const a of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']) {
      expect(allows(st, a, tableId())).toBe(true);
    }
    expect(allows(st, 'dynamodb:Scan')).toBe(false);
    expect(allows(st, 'dynamodb:GetRecords')).toBe(false);
    const consume = statementWith(st, 'sqs:ReceiveMessage');
    expect(consume.length).toBe(1);
    expect(consume[0].Resource).toEqual(getAtt(queue().id, 'Arn'));
    expect(asArray(consume[0].Action).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    const sqsResources = st.filter((s) => asArray(s.Action).some((a: string) => a.startsWith('sqs:'))).map((s) => s.Resource);
    expect(sqsResources).toEqual([getAtt(queue().id, 'Arn')]);
    expect(allows(st, 'sqs:SendMessage')).toBe(false);
    const epsKey = st.filter((s) => JSON.stringify(s.Resource).includes(`"${epsKeyId()}"`));
    expect(epsKey.length).toBe(1);
    expect(asArray(epsKey[0].Action)).toEqual(['kms:Decrypt']);
    expect(epsKey[0].Condition).toEqual({ StringEquals: { 'kms:ViaService': 'sqs.eu-west-2.amazonaws.com' } });
    expect(JSON.stringify(st)).not.toContain(`"${auditTableId()}"`);
    expect(envOf(template, NOTIFIER).SPINE_AUDIT_QUEUE).toBeUndefined();
  });
});

describe('expiry job', () => {
  const rule = () => resourceLike(template, 'AWS::Events::Rule', 'EpsExpirySchedule');

  test('eps-expire-prescriptions: 15 minute timeout, 256 MB, no HTTP environment; every function\'s settings and the Spine table, nothing else', () => {
    const fn = resources[functionLogicalId(template, EXPIRER)].Properties;
    expect(fn.Timeout).toBe(15 * 60);
    expect(fn.MemorySize).toBe(256);
    expect(fn.Runtime).toBe('provided.al2023');
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    // No AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH, no queue, no audit queue: the table alone.
    expect(envOf(template, EXPIRER)).toEqual(baseEnvWithTable());
    expect(stack.eps.expirer.spec).toMatchObject({ name: EXPIRER, service: 'eps', writes: true, routes: [] });
  });

  test('a daily EventBridge rule (cron 02:00 UTC) invokes it, with 2 retries within an hour; EventBridge may invoke it', () => {
    const r = rule().resource.Properties;
    expect(r.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(r.Description).toBe('Spine EPS: daily expiry of prescriptions not dispensed within their validity (status 0004)');
    expect(r.State).toBe('ENABLED');
    expect(r.Targets).toEqual([
      expect.objectContaining({
        Arn: getAtt(functionLogicalId(template, EXPIRER), 'Arn'),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      }),
    ]);
    // The schedule's own (empty) events: no input, no target DLQ (acknowledged below).
    expect(r.Targets[0].Input).toBeUndefined();
    expect(r.Targets[0].DeadLetterConfig).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: getAtt(functionLogicalId(template, EXPIRER), 'Arn'),
      SourceArn: getAtt(rule().id, 'Arn'),
    });
    // Nothing else invokes it: no event source mapping, no API method.
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => m.Properties.FunctionName.Ref === functionLogicalId(template, EXPIRER),
    );
    expect(mappings).toEqual([]);
    const invokers = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties.FunctionName).includes(`"${functionLogicalId(template, EXPIRER)}"`),
    );
    expect(invokers.map((p) => p.Properties.Principal)).toEqual(['events.amazonaws.com']);
  });

  test('alarms: the job\'s errors and the schedule\'s failed invocations notify the alarm topic', () => {
    expect(resourceLike(template, 'AWS::CloudWatch::Alarm', 'EpsExpireErrorsAlarm').resource.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionLogicalId(template, EXPIRER) } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [alarmTopic()],
    });
    expect(resourceLike(template, 'AWS::CloudWatch::Alarm', 'EpsExpiryFailedInvocationsAlarm').resource.Properties).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: rule().id } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
      AlarmActions: [alarmTopic()],
    });
  });

  test('least privilege: Query/DeleteItem on EPSEXPIRY# markers, GetItem on EPSRX#, PutItem on EPSRX# and EPSOUTBOX#; nothing else', () => {
    const st = statementsOf(template, EXPIRER);
    expect(st.map((s) => s.Sid).sort()).toEqual([
      'OwnLogGroup',
      'TableExpiryMarkersQueryDelete',
      'TableKeyViaDynamoDB',
      'TablePrescriptionsGet',
      'TablePrescriptionsOutboxPut',
      'XRayTraces',
    ]);
    const dynamo = [...actionsOf(st)].filter((a) => a.startsWith('dynamodb:')).sort();
    expect(dynamo).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    const leadingKeys = (s: any) => s.Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'];
    const bySid = (sid: string) => st.find((s) => s.Sid === sid);
    // Every DynamoDB statement is on the table itself (no index, no stream) and limited by partition key.
    for (const s of st.filter((x) => asArray(x.Action).some((a: string) => a.startsWith('dynamodb:')))) {
      expect(s.Resource).toEqual(getAtt(tableId(), 'Arn'));
      expect(Object.keys(s.Condition)).toEqual(['ForAllValues:StringLike']);
    }
    const markers = bySid('TableExpiryMarkersQueryDelete');
    expect(asArray(markers.Action).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:Query']);
    expect(leadingKeys(markers)).toEqual(['EPSEXPIRY#*']);
    const get = bySid('TablePrescriptionsGet');
    expect(asArray(get.Action)).toEqual(['dynamodb:GetItem']);
    expect(leadingKeys(get)).toEqual(['EPSRX#*']);
    const put = bySid('TablePrescriptionsOutboxPut');
    expect(asArray(put.Action)).toEqual(['dynamodb:PutItem']);
    expect(leadingKeys(put)).toEqual(['EPSRX#*', 'EPSOUTBOX#*']);
    // The table key as every table writer gets it, through DynamoDB only.
    const tableKey = st.filter((s) => JSON.stringify(s.Resource).includes(`"${tableKeyId()}"`));
    expect(tableKey.length).toBe(1);
    expect(asArray(tableKey[0].Action).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
    expect(tableKey[0].Condition).toEqual({ StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-2.amazonaws.com' } });
    // No other table action, no stream, no index; no queue (the relay publishes its outbox items), no EPS key,
    // nothing on the audit trail, no S3, no secrets.
    for (const a of [
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:GetRecords',
      'sqs:SendMessage',
      's3:GetObject',
      'secretsmanager:GetSecretValue',
    ]) {
      expect(allows(st, a)).toBe(false);
    }
    expect(JSON.stringify(st)).not.toContain('/index/');
    expect(JSON.stringify(st)).not.toContain(`"${epsKeyId()}"`);
    expect(JSON.stringify(st)).not.toContain(`"${auditTableId()}"`);
    expect(envOf(template, EXPIRER).SPINE_AUDIT_QUEUE).toBeUndefined();
  });

  test('Serverless-EventBusDLQ is acknowledged on the schedule rule alone, with an EPS reason', () => {
    const acks = (c: { node: { metadata: { type: string; data: any }[] } }) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>));
    const onRule = acks(stack.eps.expirySchedule).filter(([id]) => id.endsWith('Serverless-EventBusDLQ'));
    expect(onRule.length).toBe(1);
    expect(onRule[0][1]).toMatch(/daily schedule/);
    expect(onRule[0][1]).toMatch(/FailedInvocations/);
    expect(onRule[0][1]).not.toMatch(/hourly|MESH/);
    // Not on the construct as a whole (each finding on the construct that has it).
    expect(acks(stack.eps).some(([id]) => id.endsWith('Serverless-EventBusDLQ'))).toBe(false);
  });

  test('cdk-nag: no unacknowledged finding on the job, its rule or its alarms', () => {
    const found = packs.flatMap((p) =>
      [stack.eps.expirer, stack.eps.expirySchedule, stack.eps.expirerErrorsAlarm, stack.eps.expiryFailedInvocationsAlarm].flatMap(
        (c) => p.validateScope(c).violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
      ),
    );
    expect(found).toEqual([]);
  });
});

describe('EPS route functions', () => {
  test('the six EPS routes, each its own function, behind the authorizer', () => {
    expect(epsRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /electronic-prescriptions/FHIR/R4/Task',
      'POST /electronic-prescriptions/FHIR/R4/$prepare',
      'POST /electronic-prescriptions/FHIR/R4/$process-message',
      'POST /electronic-prescriptions/FHIR/R4/Claim',
      'POST /electronic-prescriptions/FHIR/R4/Task',
      'POST /electronic-prescriptions/FHIR/R4/Task/$release',
    ]);
    expect(epsRouteFunctions.length).toBe(6);
    const methods = methodsOf(template, 'Api');
    for (const r of epsRoutes) {
      const m = methods.find((x) => x.route === `${r.method} ${r.path}`)!.props;
      expect(m.AuthorizationType).toBe('CUSTOM');
      expect(JSON.stringify(m.Integration.Uri)).toContain(`"${functionLogicalId(template, r.function)}"`);
    }
  });

  test('SpineEps refuses a table without a stream', () => {
    const other = new Stack(new App(), 'Other', { env: ENV });
    const key = new kms.Key(other, 'Key');
    const table = new dynamodb.Table(other, 'NoStream', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const topic = new sns.Topic(other, 'Topic');
    expect(() => new SpineEps(other, 'Eps', { table, tableKey: key, logKey: key, alarmTopic: topic, environment: {} })).toThrow(
      /needs its stream/,
    );
  });

  test.each(epsRouteFunctions)('%s gets nothing from SpineEps: no stream, no EPS queue or key, no SPINE_EPS_EVENTS_QUEUE', (name) => {
    const st = statementsOf(template, name);
    expect(allows(st, 'dynamodb:GetRecords')).toBe(false);
    expect(JSON.stringify(st)).not.toContain(`"${epsKeyId()}"`);
    expect(JSON.stringify(st)).not.toContain(`"${queue().id}"`);
    expect(envOf(template, name).SPINE_EPS_EVENTS_QUEUE).toBeUndefined();
    // Writing routes write the outbox items themselves, through their read-write table grant.
    const writes = epsRoutes.some((r) => r.function === name && r.writes);
    expect(allows(st, 'dynamodb:PutItem', tableId())).toBe(writes);
  });
});
