// The MESH API's mutual-TLS custom domain: a regional API Gateway domain name (TLS 1.2 security policy)
// with an ACM certificate and an S3 truststore of the CA certificates MESH clients' certificates must
// chain to, mapped to the MESH API's stage. Settings come from SpineStackProps.mesh or the context
// (meshDomainName, meshCertificateArn, meshTruststoreUri, meshTruststoreVersion); offline defaults are
// placeholders that synth accepts with a warning (so `cdk deploy --strict` refuses them).
import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The mutual-TLS settings as given (props or context); any left out is a placeholder. */
export interface MeshTlsProps {
  /** The MESH host name clients connect to, e.g. mesh.spine.example.nhs.uk. */
  readonly domainName?: string;
  /** A regional ACM certificate for `domainName`, in the stack's region. */
  readonly certificateArn?: string;
  /** s3://<bucket>/<key> of the PEM truststore (the CA certificates client certificates must chain to). */
  readonly truststoreUri?: string;
  /** The truststore object's S3 version: pins it, so a new truststore takes effect only when deployed. */
  readonly truststoreVersion?: string;
}

/** The resolved settings. */
export interface MeshTls {
  readonly domainName: string;
  readonly certificateArn: string;
  readonly truststoreBucket: string;
  readonly truststoreKey: string;
  readonly truststoreVersion?: string;
  /** The settings that are placeholders (empty when every one was given). */
  readonly placeholders: string[];
}

/** The context keys (`cdk synth -c meshDomainName=...`), by setting. */
export const MESH_TLS_CONTEXT = {
  domainName: 'meshDomainName',
  certificateArn: 'meshCertificateArn',
  truststoreUri: 'meshTruststoreUri',
  truststoreVersion: 'meshTruststoreVersion',
} as const;

export const PLACEHOLDER_DOMAIN_NAME = 'mesh.spine.example.invalid';
export const PLACEHOLDER_CERTIFICATE_ID = '00000000-0000-0000-0000-000000000000';
export const PLACEHOLDER_TRUSTSTORE_URI = 's3://spine-mesh-truststore-placeholder/truststore.pem';

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate\/[A-Za-z0-9-]+$/;
const TRUSTSTORE_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\S+)$/;

/** Reads the settings from `given`, else the context; validates them; fills placeholders and warns about them. */
export function resolveMeshTls(scope: Construct, given: MeshTlsProps = {}): MeshTls {
  const stack = Stack.of(scope);
  const setting = (name: keyof MeshTlsProps): string | undefined => {
    const value: unknown = given[name] ?? scope.node.tryGetContext(MESH_TLS_CONTEXT[name]);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) {
      throw new Error(`MESH ${MESH_TLS_CONTEXT[name]} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const placeholders: string[] = [];

  const domainName = setting('domainName') ?? (placeholders.push(MESH_TLS_CONTEXT.domainName), PLACEHOLDER_DOMAIN_NAME);
  if (!DOMAIN_NAME.test(domainName)) {
    throw new Error(`MESH meshDomainName must be a DNS host name, got ${JSON.stringify(domainName)}`);
  }

  let certificateArn = setting('certificateArn');
  if (certificateArn === undefined) {
    placeholders.push(MESH_TLS_CONTEXT.certificateArn);
    certificateArn = stack.formatArn({ service: 'acm', resource: 'certificate', resourceName: PLACEHOLDER_CERTIFICATE_ID });
  } else {
    const match = CERTIFICATE_ARN.exec(certificateArn);
    if (!match) throw new Error(`MESH meshCertificateArn must be an ACM certificate ARN, got ${JSON.stringify(certificateArn)}`);
    // A regional domain name takes a certificate from its own region.
    if (!Token.isUnresolved(stack.region) && match[1] !== stack.region) {
      throw new Error(`MESH meshCertificateArn is in ${match[1]}, but a regional domain needs a certificate in ${stack.region}`);
    }
  }

  const truststoreUri = setting('truststoreUri') ?? (placeholders.push(MESH_TLS_CONTEXT.truststoreUri), PLACEHOLDER_TRUSTSTORE_URI);
  const store = TRUSTSTORE_URI.exec(truststoreUri);
  if (!store) throw new Error(`MESH meshTruststoreUri must be s3://<bucket>/<key>, got ${JSON.stringify(truststoreUri)}`);

  if (placeholders.length > 0) {
    Annotations.of(scope).addWarningV2(
      'spine:mesh-tls-placeholder',
      `MESH mutual TLS uses placeholder settings for ${placeholders.join(', ')}: set them (cdk -c <name>=<value>, or ` +
        'SpineStackProps.mesh) to your MESH domain, its regional ACM certificate and the S3 truststore before deploying.',
    );
  }
  return {
    domainName,
    certificateArn,
    truststoreBucket: store[1],
    truststoreKey: store[2],
    truststoreVersion: setting('truststoreVersion'),
    placeholders,
  };
}

/**
 * The mutual-TLS custom domain, mapped at its root to the API's stage. API Gateway refuses a TLS handshake
 * without a client certificate that chains to the truststore; the API's own execute-api endpoint must be
 * disabled (RestApiProps.disableExecuteApiEndpoint) so the domain is the only way in.
 */
export function meshDomain(scope: Construct, api: apigateway.RestApi, tls: MeshTls): apigateway.DomainName {
  return new apigateway.DomainName(scope, 'Domain', {
    domainName: tls.domainName,
    certificate: acm.Certificate.fromCertificateArn(scope, 'Certificate', tls.certificateArn),
    endpointType: apigateway.EndpointType.REGIONAL,
    securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
    mtls: {
      bucket: s3.Bucket.fromBucketName(scope, 'Truststore', tls.truststoreBucket),
      key: tls.truststoreKey,
      version: tls.truststoreVersion,
    },
    mapping: api,
  });
}
