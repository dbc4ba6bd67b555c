//! `GET /{mailbox}/outbox/tracking?messageID=…`: where a sent message is. Only its sender may ask;
//! to anyone else, as to an unknown id, the message does not exist (404).

use http::StatusCode;
use serde_json::json;
use spine_shared::pipeline::ApiRequest;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::authn::{authenticate, path_mailbox};
use super::download::compact_time;
use super::{MeshContext, Reply};
use crate::error::MeshError;
use crate::headers::ApiVersion;
use crate::message_id::MessageId;
use crate::model::{MessageStatus, MessageType};

pub async fn track(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    let mailbox = authenticate(ctx, request, Some(path_mailbox(request))).await?;
    let asked = request
        .query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("messageID"))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let missing = || MeshError::message_does_not_exist().with_message_id(asked.clone());
    let id = MessageId::parse(&asked).map_err(|_| missing())?;
    let meta = match ctx.store.message(&id).await {
        Ok(meta) if meta.is_sender(&mailbox.id) => meta,
        Ok(_) | Err(crate::store_error::MeshStoreError::NotFound) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    let recipient = ctx.store.mailbox(&meta.recipient).await?;
    let recipient_name = recipient.as_ref().map(|m| m.name.clone());
    let recipient_ods = recipient.as_ref().map(|m| m.ods_code.clone());
    let status = match meta.status {
        MessageStatus::Uploading => "uploading",
        MessageStatus::Accepted => "accepted",
        MessageStatus::Acknowledged => "acknowledged",
        MessageStatus::Undeliverable => "undeliverable",
        MessageStatus::Error => "error",
    };
    let success =
        meta.message_type == MessageType::Data && meta.report.is_none() && meta.status != MessageStatus::Undeliverable;
    let iso = |at: Option<OffsetDateTime>| at.and_then(|t| t.format(&Rfc3339).ok());
    let compact = |at: Option<OffsetDateTime>| at.map(compact_time).unwrap_or_default();
    let expiry = meta.accepted_at.map(|t| t + crate::lifecycle::UNDELIVERED_AFTER);
    let body = match version {
        ApiVersion::V2 => json!({
            "message_id": meta.id.as_str(),
            "local_id": meta.local_id,
            "workflow_id": meta.workflow_id,
            "filename": meta.file_name,
            "expiry_time": iso(expiry),
            "upload_timestamp": iso(Some(meta.created_at)),
            "recipient": meta.recipient,
            "recipient_name": recipient_name,
            "recipient_ods_code": recipient_ods,
            "recipient_org_code": recipient_ods,
            "recipient_org_name": null,
            "status_success": success,
            "status": status,
            "status_event": null,
            "status_timestamp": iso(Some(meta.status_at)),
            "status_description": null,
            "status_code": null,
        }),
        ApiVersion::V1 => json!({
            "addressType": "ALL",
            "checksum": meta.checksum.clone().unwrap_or_default(),
            "chunkCount": meta.total_chunks,
            "compressFlag": if meta.content_compressed { "Y" } else { "" },
            "contentEncoding": if meta.content_encoding == crate::model::StoredEncoding::Gzip { "gzip" } else { "" },
            "downloadTimestamp": compact(meta.acknowledged_at),
            "dtsId": meta.id.as_str(),
            "encryptedFlag": if meta.content_encrypted { "Y" } else { "" },
            "expiryTime": compact(expiry),
            "fileName": meta.file_name.clone().unwrap_or_else(|| format!("{}.dat", meta.id)),
            "isCompressed": if meta.content_compressed { "Y" } else { "" },
            "localId": meta.local_id,
            "meshRecipientOdsCode": recipient_ods,
            "messageId": meta.id.as_str(),
            "messageType": if meta.message_type == MessageType::Data { "Data" } else { "Report" },
            "partnerId": meta.partner_id.clone().unwrap_or_default(),
            "recipient": meta.recipient,
            "recipientName": recipient_name,
            "recipientOrgCode": recipient_ods,
            "sender": meta.sender,
            "status": title(status),
            "statusSuccess": if success { "SUCCESS" } else { "ERROR" },
            "uploadTimestamp": compact(Some(meta.created_at)),
        }),
    };
    Ok(Reply::json(StatusCode::OK, version, &body))
}

fn title(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
}
