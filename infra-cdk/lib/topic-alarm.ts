// The shape of every Spine alarm: `metric` above a threshold (0 unless told) in one period, missing data
// not breaching (a quiet metric is fine), notifying the stack's alarm topic. Used by the constructs'
// alarms (EPS's relay and expiry job, MESH's expiry job, scheduleJob) and queueWithDlq's DLQ alarm.
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface TopicAlarmProps {
  /** The alarm's description: what failed and what it means until fixed. */
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  /** The alarm fires when the metric is above this; defaults to 0. */
  readonly threshold?: number;
}

/** An alarm (construct id `id` in `scope`) when `metric` is above `threshold` (default 0) in one period, notifying `topic`. */
export function topicAlarm(scope: Construct, id: string, topic: sns.ITopic, props: TopicAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: props.description,
    metric: props.metric,
    threshold: props.threshold ?? 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  return alarm;
}
