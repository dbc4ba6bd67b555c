// The token-signing key: a KMS ECC_NIST_P256 SIGN_VERIFY key. The private key never leaves KMS: the
// token function signs with kms:Sign (ECDSA_SHA_256 only) and the JWKS and the verifiers read the public
// key with kms:GetPublicKey. Granted per function through SpineFunction.addToPolicy, with SPINE_SIGNING_KEY_ID.
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { SpineFunction } from './spine-function';

/** ES256 in JOSE terms. */
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

export class TokenSigningKey extends Construct {
  public readonly key: kms.Key;
  public readonly aliasName: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // Per stack, so two stacks in one account and region do not fight over the alias.
    this.aliasName = `alias/spine/${Stack.of(this).stackName}/token-signing`;
    // KMS cannot rotate asymmetric keys (automatic rotation exists only for symmetric keys), and cdk-nag's
    // rotation rule (AwsSolutions-KMS5) checks symmetric keys only, so there is no finding to acknowledge.
    // Rotation is a new key, both published in the JWKS for a while: see README, "Keys in AWS".
    this.key = new kms.Key(this, 'Key', {
      description: 'Spine: signs the access tokens (ES256); the private key never leaves KMS',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      alias: this.aliasName,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** kms:Sign (ECDSA_SHA_256 only) and kms:GetPublicKey: the token function only. */
  public grantSign(fn: SpineFunction): void {
    fn.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TokenKeySign',
        actions: ['kms:Sign'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:SigningAlgorithm': SIGNING_ALGORITHM } },
      }),
    );
    this.grantPublicKey(fn);
  }

  /** kms:GetPublicKey: the JWKS and the authorizer (verification happens locally with the public key). */
  public grantPublicKey(fn: SpineFunction): void {
    fn.function.addEnvironment('SPINE_SIGNING_KEY_ID', this.key.keyArn);
    fn.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TokenKeyPublicKey',
        actions: ['kms:GetPublicKey'],
        resources: [this.key.keyArn],
      }),
    );
  }
}
