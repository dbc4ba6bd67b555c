// Test helpers: build a fresh app as bin/spine.ts does (cdk.json context, three nag packs),
// read routes.json independently of the loader, map API Gateway resources back to their paths, find
// each API's methods, and find a function's environment and policy statements by its spine:function tag.
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
  patient_data: boolean;
  relationship: boolean;
  writes: boolean;
  max_body?: number;
}

/** A route that takes no token (the OAuth token endpoint, the JWKS). */
export const isPublicRaw = (r: RawRoute): boolean => r.activity === 'none';
/** A MESH route (on the MESH API; no bearer token, no authorizer, not audited). */
export const isMeshRaw = (r: RawRoute): boolean => r.activity === 'nhsmesh';
/** The functions no route names: authorizer, audit writer, MESH expiry job, EPS status-event relay and notifier, EPS expiry job. */
export const EXTRA_FUNCTIONS = [
  'cis-authorizer',
  'audit-writer',
  'mesh-expire-messages',
  'eps-relay-status-events',
  'eps-notify-patients',
  'eps-expire-prescriptions',
];

/** routes.json read directly (not through lib/routes.ts), so the loader is not its own oracle. */
export function rawRoutes(file: string = ROUTES_FILE): RawRoute[] {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { routes: RawRoute[] }).routes;
}

/** A fresh app with the committed cdk.json context (feature flags) plus `context` (as `-c key=value`), as `cdk synth` builds it. */
export function freshApp(
  props: SpineStackProps = {},
  context: Record<string, unknown> = {},
): { app: App; stack: SpineStack; packs: NagPack[] } {
  const cdkJson = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'cdk.json'), 'utf8'));
  const app = new App({ context: { ...cdkJson.context, ...context } });
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

/** The methods of the REST API whose logical id starts with `apiPrefix` ('Api' for the Spine API, 'MeshApi'), as "METHOD /path" with their properties. */
export function methodsOf(template: Template, apiPrefix: string): { route: string; props: Record<string, any> }[] {
  const apiId = resourceLike(template, 'AWS::ApiGateway::RestApi', apiPrefix).id;
  const paths = resourcePaths(template);
  return Object.values(template.findResources('AWS::ApiGateway::Method'))
    .filter((m) => m.Properties.RestApiId.Ref === apiId)
    .map((m) => ({
      route: `${m.Properties.HttpMethod} ${m.Properties.ResourceId.Ref ? paths.get(m.Properties.ResourceId.Ref) : '/'}`,
      props: m.Properties,
    }));
}

/** The gateway response of `type` on the REST API whose logical id starts with `apiPrefix`. */
export function gatewayResponseOf(template: Template, apiPrefix: string, type: string): Record<string, any> {
  const apiId = resourceLike(template, 'AWS::ApiGateway::RestApi', apiPrefix).id;
  const found = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).filter(
    (r) => r.Properties.ResponseType === type && r.Properties.RestApiId.Ref === apiId,
  );
  if (found.length !== 1) throw new Error(`expected one ${type} gateway response on ${apiPrefix}, found ${found.length}`);
  return found[0].Properties;
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

/** The role logical id of the function tagged spine:function=<name>. */
export function roleOf(template: Template, name: string): string {
  return template.toJSON().Resources[functionLogicalId(template, name)].Properties.Role['Fn::GetAtt'][0];
}

/** Every policy statement of the function tagged spine:function=<name>. */
export function statementsOf(template: Template, name: string): any[] {
  return statementsForRole(template, roleOf(template, name));
}

/** The environment variables of the function tagged spine:function=<name>. */
export function envOf(template: Template, name: string): Record<string, unknown> {
  return template.toJSON().Resources[functionLogicalId(template, name)].Properties.Environment.Variables;
}

/** The single resource of a type whose logical id starts with `prefix`. */
export function resourceLike(template: Template, type: string, prefix: string): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} starting ${prefix}, found ${found.length}`);
  return { id: found[0][0], resource: found[0][1] };
}

/** Whether any statement allows `action` (exactly, or through a service wildcard) on a resource mentioning `ref`. */
export function allows(statements: any[], action: string, ref?: string): boolean {
  const service = action.split(':')[0];
  return statements.some(
    (s) =>
      (s.Effect ?? 'Allow') === 'Allow' &&
      asArray(s.Action).some((a: string) => a === action || a === `${service}:*` || a === '*') &&
      (ref === undefined || JSON.stringify(s.Resource).includes(ref)),
  );
}

/** The statements of the queue/bucket resource policies whose target is `logicalId`. */
export function resourcePolicyStatements(template: Template, type: string, prop: string, logicalId: string): any[] {
  return Object.values(template.findResources(type))
    .filter((p) => JSON.stringify(p.Properties[prop]).includes(`"${logicalId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

export const deniesInsecureTransport = (statements: any[]): boolean =>
  statements.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');

/** A dead-letter queue from `queueWithDlq`: the queue's key, SSL only, kept 14 days, and an alarm on any
 *  visible message that notifies the alarm topic. */
export function expectAlarmedDlq(template: Template, dlqId: string, alarmPrefix: string, keyId: string): void {
  const d = template.toJSON().Resources[dlqId].Properties;
  expect(d.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  expect(d.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  expect(deniesInsecureTransport(resourcePolicyStatements(template, 'AWS::SQS::QueuePolicy', 'Queues', dlqId))).toBe(true);
  const alarm = resourceLike(template, 'AWS::CloudWatch::Alarm', alarmPrefix).resource.Properties;
  expect(alarm).toMatchObject({
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
    ComparisonOperator: 'GreaterThanThreshold',
    Threshold: 0,
  });
  expect(alarm.AlarmActions).toEqual([{ Ref: resourceLike(template, 'AWS::SNS::Topic', 'AlarmTopic').id }]);
}
