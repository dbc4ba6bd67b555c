// SpineFunction: the one construct that builds every Spine Lambda (one per Rust binary in the route
// table) with the fixed runtime, memory, timeout, environment, tags, log group and least-privilege role.
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

/** The repository root (infra-cdk/..); cargo lambda writes <repo>/target/lambda/<function>/bootstrap. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The committed placeholder asset used when a function has not been built. */
export const PLACEHOLDER_ASSET = path.resolve(__dirname, '..', 'assets', 'placeholder');

/** Fixed for every Spine function. API Gateway's own integration timeout is 29 s. */
export const FUNCTION_MEMORY_MB = 256;
export const FUNCTION_TIMEOUT = Duration.seconds(10);
/** Retention of every Spine log group (function, API access/execution, WAF). */
export const LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** DynamoDB actions every function gets (reads), and the extra ones a `writes: true` function gets. */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
];

export interface SpineFunctionProps {
  /** The function as grouped from the route table. */
  readonly spec: SpineFunctionSpec;
  /** The single Spine table. */
  readonly table: dynamodb.ITable;
  /** The table's customer-managed key. */
  readonly tableKey: kms.IKey;
  /** The names of the table's global secondary indexes (the role may Query them, by name, no wildcard). */
  readonly indexNames: string[];
  /** The key encrypting CloudWatch log groups. */
  readonly logKey: kms.IKey;
  /** Where cargo lambda writes its output; defaults to <repo>/target/lambda. */
  readonly lambdaBuildDir?: string;
}

/**
 * One Spine Lambda: provided.al2023 on arm64, handler `bootstrap`, 256 MB, 10 s, X-Ray active, its own
 * KMS-encrypted log group, and a role holding one customer-managed policy derived from `writes`.
 */
export class SpineFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly policy: iam.ManagedPolicy;
  /** True when the committed placeholder was used because no build output exists. */
  public readonly usesPlaceholder: boolean;

  constructor(scope: Construct, id: string, props: SpineFunctionProps) {
    super(scope, id);
    const { spec, table, tableKey, logKey } = props;
    const stack = Stack.of(this);

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
    const indexArns = props.indexNames.map((name) => `${table.tableArn}/index/${name}`);
    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'TableItemReads',
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        resources: [table.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'TableAndIndexQueries',
        actions: ['dynamodb:Query'],
        resources: [table.tableArn, ...indexArns],
      }),
    ];
    if (spec.writes) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'TableItemWrites',
          actions: TABLE_WRITE_ACTIONS,
          resources: [table.tableArn],
        }),
      );
    }
    statements.push(
      new iam.PolicyStatement({
        sid: 'TableKeyViaDynamoDB',
        actions: spec.writes
          ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
          : ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
      }),
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
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Least privilege for the Spine ${spec.name} function, derived from routes.json (writes: ${spec.writes})`,
      statements,
      roles: [this.role],
    });
    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions ' +
        '(the IAM service authorization reference lists no resource type for them), so "*" is the only ' +
        'possible resource. Every other statement in this policy names the table, its indexes, the table ' +
        'key or the function\'s own log group explicitly.',
    });

    const buildDir = path.join(props.lambdaBuildDir ?? path.join(REPO_ROOT, 'target', 'lambda'), spec.name);
    this.usesPlaceholder = !fs.existsSync(path.join(buildDir, 'bootstrap'));
    const code = lambda.Code.fromAsset(this.usesPlaceholder ? PLACEHOLDER_ASSET : buildDir);

    this.function = new lambda.Function(this, 'Function', {
      description: `Spine ${spec.service}: ${spec.routes.map((r) => `${r.method} ${r.path}`).join(', ')}`,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role.withoutPolicyUpdates(),
      environment: {
        SPINE_STORE: 'aws',
        SPINE_TABLE_NAME: table.tableName,
        AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH: 'true',
        RUST_LOG: 'info',
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
    this.acknowledgeFunctionFindings();
  }

  /**
   * Adds a statement to this function's managed policy. Use this (not `function.addToRolePolicy` or
   * `resource.grant*(function)`): the role given to the Function is immutable, so CDK drops those silently.
   */
  public addToPolicy(statement: iam.PolicyStatement): void {
    this.policy.addStatements(statement);
  }

  /** The findings on every Spine function that are deliberate, each with the control that replaces it. */
  private acknowledgeFunctionFindings(): void {
    const fn = this.function;
    Validations.of(fn).acknowledge({
      id: 'HIPAA.Security-LambdaDLQ',
      reason:
        'API Gateway invokes these functions synchronously (Lambda proxy integration): a failure is returned ' +
        'to the caller as a 5xx and recorded in the API access log, the function log and X-Ray. A dead-letter ' +
        'queue only ever receives asynchronous invocations, which these functions never get, so it would stay empty.',
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Synchronous invocation only (API Gateway Lambda proxy): errors go back to the caller; a DLQ applies to ' +
        'asynchronous invocations and would never receive a message.',
    });
    Validations.of(fn).acknowledge({
      id: 'HIPAA.Security-LambdaConcurrency',
      reason:
        'The concurrency control is the API Gateway stage throttle (steady rate and burst for the whole API, ' +
        'set in SpineStack) in front of every function, behind the AWS WAF web ACL; API Gateway is the only ' +
        'trigger these functions have, so throttled requests never reach Lambda (concurrency is bounded by ' +
        'rate x latency, and the 10 s timeout bounds latency). Per-function reserved concurrency would carve ' +
        'the account pool into fixed slices, hard-capping each route and withholding the reserved capacity ' +
        'from everything else, and Lambda refuses it when it would leave fewer than 100 unreserved executions.',
    });
    Validations.of(fn).acknowledge({
      id: 'HIPAA.Security-LambdaInsideVPC',
      reason:
        'The functions accept no inbound network connections (only the Lambda Invoke API, called by API Gateway ' +
        'under a source-ARN-scoped permission) and call only AWS APIs (DynamoDB, KMS via DynamoDB, CloudWatch ' +
        'Logs, X-Ray) over TLS with SigV4, limited by a per-function IAM policy naming one table and key. What a ' +
        'VPC would add is egress control: with gateway/interface endpoints (no NAT) and endpoint policies the ' +
        'functions could be prevented from reaching any other account or the internet. We accept not having ' +
        'that network-layer exfiltration control today, because the code calls no non-AWS endpoint; revisit ' +
        '(VPC + DynamoDB gateway endpoint + KMS/Logs/X-Ray interface endpoints, aws:SourceVpce conditions) ' +
        'when a function needs a third-party endpoint or policy requires egress filtering.',
    });
  }
}
