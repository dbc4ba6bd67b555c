//! The local gateway: an HTTP/1.1 server that routes by the route table and runs every request
//! through the same pipeline and handlers as the Lambda functions. It also answers `GET /_ping`,
//! refuses unknown paths (404) and methods (405) with an OperationOutcome, and bodies over the
//! limit (413) before reading them whole.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use spine_shared::pipeline::{self, Access, ApiRequest, ApiResponse, Echo, Handler, MAX_BODY_BYTES};
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
        if path == "/_ping" || path.ends_with("/_ping") {
            return ping();
        }
        // Refusals before the pipeline still echo whatever ids the request carried.
        let refuse = |e: SpineError| Echo::from_headers(&parts.headers).apply(pipeline::error_response(&e));
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
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                let why = format!("The request body exceeds {MAX_BODY_BYTES} bytes");
                return refuse(SpineError::new(ErrorCode::PayloadTooLarge, why));
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
