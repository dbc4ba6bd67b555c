// Unit tests of the identity side of SpineStack: the KMS token-signing key and who may use it, the
// CIS REQUEST authorizer on every token-protected method of the Spine API (public ones open), the FHIR
// gateway responses, and the token issuer/audience every function is given.
import { Template } from 'aws-cdk-lib/assertions';
import { SpineStack } from '../lib/spine-stack';
import {
  EXTRA_FUNCTIONS,
  allows,
  asArray,
  envOf,
  freshApp,
  functionLogicalId,
  gatewayResponseOf,
  isMeshRaw,
  isPublicRaw,
  methodsOf,
  rawRoutes,
  resourceLike,
  statementsOf,
} from './helpers';

const routes = rawRoutes();
/** The routes of the Spine API (MESH routes are on the MESH API, tested in mesh.test.ts). */
const spineRoutes = routes.filter((r) => !isMeshRaw(r));
const functionNames = [...new Set(routes.map((r) => r.function))];
const ALL_FUNCTIONS = [...functionNames, ...EXTRA_FUNCTIONS];

let stack: SpineStack;
let template: Template;

beforeAll(() => {
  ({ stack } = freshApp());
  template = Template.fromStack(stack);
});

describe('token-signing key', () => {
  test('KMS ECC_NIST_P256 SIGN_VERIFY, retained, with an alias', () => {
    const { id, resource } = resourceLike(template, 'AWS::KMS::Key', 'TokenSigningKey');
    expect(resource.Properties.KeySpec).toBe('ECC_NIST_P256');
    expect(resource.Properties.KeyUsage).toBe('SIGN_VERIFY');
    expect(resource.Properties.EnableKeyRotation).toBeUndefined(); // KMS cannot rotate asymmetric keys
    expect(resource.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/spine/SpineStack/token-signing',
      TargetKeyId: { 'Fn::GetAtt': [id, 'Arn'] },
    });
  });

  test('only cis-token may kms:Sign, and only with ECDSA_SHA_256', () => {
    const keyId = resourceLike(template, 'AWS::KMS::Key', 'TokenSigningKey').id;
    const signers = ALL_FUNCTIONS.filter((n) => allows(statementsOf(template, n), 'kms:Sign'));
    expect(signers).toEqual(['cis-token']);
    const sign = statementsOf(template, 'cis-token').find((s) => asArray(s.Action).includes('kms:Sign'));
    expect(sign.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(sign.Condition).toEqual({ StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } });
    // No other policy in the stack (inline or managed) grants kms:Sign either.
    const others = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .concat(Object.values(template.findResources('AWS::IAM::Policy')))
      .filter((p) => allows(p.Properties.PolicyDocument.Statement, 'kms:Sign'));
    expect(others.length).toBe(1);
  });

  test('kms:GetPublicKey and SPINE_SIGNING_KEY_ID: exactly cis-token, cis-jwks and the authorizer', () => {
    const keyId = resourceLike(template, 'AWS::KMS::Key', 'TokenSigningKey').id;
    const readers = ALL_FUNCTIONS.filter((n) => allows(statementsOf(template, n), 'kms:GetPublicKey'));
    expect(readers.sort()).toEqual(['cis-authorizer', 'cis-jwks', 'cis-token']);
    const withKey = ALL_FUNCTIONS.filter((n) => envOf(template, n).SPINE_SIGNING_KEY_ID !== undefined);
    expect(withKey.sort()).toEqual(['cis-authorizer', 'cis-jwks', 'cis-token']);
    for (const n of withKey) expect(envOf(template, n).SPINE_SIGNING_KEY_ID).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
  });
});

describe('CIS authorizer', () => {
  test('a REQUEST authorizer on the Authorization header, results cached 300 s, backed by cis-authorizer', () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    const { resource } = resourceLike(template, 'AWS::ApiGateway::Authorizer', 'Authorizer');
    expect(resource.Properties.Type).toBe('REQUEST');
    expect(resource.Properties.IdentitySource).toBe('method.request.header.Authorization');
    expect(resource.Properties.AuthorizerResultTtlInSeconds).toBe(300);
    expect(JSON.stringify(resource.Properties.AuthorizerUri)).toContain(functionLogicalId(template, 'cis-authorizer'));
  });

  test('the authorizer function: same runtime as the rest, issuer/audience, key, audit queue, no table', () => {
    const fn = template.toJSON().Resources[functionLogicalId(template, 'cis-authorizer')].Properties;
    expect(fn.Runtime).toBe('provided.al2023');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.LoggingConfig.LogGroup).toBeDefined();
    const env = envOf(template, 'cis-authorizer');
    expect(Object.keys(env).sort()).toEqual(
      [
        'RUST_LOG',
        'SPINE_AUDIT_QUEUE',
        'SPINE_BASE_URL',
        'SPINE_SIGNING_KEY_ID',
        'SPINE_STORE',
        'SPINE_TOKEN_AUDIENCE',
        'SPINE_TOKEN_ISSUER',
      ].sort(),
    );
    const actions = statementsOf(template, 'cis-authorizer').flatMap((s) => asArray(s.Action)) as string[];
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  test('every Spine API method: CUSTOM with the authorizer unless its route is public (activity "none"), then NONE', () => {
    const authorizerId = resourceLike(template, 'AWS::ApiGateway::Authorizer', 'Authorizer').id;
    const methods = methodsOf(template, 'Api');
    expect(methods.length).toBe(spineRoutes.length);
    expect(spineRoutes.some(isPublicRaw)).toBe(true);
    expect(spineRoutes.some((r) => !isPublicRaw(r))).toBe(true);
    for (const route of spineRoutes) {
      const m = methods.find((x) => x.route === `${route.method} ${route.path}`)!.props;
      if (isPublicRaw(route)) {
        expect(m.AuthorizationType).toBe('NONE');
        expect(m.AuthorizerId).toBeUndefined();
      } else {
        expect(m.AuthorizationType).toBe('CUSTOM');
        expect(m.AuthorizerId).toEqual({ Ref: authorizerId });
      }
    }
  });

  test('API Gateway may invoke the authorizer (and only through this API)', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties.FunctionName).includes(functionLogicalId(template, 'cis-authorizer')),
    );
    expect(permissions.length).toBeGreaterThan(0);
    for (const p of permissions) {
      expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(p.Properties.SourceArn)).toContain('authorizers');
    }
  });
});

describe('gateway responses', () => {
  const responseOf = (type: string) => gatewayResponseOf(template, 'Api', type);

  test.each([
    ['UNAUTHORIZED', '401'],
    ['ACCESS_DENIED', '403'],
  ])('%s: %s with a FHIR OperationOutcome coded ACCESS_DENIED, fhir+json, ids echoed', (type, status) => {
    const r = responseOf(type);
    expect(r.StatusCode).toBe(status);
    expect(r.ResponseParameters).toEqual({
      'gatewayresponse.header.Content-Type': "'application/fhir+json'",
      'gatewayresponse.header.X-Request-ID': 'method.request.header.X-Request-ID',
      'gatewayresponse.header.X-Correlation-ID': 'method.request.header.X-Correlation-ID',
    });
    for (const body of Object.values(r.ResponseTemplates) as string[]) {
      const outcome = JSON.parse(body);
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue).toHaveLength(1);
      expect(outcome.issue[0]).toMatchObject({
        severity: 'error',
        code: 'forbidden',
        details: {
          coding: [
            {
              system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode',
              version: '1',
              code: 'ACCESS_DENIED',
            },
          ],
        },
      });
      expect(outcome.issue[0].diagnostics.length).toBeGreaterThan(0);
    }
    expect(Object.keys(r.ResponseTemplates)).toContain('application/fhir+json');
  });

  test('DEFAULT_4XX and DEFAULT_5XX are OperationOutcomes too, keeping API Gateway\'s status and message', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      const r = responseOf(type);
      expect(r.StatusCode).toBeUndefined();
      expect(r.ResponseParameters['gatewayresponse.header.X-Request-ID']).toBe('method.request.header.X-Request-ID');
      const body = r.ResponseTemplates['application/fhir+json'] as string;
      // $context.error.messageString is substituted by API Gateway as a quoted JSON string.
      const outcome = JSON.parse(body.replace('$context.error.messageString', '"Some message"'));
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0].diagnostics).toBe('Some message');
    }
  });
});

describe('token issuer and audience', () => {
  test.each(ALL_FUNCTIONS)('%s gets SPINE_TOKEN_ISSUER = <baseUrl>/oauth2 and SPINE_TOKEN_AUDIENCE = <baseUrl>', (name) => {
    expect(envOf(template, name)).toMatchObject({
      SPINE_BASE_URL: 'https://api.service.nhs.uk',
      SPINE_TOKEN_ISSUER: 'https://api.service.nhs.uk/oauth2',
      SPINE_TOKEN_AUDIENCE: 'https://api.service.nhs.uk',
    });
  });

  test('baseUrl from the stack props', () => {
    const t = Template.fromStack(freshApp({ baseUrl: 'https://int.api.service.nhs.uk' }).stack);
    expect(envOf(t, 'cis-authorizer').SPINE_TOKEN_ISSUER).toBe('https://int.api.service.nhs.uk/oauth2');
    expect(envOf(t, 'cis-token').SPINE_TOKEN_AUDIENCE).toBe('https://int.api.service.nhs.uk');
  });

  test('baseUrl from context (cdk synth -c baseUrl=...), and a malformed baseUrl is refused', () => {
    const { stack: s } = freshApp({}, { baseUrl: 'https://sandbox.api.service.nhs.uk' });
    expect(s.baseUrl).toBe('https://sandbox.api.service.nhs.uk');
    expect(envOf(Template.fromStack(s), 'pds-get-patient').SPINE_TOKEN_AUDIENCE).toBe('https://sandbox.api.service.nhs.uk');
    for (const bad of ['http://api.service.nhs.uk', 'https://api.service.nhs.uk/', 'api.service.nhs.uk']) {
      expect(() => freshApp({ baseUrl: bad })).toThrow(/baseUrl must be an https URL/);
    }
  });
});
