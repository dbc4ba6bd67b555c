// The MESH REST API: one resource path and method per MESH route of routes.json (Lambda proxy, no
// authorizer: the functions verify the NHSMESH Authorization header), every content type passed as binary,
// MESH-shaped gateway responses, stage `prod` run like the Spine API's (logs, X-Ray, throttling, WAF), and
// reachable only through the mutual-TLS custom domain (the execute-api endpoint is disabled).
import { Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct, IDependable } from 'constructs';
import { MeshTls, meshDomain } from './mesh-domain';
import { addMeshGatewayResponses } from './mesh-gateway-responses';
import { Route } from './routes';
import {
  StageSettings,
  accessLogGroup,
  acknowledgeStageFindings,
  addRouteMethod,
  buildWaf,
  executionLogGroup,
  requestValidator,
  stageOptions,
} from './spine-api';
import { SpineFunction } from './spine-function';

/**
 * Every request and response body is binary to API Gateway: chunks are arbitrary bytes (often gzip), so the
 * functions get them base64-encoded (isBase64Encoded) and return them the same way, untouched by any mapping.
 */
export const MESH_BINARY_MEDIA_TYPES = ['*/*'];

/**
 * WAF rules that inspect the request body count instead of blocking on the MESH API: a MESH body is a
 * message's content (any format, often compressed), which the platform stores and never interprets, so
 * injection patterns in it are the recipient's business, and blocking them would lose legitimate messages.
 * Header, URI and query rules still block.
 */
export const MESH_WAF_COUNTED_RULES: Record<string, string[]> = {
  AWSManagedRulesCommonRuleSet: [
    'SizeRestrictions_BODY',
    'EC2MetaDataSSRF_BODY',
    'GenericLFI_BODY',
    'GenericRFI_BODY',
    'CrossSiteScripting_BODY',
  ],
  AWSManagedRulesKnownBadInputsRuleSet: ['JavaDeserializationRCE_BODY', 'Log4JRCE_BODY'],
};

export interface MeshApiProps extends StageSettings {
  /** The MESH routes. */
  readonly routes: Route[];
  /** The function of each route, by function name. */
  readonly functions: Map<string, SpineFunction>;
  readonly tls: MeshTls;
  /** The account's API Gateway CloudWatch role setting (the Spine API creates it); the stage's execution logs need it. */
  readonly cloudWatchAccount?: IDependable;
}

export interface MeshApi {
  readonly api: apigateway.RestApi;
  readonly domain: apigateway.DomainName;
}

/** Builds the MESH API, its stage, WAF and mutual-TLS domain under `scope`. */
export function buildMeshApi(scope: Construct, props: MeshApiProps): MeshApi {
  const { logKey } = props;
  const accessLogs = accessLogGroup(scope, 'ApiAccessLogs', logKey);
  const api = new apigateway.RestApi(scope, 'Api', {
    restApiName: `${Stack.of(scope).stackName}-mesh`,
    description: 'Spine MESH (mailbox messaging): the mesh routes of shared/routes.json, only through the mutual-TLS domain',
    endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
    disableExecuteApiEndpoint: true,
    binaryMediaTypes: MESH_BINARY_MEDIA_TYPES,
    // The account-level CloudWatch role is the Spine API's (there is one per account and region).
    cloudWatchRole: false,
    deployOptions: stageOptions(accessLogs, props),
  });
  // RestApi always adds an `Endpoint` output (the disabled execute-api URL); the stack outputs the domain.
  api.node.tryRemoveChild('Endpoint');
  if (props.cloudWatchAccount) api.deploymentStage.node.addDependency(props.cloudWatchAccount);

  executionLogGroup(scope, 'ApiExecutionLogs', api, logKey);
  acknowledgeStageFindings(
    api.deploymentStage,
    'Caching is deliberately off: every MESH answer depends on the mailbox authenticated by its single-use ' +
      'NHSMESH token, and most calls change state (the token\'s replay record, a message\'s status), so a stage ' +
      'cache would serve one mailbox\'s inbox or message to another and hold message content outside the ' +
      'KMS-keyed chunk bucket.',
  );

  const validator = requestValidator(api);
  for (const route of props.routes) {
    const method = addRouteMethod(api, route, props.functions, validator, {});
    const why =
      `${route.method} ${route.path} is a MESH route (activity "nhsmesh" in routes.json), which takes no bearer ` +
      'token, so there is nothing for an API Gateway authorizer or Cognito to check. Every client is first ' +
      'authenticated by mutual TLS at the custom domain (a client certificate chaining to the MESH truststore; the ' +
      'execute-api endpoint is disabled, so the domain is the only way in), then the function verifies the NHSMESH ' +
      'Authorization header (HMAC-SHA256 with the mailbox password and the MESH shared key, single use, within a ' +
      'time window) against the mailbox before doing anything. Behind the WAF and the stage throttle.';
    Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason: why });
    Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: why });
  }

  addMeshGatewayResponses(api);
  buildWaf(scope, api.deploymentStage, logKey, {
    logGroupName: `aws-waf-logs-${Stack.of(scope).stackName}-mesh`,
    description: 'Spine MESH API: AWS managed common and known-bad-inputs rule sets, body rules counted as bodies are message content',
    metricName: 'spine-mesh-api',
    countedRules: MESH_WAF_COUNTED_RULES,
  });
  const domain = meshDomain(scope, api, props.tls);
  return { api, domain };
}
