// SpineAudit: the audit trail. Functions send each request's AuditEvents to the audit queue (SQS, KMS,
// DLQ after 5 receives, alarmed); the audit writer Lambda consumes it into the audit table (the Spine
// table shape; the writer only puts) and the NDJSON archive bucket (audit/yyyy/mm/dd/<id>.ndjson).
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keyStatement } from './key-statement';
import { SpineFunction, TableAccess, TableAccessLevel } from './spine-function';
import { grantQueueSend, queueWithDlq } from './queue-with-dlq';
import { spineTable } from './spine-table';

export const AUDIT_WRITER_FUNCTION = 'audit-writer';
/** The writer handles a batch of up to 100 messages (conditional puts + one archive object), so 30 s. */
export const AUDIT_WRITER_TIMEOUT = Duration.seconds(30);
export const AUDIT_BATCH_SIZE = 100;
export const AUDIT_BATCHING_WINDOW = Duration.seconds(1);
/** Caps the writer's concurrency (the SQS poller delivers at most this many batches at once). */
export const AUDIT_WRITER_MAX_CONCURRENCY = 10;
export const AUDIT_MAX_RECEIVE_COUNT = 5;
/** Archive objects live under this prefix: audit/yyyy/mm/dd/<id>.ndjson. */
export const ARCHIVE_PREFIX = 'audit/';
/** NHS Records Management Code of Practice (2021): audit trails are kept about 8 years. */
export const ARCHIVE_RETENTION = Duration.days(2922);
export const ARCHIVE_GLACIER_AFTER = Duration.days(90);

export interface SpineAuditProps {
  /** The key encrypting CloudWatch log groups (the writer's log group). */
  readonly logKey: kms.IKey;
  /** Where S3 server access logs go (the stack's access-log bucket). */
  readonly accessLogBucket: s3.IBucket;
  /** Where alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** Environment every function gets (token issuer and audience, base URL). */
  readonly environment: Record<string, string>;
  /** Where cargo lambda writes its output; defaults to <repo>/target/lambda. */
  readonly lambdaBuildDir?: string;
}

export class SpineAudit extends Construct {
  /** Encrypts the queue, its DLQ, the audit table and the archive bucket. */
  public readonly key: kms.Key;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  public readonly table: dynamodb.Table;
  public readonly archiveBucket: s3.Bucket;
  public readonly writer: SpineFunction;
  public readonly eventSource: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: SpineAuditProps) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: 'Spine: encrypts the audit trail (audit queue and its DLQ, audit table, archive bucket)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- The queue, its DLQ and the DLQ's alarm.
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue, deadLetterAlarm: this.deadLetterAlarm } = queueWithDlq(
      this,
      {
        idPrefix: '',
        key: this.key,
        maxReceiveCount: AUDIT_MAX_RECEIVE_COUNT,
        queueName: 'the audit queue',
        consumer: 'writer',
        items: 'messages',
        alarmTopic: props.alarmTopic,
        alarmDescription:
          'Spine audit events the writer could not store (audit DLQ not empty): fix the writer, then redrive',
        // AWS: at least 6x the function timeout, plus the batching window, so a batch being retried by the
        // poller is not delivered to a second writer meanwhile.
        visibilityTimeout: Duration.seconds(AUDIT_WRITER_TIMEOUT.toSeconds() * 6 + AUDIT_BATCHING_WINDOW.toSeconds()),
      },
    ));

    // ---- The audit table: the Spine table shape, so the RecordStore adapter reads and writes it.
    this.table = spineTable(this, 'Table', this.key);

    // ---- The archive: one NDJSON object per writer batch under audit/yyyy/mm/dd/. Object Lock is not
    // enabled (it cannot be turned off again and would block redaction orders); versioning keeps overwritten
    // objects, and the lifecycle below keeps every version for the retention period.
    this.archiveBucket = new s3.Bucket(this, 'ArchiveBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'audit-archive/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          // Records Management Code of Practice for England (2021): audit trails are kept ~8 years.
          // Glacier after 90 days (rarely read once the audit table has answered the recent questions).
          id: 'audit-retention',
          transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: ARCHIVE_GLACIER_AFTER }],
          expiration: ARCHIVE_RETENTION,
          noncurrentVersionTransitions: [
            { storageClass: s3.StorageClass.GLACIER, transitionAfter: ARCHIVE_GLACIER_AFTER },
          ],
          noncurrentVersionExpiration: ARCHIVE_RETENTION,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    Validations.of(this.archiveBucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason:
        'Cross-region replication would copy the audit trail (patient identifiers) out of the UK: eu-west-2 ' +
        '(London) is the only UK AWS region, and NHS data stays in the UK. Durability comes from S3 (multi-AZ), ' +
        'versioning with an 8-year noncurrent-version lifecycle, RETAIN, and the audit table with PITR and AWS Backup.',
    });

    // ---- The writer.
    this.writer = new SpineFunction(this, 'Writer', {
      spec: { name: AUDIT_WRITER_FUNCTION, service: 'audit', writes: true, public: false, patientData: true, mesh: false, routes: [] },
      tables: [this.tableAccess('append')],
      logKey: props.logKey,
      trigger: 'queue',
      timeout: AUDIT_WRITER_TIMEOUT,
      lambdaBuildDir: props.lambdaBuildDir,
      environment: {
        ...props.environment,
        SPINE_AUDIT_TABLE_NAME: this.table.tableName,
        SPINE_AUDIT_BUCKET: this.archiveBucket.bucketName,
      },
    });
    // The role is immutable, so the event source's own grantConsumeMessages would be dropped: written here.
    this.writer.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AuditQueueConsume',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [this.queue.queueArn],
      }),
    );
    this.writer.addToPolicy(keyStatement(this.key, 'AuditKeyViaSQSForReceive', 'sqs', ['kms:Decrypt']));
    this.writer.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ArchivePut',
        actions: ['s3:PutObject'],
        resources: [this.archiveBucket.arnForObjects(`${ARCHIVE_PREFIX}*`)],
      }),
    );
    this.writer.addToPolicy(keyStatement(this.key, 'AuditKeyViaS3', 's3', ['kms:GenerateDataKey']));
    Validations.of(this.writer.policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.archiveBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${ARCHIVE_PREFIX}*]`,
      reason:
        'The writer creates one object per batch under audit/yyyy/mm/dd/<id>.ndjson, names it cannot know in ' +
        'advance; the wildcard is limited to s3:PutObject under the audit/ prefix of the one archive bucket ' +
        '(no read, no delete, no other prefix).',
    });

    this.eventSource = this.writer.function.addEventSourceMapping('AuditQueue', {
      eventSourceArn: this.queue.queueArn,
      batchSize: AUDIT_BATCH_SIZE,
      maxBatchingWindow: AUDIT_BATCHING_WINDOW,
      // The writer reports only the messages it failed to store; the rest of the batch is deleted.
      reportBatchItemFailures: true,
      maxConcurrency: AUDIT_WRITER_MAX_CONCURRENCY,
    });
    Validations.of(this.eventSource).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'On-failure destinations exist only for stream and Kafka event sources, not SQS. For an SQS source the ' +
        'failure path is the queue\'s redrive policy: after 5 receives a message moves to the audit DLQ, which is ' +
        'KMS-encrypted, kept 14 days and alarmed.',
    });
  }

  /** The audit table for a SpineFunction's `tables` (`read` for audit search, `append` for the writer). */
  public tableAccess(access: TableAccessLevel): TableAccess {
    return { table: this.table, key: this.key, access, sidPrefix: 'AuditTable' };
  }

  /**
   * Lets a function send to the audit queue and names the queue in its SPINE_AUDIT_QUEUE (the queue's
   * generated name; the Rust SQS adapter resolves it with GetQueueUrl). SendMessage covers SendMessageBatch.
   */
  public grantSend(fn: SpineFunction): void {
    grantQueueSend(fn, this.queue, this.key, {
      envVar: 'SPINE_AUDIT_QUEUE',
      sendSid: 'AuditQueueSend',
      keySid: 'AuditKeyViaSQSForSend',
    });
  }
}
