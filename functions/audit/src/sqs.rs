//! The Lambda SQS event and the partial-batch-failure answer, as small serde types over the
//! standard shapes (`Records[].messageId/receiptHandle/body/attributes`, and
//! `batchItemFailures[].itemIdentifier`). aws_lambda_events has them behind its `sqs` feature, which
//! pulls in serde_with and its proc macros for the three fields we read; these are the same wire
//! format, so `cargo lambda invoke` and the real event source both fit them.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use spine_shared::ports::ReceivedMessage;

use crate::writer::AuditWriter;

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

/// One invocation of the `audit-writer` Lambda: the batch to the writer, its failures back to the
/// event source (which deletes the rest).
pub async fn handle(writer: &AuditWriter, event: SqsEvent) -> SqsBatchResponse {
    let messages = event.records.into_iter().map(SqsMessage::into_received).collect();
    let outcome = writer.write(messages).await;
    SqsBatchResponse {
        batch_item_failures: outcome
            .failed_message_ids
            .into_iter()
            .map(|item_identifier| BatchItemFailure { item_identifier })
            .collect(),
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
        let answer = SqsBatchResponse { batch_item_failures: vec![BatchItemFailure { item_identifier: "m1".into() }] };
        assert_eq!(serde_json::to_string(&answer).unwrap(), r#"{"batchItemFailures":[{"itemIdentifier":"m1"}]}"#);
    }
}
