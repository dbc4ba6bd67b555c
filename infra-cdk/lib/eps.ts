// SpineEps: EPS's status events around its route functions. Every committed change of a prescription
// writes, in the same transaction, an outbox item (pk EPSOUTBOX#<shard>) in the Spine table. The
// table's stream (NEW_IMAGE) invokes the relay `eps-relay-status-events` for new outbox items only (an
// event filter: INSERT, pk beginning EPSOUTBOX#); it sends each to the eps-status-events queue (KMS, DLQ
// after 5 receives, alarmed) and deletes the item. Records still failing after the retries go to an
// alarmed on-failure queue. `eps-notify-patients` consumes the queue (one notification item per event that
// tells the patient something, keyed by the event: a redelivery rewrites the same item). The daily expiry job `eps-expire-prescriptions` (an EventBridge schedule,
// alarmed like MESH's expiry job) expires the prescriptions not dispensed within their validity (0004),
// through the same transactional outbox. The route functions are built by SpineStack from the route
// table like every other route function and need nothing from here: they write the outbox items themselves.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keyStatement } from './key-statement';
import { grantQueueSend, queueWithDlq } from './queue-with-dlq';
import { scheduleJob } from './scheduled-job';
import { SpineFunction } from './spine-function';
import { topicAlarm } from './topic-alarm';

export const EPS_SERVICE = 'eps';
/** Sends new outbox items to eps-status-events and deletes them (invoked by the table's stream). */
export const EPS_RELAY_FUNCTION = 'eps-relay-status-events';
/** Consumes eps-status-events: records each event once and writes the patient's notification. */
export const EPS_NOTIFY_FUNCTION = 'eps-notify-patients';
/** Outbox items' partition keys begin with this (functions/eps/src/outbox.rs). */
export const EPS_OUTBOX_PREFIX = 'EPSOUTBOX#';
/** The stream records the relay is invoked for: new items whose pk begins EPSOUTBOX#, nothing else. */
export const EPS_OUTBOX_FILTER = {
  eventName: lambda.FilterRule.isEqual('INSERT'),
  dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(EPS_OUTBOX_PREFIX) } } },
};
export const EPS_RELAY_BATCH_SIZE = 100;
/** A failing batch is bisected and retried this many times before its records go to the failure queue. */
export const EPS_RELAY_RETRY_ATTEMPTS = 10;
/** A batch of 100 is up to 100 GetItem + SendMessage + DeleteItem calls. */
export const EPS_RELAY_TIMEOUT = Duration.seconds(30);
/** The relay alarms when the oldest record it has not handled is older than this. */
export const EPS_RELAY_MAX_ITERATOR_AGE = Duration.minutes(10);
/**
 * Up to 100 status events a batch (the most one DynamoDB transaction writes), gathered for up to 1 s:
 * patient notifications can wait a second, and a tenth of the invocations, receives and deletes carry
 * the same events. (SQS needs a batching window of at least 1 s for a batch over 10.)
 */
export const EPS_NOTIFY_BATCH_SIZE = 100;
export const EPS_NOTIFY_BATCHING_WINDOW = Duration.seconds(1);
export const EPS_NOTIFY_TIMEOUT = Duration.seconds(10);
/** Caps the notifier's concurrency (the SQS poller delivers at most this many batches at once). */
export const EPS_NOTIFY_MAX_CONCURRENCY = 5;
export const EPS_STATUS_EVENTS_MAX_RECEIVE_COUNT = 5;
/** The scheduled job: prescriptions not dispensed within their validity expire (0004). */
export const EPS_EXPIRE_FUNCTION = 'eps-expire-prescriptions';
/**
 * Daily, by cron at 02:00 UTC (not `rate(1 day)`, whose time of day is whenever the rule was created): the
 * UTC day the job expires for (the event's `time`) has begun, in both GMT and BST, and the night is quiet.
 */
export const EPS_EXPIRE_SCHEDULE = events.Schedule.cron({ minute: '0', hour: '2' });
/** A run queries a year of daily marker partitions and expires each due prescription; Lambda's maximum. */
export const EPS_EXPIRE_TIMEOUT = Duration.minutes(15);
/** Expiry markers' partition keys: EPSEXPIRY#<yyyy-mm-dd>, one item per prescription (functions/eps/src/model.rs). */
export const EPS_EXPIRY_PREFIX = 'EPSEXPIRY#';
/** Prescription items' partition keys: EPSRX#<prescription id> (functions/eps/src/model.rs). */
export const EPS_PRESCRIPTION_PREFIX = 'EPSRX#';

/** The environment variables the EPS status-event functions read. */
export const EPS_ENV = {
  table: 'SPINE_TABLE_NAME',
  eventsQueue: 'SPINE_EPS_EVENTS_QUEUE',
} as const;

export interface SpineEpsProps {
  /** The Spine table (with its NEW_IMAGE stream) and its key. */
  readonly table: dynamodb.ITable;
  readonly tableKey: kms.IKey;
  /** The key encrypting CloudWatch log groups. */
  readonly logKey: kms.IKey;
  /** Where alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** Environment every function gets (base URL, token issuer and audience). */
  readonly environment: Record<string, string>;
  /** Where cargo lambda writes its output; defaults to <repo>/target/lambda. */
  readonly lambdaBuildDir?: string;
}

export class SpineEps extends Construct {
  /** Encrypts eps-status-events, its DLQ and the relay's failure queue. */
  public readonly key: kms.Key;
  public readonly statusEventsQueue: sqs.Queue;
  public readonly statusEventsDeadLetterQueue: sqs.Queue;
  public readonly statusEventsDeadLetterAlarm: cloudwatch.Alarm;
  /** The stream mapping's on-failure destination: where records go that the relay could not handle. */
  public readonly relayFailureQueue: sqs.Queue;
  public readonly relayFailureAlarm: cloudwatch.Alarm;
  public readonly relay: SpineFunction;
  public readonly relayEventSource: eventSources.DynamoEventSource;
  public readonly relayErrorsAlarm: cloudwatch.Alarm;
  public readonly relayIteratorAgeAlarm: cloudwatch.Alarm;
  public readonly notifier: SpineFunction;
  public readonly notifierEventSource: eventSources.SqsEventSource;
  public readonly expirer: SpineFunction;
  public readonly expirySchedule: events.Rule;
  public readonly expirerErrorsAlarm: cloudwatch.Alarm;
  public readonly expiryFailedInvocationsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SpineEpsProps) {
    super(scope, id);
    const { table } = props;
    if (!table.tableStreamArn) {
      throw new Error('EPS: the Spine table needs its stream (NEW_IMAGE): the outbox relay is invoked by it');
    }

    this.key = new kms.Key(this, 'Key', {
      description: 'Spine EPS: encrypts the eps-status-events queue, its DLQ and the outbox relay\'s failure queue',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Status events: a DLQ and its alarm. The visibility timeout is 6x the notifier's timeout plus its
    // batching window (AWS's advice for an SQS event source), so a batch being retried is not delivered
    // twice meanwhile.
    ({
      queue: this.statusEventsQueue,
      deadLetterQueue: this.statusEventsDeadLetterQueue,
      deadLetterAlarm: this.statusEventsDeadLetterAlarm,
    } = queueWithDlq(this, {
      idPrefix: 'StatusEvents',
      key: this.key,
      maxReceiveCount: EPS_STATUS_EVENTS_MAX_RECEIVE_COUNT,
      queueName: 'the eps-status-events queue',
      consumer: 'notifier',
      items: 'status events',
      alarmTopic: props.alarmTopic,
      alarmDescription:
        'Spine EPS status events the notifier could not handle (eps-status-events DLQ not empty): fix the notifier, then redrive',
      visibilityTimeout: Duration.seconds(EPS_NOTIFY_TIMEOUT.toSeconds() * 6 + EPS_NOTIFY_BATCHING_WINDOW.toSeconds()),
    }));

    // ---- The relay's failure queue: the stream mapping sends it the description of each batch (shard,
    // sequence numbers) still failing after the retries. The outbox items themselves stay in the table
    // (the relay deletes an item only once it is sent), so nothing is lost: an operator re-relays them.
    this.relayFailureQueue = new sqs.Queue(this, 'RelayFailureQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const failureQueueReason =
      'This queue is the on-failure destination of the outbox relay\'s DynamoDB stream event source mapping: ' +
      'it receives the description (shard, sequence numbers) of records the relay still failed after 10 bisecting ' +
      'retries, is alarmed on any message and kept 14 days; nothing consumes it but an operator, who re-relays ' +
      'the outbox items (still in the table) once the relay is fixed. It is itself a dead-letter queue, so a DLQ ' +
      'of it would only move the same records further from that operator.';
    Validations.of(this.relayFailureQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: failureQueueReason });
    Validations.of(this.relayFailureQueue).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason: failureQueueReason });
    this.relayFailureAlarm = topicAlarm(this, 'RelayFailureAlarm', props.alarmTopic, {
      description:
        'Spine EPS outbox records the relay gave up on (relay failure queue not empty): status events are not ' +
        'published for them until the relay is fixed and the outbox items re-relayed',
      metric: this.relayFailureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
    });

    // ---- The relay: invoked by the table's stream for new outbox items only. It reads the item, sends it to
    // eps-status-events and deletes it; on the table it may GetItem and DeleteItem outbox items, nothing else.
    this.relay = new SpineFunction(this, 'RelayStatusEvents', {
      spec: { name: EPS_RELAY_FUNCTION, service: EPS_SERVICE, writes: true, public: false, patientData: true, mesh: false, routes: [] },
      tables: [],
      logKey: props.logKey,
      trigger: 'stream',
      timeout: EPS_RELAY_TIMEOUT,
      lambdaBuildDir: props.lambdaBuildDir,
      environment: { ...props.environment, [EPS_ENV.table]: table.tableName },
    });
    this.relay.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TableOutboxGetDelete',
        actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        // Only outbox items: IAM checks the item's partition key.
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${EPS_OUTBOX_PREFIX}*`] } },
      }),
    );
    // The stream mapping reads the stream with the function's role. The role is immutable, so the event
    // source's own grantStreamRead (and the on-failure destination's grant) would be dropped: written here.
    this.relay.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TableStreamRead',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [table.tableStreamArn],
      }),
    );
    this.relay.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TableKeyViaDynamoDB',
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [props.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    this.grantPublish(this.relay);
    this.relay.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EpsRelayFailureSend',
        actions: ['sqs:SendMessage'],
        resources: [this.relayFailureQueue.queueArn],
      }),
    );

    this.relayEventSource = new eventSources.DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: EPS_RELAY_BATCH_SIZE,
      // The relay reports the records it failed; a failing batch is halved and retried, then given up on.
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: EPS_RELAY_RETRY_ATTEMPTS,
      parallelizationFactor: 1,
      onFailure: new eventSources.SqsDlq(this.relayFailureQueue),
      filters: [lambda.FilterCriteria.filter(EPS_OUTBOX_FILTER)],
    });
    this.relay.function.addEventSource(this.relayEventSource);

    this.relayErrorsAlarm = topicAlarm(this, 'RelayErrorsAlarm', props.alarmTopic, {
      description: 'Spine EPS outbox relay failed: status events are late until it succeeds (the stream retries)',
      metric: this.relay.function.metricErrors({ period: Duration.minutes(5) }),
    });
    this.relayIteratorAgeAlarm = topicAlarm(this, 'RelayIteratorAgeAlarm', props.alarmTopic, {
      description:
        `Spine EPS outbox relay is behind: the oldest outbox record it has not handled is over ` +
        `${EPS_RELAY_MAX_ITERATOR_AGE.toMinutes()} minutes old (the stream keeps records 24 hours)`,
      metric: this.relay.function.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: EPS_RELAY_MAX_ITERATOR_AGE.toMilliseconds(),
    });

    // ---- The notifier: consumes eps-status-events, writing the patient's notification item, keyed by the
    // event (a redelivery rewrites the same item).
    this.notifier = new SpineFunction(this, 'NotifyPatients', {
      spec: { name: EPS_NOTIFY_FUNCTION, service: EPS_SERVICE, writes: true, public: false, patientData: true, mesh: false, routes: [] },
      tables: [{ table, key: props.tableKey, access: 'read-write', sidPrefix: 'Table' }],
      logKey: props.logKey,
      trigger: 'queue',
      timeout: EPS_NOTIFY_TIMEOUT,
      lambdaBuildDir: props.lambdaBuildDir,
      environment: { ...props.environment, [EPS_ENV.table]: table.tableName },
    });
    // The role is immutable, so the event source's own grantConsumeMessages would be dropped: written here.
    this.notifier.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EpsStatusEventsConsume',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [this.statusEventsQueue.queueArn],
      }),
    );
    this.notifier.addToPolicy(keyStatement(this.key, 'EpsKeyViaSQSForReceive', 'sqs', ['kms:Decrypt']));
    this.notifierEventSource = new eventSources.SqsEventSource(this.statusEventsQueue, {
      batchSize: EPS_NOTIFY_BATCH_SIZE,
      maxBatchingWindow: EPS_NOTIFY_BATCHING_WINDOW,
      // The notifier reports only the events it failed; the rest of the batch is deleted.
      reportBatchItemFailures: true,
      maxConcurrency: EPS_NOTIFY_MAX_CONCURRENCY,
    });
    this.notifier.function.addEventSource(this.notifierEventSource);
    const mapping = this.notifier.function.node.children.find((c) => c instanceof lambda.EventSourceMapping);
    if (!mapping) throw new Error('EPS: the notifier has no event source mapping');
    Validations.of(mapping).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'On-failure destinations exist only for stream and Kafka event sources, not SQS. For an SQS source the ' +
        'failure path is the queue\'s redrive policy: after 5 receives a status event moves to the eps-status-events ' +
        'DLQ, which is KMS-encrypted, kept 14 days and alarmed.',
    });

    // ---- The expiry job: daily, reads the expiry markers of each day up to today (pk EPSEXPIRY#<yyyy-mm-dd>,
    // a Query on the table's own key, no index), expires each prescription still undispensed (GetItem of
    // EPSRX#<id>, then one TransactWriteItems of conditional puts: the prescription and its outbox item,
    // EPSOUTBOX#<n>, which the relay publishes) and deletes the marker. Its statements are written here, like
    // the relay's, each limited by partition key (dynamodb:LeadingKeys), rather than the read-write grant of a
    // route function (which would add BatchGetItem, UpdateItem, ConditionCheckItem, both indexes, and every item).
    this.expirer = new SpineFunction(this, 'ExpirePrescriptions', {
      spec: { name: EPS_EXPIRE_FUNCTION, service: EPS_SERVICE, writes: true, public: false, patientData: true, mesh: false, routes: [] },
      tables: [],
      logKey: props.logKey,
      trigger: 'schedule',
      timeout: EPS_EXPIRE_TIMEOUT,
      lambdaBuildDir: props.lambdaBuildDir,
      environment: { ...props.environment, [EPS_ENV.table]: table.tableName },
    });
    // Each action below always names a partition key, so the ForAllValues condition always has a value to check.
    this.expirer.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TableExpiryMarkersQueryDelete',
        actions: ['dynamodb:Query', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${EPS_EXPIRY_PREFIX}*`] } },
      }),
    );
    this.expirer.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TablePrescriptionsGet',
        actions: ['dynamodb:GetItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${EPS_PRESCRIPTION_PREFIX}*`] } },
      }),
    );
    // TransactWriteItems has no IAM action of its own: each Put in it is authorised as dynamodb:PutItem.
    this.expirer.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TablePrescriptionsOutboxPut',
        actions: ['dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${EPS_PRESCRIPTION_PREFIX}*`, `${EPS_OUTBOX_PREFIX}*`] },
        },
      }),
    );
    // The table key as every table writer gets it: through DynamoDB only.
    this.expirer.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TableKeyViaDynamoDB',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    // A failed delivery is retried twice within the hour (scheduleJob); the next daily run (which looks a
    // year back) expires anything a missed run left.
    ({
      rule: this.expirySchedule,
      errorsAlarm: this.expirerErrorsAlarm,
      failedInvocationsAlarm: this.expiryFailedInvocationsAlarm,
    } = scheduleJob(this, {
      ids: { rule: 'ExpirySchedule', errorsAlarm: 'ExpireErrorsAlarm', failedInvocationsAlarm: 'ExpiryFailedInvocationsAlarm' },
      fn: this.expirer.function,
      schedule: EPS_EXPIRE_SCHEDULE,
      description: 'Spine EPS: daily expiry of prescriptions not dispensed within their validity (status 0004)',
      alarmTopic: props.alarmTopic,
      errorsDescription:
        'Spine EPS expiry job failed: undispensed prescriptions past their validity stay unexpired until a run succeeds',
      failedInvocationsDescription:
        'Spine EPS expiry schedule could not invoke the expiry job: prescriptions stop expiring until it can',
      dlqReason:
        'The rule\'s only events are the daily schedule\'s, which carry nothing but their time: the expiry job works ' +
        'from the expiry markers in the table (looking a year back and deleting each marker once dealt with), so the ' +
        'next daily run expires everything a missed run left. A target DLQ would hold empty schedule events; what ' +
        'matters, that a delivery failed after EventBridge\'s retries, raises the alarm on the rule\'s FailedInvocations ' +
        'metric (and a failed run the alarm on the function\'s Errors).',
    }));
  }

  /**
   * Lets a function send to eps-status-events and names the queue in its SPINE_EPS_EVENTS_QUEUE (the queue's
   * generated name; the SQS adapter resolves it with GetQueueUrl). SendMessage covers SendMessageBatch. The
   * same key statement covers the relay's failure queue (one key).
   */
  public grantPublish(fn: SpineFunction): void {
    grantQueueSend(fn, this.statusEventsQueue, this.key, {
      envVar: EPS_ENV.eventsQueue,
      sendSid: 'EpsStatusEventsSend',
      keySid: 'EpsKeyViaSQSForSend',
    });
  }
}
