// Unit tests of SpineStack: the tables, one Lambda per function of routes.json (plus the authorizer,
// the audit writer, the MESH expiry job and EPS's relay, notifier and expiry job) and one API method per route (MESH routes on the MESH API,
// the rest on the Spine API), least-privilege IAM derived from `writes`, the API stage, outputs and the
// placeholder fallback.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SpineStack } from '../lib/spine-stack';
import {
  EXTRA_FUNCTIONS,
  asArray,
  envOf,
  freshApp,
  functionLogicalId,
  isMeshRaw,
  isPublicRaw,
  methodsOf,
  rawRoutes,
  resourcePaths,
  statementsForRole,
} from './helpers';

const routes = rawRoutes();
const functionNames = [...new Set(routes.map((r) => r.function))];
const writes = (fn: string) => routes.some((r) => r.function === fn && r.writes);
const isPublicFn = (fn: string) => routes.some((r) => r.function === fn && isPublicRaw(r));
const isMeshFn = (fn: string) => routes.some((r) => r.function === fn && isMeshRaw(r));
const spineRoutes = routes.filter((r) => !isMeshRaw(r));

let stack: SpineStack;
let template: Template;

beforeAll(() => {
  ({ stack } = freshApp());
  template = Template.fromStack(stack);
});

describe('DynamoDB tables', () => {
  const tables = () => Object.entries(template.findResources('AWS::DynamoDB::Table'));

  test('two tables (the Spine table and the audit table), both pk/sk string keys, on-demand, TTL on expires_at', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    expect(tables().map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AuditTable', 'Table']);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  test('both GSIs with string keys and ALL projection, on both tables', () => {
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
        { AttributeName: 'gsi2pk', AttributeType: 'S' },
        { AttributeName: 'gsi2sk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'gsi2',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  test.each(['Table', 'AuditTable'])('%s: point-in-time recovery, customer-managed rotating KMS key, deletion protection, retained', (prefix) => {
    const [, table] = tables().find(([id]) => id.slice(0, -8) === prefix)!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
    });
    const keyId = table.Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'][0];
    const key = template.toJSON().Resources[keyId];
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  test('both tables are in the AWS Backup plan', () => {
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({
        Resources: Match.arrayWith([
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^Table'), 'Arn'] },
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditTable'), 'Arn'] },
        ]),
      }),
    });
  });
});

describe('Lambda functions', () => {
  test('exactly one function per routed binary, plus the authorizer, the audit writer, the MESH expiry job, the two EPS status-event functions and the EPS expiry job', () => {
    expect(functionNames.length).toBe(routes.length); // today every route has its own binary
    template.resourceCountIs('AWS::Lambda::Function', functionNames.length + EXTRA_FUNCTIONS.length);
  });

  test.each(functionNames)('%s: arm64, provided.al2023, bootstrap, 256 MB, 10 s, X-Ray, env', (name) => {
    const id = functionLogicalId(template, name);
    const fn = template.toJSON().Resources[id].Properties;
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Runtime).toBe('provided.al2023');
    expect(fn.Handler).toBe('bootstrap');
    expect(fn.MemorySize).toBe(256);
    expect(fn.Timeout).toBe(10);
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    const onAudit = routes.some((r) => r.function === name && r.service === 'audit');
    const signs = ['cis-token', 'cis-jwks'].includes(name);
    const mesh = isMeshFn(name);
    // MESH functions: their own variables (tested in mesh.test.ts), never the audit queue.
    const meshEnv = ['MESH_SHARED_KEY_SECRET_ARN', 'SPINE_MESH_BUCKET', 'SPINE_MESH_EVENTS_QUEUE'];
    const env = { ...fn.Environment.Variables };
    if (mesh) {
      expect(env.MESH_SHARED_KEY_SECRET_ARN).toBeDefined();
      for (const k of meshEnv) delete env[k];
    }
    expect(env).toEqual({
      SPINE_STORE: 'aws',
      AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH: 'true',
      RUST_LOG: 'info',
      SPINE_BASE_URL: 'https://api.service.nhs.uk',
      SPINE_TOKEN_ISSUER: 'https://api.service.nhs.uk/oauth2',
      SPINE_TOKEN_AUDIENCE: 'https://api.service.nhs.uk',
      // The audit search reads the audit table, every other route function the Spine table.
      ...(onAudit
        ? { SPINE_AUDIT_TABLE_NAME: { Ref: expect.stringMatching(/^AuditTable/) } }
        : { SPINE_TABLE_NAME: { Ref: expect.stringMatching(/^Table/) } }),
      ...(isPublicFn(name) || mesh ? {} : { SPINE_AUDIT_QUEUE: { 'Fn::GetAtt': [expect.stringMatching(/^AuditQueue/), 'QueueName'] } }),
      ...(signs ? { SPINE_SIGNING_KEY_ID: { 'Fn::GetAtt': [expect.stringMatching(/^TokenSigningKey/), 'Arn'] } } : {}),
    });
    // Its own log group, encrypted, with a retention.
    const logGroupId = fn.LoggingConfig.LogGroup.Ref as string;
    const logGroup = template.toJSON().Resources[logGroupId].Properties;
    expect(logGroup.RetentionInDays).toBe(365);
    expect(logGroup.KmsKeyId).toBeDefined();
  });
});

describe('IAM least privilege from `writes`', () => {
  const allStatements = () => {
    const out: any[] = [];
    for (const type of ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy']) {
      for (const r of Object.values(template.findResources(type))) out.push(...r.Properties.PolicyDocument.Statement);
    }
    for (const r of Object.values(template.findResources('AWS::IAM::Role'))) {
      for (const p of r.Properties.Policies ?? []) out.push(...p.PolicyDocument.Statement);
    }
    return out;
  };

  test('no policy anywhere in the stack allows dynamodb:Scan or a dynamodb wildcard', () => {
    const actions = allStatements().flatMap((s) => asArray(s.Action)) as string[];
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => /^dynamodb:(Scan|\*|.*\*)$/i.test(a) || a === '*')).toEqual([]);
  });

  test.each(functionNames)('%s: actions match its `writes` flag', (name) => {
    const fnId = functionLogicalId(template, name);
    const roleId = template.toJSON().Resources[fnId].Properties.Role['Fn::GetAtt'][0];
    const statements = statementsForRole(template, roleId);
    const actions = new Set(statements.flatMap((s) => asArray(s.Action)) as string[]);
    for (const a of ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query']) expect(actions).toContain(a);
    const writeActions = ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];
    for (const a of writeActions) {
      if (writes(name)) expect(actions).toContain(a);
      else expect(actions).not.toContain(a);
    }
    expect(actions).not.toContain('dynamodb:Scan');
    if (!writes(name)) {
      // The table key is usable for reads only (a read-only function may still encrypt audit messages).
      const tableKeyActions = statements.filter((s) => /TableKeyViaDynamoDB$/.test(s.Sid)).flatMap((s) => asArray(s.Action));
      expect(tableKeyActions.length).toBeGreaterThan(0);
      expect(tableKeyActions).not.toContain('kms:Encrypt');
      expect(tableKeyActions).not.toContain('kms:GenerateDataKey');
    }
    // Permissions live in a customer-managed policy only: no inline policy, no AWS-managed policy.
    expect(Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles ?? []).some((r: { Ref: string }) => r.Ref === roleId))).toEqual([]);
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('a read-only function exists and its policy has no PutItem', () => {
    const readOnly = functionNames.filter((n) => !writes(n));
    expect(readOnly.length).toBeGreaterThan(0);
    const fnId = functionLogicalId(template, readOnly[0]);
    const roleId = template.toJSON().Resources[fnId].Properties.Role['Fn::GetAtt'][0];
    const json = JSON.stringify(statementsForRole(template, roleId));
    expect(json).not.toContain('PutItem');
    expect(json).not.toContain('Scan');
  });
});

describe('API Gateway', () => {
  test('one method per non-MESH route on the Spine API: right HTTP method, path, function, authorizer unless public', () => {
    const actual = methodsOf(template, 'Api').map(({ route, props: p }) => ({
      route,
      uri: JSON.stringify(p.Integration.Uri),
      type: p.Integration.Type,
      auth: p.AuthorizationType,
    }));
    expect(actual.map((a) => a.route).sort()).toEqual(spineRoutes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of spineRoutes) {
      const m = actual.find((a) => a.route === `${route.method} ${route.path}`)!;
      expect(m.type).toBe('AWS_PROXY');
      expect(m.uri).toContain(`"${functionLogicalId(template, route.function)}"`);
      expect(m.auth).toBe(isPublicRaw(route) ? 'NONE' : 'CUSTOM');
    }
  });

  test('every route is served by exactly one of the two APIs', () => {
    const served = [...methodsOf(template, 'Api'), ...methodsOf(template, 'MeshApi')].map((m) => m.route);
    expect(served.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    template.resourceCountIs('AWS::ApiGateway::Method', routes.length);
  });

  test('path parameters are required and checked by the request validator', () => {
    for (const m of Object.values(template.findResources('AWS::ApiGateway::Method'))) {
      expect(m.Properties.RequestValidatorId).toBeDefined();
    }
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      RequestParameters: { 'method.request.path.id': true },
    });
  });

  test('both stages prod: access logs to an encrypted log group, X-Ray, throttling, no data trace', () => {
    template.resourceCountIs('AWS::ApiGateway::Stage', 2);
    template.allResourcesProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue(), Format: Match.anyValue() }),
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ],
    });
    for (const lg of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(lg.Properties.KmsKeyId).toBeDefined();
      expect(lg.Properties.RetentionInDays).toBeDefined();
    }
  });

  test('a WAFv2 web ACL with the AWS common rule set is associated with each stage and logs', () => {
    template.allResourcesProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: { ManagedRuleGroupStatement: Match.objectLike({ VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' }) },
        }),
      ]),
    });
    template.resourceCountIs('AWS::WAFv2::WebACL', 2);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 2);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 2);
  });

  test('outputs: API URL, table name, audit queue/table/bucket, signing key, JWKS URL, alarm topic, MESH, EPS', () => {
    const outputs = template.toJSON().Outputs;
    expect(Object.keys(outputs).sort()).toEqual([
      'AlarmTopicArn',
      'ApiUrl',
      'AuditArchiveBucketName',
      'AuditQueueName',
      'AuditTableName',
      'EpsStatusEventsQueueUrl',
      'JwksUrl',
      'MeshChunkBucketName',
      'MeshDomainTarget',
      'MeshEventsQueueUrl',
      'MeshSharedKeySecretArn',
      'MeshUrl',
      'TableName',
      'TokenSigningKeyArn',
    ]);
    expect(outputs.TableName.Value).toEqual({ Ref: expect.stringMatching(/^Table/) });
  });
});

describe('the route table drives everything', () => {
  test('an added route adds a function and a method, with nothing hard-coded', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spine-routes-'));
    const file = path.join(dir, 'routes.json');
    const extra = {
      function: 'ers-cancel-referral',
      service: 'ers',
      method: 'DELETE',
      path: '/e-referrals/FHIR/R4/ServiceRequest/{referralId}',
      activity: 'B1234',
      access: ['healthcare-worker'],
      patient_data: true,
      relationship: true,
      writes: true,
    };
    fs.writeFileSync(file, JSON.stringify({ routes: [...routes, extra] }));
    const { stack: s } = freshApp({ routesFile: file });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Lambda::Function', functionNames.length + EXTRA_FUNCTIONS.length + 1);
    t.resourceCountIs('AWS::ApiGateway::Method', routes.length + 1);
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'DELETE',
      RequestParameters: { 'method.request.path.referralId': true },
    });
    const paths = [...resourcePaths(t).values()];
    expect(paths).toContain('/e-referrals/FHIR/R4/ServiceRequest/{referralId}');
    // A token-protected route: behind the authorizer, and its function may audit.
    t.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'DELETE', AuthorizationType: 'CUSTOM' });
    expect(envOf(t, 'ers-cancel-referral').SPINE_AUDIT_QUEUE).toBeDefined();
  });

  test('a duplicate route is rejected', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spine-routes-'));
    const file = path.join(dir, 'routes.json');
    fs.writeFileSync(file, JSON.stringify({ routes: [...routes, { ...routes[0], function: 'other-fn' }] }));
    expect(() => freshApp({ routesFile: file })).toThrow(/duplicate route/);
  });
});

describe('Lambda code assets', () => {
  test('without a build, every function uses the placeholder and warns to run scripts/build-lambdas.sh', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spine-empty-build-'));
    const { stack: s } = freshApp({ lambdaBuildDir: dir });
    const warnings = Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('run scripts/build-lambdas.sh before deploying'));
    expect(warnings.length).toBe(functionNames.length + EXTRA_FUNCTIONS.length);
    expect(s.authorizer.usesPlaceholder).toBe(true);
    expect(s.audit.writer.usesPlaceholder).toBe(true);
    expect(s.mesh.expirer.usesPlaceholder).toBe(true);
    expect(s.eps.relay.usesPlaceholder).toBe(true);
    expect(s.eps.notifier.usesPlaceholder).toBe(true);
    expect(s.eps.expirer.usesPlaceholder).toBe(true);
  });

  test.each(EXTRA_FUNCTIONS)('%s is found at target/lambda/<function>/bootstrap like every routed function', (name) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spine-build-'));
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, 'bootstrap'), 'not really an ELF binary');
    const { stack: s } = freshApp({ lambdaBuildDir: dir });
    const fn = {
      'cis-authorizer': s.authorizer,
      'audit-writer': s.audit.writer,
      'mesh-expire-messages': s.mesh.expirer,
      'eps-relay-status-events': s.eps.relay,
      'eps-notify-patients': s.eps.notifier,
      'eps-expire-prescriptions': s.eps.expirer,
    }[name]!;
    expect(fn.usesPlaceholder).toBe(false);
    for (const other of functionNames) expect(s.functions.get(other)!.usesPlaceholder).toBe(true);
  });

  test('a built binary under target/lambda/<function>/ is used instead of the placeholder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spine-build-'));
    const built = functionNames[0];
    fs.mkdirSync(path.join(dir, built));
    fs.writeFileSync(path.join(dir, built, 'bootstrap'), 'not really an ELF binary');
    const { stack: s } = freshApp({ lambdaBuildDir: dir });
    expect(s.functions.get(built)!.usesPlaceholder).toBe(false);
    for (const other of functionNames.slice(1)) expect(s.functions.get(other)!.usesPlaceholder).toBe(true);
    const warnings = Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('build-lambdas'));
    expect(warnings.length).toBe(functionNames.length + EXTRA_FUNCTIONS.length - 1);
  });
});
