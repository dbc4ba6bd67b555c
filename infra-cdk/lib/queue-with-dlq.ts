// The shape of every Spine SQS queue that has a consumer: KMS-encrypted and SSL-only, 4 days'
// retention, a dead-letter queue after N failed receives that keeps messages 14 days (a standard
// queue keeps a message's original enqueue time when it moves, so the DLQ must outlast the source),
// and an alarm on any message in the DLQ. Operators redrive from the DLQ once the consumer is fixed.
// grantQueueSend lets a producer function send to such a queue.
import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keyStatement } from './key-statement';
import { SpineFunction } from './spine-function';
import { topicAlarm } from './topic-alarm';

export interface QueueWithDlqProps {
  /** Construct ids: `<prefix>Queue`, `<prefix>DeadLetterQueue`, `<prefix>DeadLetterAlarm`. */
  readonly idPrefix: string;
  readonly key: kms.IKey;
  readonly maxReceiveCount: number;
  /** How the queue is named in the DLQ's redrive note, e.g. "the audit queue". */
  readonly queueName: string;
  /** What reads it, e.g. "writer". */
  readonly consumer: string;
  /** What lands in the DLQ, e.g. "messages". */
  readonly items: string;
  readonly alarmTopic: sns.ITopic;
  readonly alarmDescription: string;
  /** Defaults to SQS's 30 s. */
  readonly visibilityTimeout?: Duration;
}

export interface QueueWithDlq {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
}

export function queueWithDlq(scope: Construct, props: QueueWithDlqProps): QueueWithDlq {
  const encrypted = { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true };
  const deadLetterQueue = new sqs.Queue(scope, `${props.idPrefix}DeadLetterQueue`, {
    ...encrypted,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason:
      `This is ${props.queueName}'s dead-letter queue: ${props.items} land here after ${props.maxReceiveCount} ` +
      `failed receives, an alarm fires on any message, and an operator redrives them once the ${props.consumer} ` +
      'is fixed. A DLQ of the DLQ would only move the same messages further from that redrive.',
  });
  const queue = new sqs.Queue(scope, `${props.idPrefix}Queue`, {
    ...encrypted,
    retentionPeriod: Duration.days(4),
    visibilityTimeout: props.visibilityTimeout,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  const deadLetterAlarm = topicAlarm(scope, `${props.idPrefix}DeadLetterAlarm`, props.alarmTopic, {
    description: props.alarmDescription,
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
  });
  return { queue, deadLetterQueue, deadLetterAlarm };
}

/** The names a producer's grant uses: the environment variable naming the queue, and the two statement ids. */
export interface QueueSendNames {
  /** e.g. SPINE_AUDIT_QUEUE. */
  readonly envVar: string;
  /** The SendMessage/GetQueueUrl statement's sid. */
  readonly sendSid: string;
  /** The key statement's sid. */
  readonly keySid: string;
}

/**
 * Lets a function send to `queue` (encrypted with `key`) and names the queue in its `envVar` (the queue's
 * generated name; the Rust SQS adapter resolves it with GetQueueUrl). SendMessage covers SendMessageBatch.
 */
export function grantQueueSend(fn: SpineFunction, queue: sqs.IQueue, key: kms.IKey, names: QueueSendNames): void {
  fn.function.addEnvironment(names.envVar, queue.queueName);
  fn.addToPolicy(
    new iam.PolicyStatement({
      sid: names.sendSid,
      actions: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
      resources: [queue.queueArn],
    }),
  );
  // SQS producers need GenerateDataKey and Decrypt (to reuse the cached data key) on the queue's key.
  fn.addToPolicy(keyStatement(key, names.keySid, 'sqs', ['kms:GenerateDataKey', 'kms:Decrypt']));
}
