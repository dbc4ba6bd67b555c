//! The Lambda event shapes our consumers take, as small serde types over the standard wire formats:
//! the SQS event (`Records[].messageId/receiptHandle/body/attributes`), the DynamoDB stream event
//! (`Records[].eventName/dynamodb.Keys/dynamodb.SequenceNumber`, keys only: consumers read the
//! item), and the partial-batch-failure answer both event sources take
//! (`batchItemFailures[].itemIdentifier`: a message id, or a stream record's sequence number).
//! aws_lambda_events has them behind features that pull in serde_with and its proc macros for
//! the few fields we read; these are the same wire formats, so `cargo lambda invoke` and the real
//! event sources both fit them.

use std::collections::HashMap;

use crate::ports::{BatchOutcome, ReceivedMessage};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SqsEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<SqsMessage>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsMessage {
    #[serde(default)]
    pub message_id: String,
    #[serde(default)]
    pub receipt_handle: String,
    #[serde(default)]
    pub body: String,
    /// System attributes, all strings (`ApproximateReceiveCount`, `SentTimestamp`, …).
    #[serde(default)]
    pub attributes: HashMap<String, String>,
}

impl SqsMessage {
    pub fn into_received(self) -> ReceivedMessage {
        let receive_count = self.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(1);
        ReceivedMessage { message_id: self.message_id, receipt: self.receipt_handle, body: self.body, receive_count }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SqsBatchResponse {
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    pub item_identifier: String,
}

impl SqsBatchResponse {
    /// The answer for a consumer's outcome: the messages it failed on are retried, the rest deleted.
    pub fn from_outcome(outcome: BatchOutcome) -> Self {
        SqsBatchResponse {
            batch_item_failures: outcome
                .failed_message_ids
                .into_iter()
                .map(|item_identifier| BatchItemFailure { item_identifier })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<StreamRecord>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRecord {
    #[serde(default, rename = "eventName")]
    pub event_name: String,
    #[serde(default)]
    pub dynamodb: StreamItem,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StreamItem {
    #[serde(rename = "Keys", default)]
    pub keys: HashMap<String, StringAttribute>,
    #[serde(rename = "SequenceNumber", default)]
    pub sequence_number: String,
}

/// A DynamoDB string attribute (`{"S": "…"}`); other types read as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StringAttribute {
    #[serde(rename = "S", default)]
    pub s: String,
}

impl StreamRecord {
    /// The record's table key (`pk`, `sk`).
    pub fn key(&self) -> (&str, &str) {
        let get = |k: &str| self.dynamodb.keys.get(k).map(|a| a.s.as_str()).unwrap_or_default();
        (get("pk"), get("sk"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_event_and_answer_shapes() {
        let event: SqsEvent = serde_json::from_str(
            r#"{"Records":[{"messageId":"m1","receiptHandle":"r1","body":"{}","attributes":{"ApproximateReceiveCount":"3","SentTimestamp":"1"},"messageAttributes":{},"md5OfBody":"x","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:eu-west-2:123456789012:spine-audit","awsRegion":"eu-west-2"}]}"#,
        )
        .unwrap();
        let m = event.records[0].clone().into_received();
        assert_eq!(
            (m.message_id.as_str(), m.receipt.as_str(), m.body.as_str(), m.receive_count),
            ("m1", "r1", "{}", 3)
        );
        let answer = SqsBatchResponse::from_outcome(BatchOutcome { failed_message_ids: vec!["m1".into()] });
        assert_eq!(serde_json::to_string(&answer).unwrap(), r#"{"batchItemFailures":[{"itemIdentifier":"m1"}]}"#);
    }

    #[test]
    fn the_stream_event_keys_and_sequence_numbers() {
        let event: StreamEvent = serde_json::from_str(
            r#"{"Records":[{"eventID":"1","eventName":"INSERT","eventSource":"aws:dynamodb","dynamodb":{"Keys":{"pk":{"S":"EPSOUTBOX#X"},"sk":{"S":"X:1"}},"NewImage":{"pk":{"S":"EPSOUTBOX#X"}},"SequenceNumber":"111","StreamViewType":"NEW_IMAGE"}}]}"#,
        )
        .unwrap();
        let r = &event.records[0];
        assert_eq!(
            (r.event_name.as_str(), r.key(), r.dynamodb.sequence_number.as_str()),
            ("INSERT", ("EPSOUTBOX#X", "X:1"), "111")
        );
    }
}
