// API Gateway's own refusals in the shape the functions answer with: the one mechanism
// (`addGatewayResponses`: a body per response type, one content type, fixed headers), and the Spine API's
// responses as FHIR OperationOutcomes coded with Spine-ErrorOrWarningCode (authorizer 401/403, unknown
// route, throttling, any other 4XX/5XX), echoing the caller's X-Request-ID and X-Correlation-ID.
// The MESH API's responses (MESH error JSON) use the same mechanism: lib/mesh-gateway-responses.ts.
import * as apigateway from 'aws-cdk-lib/aws-apigateway';

export const SPINE_ERROR_CODE_SYSTEM = 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode';
export const FHIR_JSON = 'application/fhir+json';

/** One gateway response: the API Gateway response type, the status it is answered with and its outcome. */
export interface FhirGatewayResponse {
  readonly id: string;
  readonly type: apigateway.ResponseType;
  /** Omitted for DEFAULT_4XX/DEFAULT_5XX, which keep the status API Gateway chose. */
  readonly statusCode?: string;
  /** FHIR issue type (issue.code). */
  readonly issueType: string;
  /** Spine-ErrorOrWarningCode code and display (as shared/src/error.rs spells them where it has the code). */
  readonly code: string;
  readonly display: string;
  /** A literal diagnostic, or undefined to use API Gateway's own message ($context.error.messageString). */
  readonly diagnostics?: string;
}

export const FHIR_GATEWAY_RESPONSES: FhirGatewayResponse[] = [
  {
    // No Authorization header, or the authorizer said "Unauthorized": missing, malformed, badly signed or expired.
    id: 'Unauthorized',
    type: apigateway.ResponseType.UNAUTHORIZED,
    statusCode: '401',
    issueType: 'forbidden',
    code: 'ACCESS_DENIED',
    display: 'Access denied',
    diagnostics: 'Missing, invalid or expired access token',
  },
  {
    // The authorizer returned a Deny policy: a valid token whose access mode or role may not call this route.
    id: 'AccessDenied',
    type: apigateway.ResponseType.ACCESS_DENIED,
    statusCode: '403',
    issueType: 'forbidden',
    code: 'ACCESS_DENIED',
    display: 'Access denied',
    diagnostics: 'The access token does not allow this activity',
  },
  {
    // API Gateway's answer to a method or path no route serves (it is a 403 by default).
    id: 'NoRoute',
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    issueType: 'not-found',
    code: 'RESOURCE_NOT_FOUND',
    display: 'Resource not found',
    diagnostics: 'No route serves this method and path',
  },
  {
    id: 'Throttled',
    type: apigateway.ResponseType.THROTTLED,
    statusCode: '429',
    issueType: 'throttled',
    code: 'TOO_MANY_REQUESTS',
    display: 'Too many requests',
    diagnostics: 'You have exceeded the rate limit; retry later with the same X-Request-ID',
  },
  {
    id: 'Default4XX',
    type: apigateway.ResponseType.DEFAULT_4XX,
    issueType: 'invalid',
    code: 'BAD_REQUEST',
    display: 'Bad request',
  },
  {
    id: 'Default5XX',
    type: apigateway.ResponseType.DEFAULT_5XX,
    issueType: 'exception',
    code: 'UNKNOWN_ERROR',
    display: 'Unknown error',
  },
];

/**
 * The body of a gateway response. Gateway response templates support only simple variable substitution
 * (no VTL); `$context.error.messageString` is API Gateway's own message, already a quoted JSON string.
 */
export function outcomeTemplate(r: FhirGatewayResponse): string {
  const diagnostics = r.diagnostics === undefined ? '$context.error.messageString' : JSON.stringify(r.diagnostics);
  const coding = { system: SPINE_ERROR_CODE_SYSTEM, version: '1', code: r.code, display: r.display };
  const issue = `{"severity":"error","code":${JSON.stringify(r.issueType)},"details":{"coding":[${JSON.stringify(coding)}]},"diagnostics":${diagnostics}}`;
  return `{"resourceType":"OperationOutcome","issue":[${issue}]}`;
}

/** One gateway response of any API: its construct id, type, status (else API Gateway's) and body template. */
export interface GatewayResponseBody {
  readonly id: string;
  readonly type: apigateway.ResponseType;
  readonly statusCode?: string;
  readonly body: string;
}

/** How an API answers: its error content type and the headers every gateway response carries. */
export interface GatewayResponseStyle {
  readonly contentType: string;
  /** Header name to a mapping expression (a 'quoted' literal or method.request.header.X). */
  readonly headers?: Record<string, string>;
}

/**
 * Adds each response to `api` with `style`'s Content-Type and headers. The same body is registered under
 * the style's content type and application/json, so whichever template API Gateway selects, the body is ours.
 */
export function addGatewayResponses(api: apigateway.RestApi, style: GatewayResponseStyle, responses: GatewayResponseBody[]): void {
  for (const r of responses) {
    api.addGatewayResponse(r.id, {
      type: r.type,
      statusCode: r.statusCode,
      responseHeaders: { 'Content-Type': `'${style.contentType}'`, ...style.headers },
      templates: { [style.contentType]: r.body, 'application/json': r.body },
    });
  }
}

/** Adds every FHIR gateway response to the API. */
export function addFhirGatewayResponses(api: apigateway.RestApi): void {
  addGatewayResponses(
    api,
    {
      contentType: FHIR_JSON,
      headers: {
        'X-Request-ID': 'method.request.header.X-Request-ID',
        'X-Correlation-ID': 'method.request.header.X-Correlation-ID',
      },
    },
    FHIR_GATEWAY_RESPONSES.map((r) => ({ id: r.id, type: r.type, statusCode: r.statusCode, body: outcomeTemplate(r) })),
  );
}
