// The shape of a Spine scheduled job (MESH's hourly expiry, EPS's daily expiry): an EventBridge rule that
// invokes one function on a schedule, a failed delivery retried twice within the hour; two alarms that
// together cover every way a run can fail, the function failed (its Errors) or EventBridge could not invoke
// it at all, even after its retries (the rule's FailedInvocations); and the rule's Serverless-EventBusDLQ
// acknowledgement (a schedule's events carry nothing a target DLQ would be worth keeping; the job's reason
// says why a missed run is made good). The caller builds and grants the function.
import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { topicAlarm } from './topic-alarm';

/** EventBridge retries a failed delivery this many times... */
export const SCHEDULED_JOB_RETRY_ATTEMPTS = 2;
/** ...within this long of the event. */
export const SCHEDULED_JOB_MAX_EVENT_AGE = Duration.hours(1);
/** Both alarms' metric period. */
export const SCHEDULED_JOB_ALARM_PERIOD = Duration.minutes(5);

export interface ScheduledJobProps {
  /** Construct ids (in `scope`) of the rule and the two alarms. */
  readonly ids: { readonly rule: string; readonly errorsAlarm: string; readonly failedInvocationsAlarm: string };
  /** The function the rule invokes. */
  readonly fn: lambda.IFunction;
  readonly schedule: events.Schedule;
  /** The rule's description. */
  readonly description: string;
  readonly alarmTopic: sns.ITopic;
  /** The alarm descriptions: the function failed; the rule could not invoke it. */
  readonly errorsDescription: string;
  readonly failedInvocationsDescription: string;
  /** Why the rule's target has no DLQ (the Serverless-EventBusDLQ acknowledgement). */
  readonly dlqReason: string;
}

export interface ScheduledJob {
  readonly rule: events.Rule;
  readonly errorsAlarm: cloudwatch.Alarm;
  readonly failedInvocationsAlarm: cloudwatch.Alarm;
}

export function scheduleJob(scope: Construct, props: ScheduledJobProps): ScheduledJob {
  const rule = new events.Rule(scope, props.ids.rule, {
    description: props.description,
    schedule: props.schedule,
    targets: [
      new targets.LambdaFunction(props.fn, {
        retryAttempts: SCHEDULED_JOB_RETRY_ATTEMPTS,
        maxEventAge: SCHEDULED_JOB_MAX_EVENT_AGE,
      }),
    ],
  });
  const errorsAlarm = topicAlarm(scope, props.ids.errorsAlarm, props.alarmTopic, {
    description: props.errorsDescription,
    metric: props.fn.metricErrors({ period: SCHEDULED_JOB_ALARM_PERIOD }),
  });
  const failedInvocationsAlarm = topicAlarm(scope, props.ids.failedInvocationsAlarm, props.alarmTopic, {
    description: props.failedInvocationsDescription,
    metric: new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensionsMap: { RuleName: rule.ruleName },
      statistic: 'Sum',
      period: SCHEDULED_JOB_ALARM_PERIOD,
    }),
  });
  Validations.of(rule).acknowledge({ id: 'Serverless-EventBusDLQ', reason: props.dlqReason });
  return { rule, errorsAlarm, failedInvocationsAlarm };
}
