// The route table loader: reads ../shared/routes.json (the one route table shared with the local
// gateway and the OpenAPI test), validates it, and exposes the routes and the distinct functions
// (FHIR routes behind the CIS authorizer, the two public cis routes, and the MESH routes).
import * as fs from 'fs';
import * as path from 'path';

/** One row of shared/routes.json. */
export interface Route {
  /** The Rust Lambda binary serving this route (cargo lambda writes target/lambda/<function>/bootstrap). */
  readonly function: string;
  /** The Spine service the route belongs to (pds, ...). */
  readonly service: string;
  /** HTTP method (upper case). */
  readonly method: string;
  /** Path template, e.g. /personal-demographics/FHIR/R4/Patient/{id}. */
  readonly path: string;
  /**
   * The CIS B-code a caller needs; "none" for a public route that takes no token (cis only); "nhsmesh" for
   * a MESH route (mesh only), which takes no bearer token: its function checks the NHSMESH Authorization header.
   */
  readonly activity: string;
  /** The access modes allowed; empty exactly when the route takes no bearer token ("none" or "nhsmesh"). */
  readonly access: string[];
  /** Every call is audited with the patients it touched. */
  readonly patient_data: boolean;
  /** A healthcare worker needs a legitimate relationship with the patient (or claims one). */
  readonly relationship: boolean;
  /** Whether the function writes to the store (drives its IAM policy). */
  readonly writes: boolean;
  /** The route's own request-body limit in bytes, if it has one (the MESH chunk uploads: 4,500,000). */
  readonly max_body?: number;
}

/** One Lambda function and every route it serves. */
export interface SpineFunctionSpec {
  readonly name: string;
  readonly service: string;
  /** True when any route served by this function writes. */
  readonly writes: boolean;
  /** True when the function's routes are public (activity "none": no token, no authorizer). */
  readonly public: boolean;
  /** True when any route served by this function touches patient data. */
  readonly patientData: boolean;
  /**
   * True when the function's routes are MESH routes (activity "nhsmesh"): on the MESH API behind mutual TLS,
   * no bearer token and no authorizer (the function checks the NHSMESH token), not audited.
   */
  readonly mesh: boolean;
  readonly routes: Route[];
}

/** The activity of a public route: no token, no authorizer (only the OAuth token endpoint and the JWKS). */
export const PUBLIC_ACTIVITY = 'none';
/** The only service allowed public routes. */
export const PUBLIC_SERVICE = 'cis';
/** The activity of a MESH route: no bearer token, no authorizer; the function checks the NHSMESH token. */
export const MESH_ACTIVITY = 'nhsmesh';
/** The only service whose routes have activity "nhsmesh" (and every one of its routes has it). */
export const MESH_SERVICE = 'mesh';
/**
 * The largest `max_body` a route may declare: Lambda's synchronous invocation payload is 6 MB
 * (6,291,456 bytes), and a binary body reaches the function base64-encoded inside the JSON event, so
 * 4,500,000 bytes (6,000,000 in base64) leaves about 290 KB for the event's headers and context.
 * API Gateway's own 10 MB request limit is never the binding one.
 */
export const MAX_BODY_BYTES = 4_500_000;
/** The access modes of the NHS API platform, as routes.json spells them. */
export const ACCESS_MODES = ['healthcare-worker', 'application', 'patient'];

/** True for a route that takes no token (activity "none"). */
export const isPublic = (route: Route): boolean => route.activity === PUBLIC_ACTIVITY;
/** True for a MESH route (activity "nhsmesh"). */
export const isMesh = (route: Route): boolean => route.activity === MESH_ACTIVITY;

/** The default location of the route table: <repo>/shared/routes.json, i.e. ../shared/routes.json from the app. */
export const DEFAULT_ROUTES_FILE = path.resolve(__dirname, '..', '..', 'shared', 'routes.json');

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const PATH_SEGMENT = /^([A-Za-z0-9._~$_-]+|\{[A-Za-z][A-Za-z0-9_]*\})$/;
const ACTIVITY = /^B[0-9]{4}$/;

/** Reads and validates the route table; throws with a precise message on any malformed row. */
export function loadRoutes(file: string = DEFAULT_ROUTES_FILE): Route[] {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { routes?: unknown };
  if (!Array.isArray(doc.routes) || doc.routes.length === 0) {
    throw new Error(`${file}: expected a non-empty "routes" array`);
  }
  const seen = new Set<string>();
  return doc.routes.map((raw: unknown, i: number) => {
    const r = raw as Partial<Route>;
    const where = `${file}: routes[${i}]`;
    if (typeof r.function !== 'string' || !FUNCTION_NAME.test(r.function)) {
      throw new Error(`${where}: "function" must match ${FUNCTION_NAME}`);
    }
    if (typeof r.service !== 'string' || r.service.length === 0) {
      throw new Error(`${where}: "service" must be a non-empty string`);
    }
    if (typeof r.method !== 'string' || !METHODS.has(r.method)) {
      throw new Error(`${where}: "method" must be one of ${[...METHODS].join(', ')}`);
    }
    if (typeof r.path !== 'string' || !r.path.startsWith('/') || r.path.length < 2) {
      throw new Error(`${where}: "path" must start with "/" and not be the root`);
    }
    for (const segment of r.path.slice(1).split('/')) {
      if (!PATH_SEGMENT.test(segment)) {
        throw new Error(`${where}: path segment "${segment}" is neither a literal nor a {param}`);
      }
    }
    if (
      typeof r.activity !== 'string' ||
      !(r.activity === PUBLIC_ACTIVITY || r.activity === MESH_ACTIVITY || ACTIVITY.test(r.activity))
    ) {
      throw new Error(`${where}: "activity" must be a B-code like B0820, "${PUBLIC_ACTIVITY}" or "${MESH_ACTIVITY}"`);
    }
    if (!Array.isArray(r.access) || !r.access.every((a) => typeof a === 'string' && ACCESS_MODES.includes(a))) {
      throw new Error(`${where}: "access" must be an array of access modes (${ACCESS_MODES.join(', ')})`);
    }
    if (new Set(r.access).size !== r.access.length) {
      throw new Error(`${where}: "access" lists a mode twice`);
    }
    // A route takes no bearer token exactly when it names no access mode: public (cis only) or MESH (mesh only).
    const tokenless = r.activity === PUBLIC_ACTIVITY || r.activity === MESH_ACTIVITY;
    if (tokenless === r.access.length > 0) {
      throw new Error(`${where}: "activity" is "${PUBLIC_ACTIVITY}" or "${MESH_ACTIVITY}" exactly when "access" is empty`);
    }
    if (r.activity === PUBLIC_ACTIVITY && r.service !== PUBLIC_SERVICE) {
      throw new Error(`${where}: only ${PUBLIC_SERVICE} routes may be public (activity "${PUBLIC_ACTIVITY}")`);
    }
    if ((r.activity === MESH_ACTIVITY) !== (r.service === MESH_SERVICE)) {
      throw new Error(`${where}: activity "${MESH_ACTIVITY}" is for exactly the ${MESH_SERVICE} routes`);
    }
    for (const flag of ['patient_data', 'relationship', 'writes'] as const) {
      if (typeof r[flag] !== 'boolean') {
        throw new Error(`${where}: "${flag}" must be a boolean`);
      }
    }
    if (r.activity === PUBLIC_ACTIVITY && r.patient_data) {
      throw new Error(`${where}: a public route cannot serve patient data`);
    }
    // MESH carries messages whose content the platform never reads; its calls are not patient-data access.
    if (r.activity === MESH_ACTIVITY && r.patient_data) {
      throw new Error(`${where}: a MESH route cannot be a patient-data route ("patient_data" must be false)`);
    }
    if (
      r.max_body !== undefined &&
      !(typeof r.max_body === 'number' && Number.isInteger(r.max_body) && r.max_body > 0 && r.max_body <= MAX_BODY_BYTES)
    ) {
      throw new Error(`${where}: "max_body" must be a positive integer of at most ${MAX_BODY_BYTES} bytes`);
    }
    if (r.relationship && !r.patient_data) {
      throw new Error(`${where}: "relationship" needs "patient_data" (it is a relationship with the patient)`);
    }
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) {
      throw new Error(`${where}: duplicate route ${key}`);
    }
    seen.add(key);
    return r as Route;
  });
}

/** Groups routes by function, in first-seen order. A function serving a writing route writes. */
export function functionsOf(routes: Route[]): SpineFunctionSpec[] {
  const byName = new Map<string, Route[]>();
  for (const r of routes) {
    const list = byName.get(r.function) ?? [];
    list.push(r);
    byName.set(r.function, list);
  }
  return [...byName.entries()].map(([name, rs]) => {
    const services = new Set(rs.map((r) => r.service));
    if (services.size !== 1) {
      throw new Error(`function ${name} serves routes of several services: ${[...services].join(', ')}`);
    }
    const publicRoutes = rs.filter(isPublic).length;
    if (publicRoutes !== 0 && publicRoutes !== rs.length) {
      throw new Error(`function ${name} serves both public and token-protected routes`);
    }
    // (One service per function, and "nhsmesh" exactly for mesh, so MESH and other routes never mix.)
    return {
      name,
      service: rs[0].service,
      writes: rs.some((r) => r.writes),
      public: publicRoutes > 0,
      patientData: rs.some((r) => r.patient_data),
      mesh: rs.some(isMesh),
      routes: rs,
    };
  });
}

/** The path parameters of a path template, e.g. ['id'] for /Patient/{id}. */
export function pathParameters(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
}
