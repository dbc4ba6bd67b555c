//! The local gateway: an HTTP/1.1 server that routes by the route table and runs every request
//! through the same pipeline and handlers as the Lambda functions. It also answers `GET /_ping`,
//! refuses unknown paths (404) and methods (405), and bodies over the route's limit (413) before
//! reading them whole — in the error format of the service the path belongs to (an
//! OperationOutcome; MESH's own JSON under `/messageexchange`), as API Gateway's responses do.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use spine_shared::pipeline::{self, Access, ApiRequest, ApiResponse, Echo, Handler};
use spine_shared::routes::{self, RouteMatch};
use spine_shared::{ErrorCode, SpineError};
use tokio::net::TcpListener;

/// Everything a connection needs: the handlers by function name, and the access (token
/// verification in-process, policy, audit queue) every protected route goes through.
pub struct Gateway {
    handlers: HashMap<String, Box<dyn Handler>>,
    access: Access,
}

impl Gateway {
    pub fn new(handlers: HashMap<String, Box<dyn Handler>>, access: Access) -> Self {
        Gateway { handlers, access }
    }

    /// Answers one request.
    pub async fn respond(&self, req: Request<Incoming>) -> ApiResponse {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_owned();
        if path == "/_ping" || (path.ends_with("/_ping") && !path.starts_with("/messageexchange/")) {
            return ping();
        }
        // Refusals before the pipeline still echo whatever ids the request carried, in the format
        // of the service the path belongs to.
        let refuse = |e: SpineError| {
            // Only refusals look the service up: the hot path never walks the table twice.
            let response = match self.service_of(&path) {
                Some(handler) => handler.reject(&e, None),
                None => pipeline::error_response(&e),
            };
            Echo::from_headers(&parts.headers).apply(response)
        };
        let (route, params) = match routes::find(parts.method.as_str(), &path) {
            RouteMatch::Found(route, params) => (route, params),
            RouteMatch::MethodNotAllowed(allowed) => {
                let why = format!("Method {} is not supported on this resource", parts.method);
                return refuse(SpineError::new(ErrorCode::MethodNotAllowed, why))
                    .with_header("allow", &allowed.join(", "));
            }
            RouteMatch::NotFound => {
                let why = "No such resource: the path names no Spine interaction";
                return refuse(SpineError::new(ErrorCode::ResourceNotFound, why));
            }
        };
        let declared = parts.headers.get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
        let body = match read_body(body, route.body_limit(), declared).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => return refuse(pipeline::too_large(route)),
            Err(BodyError::Broken) => {
                let why = "The request body broke off before its end";
                return refuse(SpineError::new(ErrorCode::InvalidValue, why));
            }
        };
        let request = ApiRequest {
            method: parts.method,
            path,
            path_params: params,
            query: parts.uri.query().map(ApiRequest::parse_query).unwrap_or_default(),
            headers: parts.headers,
            body,
            ..Default::default()
        };
        match self.handlers.get(&route.function) {
            Some(handler) => pipeline::run(route, &self.access, handler.as_ref(), request).await,
            None => pipeline::error_response(&SpineError::internal("route without handler")),
        }
    }
}

enum BodyError {
    TooLarge,
    Broken,
}

/// How much more of a refused (too large) body the gateway reads and throws away, and for how
/// long, before it answers 413: a client still sending then reads the answer, instead of meeting a
/// connection reset by unread data (what nginx calls a lingering close). Past either bound the
/// connection closes anyway.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// The whole body, read straight into one buffer (sized by `Content-Length` when given, so a
/// 4 MB chunk is held once, not once in frames and again joined). Past `limit` bytes it is refused
/// (nothing more is kept; the rest is drained, see [`DRAIN_BYTES`]); a body that breaks off is
/// refused too, so nothing half-sent is ever stored.
async fn read_body(mut body: Incoming, limit: usize, declared: Option<usize>) -> Result<Bytes, BodyError> {
    if declared.is_some_and(|n| n > limit) {
        drain(body).await;
        return Err(BodyError::TooLarge);
    }
    let mut buf = bytes::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                drop(buf);
                drain(body).await;
                return Err(BodyError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Reads and discards what is left of a body, within [`DRAIN_BYTES`] and [`DRAIN_TIME`].
async fn drain(mut body: Incoming) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen = 0;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len());
            if seen > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

impl Gateway {
    /// The handler of some route under the same first path segment (`/messageexchange`,
    /// `/personal-demographics`): it knows its service's error format.
    fn service_of(&self, path: &str) -> Option<&dyn Handler> {
        fn first(p: &str) -> &str {
            p.trim_start_matches('/').split('/').next().unwrap_or("")
        }
        let segment = first(path);
        routes::all()
            .iter()
            .find(|r| first(&r.path) == segment)
            .and_then(|r| self.handlers.get(&r.function))
            .map(|h| h.as_ref())
    }
}

fn ping() -> ApiResponse {
    let body =
        serde_json::json!({"status": "pass", "ping": "pong", "service": "spine", "version": env!("CARGO_PKG_VERSION")});
    ApiResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Bytes::from(body.to_string()),
        ..Default::default()
    }
}

fn to_hyper(r: ApiResponse) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder.body(Full::new(r.body)).unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// Serves until the process ends.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>) {
    loop {
        let (stream, _peer): (_, SocketAddr) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let gateway = gateway.clone();
                async move { Ok::<_, Infallible>(to_hyper(gateway.respond(req).await)) }
            });
            let _ = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
