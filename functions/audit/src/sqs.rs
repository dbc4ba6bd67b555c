//! The audit writer's Lambda invocation: the SQS batch (`spine_shared::lambda_events`) to the
//! writer, its failures back to the event source (which deletes the rest).

use spine_shared::lambda_events::{SqsBatchResponse, SqsEvent, SqsMessage};

use crate::writer::AuditWriter;

/// One invocation of the `audit-writer` Lambda.
pub async fn handle(writer: &AuditWriter, event: SqsEvent) -> SqsBatchResponse {
    let messages = event.records.into_iter().map(SqsMessage::into_received).collect();
    SqsBatchResponse::from_outcome(writer.write(messages).await)
}
