// Unit tests of the route table loader: the committed routes.json loads, and each rule of the validator
// (public routes, access modes, the patient_data/relationship/writes flags) rejects a malformed row.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { functionsOf, isPublic, loadRoutes } from '../lib/routes';
import { RawRoute, isPublicRaw, rawRoutes } from './helpers';

const routes = rawRoutes();

/** Writes a route table with routes[0] changed by `change` and loads it. */
const loadWithFirst = (change: (r: Record<string, unknown>) => void) => {
  const first: Record<string, unknown> = { ...routes[0] };
  change(first);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spine-routes-')), 'routes.json');
  fs.writeFileSync(file, JSON.stringify({ routes: [first, ...routes.slice(1)] }));
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
  for (const r of loaded.filter((x) => !isPublic(x))) {
    expect(r.activity).toMatch(/^B[0-9]{4}$/);
    expect(r.access.length).toBeGreaterThan(0);
  }
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

  test('a public route serving patient data', () => {
    const token = routes.findIndex((r) => r.function === 'cis-token');
    const rows = routes.map((r, i) => (i === token ? { ...r, patient_data: true } : r));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spine-routes-')), 'routes.json');
    fs.writeFileSync(file, JSON.stringify({ routes: rows }));
    expect(() => loadRoutes(file)).toThrow(/a public route cannot serve patient data/);
  });
});
