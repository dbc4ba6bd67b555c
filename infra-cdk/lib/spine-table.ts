// The shape of every Spine DynamoDB table (the main table and the audit table): pk/sk strings, GSIs
// gsi1/gsi2 projecting ALL, TTL on expires_at, on-demand, PITR, a customer-managed key, deletion
// protection, RETAIN. One shape, so the Rust RecordStore adapter works on either table. A table may
// also have a stream (the main table: NEW_IMAGE, read by the EPS outbox relay in lib/eps.ts).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export const TABLE_INDEXES = [
  { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
];
export const TABLE_INDEX_NAMES = TABLE_INDEXES.map((i) => i.indexName);
export const TTL_ATTRIBUTE = 'expires_at';

export interface SpineTableOptions {
  /** The table's stream and what its records hold; no stream when left out. */
  readonly stream?: dynamodb.StreamViewType;
}

/** A table of the Spine shape, encrypted with `key`. */
export function spineTable(scope: Construct, id: string, key: kms.IKey, options: SpineTableOptions = {}): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TTL_ATTRIBUTE,
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    stream: options.stream,
  });
  for (const gsi of TABLE_INDEXES) {
    table.addGlobalSecondaryIndex({
      indexName: gsi.indexName,
      partitionKey: { name: gsi.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: gsi.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}
