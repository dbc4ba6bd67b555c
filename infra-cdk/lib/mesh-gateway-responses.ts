// The MESH API's own refusals (unknown path or method, a body over API Gateway's limit, throttling, the
// WAF, any other 4XX/5XX) in MESH v2's error JSON, as the MESH functions answer (never a FHIR
// OperationOutcome): {"internal_id": <API Gateway request id>, "detail": [{"event", "code", "msg"}]}.
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { GatewayResponseBody, addGatewayResponses } from './gateway-responses';
import { MAX_BODY_BYTES } from './routes';

/** The MESH v2 media type; the functions answer v2 errors with it too. */
export const MESH_V2_JSON = 'application/vnd.mesh.v2+json';

/** One MESH gateway response: the detail's event and message (MESH's code is empty, as in the functions' generic errors). */
export interface MeshGatewayResponse {
  readonly id: string;
  readonly type: apigateway.ResponseType;
  /** Omitted for DEFAULT_4XX/DEFAULT_5XX, which keep the status API Gateway chose. */
  readonly statusCode?: string;
  readonly event: string;
  /** A literal message, or undefined to use API Gateway's own ($context.error.messageString). */
  readonly msg?: string;
}

export const MESH_GATEWAY_RESPONSES: MeshGatewayResponse[] = [
  {
    // API Gateway's answer to a method or path no MESH route serves (a 403 by default).
    id: 'NotFound',
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    event: 'NOT_FOUND',
    msg: 'Resource not found',
  },
  {
    // Over API Gateway's 10 MB. Smaller bodies over the chunk limit are refused by the function (also 413).
    id: 'RequestTooLarge',
    type: apigateway.ResponseType.REQUEST_TOO_LARGE,
    statusCode: '413',
    event: 'SEND',
    msg: `Chunk too large: at most ${MAX_BODY_BYTES} bytes per chunk (send larger messages in more chunks)`,
  },
  {
    id: 'Throttled',
    type: apigateway.ResponseType.THROTTLED,
    statusCode: '429',
    event: 'ERROR',
    msg: 'Too many requests: retry later',
  },
  {
    id: 'WafFiltered',
    type: apigateway.ResponseType.WAF_FILTERED,
    statusCode: '403',
    event: 'ERROR',
    msg: 'Request blocked',
  },
  {
    id: 'Default4XX',
    type: apigateway.ResponseType.DEFAULT_4XX,
    event: 'ERROR',
  },
  {
    // Integration failures (502), timeouts (504) and the rest keep their status, with a fixed message.
    id: 'Default5XX',
    type: apigateway.ResponseType.DEFAULT_5XX,
    event: 'ERROR',
    msg: 'Internal error',
  },
];

/**
 * The MESH v2 error body. Gateway response templates support only variable substitution (no VTL):
 * `$context.requestId` is substituted bare (so it is quoted here), `$context.error.messageString` already quoted.
 */
export function meshErrorTemplate(r: MeshGatewayResponse): string {
  const msg = r.msg === undefined ? '$context.error.messageString' : JSON.stringify(r.msg);
  return `{"internal_id":"$context.requestId","detail":[{"event":${JSON.stringify(r.event)},"code":"","msg":${msg}}]}`;
}

/** Adds every MESH gateway response to the MESH API. */
export function addMeshGatewayResponses(api: apigateway.RestApi): void {
  const responses: GatewayResponseBody[] = MESH_GATEWAY_RESPONSES.map((r) => ({
    id: r.id,
    type: r.type,
    statusCode: r.statusCode,
    body: meshErrorTemplate(r),
  }));
  addGatewayResponses(api, { contentType: MESH_V2_JSON }, responses);
}
