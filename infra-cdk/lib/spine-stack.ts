// SpineStack: the single DynamoDB table (with its KMS key and backups), one SpineFunction per Rust
// binary in shared/routes.json, and the API Gateway REST API (stage `prod`, WAF, logs) routing to them.
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { DEFAULT_ROUTES_FILE, Route, SpineFunctionSpec, functionsOf, loadRoutes, pathParameters } from './routes';
import { LOG_RETENTION, SpineFunction } from './spine-function';

export const STAGE_NAME = 'prod';
export const TABLE_INDEXES = [
  { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
];
export const TTL_ATTRIBUTE = 'expires_at';

export interface SpineStackProps extends StackProps {
  /** The route table; defaults to <repo>/shared/routes.json. */
  readonly routesFile?: string;
  /** Where cargo lambda writes its output; defaults to <repo>/target/lambda. */
  readonly lambdaBuildDir?: string;
  /** Stage-wide steady-state request rate (requests per second). */
  readonly throttlingRateLimit?: number;
  /** Stage-wide burst (requests). */
  readonly throttlingBurstLimit?: number;
}

export class SpineStack extends Stack {
  public readonly routes: Route[];
  public readonly table: dynamodb.Table;
  public readonly api: apigateway.RestApi;
  public readonly functions: Map<string, SpineFunction> = new Map();

  constructor(scope: Construct, id: string, props: SpineStackProps = {}) {
    super(scope, id, {
      description: 'Spine (Rust serverless rebuild of NHS England Spine): API Gateway, Lambda, DynamoDB',
      ...props,
    });
    this.routes = loadRoutes(props.routesFile ?? DEFAULT_ROUTES_FILE);

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

    // ---- The single table.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const gsi of TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // ---- Backups beyond PITR's 35 days: daily (kept 35 days) and monthly (kept 1 year) recovery points.
    const vault = new backup.BackupVault(this, 'BackupVault', {
      encryptionKey: tableKey,
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
      resources: [backup.BackupResource.fromDynamoDbTable(this.table)],
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        'The role is assumable only by backup.amazonaws.com and carries the AWS-maintained backup policy, which ' +
        'AWS updates as services add backup features; it lets AWS Backup snapshot only the resources the ' +
        'selection names (the Spine table). A hand-written copy would drift from what AWS Backup needs.',
    });

    // ---- One function per distinct Rust binary in the route table.
    const specs: SpineFunctionSpec[] = functionsOf(this.routes);
    for (const spec of specs) {
      const fn = new SpineFunction(this, constructIdOf(spec.name), {
        spec,
        table: this.table,
        tableKey,
        indexNames: TABLE_INDEXES.map((i) => i.indexName),
        logKey,
        lambdaBuildDir: props.lambdaBuildDir,
      });
      this.functions.set(spec.name, fn);
    }

    // ---- The REST API.
    this.api = this.buildApi(logKey, props);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Spine API (stage prod)' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The Spine DynamoDB table' });
  }

  private buildApi(logKey: kms.IKey, props: SpineStackProps): apigateway.RestApi {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: LOG_RETENTION,
      encryptionKey: logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${this.stackName}-api`,
      description: 'Spine (Rust serverless rebuild): every route of shared/routes.json',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Execution logging needs the account-level API Gateway CloudWatch role.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: STAGE_NAME,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Never log request/response bodies: they carry patient data.
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttlingRateLimit ?? 500,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 1000,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            extendedRequestId: '$context.extendedRequestId',
            requestTime: '$context.requestTimeEpoch',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            caller: '$context.identity.caller',
            userArn: '$context.identity.userArn',
            httpMethod: '$context.httpMethod',
            resourcePath: '$context.resourcePath',
            protocol: '$context.protocol',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationStatus: '$context.integration.status',
            errorMessage: '$context.error.message',
            wafResponseCode: '$context.wafResponseCode',
            xrayTraceId: '$context.xrayTraceId',
          }),
        ),
      },
    });
    // RestApi always adds an `Endpoint` output; the stack's own `ApiUrl` output replaces it.
    api.node.tryRemoveChild('Endpoint');
    Validations.of(api.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'This is the account-level role API Gateway uses to write execution logs; only apigateway.amazonaws.com ' +
        'can assume it. Execution log group names are chosen by the service (API-Gateway-Execution-Logs_<api>/<stage>), ' +
        'so the AWS-maintained policy is the documented way to grant it.',
    });

    // Pre-create the execution log group so it is KMS-encrypted and has a retention (API Gateway would
    // otherwise create it itself, unencrypted and kept forever).
    const executionLogs = new logs.LogGroup(this, 'ApiExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${STAGE_NAME}`,
      retention: LOG_RETENTION,
      encryptionKey: logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    api.deploymentStage.node.addDependency(executionLogs);

    const stage = api.deploymentStage;
    Validations.of(stage).acknowledge({
      id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
      reason:
        'Caching is deliberately off: every response is patient data whose visibility depends on the caller\'s ' +
        'authorisation (role, activity, legitimate relationship), and a stage cache keyed on the request would ' +
        'serve one caller\'s authorised response to another and hold PHI outside the audited, KMS-keyed table.',
    });
    Validations.of(stage).acknowledge({
      id: 'HIPAA.Security-APIGWSSLEnabled',
      reason:
        'A stage client certificate authenticates API Gateway to an HTTP backend. Every integration here is a ' +
        'Lambda proxy integration, invoked through the Lambda API with SigV4 and a source-ARN-scoped permission, ' +
        'so there is no backend endpoint that could check a client certificate. Clients reach the API over TLS only.',
    });

    // Request validation: path parameters must be present; the validator also checks bodies against any
    // model a method declares (none yet; the functions validate FHIR payloads themselves).
    const validator = api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'params-and-body',
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    for (const route of this.routes) {
      const fn = this.functions.get(route.function)!;
      const resource = api.root.resourceForPath(route.path);
      const requestParameters: Record<string, boolean> = {};
      for (const p of pathParameters(route.path)) {
        requestParameters[`method.request.path.${p}`] = true;
      }
      const method = resource.addMethod(
        route.method,
        new apigateway.LambdaIntegration(fn.function, { proxy: true, allowTestInvoke: false }),
        {
          // Until the CIS2-style Lambda authorizer lands, only SigV4-signed callers with execute-api:Invoke.
          authorizationType: apigateway.AuthorizationType.IAM,
          requestValidator: validator,
          requestParameters,
        },
      );
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Identity comes from a CIS2-style Lambda authorizer (NHS CIS2 / smartcard session, role and activity ' +
          'codes from routes.json), not from Cognito user pools. Until that authorizer lands every method uses ' +
          'AWS_IAM (SigV4) authorization, so no method is unauthenticated.',
      });
    }

    this.buildWaf(stage, logKey);
    return api;
  }

  /** A regional WAFv2 web ACL with AWS managed rules, associated with the stage and logging to CloudWatch. */
  private buildWaf(stage: apigateway.Stage, logKey: kms.IKey): void {
    const managed = (name: string, priority: number, ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[]) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name },
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Spine API: AWS managed common and known-bad-inputs rule sets',
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: 'spine-api' },
      rules: [
        // FHIR resources can exceed the common rule set's 8 KB body limit; count rather than block those.
        managed('AWSManagedRulesCommonRuleSet', 0, [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: stage.stageArn,
      webAclArn: acl.attrArn,
    });

    // WAF requires the log group name to start with aws-waf-logs-.
    const wafLogs = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-${this.stackName}`,
      retention: LOG_RETENTION,
      encryptionKey: logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.attrArn,
      logDestinationConfigs: [
        this.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: wafLogs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Credentials never reach the WAF log.
      redactedFields: [
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'x-amz-security-token' } },
      ],
    });
  }
}

/** pds-get-patient -> PdsGetPatient: a stable construct id (and so stable logical ids) per function. */
export function constructIdOf(functionName: string): string {
  return functionName
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
