//! The directory routes, answered from the Spine Directory: endpoint lookup
//! (`GET /messageexchange/endpointlookup/{ods_code}/{workflow_id}`: the mailboxes of an
//! organisation that take a workflow) and workflow search
//! (`GET /messageexchange/workflowsearch/{workflow_id}`: every mailbox that takes it). Either needs
//! a valid token of some mailbox. v1 answers `{query_id, results: [{address, description,
//! endpoint_type}]}`, v2 `{results: [{mailbox_id, mailbox_name}]}`.

use http::StatusCode;
use serde_json::{Value, json};
use spine_sds::model::MeshMailbox;
use spine_shared::pipeline::ApiRequest;

use super::authn::authenticate;
use super::{MeshContext, Reply};
use crate::error::MeshError;
use crate::headers::ApiVersion;

pub async fn endpoint_lookup(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    authenticate(ctx, request, None).await?;
    let ods = request.path_param("ods_code").unwrap_or_default().trim().to_ascii_uppercase();
    let workflow = request.path_param("workflow_id").unwrap_or_default().trim();
    let found = ctx.directory.mesh_mailboxes(&ods, workflow).await.map_err(|_| MeshError::internal_error())?;
    Ok(Reply::json(StatusCode::OK, version, &results(&found, version, request.request_id())))
}

pub async fn workflow_search(ctx: &MeshContext, request: &ApiRequest, version: ApiVersion) -> Result<Reply, MeshError> {
    authenticate(ctx, request, None).await?;
    let workflow = request.path_param("workflow_id").unwrap_or_default().trim();
    let found = ctx.directory.mesh_mailboxes_for_workflow(workflow).await.map_err(|_| MeshError::internal_error())?;
    Ok(Reply::json(StatusCode::OK, version, &results(&found, version, request.request_id())))
}

fn results(found: &[MeshMailbox], version: ApiVersion, query_id: &str) -> Value {
    match version {
        ApiVersion::V1 => json!({
            "query_id": query_id,
            "results": found
                .iter()
                .map(|m| json!({"address": m.id, "description": m.description, "endpoint_type": "MESH"}))
                .collect::<Vec<_>>(),
        }),
        ApiVersion::V2 => json!({
            "results": found.iter().map(|m| json!({"mailbox_id": m.id, "mailbox_name": m.description})).collect::<Vec<_>>(),
        }),
    }
}
