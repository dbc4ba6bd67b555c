//! The blob store on S3: single puts for small bodies, multipart uploads in 5 MiB parts for
//! streams (aborted on failure, so no half object is ever visible), ranged GETs, presigned URLs.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::backend;
use crate::ports::blob::{PART_SIZE, validate_key};
use crate::ports::{BlobStore, StoreError, StoreResult};

#[derive(Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

impl S3BlobStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3BlobStore { client, bucket: bucket.into() }
    }

    /// Path-style addressing against a custom endpoint, so `bucket.localhost` is never looked up.
    pub fn from_config(config: &aws_types::SdkConfig, bucket: impl Into<String>) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(config).force_path_style(super::custom_endpoint(config)).build();
        Self::new(Client::from_conf(conf), bucket)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn read_part(body: &mut (dyn AsyncRead + Unpin + Send)) -> StoreResult<Vec<u8>> {
        let mut part = Vec::with_capacity(PART_SIZE);
        while part.len() < PART_SIZE {
            let mut chunk = vec![0u8; (PART_SIZE - part.len()).min(256 * 1024)];
            let n = body.read(&mut chunk).await.map_err(|e| StoreError::Backend(e.to_string()))?;
            if n == 0 {
                break;
            }
            part.extend_from_slice(&chunk[..n]);
        }
        Ok(part)
    }

    async fn multipart(
        &self,
        key: &str,
        first: Vec<u8>,
        body: &mut (dyn AsyncRead + Unpin + Send),
        upload_id: &str,
    ) -> StoreResult<u64> {
        let mut parts = Vec::new();
        let mut total = 0u64;
        let mut part = first;
        let mut number = 1;
        while !part.is_empty() {
            total += part.len() as u64;
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(part))
                .send()
                .await
                .map_err(backend)?;
            parts.push(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag).build());
            number += 1;
            part = Self::read_part(body).await?;
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(backend)?;
        Ok(total)
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &str, body: Bytes) -> StoreResult<()> {
        validate_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn put_stream(&self, key: &str, body: &mut (dyn AsyncRead + Unpin + Send)) -> StoreResult<u64> {
        validate_key(key)?;
        let first = Self::read_part(body).await?;
        if first.len() < PART_SIZE {
            let size = first.len() as u64;
            self.put(key, Bytes::from(first)).await?;
            return Ok(size);
        }
        let upload =
            self.client.create_multipart_upload().bucket(&self.bucket).key(key).send().await.map_err(backend)?;
        let upload_id = upload.upload_id.ok_or_else(|| StoreError::Backend("no upload id".into()))?;
        match self.multipart(key, first, body, &upload_id).await {
            Ok(total) => Ok(total),
            Err(e) => {
                let _ = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(e)
            }
        }
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Bytes>> {
        validate_key(key)?;
        match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(out.body.collect().await.map_err(|e| StoreError::Backend(e.to_string()))?.into_bytes())),
            Err(e) => match e.into_service_error() {
                aws_sdk_s3::operation::get_object::GetObjectError::NoSuchKey(_) => Ok(None),
                other => Err(backend(other)),
            },
        }
    }

    async fn get_range(&self, key: &str, start: u64, end_inclusive: u64) -> StoreResult<Option<Bytes>> {
        let Some(size) = self.size(key).await? else { return Ok(None) };
        if start >= size || end_inclusive < start {
            return Ok(Some(Bytes::new()));
        }
        let end = end_inclusive.min(size - 1);
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={start}-{end}"))
            .send()
            .await
            .map_err(backend)?;
        Ok(Some(out.body.collect().await.map_err(|e| StoreError::Backend(e.to_string()))?.into_bytes()))
    }

    async fn size(&self, key: &str) -> StoreResult<Option<u64>> {
        validate_key(key)?;
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(out.content_length.unwrap_or(0).max(0) as u64)),
            Err(e) => match e.into_service_error() {
                aws_sdk_s3::operation::head_object::HeadObjectError::NotFound(_) => Ok(None),
                other => Err(backend(other)),
            },
        }
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        validate_key(key)?;
        self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(backend)?;
        Ok(())
    }

    async fn presign_get(&self, key: &str, expires_secs: u64) -> StoreResult<Option<String>> {
        validate_key(key)?;
        let config = PresigningConfig::expires_in(Duration::from_secs(expires_secs)).map_err(backend)?;
        let req = self.client.get_object().bucket(&self.bucket).key(key).presigned(config).await.map_err(backend)?;
        Ok(Some(req.uri().to_string()))
    }
}
