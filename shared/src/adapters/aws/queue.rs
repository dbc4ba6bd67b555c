//! The queue port on SQS. Logical queue names resolve to URLs once: from
//! `SPINE_QUEUE_URL_<NAME>` (set by the CDK stack) or else by `GetQueueUrl`.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry};

use super::backend;
use crate::ports::queue::{MAX_BATCH, QueueSpec};
use crate::ports::{OutgoingMessage, Queue, ReceivedMessage, StoreError, StoreResult};

pub struct SqsQueue {
    client: Client,
    urls: Mutex<HashMap<String, String>>,
}

impl SqsQueue {
    pub fn new(client: Client) -> Self {
        SqsQueue { client, urls: Mutex::new(HashMap::new()) }
    }

    pub fn from_config(config: &aws_types::SdkConfig) -> Self {
        Self::new(Client::new(config))
    }

    fn env_name(name: &str) -> String {
        format!("SPINE_QUEUE_URL_{}", name.to_ascii_uppercase().replace(['-', '.'], "_"))
    }

    async fn url(&self, name: &str) -> StoreResult<String> {
        if let Some(u) = self.urls.lock().map_err(|_| StoreError::Backend("poisoned".into()))?.get(name) {
            return Ok(u.clone());
        }
        let url = match std::env::var(Self::env_name(name)) {
            Ok(u) => u,
            Err(_) => self
                .client
                .get_queue_url()
                .queue_name(name)
                .send()
                .await
                .map_err(backend)?
                .queue_url
                .ok_or_else(|| StoreError::Backend(format!("no URL for queue {name}")))?,
        };
        self.urls.lock().map_err(|_| StoreError::Backend("poisoned".into()))?.insert(name.to_owned(), url.clone());
        Ok(url)
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn ensure_queue(&self, name: &str, spec: QueueSpec) -> StoreResult<()> {
        let mut req = self.client.create_queue().queue_name(name);
        if let Some((dlq, max_receives)) = &spec.dead_letter {
            let dlq_url = self.url(dlq).await?;
            let arn = self
                .client
                .get_queue_attributes()
                .queue_url(dlq_url)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .map_err(backend)?
                .attributes
                .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
                .ok_or_else(|| StoreError::Backend("dead-letter queue without ARN".into()))?;
            let policy = serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives.to_string()});
            req = req.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        let url = req.send().await.map_err(backend)?.queue_url.unwrap_or_default();
        self.urls.lock().map_err(|_| StoreError::Backend("poisoned".into()))?.insert(name.to_owned(), url);
        Ok(())
    }

    async fn send_batch(&self, queue: &str, messages: Vec<OutgoingMessage>) -> StoreResult<()> {
        if messages.is_empty() || messages.len() > MAX_BATCH {
            return Err(StoreError::Invalid(format!("a batch has 1 to {MAX_BATCH} messages")));
        }
        let entries = messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .message_body(m.body)
                    .build()
                    .map_err(backend)
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(self.url(queue).await?)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(backend)?;
        if !out.failed.is_empty() {
            return Err(StoreError::Backend(format!("{} messages of a batch were not sent", out.failed.len())));
        }
        Ok(())
    }

    async fn receive(&self, queue: &str, max: usize, visibility_secs: u32) -> StoreResult<Vec<ReceivedMessage>> {
        let out = self
            .client
            .receive_message()
            .queue_url(self.url(queue).await?)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .visibility_timeout(visibility_secs as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(backend)?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| ReceivedMessage {
                receive_count: m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
                message_id: m.message_id.unwrap_or_default(),
                receipt: m.receipt_handle.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
            })
            .collect())
    }

    async fn delete(&self, queue: &str, receipt: &str) -> StoreResult<()> {
        self.client
            .delete_message()
            .queue_url(self.url(queue).await?)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete_batch(&self, queue: &str, receipts: Vec<String>) -> StoreResult<()> {
        let url = self.url(queue).await?;
        for chunk in receipts.chunks(MAX_BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(r)
                        .build()
                        .map_err(backend)
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let out = self
                .client
                .delete_message_batch()
                .queue_url(&url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(backend)?;
            if let Some(failed) = out.failed().first() {
                return Err(StoreError::Backend(format!("delete failed: {}", failed.code())));
            }
        }
        Ok(())
    }

    async fn change_visibility(&self, queue: &str, receipt: &str, visibility_secs: u32) -> StoreResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(self.url(queue).await?)
            .receipt_handle(receipt)
            .visibility_timeout(visibility_secs as i32)
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }
}
