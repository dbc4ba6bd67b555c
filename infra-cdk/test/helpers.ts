// Test helpers: build a fresh app as bin/spine.ts does (cdk.json context, three nag packs),
// read routes.json independently of the loader, and map API Gateway resources back to their paths.
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { NagPack } from 'cdk-nag';
import { applyNagPacks } from '../lib/nag';
import { SpineStack, SpineStackProps } from '../lib/spine-stack';

export const ROUTES_FILE = path.resolve(__dirname, '..', '..', 'shared', 'routes.json');
export const ENV = { account: '123456789012', region: 'eu-west-2' };

export interface RawRoute {
  function: string;
  service: string;
  method: string;
  path: string;
  activity: string;
  access: string[];
  writes: boolean;
}

/** routes.json read directly (not through lib/routes.ts), so the loader is not its own oracle. */
export function rawRoutes(file: string = ROUTES_FILE): RawRoute[] {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { routes: RawRoute[] }).routes;
}

/** A fresh app with the committed cdk.json context (feature flags), as `cdk synth` builds it. */
export function freshApp(props: SpineStackProps = {}): { app: App; stack: SpineStack; packs: NagPack[] } {
  const cdkJson = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'cdk.json'), 'utf8'));
  const app = new App({ context: cdkJson.context });
  const stack = new SpineStack(app, 'SpineStack', { env: ENV, ...props });
  const packs = applyNagPacks(app);
  return { app, stack, packs };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

/** Full path ("/a/b/{id}") of every AWS::ApiGateway::Resource, keyed by logical id. */
export function resourcePaths(template: Template): Map<string, string> {
  const resources = template.toJSON().Resources as Resources;
  const out = new Map<string, string>();
  const resolve = (id: string): string => {
    const cached = out.get(id);
    if (cached !== undefined) return cached;
    const props = resources[id].Properties!;
    const parent = props.ParentId;
    const parentPath = parent && parent.Ref ? resolve(parent.Ref) : '';
    const full = `${parentPath}/${props.PathPart}`;
    out.set(id, full);
    return full;
  };
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::ApiGateway::Resource') resolve(id);
  }
  return out;
}

/** Logical id of the Lambda function tagged spine:function=<name>. */
export function functionLogicalId(template: Template, name: string): string {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, r]) =>
    (r.Properties.Tags as { Key: string; Value: string }[]).some((t) => t.Key === 'spine:function' && t.Value === name),
  );
  if (found.length !== 1) throw new Error(`expected one function tagged ${name}, found ${found.length}`);
  return found[0][0];
}

/** Every statement of every IAM policy (managed or inline) attached to the given role logical id. */
export function statementsForRole(template: Template, roleLogicalId: string): any[] {
  const out: any[] = [];
  for (const type of ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy']) {
    for (const r of Object.values(template.findResources(type))) {
      const roles = (r.Properties.Roles ?? []) as { Ref: string }[];
      if (roles.some((ref) => ref.Ref === roleLogicalId)) out.push(...r.Properties.PolicyDocument.Statement);
    }
  }
  const role = template.toJSON().Resources[roleLogicalId];
  for (const p of role.Properties.Policies ?? []) out.push(...p.PolicyDocument.Statement);
  return out;
}

export const asArray = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
