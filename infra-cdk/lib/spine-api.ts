// The Spine REST API: one resource path and method per FHIR/cis route of routes.json (Lambda proxy), the
// CIS REQUEST authorizer on every token-protected method, FHIR gateway responses, stage `prod` with access
// and execution logs, X-Ray and throttling, and the WAFv2 web ACL. The stage, log and WAF helpers are
// shared with the MESH API (lib/mesh-api.ts), so both APIs are run the same way.
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { addFhirGatewayResponses } from './gateway-responses';
import { Route, isPublic, pathParameters } from './routes';
import { LOG_RETENTION, SpineFunction } from './spine-function';

export const STAGE_NAME = 'prod';
/** How long API Gateway caches an authorizer result per Authorization header. */
export const AUTHORIZER_CACHE_TTL = Duration.seconds(300);
/** Stage-wide throttling unless SpineStackProps says otherwise (each API has its own stage and limits). */
export const DEFAULT_THROTTLING_RATE_LIMIT = 500;
export const DEFAULT_THROTTLING_BURST_LIMIT = 1000;

/** How a stage is run: logs (encrypted with `logKey`) and stage-wide throttling. */
export interface StageSettings {
  /** The key encrypting CloudWatch log groups. */
  readonly logKey: kms.IKey;
  /** Stage-wide steady-state request rate (requests per second). */
  readonly throttlingRateLimit?: number;
  /** Stage-wide burst (requests). */
  readonly throttlingBurstLimit?: number;
}

export interface SpineApiProps extends StageSettings {
  /** The routes this API serves (every route but the MESH ones). */
  readonly routes: Route[];
  /** The function of each route, by function name. */
  readonly functions: Map<string, SpineFunction>;
  /** The REQUEST authorizer function. */
  readonly authorizer: SpineFunction;
}

/** Builds the REST API on `stack`; construct ids are the stack's own, so logical ids do not move. */
export function buildApi(stack: Stack, props: SpineApiProps): apigateway.RestApi {
  const { logKey } = props;
  const accessLogs = accessLogGroup(stack, 'ApiAccessLogs', logKey);

  const api = new apigateway.RestApi(stack, 'Api', {
    restApiName: `${stack.stackName}-api`,
    description: 'Spine (Rust serverless rebuild): every FHIR and cis route of shared/routes.json',
    endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
    // Execution logging needs the account-level API Gateway CloudWatch role (one per account and region:
    // this API creates it, the MESH API's stage depends on it).
    cloudWatchRole: true,
    cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
    deployOptions: stageOptions(accessLogs, props),
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

  executionLogGroup(stack, 'ApiExecutionLogs', api, logKey);
  acknowledgeStageFindings(
    api.deploymentStage,
    'Caching is deliberately off: every response is patient data whose visibility depends on the caller\'s ' +
      'authorisation (role, activity, legitimate relationship), and a stage cache keyed on the request would ' +
      'serve one caller\'s authorised response to another and hold PHI outside the audited, KMS-keyed table.',
  );

  const validator = requestValidator(api);

  // The CIS2-style authorizer: a REQUEST authorizer keyed on the Authorization header. A missing header is
  // a 401 without invoking it. Its allow/deny result is cached for 300 s per Authorization value; the
  // function re-checks the token's expiry itself, so a cached allow never outlives the token by more than
  // 300 s. The cache is per token, not per method, so the policy it returns must cover every method the
  // token may call (the functions re-check the activity and access mode of their own route anyway).
  const authorizer = new apigateway.RequestAuthorizer(stack, 'Authorizer', {
    authorizerName: 'cis-authorizer',
    handler: props.authorizer.function,
    identitySources: [apigateway.IdentitySource.header('Authorization')],
    resultsCacheTtl: AUTHORIZER_CACHE_TTL,
  });

  for (const route of props.routes) {
    const open = isPublic(route);
    const method = addRouteMethod(api, route, props.functions, validator, open ? {} : { authorizer });
    if (open) {
      const why =
        `${route.method} ${route.path} is public (activity "none" in routes.json): it is the OAuth 2.0 token ` +
        'endpoint or the JWKS, which callers must reach without a token (to obtain one, or to verify one). The ' +
        'token endpoint authenticates the client from the credentials in the request itself; the JWKS serves ' +
        'only public keys. Both are behind the WAF and the stage throttle.';
      Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason: why });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: why });
    } else {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Identity comes from the CIS2-style Lambda REQUEST authorizer (cis-authorizer: ES256 access tokens ' +
          'signed by the Spine\'s KMS key, access mode, role and activity codes from routes.json), not from ' +
          'Cognito user pools. The method uses CUSTOM authorization with that authorizer, so it is never unauthenticated.',
      });
    }
  }

  addFhirGatewayResponses(api);
  buildWaf(stack, api.deploymentStage, logKey, {
    logGroupName: `aws-waf-logs-${stack.stackName}`,
    description: 'Spine API: AWS managed common and known-bad-inputs rule sets',
    metricName: 'spine-api',
    // FHIR resources can exceed the common rule set's 8 KB body limit; count rather than block those.
    countedRules: { AWSManagedRulesCommonRuleSet: ['SizeRestrictions_BODY'] },
  });
  return api;
}

/** A KMS-encrypted access log group with the Spine retention. */
export function accessLogGroup(scope: Construct, id: string, logKey: kms.IKey): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: LOG_RETENTION,
    encryptionKey: logKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/** Stage `prod`: X-Ray, metrics, execution logs at ERROR (never bodies), throttling, JSON access logs. */
export function stageOptions(accessLogs: logs.ILogGroup, settings: StageSettings): apigateway.StageOptions {
  return {
    stageName: STAGE_NAME,
    tracingEnabled: true,
    metricsEnabled: true,
    loggingLevel: apigateway.MethodLoggingLevel.ERROR,
    // Never log request/response bodies: they carry patient data (and MESH message content).
    dataTraceEnabled: false,
    throttlingRateLimit: settings.throttlingRateLimit ?? DEFAULT_THROTTLING_RATE_LIMIT,
    throttlingBurstLimit: settings.throttlingBurstLimit ?? DEFAULT_THROTTLING_BURST_LIMIT,
    accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
    accessLogFormat: apigateway.AccessLogFormat.custom(
      JSON.stringify({
        requestId: '$context.requestId',
        extendedRequestId: '$context.extendedRequestId',
        requestTime: '$context.requestTimeEpoch',
        sourceIp: '$context.identity.sourceIp',
        userAgent: '$context.identity.userAgent',
        authorizerStatus: '$context.authorizer.status',
        authorizerLatency: '$context.authorizer.integrationLatency',
        authorizerError: '$context.authorizer.error',
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
  };
}

/**
 * Pre-creates the stage's execution log group so it is KMS-encrypted and has a retention (API Gateway would
 * otherwise create it itself, unencrypted and kept forever); the stage waits for it.
 */
export function executionLogGroup(scope: Construct, id: string, api: apigateway.RestApi, logKey: kms.IKey): logs.LogGroup {
  const group = new logs.LogGroup(scope, id, {
    logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${STAGE_NAME}`,
    retention: LOG_RETENTION,
    encryptionKey: logKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  api.deploymentStage.node.addDependency(group);
  return group;
}

/** The stage findings that are deliberate: caching off (for `cacheReason`), no backend client certificate. */
export function acknowledgeStageFindings(stage: apigateway.Stage, cacheReason: string): void {
  Validations.of(stage).acknowledge({ id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted', reason: cacheReason });
  Validations.of(stage).acknowledge({
    id: 'HIPAA.Security-APIGWSSLEnabled',
    reason:
      'A stage client certificate authenticates API Gateway to an HTTP backend. Every integration here is a ' +
      'Lambda proxy integration, invoked through the Lambda API with SigV4 and a source-ARN-scoped permission, ' +
      'so there is no backend endpoint that could check a client certificate. Clients reach the API over TLS only.',
  });
}

/**
 * Request validation: path parameters must be present; the validator also checks bodies against any
 * model a method declares (none yet; the functions validate their payloads themselves).
 */
export function requestValidator(api: apigateway.RestApi): apigateway.RequestValidator {
  return api.addRequestValidator('RequestValidator', {
    requestValidatorName: 'params-and-body',
    validateRequestParameters: true,
    validateRequestBody: true,
  });
}

/**
 * The method of one route: a Lambda proxy integration to its function, its path parameters required, and
 * CUSTOM authorization with `authorizer` when given, else NONE.
 */
export function addRouteMethod(
  api: apigateway.RestApi,
  route: Route,
  functions: Map<string, SpineFunction>,
  validator: apigateway.IRequestValidator,
  auth: { authorizer?: apigateway.IAuthorizer },
): apigateway.Method {
  const fn = functions.get(route.function);
  if (!fn) throw new Error(`no function ${route.function} for ${route.method} ${route.path}`);
  const requestParameters: Record<string, boolean> = {};
  for (const p of pathParameters(route.path)) {
    requestParameters[`method.request.path.${p}`] = true;
  }
  return api.root.resourceForPath(route.path).addMethod(
    route.method,
    new apigateway.LambdaIntegration(fn.function, { proxy: true, allowTestInvoke: false }),
    {
      ...(auth.authorizer
        ? { authorizationType: apigateway.AuthorizationType.CUSTOM, authorizer: auth.authorizer }
        : { authorizationType: apigateway.AuthorizationType.NONE }),
      requestValidator: validator,
      requestParameters,
    },
  );
}

export interface WafOptions {
  /** Must start with aws-waf-logs- (a WAF requirement). */
  readonly logGroupName: string;
  readonly description: string;
  readonly metricName: string;
  /** Per AWS managed rule group, the rules that count instead of blocking. */
  readonly countedRules?: Record<string, string[]>;
}

/** A regional WAFv2 web ACL with AWS managed rules, associated with the stage and logging to CloudWatch. */
export function buildWaf(scope: Construct, stage: apigateway.Stage, logKey: kms.IKey, options: WafOptions): wafv2.CfnWebACL {
  const managed = (name: string, priority: number) => {
    const counted = options.countedRules?.[name];
    const ruleActionOverrides = counted?.map((rule) => ({ name: rule, actionToUse: { count: {} } }));
    return {
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: name },
    };
  };
  const acl = new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    description: options.description,
    visibilityConfig: { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: options.metricName },
    rules: [managed('AWSManagedRulesCommonRuleSet', 0), managed('AWSManagedRulesKnownBadInputsRuleSet', 1)],
  });
  new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
    resourceArn: stage.stageArn,
    webAclArn: acl.attrArn,
  });

  const wafLogs = new logs.LogGroup(scope, 'WafLogs', {
    logGroupName: options.logGroupName,
    retention: LOG_RETENTION,
    encryptionKey: logKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  new wafv2.CfnLoggingConfiguration(scope, 'WafLogging', {
    resourceArn: acl.attrArn,
    logDestinationConfigs: [
      Stack.of(scope).formatArn({
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
  return acl;
}
