// Unit tests of the route table loader: the committed routes.json loads, and each rule of the validator
// (public routes, MESH routes, access modes, methods, the patient_data/relationship/writes flags,
// max_body) rejects a malformed row.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { functionsOf, isMesh, isPublic, loadRoutes } from '../lib/routes';
import { RawRoute, isMeshRaw, isPublicRaw, rawRoutes } from './helpers';

const routes = rawRoutes();

/** Writes a route table with routes[0] changed by `change` and loads it. */
const loadWithFirst = (change: (r: Record<string, unknown>) => void) => {
  const first: Record<string, unknown> = { ...routes[0] };
  change(first);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spine-routes-')), 'routes.json');
  fs.writeFileSync(file, JSON.stringify({ routes: [first, ...routes.slice(1)] }));
  return () => loadRoutes(file);
};

/** Writes a route table with the first MESH route changed by `change` and loads it. */
const loadWithMesh = (change: (r: Record<string, unknown>) => void) => {
  const i = routes.findIndex(isMeshRaw);
  const row: Record<string, unknown> = { ...routes[i] };
  change(row);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spine-routes-')), 'routes.json');
  fs.writeFileSync(file, JSON.stringify({ routes: routes.map((r, j) => (j === i ? row : r)) }));
  return () => loadRoutes(file);
};

test('the committed route table loads, with public routes only in cis and never with patient data', () => {
  const loaded = loadRoutes();
  expect(loaded.length).toBe(routes.length);
  const open = loaded.filter(isPublic);
  expect(open.map((r) => r.function).sort()).toEqual(['cis-jwks', 'cis-token']);
  for (const r of open) {
    expect(r.access).toEqual([]);
    expect(r.patient_data).toBe(false);
  }
  for (const r of loaded.filter((x) => !isPublic(x) && !isMesh(x))) {
    expect(r.activity).toMatch(/^B[0-9]{4}$/);
    expect(r.access.length).toBeGreaterThan(0);
  }
});

test('the MESH routes: service mesh, activity nhsmesh, no access modes, no patient data, HEAD allowed, chunk limits', () => {
  const mesh = loadRoutes().filter(isMesh);
  expect(mesh.length).toBe(13);
  for (const r of mesh) {
    expect(r.service).toBe('mesh');
    expect(r.access).toEqual([]);
    expect(r.patient_data).toBe(false);
  }
  expect(mesh.find((r) => r.method === 'HEAD')?.function).toBe('mesh-head-message');
  expect(mesh.filter((r) => r.max_body !== undefined).map((r) => [r.function, r.max_body])).toEqual([
    ['mesh-send', 4500000],
    ['mesh-send-chunk', 4500000],
  ]);
  const specs = functionsOf(loadRoutes());
  expect(specs.filter((s) => s.mesh).map((s) => s.name)).toEqual(mesh.map((r) => r.function));
  for (const s of specs.filter((x) => x.mesh)) expect(s.public).toBe(false);
});

test('functionsOf marks public and patient-data functions', () => {
  const specs = functionsOf(loadRoutes());
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const r of routes as RawRoute[]) {
    const spec = byName.get(r.function)!;
    expect(spec.public).toBe(isPublicRaw(r));
    expect(spec.patientData).toBe(r.patient_data);
  }
});

describe('the validator rejects', () => {
  test.each([
    ['patient_data missing', (r: Record<string, unknown>) => delete r.patient_data, /"patient_data" must be a boolean/],
    ['relationship not a boolean', (r: Record<string, unknown>) => (r.relationship = 'yes'), /"relationship" must be a boolean/],
    ['writes missing', (r: Record<string, unknown>) => delete r.writes, /"writes" must be a boolean/],
    ['an activity that is not a B-code', (r: Record<string, unknown>) => (r.activity = 'read'), /"activity" must be a B-code/],
    ['a B-code with no access mode', (r: Record<string, unknown>) => (r.access = []), /exactly when "access" is empty/],
    ['an unknown access mode', (r: Record<string, unknown>) => (r.access = ['anyone']), /"access" must be an array of access modes/],
    ['a repeated access mode', (r: Record<string, unknown>) => (r.access = ['patient', 'patient']), /lists a mode twice/],
    ['"none" with access modes', (r: Record<string, unknown>) => (r.activity = 'none'), /exactly when "access" is empty/],
    [
      '"none" outside cis',
      (r: Record<string, unknown>) => Object.assign(r, { activity: 'none', access: [], patient_data: false }),
      /only cis routes may be public/,
    ],
    [
      'relationship without patient data',
      (r: Record<string, unknown>) => Object.assign(r, { patient_data: false, relationship: true }),
      /"relationship" needs "patient_data"/,
    ],
  ])('%s', (_name, change, message) => {
    expect(routes[0].service).not.toBe('cis');
    expect(loadWithFirst(change)).toThrow(message);
  });

  test.each([
    [
      'activity "nhsmesh" outside mesh (pds)',
      () => loadWithFirst((r) => Object.assign(r, { activity: 'nhsmesh', access: [], patient_data: false, relationship: false })),
      /activity "nhsmesh" is for exactly the mesh routes/,
    ],
    ['a mesh route with a B-code', () => loadWithMesh((r) => Object.assign(r, { activity: 'B0820', access: ['application'] })), /activity "nhsmesh" is for exactly the mesh routes/],
    ['a mesh route with "none"', () => loadWithMesh((r) => (r.activity = 'none')), /only cis routes may be public/],
    ['a mesh route with access modes', () => loadWithMesh((r) => (r.access = ['application'])), /exactly when "access" is empty/],
    ['a mesh route with patient data', () => loadWithMesh((r) => (r.patient_data = true)), /a MESH route cannot be a patient-data route/],
    ['an unknown method', () => loadWithMesh((r) => (r.method = 'FETCH')), /"method" must be one of/],
    ['a lower-case method', () => loadWithMesh((r) => (r.method = 'head')), /"method" must be one of/],
    ['max_body zero', () => loadWithMesh((r) => (r.max_body = 0)), /"max_body" must be a positive integer/],
    ['max_body negative', () => loadWithMesh((r) => (r.max_body = -1)), /"max_body" must be a positive integer/],
    ['max_body fractional', () => loadWithMesh((r) => (r.max_body = 1.5)), /"max_body" must be a positive integer/],
    ['max_body a string', () => loadWithMesh((r) => (r.max_body = '4500000')), /"max_body" must be a positive integer/],
    ['max_body over what Lambda takes', () => loadWithMesh((r) => (r.max_body = 4500001)), /at most 4500000 bytes/],
  ])('%s', (_name, load, message) => {
    expect(load()).toThrow(message);
  });

  test('a public route serving patient data', () => {
    const token = routes.findIndex((r) => r.function === 'cis-token');
    const rows = routes.map((r, i) => (i === token ? { ...r, patient_data: true } : r));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spine-routes-')), 'routes.json');
    fs.writeFileSync(file, JSON.stringify({ routes: rows }));
    expect(() => loadRoutes(file)).toThrow(/a public route cannot serve patient data/);
  });
});

describe('the validator accepts', () => {
  test('a HEAD route, a max_body on a non-MESH route, and the largest max_body', () => {
    expect(loadWithFirst((r) => Object.assign(r, { method: 'HEAD', max_body: 1 }))()[0]).toMatchObject({ method: 'HEAD', max_body: 1 });
    expect(loadWithMesh((r) => (r.max_body = 4500000))().filter(isMesh)[0].max_body).toBe(4500000);
  });

  test('a route without max_body has none', () => {
    expect(loadRoutes().find((r) => r.function === 'mesh-ping')!.max_body).toBeUndefined();
  });
});
