// SpineStack: the single DynamoDB table (with its KMS key and backups), one SpineFunction per Rust
// binary in shared/routes.json, the CIS authorizer and its token-signing key, the audit trail (queue,
// DLQ, writer, table, archive bucket), the API Gateway REST API (stage `prod`, WAF, logs), MESH
// (its own mutual-TLS REST API, chunk bucket, events queue, shared key and expiry job: lib/mesh.ts), and
// EPS's status events and expiry (the table's stream, the outbox relay, eps-status-events and its consumer,
// the daily expiry job: lib/eps.ts).
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SpineAudit } from './audit';
import { SpineEps } from './eps';
import { SpineMesh } from './mesh';
import { MeshTlsProps, resolveMeshTls } from './mesh-domain';
import { DEFAULT_ROUTES_FILE, Route, SpineFunctionSpec, functionsOf, isMesh, loadRoutes } from './routes';
import { buildApi } from './spine-api';
import { SpineFunction, TableAccess } from './spine-function';
import { spineTable } from './spine-table';
import { TokenSigningKey } from './token-signing';

export { STAGE_NAME } from './spine-api';
export { TABLE_INDEXES, TTL_ATTRIBUTE } from './spine-table';

/** Where clients reach the API; the token issuer is `${baseUrl}/oauth2` and the audience `baseUrl`. */
export const DEFAULT_BASE_URL = 'https://api.service.nhs.uk';
/** The functions the token-signing key is granted to, beyond the authorizer. */
export const TOKEN_FUNCTION = 'cis-token';
export const JWKS_FUNCTION = 'cis-jwks';
export const AUTHORIZER_FUNCTION = 'cis-authorizer';
/** Route functions of this service read the audit table (read-only) instead of the main table. */
export const AUDIT_SERVICE = 'audit';

export interface SpineStackProps extends StackProps {
  /** The route table; defaults to <repo>/shared/routes.json. */
  readonly routesFile?: string;
  /** Where cargo lambda writes its output; defaults to <repo>/target/lambda. */
  readonly lambdaBuildDir?: string;
  /** Stage-wide steady-state request rate (requests per second). */
  readonly throttlingRateLimit?: number;
  /** Stage-wide burst (requests). */
  readonly throttlingBurstLimit?: number;
  /** Where clients reach the API (https, no trailing slash); else context `baseUrl`, else DEFAULT_BASE_URL. */
  readonly baseUrl?: string;
  /**
   * The MESH API's mutual-TLS domain; each setting left out comes from the context (meshDomainName,
   * meshCertificateArn, meshTruststoreUri, meshTruststoreVersion), else a placeholder (with a warning).
   */
  readonly mesh?: MeshTlsProps;
}

export class SpineStack extends Stack {
  public readonly routes: Route[];
  public readonly baseUrl: string;
  public readonly table: dynamodb.Table;
  public readonly api: apigateway.RestApi;
  public readonly functions: Map<string, SpineFunction> = new Map();
  public readonly authorizer: SpineFunction;
  public readonly signingKey: TokenSigningKey;
  public readonly audit: SpineAudit;
  public readonly mesh: SpineMesh;
  public readonly eps: SpineEps;

  constructor(scope: Construct, id: string, props: SpineStackProps = {}) {
    super(scope, id, {
      description: 'Spine (Rust serverless rebuild of NHS England Spine): API Gateway, Lambda, DynamoDB',
      ...props,
    });
    this.routes = loadRoutes(props.routesFile ?? DEFAULT_ROUTES_FILE);
    this.baseUrl = checkBaseUrl(props.baseUrl ?? this.node.tryGetContext('baseUrl') ?? DEFAULT_BASE_URL);
    // Every function re-checks token claims, so every function knows the issuer and audience.
    const commonEnv = {
      SPINE_BASE_URL: this.baseUrl,
      SPINE_TOKEN_ISSUER: `${this.baseUrl}/oauth2`,
      SPINE_TOKEN_AUDIENCE: this.baseUrl,
    };

    // ---- Keys: one for the table (and its backups), one for CloudWatch log groups.
    const tableKey = new kms.Key(this, 'TableKey', {
      description: 'Spine: encrypts the Spine DynamoDB table and its AWS Backup recovery points',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logKey = new kms.Key(this, 'LogKey', {
      description: 'Spine: encrypts the Spine CloudWatch log groups (functions, API access/execution, WAF)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsUseForThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*`,
          },
        },
      }),
    );

    // ---- The single table, with a stream of new item images (EPS's outbox relay reads it; lib/eps.ts).
    this.table = spineTable(this, 'Table', tableKey, { stream: dynamodb.StreamViewType.NEW_IMAGE });

    // ---- Operations: the alarm topic (operators subscribe) and the S3 server access log bucket.
    const alarmTopic = this.alarmTopic();
    const accessLogBucket = this.accessLogBucket();

    // ---- Identity and audit.
    this.signingKey = new TokenSigningKey(this, 'TokenSigningKey');
    this.audit = new SpineAudit(this, 'Audit', {
      logKey,
      accessLogBucket,
      alarmTopic,
      environment: commonEnv,
      lambdaBuildDir: props.lambdaBuildDir,
    });

    this.backUp(tableKey, [this.table, this.audit.table]);

    // ---- One function per distinct Rust binary in the route table.
    const specs: SpineFunctionSpec[] = functionsOf(this.routes);
    for (const spec of specs) {
      const onAudit = spec.service === AUDIT_SERVICE;
      if (onAudit && spec.writes) {
        throw new Error(`function ${spec.name}: audit routes are read-only (only the audit writer writes the audit trail)`);
      }
      const main: TableAccess = { table: this.table, key: tableKey, access: spec.writes ? 'read-write' : 'read', sidPrefix: 'Table' };
      const fn = new SpineFunction(this, constructIdOf(spec.name), {
        spec,
        tables: [onAudit ? this.audit.tableAccess('read') : main],
        logKey,
        lambdaBuildDir: props.lambdaBuildDir,
        environment: {
          ...commonEnv,
          ...(onAudit ? { SPINE_AUDIT_TABLE_NAME: this.audit.table.tableName } : { SPINE_TABLE_NAME: this.table.tableName }),
        },
      });
      // Every token-protected function audits its refusals (and its patient-data accesses); MESH is not audited.
      if (!spec.public && !spec.mesh) this.audit.grantSend(fn);
      this.functions.set(spec.name, fn);
    }

    // ---- The authorizer: verifies the token (public key from KMS) and audits refusals; no table.
    this.authorizer = new SpineFunction(this, constructIdOf(AUTHORIZER_FUNCTION), {
      spec: { name: AUTHORIZER_FUNCTION, service: 'cis', writes: false, public: false, patientData: false, mesh: false, routes: [] },
      tables: [],
      logKey,
      trigger: 'authorizer',
      lambdaBuildDir: props.lambdaBuildDir,
      environment: commonEnv,
    });
    this.audit.grantSend(this.authorizer);

    // ---- Key material: only the token function signs; the JWKS and the authorizer read the public key.
    const tokenFn = this.functions.get(TOKEN_FUNCTION);
    if (tokenFn) this.signingKey.grantSign(tokenFn);
    const jwksFn = this.functions.get(JWKS_FUNCTION);
    if (jwksFn) this.signingKey.grantPublicKey(jwksFn);
    this.signingKey.grantPublicKey(this.authorizer);

    // ---- The REST API (every route but MESH's).
    this.api = buildApi(this, {
      routes: this.routes.filter((r) => !isMesh(r)),
      functions: this.functions,
      authorizer: this.authorizer,
      logKey,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
    });

    // ---- MESH: its own API (mutual TLS), chunk bucket, events queue, shared key and expiry job.
    this.mesh = new SpineMesh(this, 'Mesh', {
      routes: this.routes.filter(isMesh),
      functions: new Map(specs.filter((s) => s.mesh).map((s) => [s.name, this.functions.get(s.name)!])),
      table: this.table,
      tableKey,
      accessLogBucket,
      alarmTopic,
      environment: commonEnv,
      lambdaBuildDir: props.lambdaBuildDir,
      logKey,
      throttlingRateLimit: props.throttlingRateLimit,
      throttlingBurstLimit: props.throttlingBurstLimit,
      tls: resolveMeshTls(this, props.mesh),
      cloudWatchAccount: this.api.node.tryFindChild('Account'),
    });

    // ---- EPS: status events from the table's outbox items to eps-status-events and its consumer; the daily
    // expiry of undispensed prescriptions.
    this.eps = new SpineEps(this, 'Eps', {
      table: this.table,
      tableKey,
      logKey,
      alarmTopic,
      environment: commonEnv,
      lambdaBuildDir: props.lambdaBuildDir,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Spine API (stage prod)' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The Spine DynamoDB table' });
    new CfnOutput(this, 'AuditQueueName', { value: this.audit.queue.queueName, description: 'The audit queue (SPINE_AUDIT_QUEUE)' });
    new CfnOutput(this, 'AuditTableName', { value: this.audit.table.tableName, description: 'The audit table' });
    new CfnOutput(this, 'AuditArchiveBucketName', {
      value: this.audit.archiveBucket.bucketName,
      description: 'The audit archive bucket (audit/yyyy/mm/dd/<id>.ndjson)',
    });
    new CfnOutput(this, 'TokenSigningKeyArn', {
      value: this.signingKey.key.keyArn,
      description: 'The KMS ECC_NIST_P256 key signing access tokens (SPINE_SIGNING_KEY_ID)',
    });
    const jwksRoute = this.routes.find((r) => r.function === JWKS_FUNCTION);
    if (jwksRoute) {
      new CfnOutput(this, 'JwksUrl', {
        value: `${this.api.url}${jwksRoute.path.slice(1)}`,
        description: 'The JWKS (public token-signing keys) on the stage URL',
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn, description: 'Subscribe operators here' });
    new CfnOutput(this, 'MeshUrl', {
      value: `https://${this.mesh.domain.domainName}/messageexchange`,
      description: 'The MESH API (mutual TLS only; the execute-api endpoint is disabled)',
    });
    new CfnOutput(this, 'MeshDomainTarget', {
      value: this.mesh.domain.domainNameAliasDomainName,
      description: 'Point the MESH domain\'s DNS (CNAME or Route 53 alias) here',
    });
    new CfnOutput(this, 'MeshChunkBucketName', {
      value: this.mesh.chunkBucket.bucketName,
      description: 'The MESH chunk bucket (mesh/<message id>/<chunk number>, SPINE_MESH_BUCKET)',
    });
    new CfnOutput(this, 'MeshEventsQueueUrl', {
      value: this.mesh.eventsQueue.queueUrl,
      description: 'The mesh-events queue (accepted, acknowledged, expired; SPINE_MESH_EVENTS_QUEUE is its name)',
    });
    new CfnOutput(this, 'MeshSharedKeySecretArn', {
      value: this.mesh.sharedKey.secretArn,
      description: 'The MESH shared key (Secrets Manager; distribute to MESH clients)',
    });
    new CfnOutput(this, 'EpsStatusEventsQueueUrl', {
      value: this.eps.statusEventsQueue.queueUrl,
      description: 'The eps-status-events queue (prescription status changes; SPINE_EPS_EVENTS_QUEUE is its name)',
    });
  }

  /** An SNS topic for alarms, encrypted with its own key that CloudWatch alarms may use to publish. */
  private alarmTopic(): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Spine: encrypts the alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheAlarmTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    return new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Spine alarms',
      masterKey: key,
      enforceSSL: true,
    });
  }

  /** The bucket S3 server access logs go to (SSE-S3: log delivery does not support SSE-KMS default encryption). */
  private accessLogBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'access-log-retention', expiration: Duration.days(366), noncurrentVersionExpiration: Duration.days(366) },
      ],
    });
    // cdk-nag recognises a bucket that receives server access logs, so it is not asked to log itself.
    Validations.of(bucket).acknowledge({
      id: 'HIPAA.Security-S3DefaultEncryptionKMS',
      reason:
        'S3 server access log delivery supports only SSE-S3 (AES256) default encryption on the target bucket, ' +
        'not SSE-KMS, so this bucket is encrypted with S3-managed keys. It holds request metadata (no object ' +
        'contents); it blocks public access, is TLS-only and versioned.',
    });
    Validations.of(bucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason:
        'Cross-region replication would copy the logs out of the UK (eu-west-2 is the only UK AWS region). ' +
        'S3 stores the objects across availability zones; versioning and RETAIN protect them from deletion.',
    });
    return bucket;
  }

  /** Backups beyond PITR's 35 days: daily (kept 35 days) and monthly (kept 1 year) recovery points. */
  private backUp(key: kms.IKey, tables: dynamodb.ITable[]): void {
    const vault = new backup.BackupVault(this, 'BackupVault', {
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const plan = new backup.BackupPlan(this, 'BackupPlan', {
      backupVault: vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
          deleteAfter: Duration.days(35),
        }),
        new backup.BackupPlanRule({
          ruleName: 'Monthly',
          scheduleExpression: events.Schedule.cron({ day: '1', hour: '4', minute: '0' }),
          deleteAfter: Duration.days(366),
        }),
      ],
    });
    const selection = plan.addSelection('Table', {
      resources: tables.map((t) => backup.BackupResource.fromDynamoDbTable(t)),
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        'The role is assumable only by backup.amazonaws.com and carries the AWS-maintained backup policy, which ' +
        'AWS updates as services add backup features; it lets AWS Backup snapshot only the resources the ' +
        'selection names (the Spine table and the audit table). A hand-written copy would drift from what AWS Backup needs.',
    });
  }
}

/** The base URL as the token issuer and audience are derived from it: https, no trailing slash. */
export function checkBaseUrl(value: unknown): string {
  if (typeof value !== 'string' || !/^https:\/\/[^\s/]+(\/[^\s]*[^\s/])?$/.test(value)) {
    throw new Error(`baseUrl must be an https URL without a trailing slash, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** pds-get-patient -> PdsGetPatient: a stable construct id (and so stable logical ids) per function. */
export function constructIdOf(functionName: string): string {
  return functionName
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
