// SpineMesh: MESH (mailbox messaging) around its route functions. The chunk bucket (mesh/<message id>/<n>,
// KMS, kept 30 days), the mesh-events queue (KMS, DLQ after 5 receives, alarmed), the MESH shared key
// (Secrets Manager), each route function's grants (chunk put/get, event publishing, the shared key), the
// hourly expiry job (5-day non-delivery reports), and the MESH API behind mutual TLS (lib/mesh-api.ts).
// Message metadata lives in the Spine table; the route functions themselves are built by SpineStack from
// the route table like every other route function.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IDependable } from 'constructs';
import { keyStatement } from './key-statement';
import { buildMeshApi } from './mesh-api';
import { MeshTls } from './mesh-domain';
import { grantQueueSend, queueWithDlq } from './queue-with-dlq';
import { MESH_SERVICE, Route } from './routes';
import { scheduleJob } from './scheduled-job';
import { StageSettings } from './spine-api';
import { SpineFunction } from './spine-function';

/** The scheduled job: 5-day non-delivery reports, and the undelivered message leaves the inbox. */
export const MESH_EXPIRE_FUNCTION = 'mesh-expire-messages';
export const MESH_EXPIRE_SCHEDULE = events.Schedule.rate(Duration.hours(1));
export const MESH_EXPIRE_TIMEOUT = Duration.minutes(5);
/** The expiry job finds due messages on this index (pk MESHEXPIRES#<yyyymmdd>) and queries nothing else. */
export const MESH_EXPIRY_INDEX = 'gsi2';
/** Functions that write chunks (s3:PutObject under mesh/), read them (s3:GetObject under mesh/), publish events. */
export const MESH_CHUNK_WRITERS = ['mesh-send', 'mesh-send-chunk'];
export const MESH_CHUNK_READERS = ['mesh-download', 'mesh-download-chunk', 'mesh-head-message'];
export const MESH_EVENT_PUBLISHERS = ['mesh-send', 'mesh-send-chunk', 'mesh-acknowledge'];
/** Chunk objects: mesh/<message id>/<chunk number>. */
export const MESH_CHUNK_PREFIX = 'mesh/';
/** MESH keeps a message 30 days after it was sent (the table's TTL does the same for its metadata). */
export const MESH_RETENTION = Duration.days(30);
export const MESH_EVENTS_MAX_RECEIVE_COUNT = 5;

/** The environment variables the MESH functions read. */
export const MESH_ENV = {
  bucket: 'SPINE_MESH_BUCKET',
  eventsQueue: 'SPINE_MESH_EVENTS_QUEUE',
  sharedKeySecretArn: 'MESH_SHARED_KEY_SECRET_ARN',
} as const;

export interface SpineMeshProps extends StageSettings {
  /** The MESH routes of the route table. */
  readonly routes: Route[];
  /** Their functions, by name (built by SpineStack, with the Spine table). */
  readonly functions: Map<string, SpineFunction>;
  /** The Spine table (MESH metadata) and its key, for the expiry job. */
  readonly table: dynamodb.ITable;
  readonly tableKey: kms.IKey;
  /** Where S3 server access logs go (the stack's access-log bucket). */
  readonly accessLogBucket: s3.IBucket;
  /** Where alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** Environment every function gets (base URL, token issuer and audience). */
  readonly environment: Record<string, string>;
  /** Where cargo lambda writes its output; defaults to <repo>/target/lambda. */
  readonly lambdaBuildDir?: string;
  /** The mutual-TLS domain settings. */
  readonly tls: MeshTls;
  /** The account's API Gateway CloudWatch role setting (created by the Spine API, unless the platform manages it). */
  readonly cloudWatchAccount?: IDependable;
}

export class SpineMesh extends Construct {
  /** Encrypts the chunk bucket, the events queue and its DLQ, and the shared-key secret. */
  public readonly key: kms.Key;
  public readonly chunkBucket: s3.Bucket;
  public readonly eventsQueue: sqs.Queue;
  public readonly eventsDeadLetterQueue: sqs.Queue;
  public readonly eventsDeadLetterAlarm: cloudwatch.Alarm;
  public readonly sharedKey: secretsmanager.Secret;
  public readonly expirer: SpineFunction;
  public readonly expirySchedule: events.Rule;
  public readonly expirerErrorsAlarm: cloudwatch.Alarm;
  public readonly expiryFailedInvocationsAlarm: cloudwatch.Alarm;
  public readonly api: apigateway.RestApi;
  public readonly domain: apigateway.DomainName;

  constructor(scope: Construct, id: string, props: SpineMeshProps) {
    super(scope, id);
    const functionOf = (name: string): SpineFunction => {
      const fn = props.functions.get(name);
      if (!fn) throw new Error(`MESH: no function ${name} in the route table (grants are given by name in lib/mesh.ts)`);
      return fn;
    };
    for (const fn of props.functions.values()) {
      if (fn.spec.service !== MESH_SERVICE) throw new Error(`MESH: ${fn.spec.name} is not a ${MESH_SERVICE} function`);
    }

    this.key = new kms.Key(this, 'Key', {
      description: 'Spine MESH: encrypts the chunk bucket, the mesh-events queue and its DLQ, and the MESH shared key',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Chunks: one object per chunk, mesh/<message id>/<chunk number>. Versioned so that an overwrite or
    // delete by a faulty function can be undone for a day; noncurrent versions then go.
    this.chunkBucket = new s3.Bucket(this, 'ChunkBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: props.accessLogBucket,
      serverAccessLogsPrefix: 'mesh-chunks/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          // MESH deletes a message 30 days after it was sent; a chunk object is never younger than its message.
          id: 'mesh-retention',
          prefix: MESH_CHUNK_PREFIX,
          expiration: MESH_RETENTION,
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          // Once an expired chunk's last version has gone, its delete marker goes too (S3 refuses this
          // flag in a rule that also expires by age, hence a rule of its own).
          id: 'mesh-delete-markers',
          prefix: MESH_CHUNK_PREFIX,
          expiredObjectDeleteMarker: true,
        },
      ],
    });
    Validations.of(this.chunkBucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason:
        'Cross-region replication would copy MESH message content (which can identify patients) out of the UK: ' +
        'eu-west-2 (London) is the only UK AWS region. The chunks are transient (30 days, MESH\'s retention); ' +
        'durability comes from S3 (multi-AZ), versioning (a day to undo an overwrite or delete) and RETAIN.',
    });

    // ---- Events: accepted, acknowledged, expired; a DLQ and its alarm.
    ({
      queue: this.eventsQueue,
      deadLetterQueue: this.eventsDeadLetterQueue,
      deadLetterAlarm: this.eventsDeadLetterAlarm,
    } = queueWithDlq(this, {
      idPrefix: 'Events',
      key: this.key,
      maxReceiveCount: MESH_EVENTS_MAX_RECEIVE_COUNT,
      queueName: 'the mesh-events queue',
      consumer: 'consumer',
      items: 'events',
      alarmTopic: props.alarmTopic,
      alarmDescription: 'Spine MESH events no consumer could handle (mesh-events DLQ not empty): fix the consumer, then redrive',
    }));

    // ---- The MESH shared key (the second HMAC key of every NHSMESH token, shared with every MESH client).
    this.sharedKey = new secretsmanager.Secret(this, 'SharedKey', {
      description: 'Spine MESH: the MESH shared key (NHSMESH token HMAC key, distributed to MESH clients)',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const rotationReason =
      'The MESH shared key is a protocol constant shared out of band with every MESH client (it keys the NHSMESH ' +
      'token HMAC alongside each mailbox password), so it cannot be rotated by a Lambda without breaking every ' +
      'client at once. It is changed by a coordinated, announced change: a new secret value, clients updated, ' +
      'functions restarted. It is KMS-encrypted with the MESH key and readable only by the MESH route functions.';
    Validations.of(this.sharedKey).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotationReason });
    Validations.of(this.sharedKey).acknowledge({ id: 'HIPAA.Security-SecretsManagerRotationEnabled', reason: rotationReason });

    // ---- Route functions: every one verifies NHSMESH tokens; some write or read chunks, some publish events.
    for (const fn of props.functions.values()) this.grantSharedKey(fn);
    for (const name of MESH_CHUNK_WRITERS) this.grantChunks(functionOf(name), 'put');
    for (const name of MESH_CHUNK_READERS) this.grantChunks(functionOf(name), 'get');
    for (const name of MESH_EVENT_PUBLISHERS) this.grantPublish(functionOf(name));

    // ---- The expiry job: hourly, finds accepted messages past their 5 days on gsi2, writes the non-delivery
    // report and takes the message out of the inbox (put, update, condition check; never delete).
    this.expirer = new SpineFunction(this, 'ExpireMessages', {
      spec: { name: MESH_EXPIRE_FUNCTION, service: MESH_SERVICE, writes: true, public: false, patientData: false, mesh: true, routes: [] },
      tables: [
        {
          table: props.table,
          key: props.tableKey,
          access: 'put-update',
          queries: { table: false, indexes: [MESH_EXPIRY_INDEX] },
          sidPrefix: 'Table',
        },
      ],
      logKey: props.logKey,
      trigger: 'schedule',
      timeout: MESH_EXPIRE_TIMEOUT,
      lambdaBuildDir: props.lambdaBuildDir,
      environment: { ...props.environment, SPINE_TABLE_NAME: props.table.tableName },
    });
    this.grantPublish(this.expirer);
    // A failed delivery is retried twice within the hour (scheduleJob); the next hourly run redoes anything still due.
    ({
      rule: this.expirySchedule,
      errorsAlarm: this.expirerErrorsAlarm,
      failedInvocationsAlarm: this.expiryFailedInvocationsAlarm,
    } = scheduleJob(this, {
      ids: { rule: 'ExpirySchedule', errorsAlarm: 'ExpireErrorsAlarm', failedInvocationsAlarm: 'ExpiryFailedInvocationsAlarm' },
      fn: this.expirer.function,
      schedule: MESH_EXPIRE_SCHEDULE,
      description: 'Spine MESH: hourly non-delivery reports for messages not downloaded within 5 days',
      alarmTopic: props.alarmTopic,
      errorsDescription: 'Spine MESH expiry job failed: non-delivery reports are late until a run succeeds',
      failedInvocationsDescription: 'Spine MESH expiry schedule could not invoke the expiry job: non-delivery reports stop until it can',
      dlqReason:
        'The rule\'s only events are the hourly schedule\'s, which carry no data: the expiry job works from the ' +
        'table, and the next hourly run handles everything a missed run left. A target DLQ would hold empty ' +
        'schedule events; what matters, that a delivery failed after EventBridge\'s retries, raises the alarm on ' +
        'the rule\'s FailedInvocations metric (and a failed run the alarm on the function\'s Errors).',
    }));

    // ---- The API.
    ({ api: this.api, domain: this.domain } = buildMeshApi(this, {
      routes: props.routes,
      functions: props.functions,
      logKey: props.logKey,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      tls: props.tls,
      cloudWatchAccount: props.cloudWatchAccount,
    }));
  }

  /** Lets a function read the MESH shared key, named in its MESH_SHARED_KEY_SECRET_ARN. */
  public grantSharedKey(fn: SpineFunction): void {
    fn.function.addEnvironment(MESH_ENV.sharedKeySecretArn, this.sharedKey.secretArn);
    fn.addToPolicy(
      new iam.PolicyStatement({
        sid: 'MeshSharedKeyRead',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.sharedKey.secretArn],
      }),
    );
    fn.addToPolicy(keyStatement(this.key, 'MeshKeyViaSecretsManager', 'secretsmanager', ['kms:Decrypt']));
  }

  /**
   * Lets a function put (`put`) or get (`get`, which also answers HeadObject) chunk objects under mesh/, and
   * names the bucket in its SPINE_MESH_BUCKET. Put also gets kms:Decrypt, which S3 needs for multipart uploads.
   */
  public grantChunks(fn: SpineFunction, access: 'put' | 'get'): void {
    fn.function.addEnvironment(MESH_ENV.bucket, this.chunkBucket.bucketName);
    const put = access === 'put';
    fn.addToPolicy(
      new iam.PolicyStatement({
        sid: put ? 'MeshChunkPut' : 'MeshChunkGet',
        actions: [put ? 's3:PutObject' : 's3:GetObject'],
        resources: [this.chunkBucket.arnForObjects(`${MESH_CHUNK_PREFIX}*`)],
      }),
    );
    fn.addToPolicy(
      keyStatement(
        this.key,
        put ? 'MeshKeyViaS3ForPut' : 'MeshKeyViaS3ForGet',
        's3',
        put ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt'],
      ),
    );
    Validations.of(fn.policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.chunkBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${MESH_CHUNK_PREFIX}*]`,
      reason:
        `Chunk objects are named mesh/<message id>/<chunk number>, ids minted per message at run time, so the ` +
        `resource is the mesh/ prefix of the one chunk bucket; the statement allows only s3:${put ? 'PutObject' : 'GetObject'} ` +
        '(no list, no delete), and which message a caller may touch is decided by the function from the table.',
    });
  }

  /**
   * Lets a function send to mesh-events and names the queue in its SPINE_MESH_EVENTS_QUEUE (the queue's generated
   * name; the SQS adapter resolves it with GetQueueUrl). SendMessage covers SendMessageBatch.
   */
  public grantPublish(fn: SpineFunction): void {
    grantQueueSend(fn, this.eventsQueue, this.key, {
      envVar: MESH_ENV.eventsQueue,
      sendSid: 'MeshEventsSend',
      keySid: 'MeshKeyViaSQSForSend',
    });
  }
}
