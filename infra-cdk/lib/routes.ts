// The route table loader: reads ../shared/routes.json (the one route table shared with the local
// gateway and the OpenAPI test), validates it, and exposes the routes and the distinct functions.
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
  /** The CIS B-code a caller needs. */
  readonly activity: string;
  /** The access modes allowed. */
  readonly access: string[];
  /** Whether the function writes to the store (drives its IAM policy). */
  readonly writes: boolean;
}

/** One Lambda function and every route it serves. */
export interface SpineFunctionSpec {
  readonly name: string;
  readonly service: string;
  /** True when any route served by this function writes. */
  readonly writes: boolean;
  readonly routes: Route[];
}

/** The default location of the route table: <repo>/shared/routes.json, i.e. ../shared/routes.json from the app. */
export const DEFAULT_ROUTES_FILE = path.resolve(__dirname, '..', '..', 'shared', 'routes.json');

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const PATH_SEGMENT = /^([A-Za-z0-9._~$-]+|\{[A-Za-z][A-Za-z0-9_]*\})$/;

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
    if (typeof r.activity !== 'string') {
      throw new Error(`${where}: "activity" must be a string`);
    }
    if (!Array.isArray(r.access) || !r.access.every((a) => typeof a === 'string')) {
      throw new Error(`${where}: "access" must be an array of strings`);
    }
    if (typeof r.writes !== 'boolean') {
      throw new Error(`${where}: "writes" must be a boolean`);
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
    return { name, service: rs[0].service, writes: rs.some((r) => r.writes), routes: rs };
  });
}

/** The path parameters of a path template, e.g. ['id'] for /Patient/{id}. */
export function pathParameters(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
}
