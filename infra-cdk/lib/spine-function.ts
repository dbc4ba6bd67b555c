// SpineFunction: the one construct that builds every Spine Lambda (one per Rust binary in the route
// table, plus the authorizer, the audit writer, the MESH expiry job and EPS's status-event relay,
// notifier and expiry job) with the fixed runtime, memory, timeout, environment, tags, log group and
// least-privilege role.
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SpineFunctionSpec } from './routes';
import { TABLE_INDEX_NAMES } from './spine-table';

/** The repository root (infra-cdk/..); cargo lambda writes <repo>/target/lambda/<function>/bootstrap. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The committed placeholder asset used when a function has not been built. */
export const PLACEHOLDER_ASSET = path.resolve(__dirname, '..', 'assets', 'placeholder');

/** Every Spine function's memory, and its timeout unless it says otherwise (the audit writer and the EPS relay: 30 s; the MESH expiry job: 5 min; the EPS expiry job: 15 min). API Gateway's own integration timeout is 29 s. */
export const FUNCTION_MEMORY_MB = 256;
export const FUNCTION_TIMEOUT = Duration.seconds(10);
/** Retention of every Spine log group (function, API access/execution, WAF). */
export const LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** DynamoDB actions every table user gets (reads), and the extra ones a `writes: true` function gets. */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
];
/**
 * The audit writer's only writes: PutItem and BatchWriteItem (its events go in with batch puts). No
 * UpdateItem, no DeleteItem. IAM cannot tell a BatchWriteItem put from a delete, so "append-only" holds for
 * the writer's code, not for the policy, until the writer uses PutItem alone.
 */
export const TABLE_APPEND_ACTIONS = ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'];
/** Writes without DeleteItem (the MESH expiry job puts reports and updates messages, never deletes). */
export const TABLE_PUT_UPDATE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];

/** What a function may do on a Spine-shaped table (both tables have the same shape and indexes). */
export type TableAccessLevel = 'read' | 'read-write' | 'append' | 'put-update';

const WRITE_ACTIONS: Record<Exclude<TableAccessLevel, 'read'>, string[]> = {
  'read-write': TABLE_WRITE_ACTIONS,
  append: TABLE_APPEND_ACTIONS,
  'put-update': TABLE_PUT_UPDATE_ACTIONS,
};

export interface TableAccess {
  readonly table: dynamodb.ITable;
  /** The table's customer-managed key. */
  readonly key: kms.IKey;
  /**
   * `read`: GetItem, BatchGetItem, Query (table and its indexes, named); `read-write`: plus
   * TABLE_WRITE_ACTIONS; `append`: plus TABLE_APPEND_ACTIONS (PutItem, BatchWriteItem; no update, no delete);
   * `put-update`: plus TABLE_PUT_UPDATE_ACTIONS (no delete).
   */
  readonly access: TableAccessLevel;
  /**
   * What `Query` may read: the table itself (`table`) and which indexes. Defaults to the table and every
   * index; the MESH expiry job queries gsi2 alone.
   */
  readonly queries?: { readonly table: boolean; readonly indexes: readonly string[] };
  /** Prefix of the statement ids: `Table` for the main table, `AuditTable` for the audit table. */
  readonly sidPrefix: string;
}

/**
 * What invokes the function; it picks the acknowledgement reasons (each trigger has its own controls).
 * `queue`: an SQS event source mapping; `stream`: a DynamoDB stream event source mapping.
 */
export type FunctionTrigger = 'api' | 'authorizer' | 'queue' | 'stream' | 'schedule';

export interface SpineFunctionProps {
  /** The function as grouped from the route table (or built by hand for the authorizer and the audit writer). */
  readonly spec: SpineFunctionSpec;
  /** The tables the function may use, each with its access level. May be empty. */
  readonly tables: TableAccess[];
  /** The key encrypting CloudWatch log groups. */
  readonly logKey: kms.IKey;
  /** Environment on top of SPINE_STORE and RUST_LOG (table names, queue, key, token issuer, ...). */
  readonly environment?: Record<string, string>;
  /** Defaults to `api` (a Lambda proxy integration, lambda_http). */
  readonly trigger?: FunctionTrigger;
  /** Defaults to FUNCTION_TIMEOUT (10 s). */
  readonly timeout?: Duration;
  /** Where cargo lambda writes its output; defaults to <repo>/target/lambda. */
  readonly lambdaBuildDir?: string;
}

/**
 * One Spine Lambda: provided.al2023 on arm64, handler `bootstrap`, 256 MB, 10 s, X-Ray active, its own
 * KMS-encrypted log group, and a role holding one customer-managed policy (tables from `tables`, the
 * rest added with `addToPolicy`).
 */
export class SpineFunction extends Construct {
  /** What the function is (name, service, routes, writes). */
  public readonly spec: SpineFunctionSpec;
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly policy: iam.ManagedPolicy;
  /** True when the committed placeholder was used because no build output exists. */
  public readonly usesPlaceholder: boolean;

  constructor(scope: Construct, id: string, props: SpineFunctionProps) {
    super(scope, id);
    const { spec, logKey } = props;
    this.spec = spec;
    const trigger = props.trigger ?? 'api';

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: LOG_RETENTION,
      encryptionKey: logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the Spine ${spec.name} function (${spec.writes ? 'read-write' : 'read-only'})`,
    });

    // Every permission lives in one customer-managed policy (no inline policies, no AWS-managed
    // AWSLambdaBasicExecutionRole). The role handed to the Function is immutable so that CDK does not
    // add an inline DefaultPolicy behind our back; its X-Ray statement is written here instead.
    const statements: iam.PolicyStatement[] = props.tables.flatMap((t) => tableStatements(this, t));
    statements.push(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'XRayTraces',
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
      }),
    );
    const origin = spec.routes.length > 0 ? `, derived from routes.json (writes: ${spec.writes})` : '';
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Least privilege for the Spine ${spec.name} function${origin}`,
      statements,
      roles: [this.role],
    });
    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions ' +
        '(the IAM service authorization reference lists no resource type for them), so "*" is the only ' +
        'possible resource. Every other statement in this policy names its table and indexes, key, queue, ' +
        'bucket prefix or the function\'s own log group explicitly.',
    });

    const buildDir = path.join(props.lambdaBuildDir ?? path.join(REPO_ROOT, 'target', 'lambda'), spec.name);
    this.usesPlaceholder = !fs.existsSync(path.join(buildDir, 'bootstrap'));
    const code = lambda.Code.fromAsset(this.usesPlaceholder ? PLACEHOLDER_ASSET : buildDir);

    const serves = spec.routes.map((r) => `${r.method} ${r.path}`).join(', ');
    this.function = new lambda.Function(this, 'Function', {
      description: `Spine ${spec.service}: ${serves || spec.name}`,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: props.timeout ?? FUNCTION_TIMEOUT,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role.withoutPolicyUpdates(),
      environment: {
        SPINE_STORE: 'aws',
        // lambda_http: REST (v1) events carry the stage in the path; only API-invoked functions take HTTP events.
        ...(trigger === 'api' ? { AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH: 'true' } : {}),
        RUST_LOG: 'info',
        ...props.environment,
      },
    });
    // The function must not start before its policy exists (the role is immutable, so CDK cannot infer it).
    this.function.node.addDependency(this.policy);

    Tags.of(this).add('spine:service', spec.service);
    Tags.of(this).add('spine:function', spec.name);
    Tags.of(this).add('spine:access', spec.writes ? 'read-write' : 'read-only');

    if (this.usesPlaceholder) {
      Annotations.of(this).addWarningV2(
        'spine:placeholder-lambda-asset',
        `No build at ${path.relative(REPO_ROOT, buildDir)}/bootstrap, so ${spec.name} uses the placeholder ` +
          'bootstrap, which fails every invocation: run scripts/build-lambdas.sh before deploying.',
      );
    }
    this.acknowledgeFunctionFindings(trigger);
  }

  /**
   * Adds a statement to this function's managed policy. Use this (not `function.addToRolePolicy` or
   * `resource.grant*(function)`): the role given to the Function is immutable, so CDK drops those silently.
   */
  public addToPolicy(statement: iam.PolicyStatement): void {
    this.policy.addStatements(statement);
  }

  /** The findings on every Spine function that are deliberate, each with the control that replaces it. */
  private acknowledgeFunctionFindings(trigger: FunctionTrigger): void {
    const fn = this.function;
    const reasons = FINDING_REASONS[trigger];
    for (const id of Object.keys(reasons) as (keyof typeof reasons)[]) {
      Validations.of(fn).acknowledge({ id, reason: reasons[id] });
    }
  }
}

/** The table statements of one TableAccess: item reads, queries (table and named indexes), writes, key use. */
function tableStatements(scope: Construct, t: TableAccess): iam.PolicyStatement[] {
  const { table, key, sidPrefix: p } = t;
  const writes = t.access !== 'read';
  const queries = t.queries ?? { table: true, indexes: TABLE_INDEX_NAMES };
  for (const name of queries.indexes) {
    if (!TABLE_INDEX_NAMES.includes(name)) throw new Error(`${p}: no index ${name} (the table has ${TABLE_INDEX_NAMES.join(', ')})`);
  }
  const indexArns = queries.indexes.map((name) => `${table.tableArn}/index/${name}`);
  const out = [
    new iam.PolicyStatement({
      sid: `${p}ItemReads`,
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      resources: [table.tableArn],
    }),
    new iam.PolicyStatement({
      sid: `${p}AndIndexQueries`,
      actions: ['dynamodb:Query'],
      resources: [...(queries.table ? [table.tableArn] : []), ...indexArns],
    }),
  ];
  if (writes) {
    out.push(
      new iam.PolicyStatement({
        sid: `${p}ItemWrites`,
        actions: WRITE_ACTIONS[t.access as keyof typeof WRITE_ACTIONS],
        resources: [table.tableArn],
      }),
    );
  }
  out.push(
    new iam.PolicyStatement({
      sid: `${p}KeyViaDynamoDB`,
      actions: writes
        ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
        : ['kms:Decrypt', 'kms:DescribeKey'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(scope).region}.amazonaws.com` } },
    }),
  );
  return out;
}

const VPC_REASON =
  'The functions accept no inbound network connections (only the Lambda Invoke API, called by API Gateway, ' +
  'an SQS or DynamoDB stream event source mapping, or an EventBridge schedule under a scoped permission) and call only AWS APIs ' +
  '(DynamoDB, KMS, SQS, S3, Secrets Manager, CloudWatch Logs, X-Ray) over TLS with SigV4, limited by a ' +
  'per-function IAM policy naming each table, key, queue, secret and bucket prefix. What a VPC would add is ' +
  'egress control: with gateway/interface endpoints (no NAT) and endpoint policies the functions could be ' +
  'prevented from reaching any other account or the internet. ' +
  'We accept not having that network-layer exfiltration control today, because the code calls no non-AWS ' +
  'endpoint; revisit (VPC + DynamoDB/S3 gateway endpoints + KMS/SQS/Secrets Manager/Logs/X-Ray interface endpoints, ' +
  'aws:SourceVpce conditions) when a function needs a third-party endpoint or policy requires egress filtering.';

/** Per trigger, the reason each deliberate function finding is acknowledged. */
const FINDING_REASONS: Record<FunctionTrigger, Record<string, string>> = {
  api: {
    'HIPAA.Security-LambdaDLQ':
      'API Gateway invokes these functions synchronously (Lambda proxy integration): a failure is returned ' +
      'to the caller as a 5xx and recorded in the API access log, the function log and X-Ray. A dead-letter ' +
      'queue only ever receives asynchronous invocations, which these functions never get, so it would stay empty.',
    'Serverless-LambdaDLQ':
      'Synchronous invocation only (API Gateway Lambda proxy): errors go back to the caller; a DLQ applies to ' +
      'asynchronous invocations and would never receive a message.',
    'HIPAA.Security-LambdaConcurrency':
      'The concurrency control is the API Gateway stage throttle (steady rate and burst for the whole API, ' +
      'set in SpineStack) in front of every function, behind the AWS WAF web ACL; API Gateway is the only ' +
      'trigger these functions have, so throttled requests never reach Lambda (concurrency is bounded by ' +
      'rate x latency, and the 10 s timeout bounds latency). Per-function reserved concurrency would carve ' +
      'the account pool into fixed slices, hard-capping each route and withholding the reserved capacity ' +
      'from everything else, and Lambda refuses it when it would leave fewer than 100 unreserved executions.',
    'HIPAA.Security-LambdaInsideVPC': VPC_REASON,
  },
  authorizer: {
    'HIPAA.Security-LambdaDLQ':
      'API Gateway invokes the authorizer synchronously before each uncached request: a failure is answered ' +
      'to the caller as a 5xx gateway response (FHIR OperationOutcome) and recorded in the access log, the ' +
      'function log and X-Ray. A dead-letter queue only receives asynchronous invocations, so it would stay empty.',
    'Serverless-LambdaDLQ':
      'Synchronous invocation only (API Gateway REQUEST authorizer): errors are answered by API Gateway as a ' +
      'gateway response; a DLQ applies to asynchronous invocations and would never receive a message.',
    'HIPAA.Security-LambdaConcurrency':
      'The authorizer is invoked only by API Gateway, behind the WAF and the stage throttle (rate and burst), ' +
      'and its allow/deny results are cached for 300 s per Authorization header, so its concurrency is below ' +
      'that of the functions it protects. Reserved concurrency would hard-cap every protected route at once ' +
      'and withhold capacity from the account pool.',
    'HIPAA.Security-LambdaInsideVPC': VPC_REASON,
  },
  queue: {
    'HIPAA.Security-LambdaDLQ':
      'The consumer (the audit writer, the EPS notifier) is invoked by an SQS event source mapping, which polls ' +
      'and invokes synchronously: a message whose batch item fails returns to its queue and after 5 receives ' +
      'moves to that queue\'s dead-letter queue, which is alarmed. A function DLQ only receives asynchronous ' +
      'invocations, so it would stay empty.',
    'Serverless-LambdaDLQ':
      'Invoked synchronously by an SQS event source mapping; failed messages are redriven by the source ' +
      'queue\'s own redrive policy (maxReceiveCount 5) to its alarmed DLQ, not by a function DLQ.',
    'HIPAA.Security-LambdaConcurrency':
      'The consumer\'s concurrency is capped by its event source mapping\'s maximum concurrency (set in ' +
      'SpineAudit and SpineEps), which limits how many batches the SQS poller delivers at once, without reserving ' +
      'capacity out of the account pool (reserved concurrency is refused when fewer than 100 unreserved executions remain).',
    'HIPAA.Security-LambdaInsideVPC': VPC_REASON,
  },
  stream: {
    'HIPAA.Security-LambdaDLQ':
      'The function is invoked by a DynamoDB stream event source mapping, which polls and invokes synchronously: ' +
      'a failed batch is bisected and retried (the function reports the records it failed), and a record still ' +
      'failing after the retries goes to the mapping\'s on-failure destination, a KMS-encrypted SQS queue that is ' +
      'alarmed. A function DLQ only receives asynchronous invocations, so it would stay empty.',
    'Serverless-LambdaDLQ':
      'Invoked synchronously by a DynamoDB stream event source mapping, whose own on-failure destination (an ' +
      'alarmed SQS queue) receives the records that still fail after the retries; a function DLQ would never receive one.',
    'HIPAA.Security-LambdaConcurrency':
      'A stream event source mapping runs at most one invocation per stream shard at a time (parallelization ' +
      'factor 1, which also keeps each item\'s records in order), so concurrency is bounded by the table stream\'s ' +
      'shard count. Reserved concurrency would withhold capacity from the account pool, and Lambda refuses it ' +
      'when fewer than 100 unreserved executions would remain.',
    'HIPAA.Security-LambdaInsideVPC': VPC_REASON,
  },
  schedule: {
    'HIPAA.Security-LambdaDLQ':
      'The function is invoked asynchronously by an EventBridge schedule (hourly for the MESH expiry job, daily for ' +
      'the EPS one; EventBridge retries a failed delivery), and every run works from the table, not from the event: ' +
      'it handles everything due by now, so the next run redoes whatever a failed run left, idempotently. A DLQ would ' +
      'only hold copies of content-free schedule events; the failure itself raises the CloudWatch alarm on the ' +
      'function\'s Errors metric (to the alarm topic).',
    'Serverless-LambdaDLQ':
      'Invoked by a schedule (hourly or daily) whose events carry no data: the next run redoes a failed one from the ' +
      'table, and failures are alarmed on the function\'s Errors metric, so a DLQ of schedule events would add nothing.',
    'HIPAA.Security-LambdaConcurrency':
      'The only trigger is one EventBridge schedule event per period (an hour or a day, plus its retries on failure), ' +
      'so at most a couple of invocations ever run at once. Reserved concurrency would withhold capacity from the ' +
      'account pool, and Lambda refuses it when fewer than 100 unreserved executions would remain.',
    'HIPAA.Security-LambdaInsideVPC': VPC_REASON,
  },
};
