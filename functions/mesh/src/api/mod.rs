//! MESH's HTTP API: one [`MeshHandler`] per route function of the route table (service `mesh`),
//! each answering through the shared pipeline. MESH routes take no bearer token: a handler first
//! checks the `NHSMESH` token against the mailbox ([`authn`]), and every answer — success or
//! error — is in MESH's own shapes for the caller's API version (v1 or v2 by `Accept`), never an
//! OperationOutcome. The routes: handshake and count ([`mailbox`]), the inbox list ([`inbox`]),
//! download, HEAD and chunks ([`download`]), acknowledge ([`acknowledge`]), send and chunk upload
//! ([`send`]), tracking ([`tracking`]), endpoint lookup and workflow search ([`lookup`]), `_ping`.

mod acknowledge;
pub mod authn;
mod download;
mod encoding;
mod inbox;
mod lookup;
mod mailbox;
pub mod reply;
mod send;
mod tracking;

use std::sync::Arc;

use async_trait::async_trait;
use spine_sds::repository::DirectoryRepository;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{ErrorCode, SpineError, SpineResult};

use crate::error::MeshError;
use crate::events::MeshEvents;
use crate::headers::ApiVersion;
use crate::store::MeshStore;
pub use reply::Reply;

/// What every MESH route works over, built once per process (cold start).
#[derive(Clone)]
pub struct MeshContext {
    pub store: MeshStore,
    /// The Spine Directory: endpoint lookup and workflow search.
    pub directory: DirectoryRepository,
    /// The MESH shared key every `NHSMESH` token is keyed with.
    pub shared_key: Arc<[u8]>,
    /// Where accepted, acknowledged and expired messages are announced (SQS in AWS).
    pub events: Option<MeshEvents>,
}

/// The MESH routes, by function name. A route is also a number ([`MeshRoute::number`]), so that a
/// handler can name its route in its type ([`MeshHandler<R>`]): each Lambda binary then links its
/// own route's code and no other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum MeshRoute {
    Ping,
    EndpointLookup,
    WorkflowSearch,
    Handshake,
    Count,
    ListInbox,
    Download,
    HeadMessage,
    DownloadChunk,
    Acknowledge,
    Tracking,
    Send,
    SendChunk,
}

const ROUTES: [MeshRoute; 13] = [
    MeshRoute::Ping,
    MeshRoute::EndpointLookup,
    MeshRoute::WorkflowSearch,
    MeshRoute::Handshake,
    MeshRoute::Count,
    MeshRoute::ListInbox,
    MeshRoute::Download,
    MeshRoute::HeadMessage,
    MeshRoute::DownloadChunk,
    MeshRoute::Acknowledge,
    MeshRoute::Tracking,
    MeshRoute::Send,
    MeshRoute::SendChunk,
];

impl MeshRoute {
    pub const fn number(self) -> u8 {
        self as u8
    }

    pub const fn from_number(n: u8) -> Self {
        ROUTES[n as usize]
    }

    /// Whether the route reads or writes chunk bytes (only these functions get the bucket).
    pub const fn touches_chunks(self) -> bool {
        matches!(
            self,
            MeshRoute::Download
                | MeshRoute::HeadMessage
                | MeshRoute::DownloadChunk
                | MeshRoute::Send
                | MeshRoute::SendChunk
        )
    }

    pub fn from_function(function: &str) -> Option<Self> {
        Some(match function {
            "mesh-ping" => MeshRoute::Ping,
            "mesh-endpoint-lookup" => MeshRoute::EndpointLookup,
            "mesh-workflow-search" => MeshRoute::WorkflowSearch,
            "mesh-handshake" => MeshRoute::Handshake,
            "mesh-count" => MeshRoute::Count,
            "mesh-list-inbox" => MeshRoute::ListInbox,
            "mesh-download" => MeshRoute::Download,
            "mesh-head-message" => MeshRoute::HeadMessage,
            "mesh-download-chunk" => MeshRoute::DownloadChunk,
            "mesh-acknowledge" => MeshRoute::Acknowledge,
            "mesh-tracking" => MeshRoute::Tracking,
            "mesh-send" => MeshRoute::Send,
            "mesh-send-chunk" => MeshRoute::SendChunk,
            _ => return None,
        })
    }
}

/// The handler of route number `R` ([`MeshRoute::number`]).
pub struct MeshHandler<const R: u8> {
    context: MeshContext,
}

/// The handler of a MESH route function, if `function` is one.
pub fn handler_for(function: &str, context: MeshContext) -> Option<Box<dyn Handler>> {
    use MeshRoute as M;
    let handler: Box<dyn Handler> = match MeshRoute::from_function(function)? {
        M::Ping => Box::new(MeshHandler::<{ M::Ping as u8 }>::new(context)),
        M::EndpointLookup => Box::new(MeshHandler::<{ M::EndpointLookup as u8 }>::new(context)),
        M::WorkflowSearch => Box::new(MeshHandler::<{ M::WorkflowSearch as u8 }>::new(context)),
        M::Handshake => Box::new(MeshHandler::<{ M::Handshake as u8 }>::new(context)),
        M::Count => Box::new(MeshHandler::<{ M::Count as u8 }>::new(context)),
        M::ListInbox => Box::new(MeshHandler::<{ M::ListInbox as u8 }>::new(context)),
        M::Download => Box::new(MeshHandler::<{ M::Download as u8 }>::new(context)),
        M::HeadMessage => Box::new(MeshHandler::<{ M::HeadMessage as u8 }>::new(context)),
        M::DownloadChunk => Box::new(MeshHandler::<{ M::DownloadChunk as u8 }>::new(context)),
        M::Acknowledge => Box::new(MeshHandler::<{ M::Acknowledge as u8 }>::new(context)),
        M::Tracking => Box::new(MeshHandler::<{ M::Tracking as u8 }>::new(context)),
        M::Send => Box::new(MeshHandler::<{ M::Send as u8 }>::new(context)),
        M::SendChunk => Box::new(MeshHandler::<{ M::SendChunk as u8 }>::new(context)),
    };
    Some(handler)
}

impl<const R: u8> MeshHandler<R> {
    pub const ROUTE: MeshRoute = MeshRoute::from_number(R);

    pub fn new(context: MeshContext) -> Self {
        MeshHandler { context }
    }

    async fn answer(&self, request: &ApiRequest) -> Result<ApiResponse, (MeshError, ApiVersion)> {
        // A malformed `vnd.mesh` Accept is refused (400) in the v1 shape before anything else.
        let version = ApiVersion::from_headers(&request.headers).map_err(|e| (e, ApiVersion::V1))?;
        let ctx = &self.context;
        let result = match Self::ROUTE {
            MeshRoute::Ping => Ok(mailbox::ping()),
            MeshRoute::EndpointLookup => lookup::endpoint_lookup(ctx, request, version).await,
            MeshRoute::WorkflowSearch => lookup::workflow_search(ctx, request, version).await,
            MeshRoute::Handshake => mailbox::handshake(ctx, request, version).await,
            MeshRoute::Count => mailbox::count(ctx, request, version).await,
            MeshRoute::ListInbox => inbox::list(ctx, request, version).await,
            MeshRoute::Download => download::first_chunk(ctx, request, version).await,
            MeshRoute::HeadMessage => download::head(ctx, request, version).await,
            MeshRoute::DownloadChunk => download::chunk(ctx, request, version).await,
            MeshRoute::Acknowledge => acknowledge::acknowledge(ctx, request, version).await,
            MeshRoute::Tracking => tracking::track(ctx, request, version).await,
            MeshRoute::Send => send::send(ctx, request, version).await,
            MeshRoute::SendChunk => send::chunk(ctx, request, version).await,
        };
        result.map(Reply::into_response).map_err(|e| (e, version))
    }
}

#[async_trait]
impl<const R: u8> Handler for MeshHandler<R> {
    async fn handle(&self, request: &ApiRequest) -> SpineResult<ApiResponse> {
        match self.answer(request).await {
            Ok(response) => Ok(response),
            Err((error, version)) => {
                tracing::info!(
                    status = error.status.as_u16(),
                    code = error.code,
                    event = error.event,
                    "MESH request refused"
                );
                Ok(reply::error(&error, version, Some(request.request_id())))
            }
        }
    }

    /// Refusals before the handler (a body over the chunk limit, an unknown path or method under
    /// `/messageexchange`) in MESH's error shape.
    fn reject(&self, e: &SpineError, request_id: Option<&str>) -> ApiResponse {
        reply::error(&refusal(e), ApiVersion::V2, request_id)
    }
}

/// The MESH error for a refusal the gateway or pipeline made.
fn refusal(e: &SpineError) -> MeshError {
    use http::StatusCode;
    match e.code {
        ErrorCode::PayloadTooLarge => MeshError::chunk_too_large(),
        ErrorCode::MethodNotAllowed => MeshError::new(StatusCode::METHOD_NOT_ALLOWED, "", "", "Method Not Allowed"),
        ErrorCode::ResourceNotFound => MeshError::new(StatusCode::NOT_FOUND, "", "", "Not Found"),
        ErrorCode::ServiceUnavailable => MeshError::service_unavailable(),
        _ => MeshError::new(StatusCode::BAD_REQUEST, "", "", "Bad Request"),
    }
}
