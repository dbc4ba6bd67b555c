// The KMS statement every Spine construct grants its functions on its own key: `actions` on the key, only
// through one AWS service (kms:ViaService) in the stack's region, so the key is usable for that service's
// data and nothing else.
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/** `actions` on `key` when called through `service` ('sqs', 's3', 'secretsmanager'...) in the key's stack's region. */
export function keyStatement(key: kms.IKey, sid: string, service: string, actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions,
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `${service}.${Stack.of(key).region}.amazonaws.com` } },
  });
}
