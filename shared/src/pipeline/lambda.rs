//! The Lambda edge: turns an API Gateway event (REST v1, or HTTP v2 from `cargo lambda watch`)
//! into an `ApiRequest`, runs the pipeline and turns the `ApiResponse` back. A binary's `main` is
//! `serve(FUNCTION, handler)`.

use std::convert::Infallible;

use bytes::Bytes;
use lambda_http::{Body, Request, RequestExt, Response};

use std::sync::Arc;

use super::{Access, ApiRequest, ApiResponse, AuthorizerContext, Handler};
use crate::routes::{self, Route};

/// Converts an event into the pipeline's request. Path parameters come from the event when API
/// Gateway matched them, or else from the route template matched against the end of the path (a
/// stage or function-URL prefix before it is ignored).
pub fn to_api_request(route: &Route, req: Request) -> ApiRequest {
    let event_params: Vec<(String, String)> =
        req.path_parameters().iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let query = query_pairs(&req);
    let authorizer_claims = authorizer_claims(&req);
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let path_params =
        if event_params.is_empty() { route.match_suffix(&path).unwrap_or_default() } else { event_params };
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    ApiRequest {
        method: parts.method,
        path,
        path_params,
        query,
        headers: parts.headers,
        body,
        ids: None,
        identity: None,
        authorizer_claims,
    }
}

/// `requestContext.authorizer.identity`: the claims our API Gateway authorizer verified.
fn authorizer_claims(req: &Request) -> Option<String> {
    let fields = match req.request_context_ref()? {
        lambda_http::request::RequestContext::ApiGatewayV1(ctx) => &ctx.authorizer.fields,
        #[cfg(feature = "lambda-watch")]
        lambda_http::request::RequestContext::ApiGatewayV2(ctx) => &ctx.authorizer.as_ref()?.fields,
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    fields.get("identity").and_then(|v| v.as_str()).map(str::to_owned)
}

/// Every (name, value) pair of the query, each once: the names in alphabetical order (API
/// Gateway's maps keep no order, and a fixed one makes answers deterministic), each name's values
/// in the order given. Repeated parameters keep all their values (`identifier=…&identifier=…`).
fn query_pairs(req: &Request) -> Vec<(String, String)> {
    let params = req.query_string_parameters();
    let mut names: Vec<&str> = params.iter().map(|(k, _)| k).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .flat_map(|k| params.all(k).unwrap_or_default().into_iter().map(move |v| (k.to_owned(), v.to_owned())))
        .collect()
}

pub fn to_lambda_response(r: ApiResponse) -> Response<Body> {
    let mut builder = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        builder = builder.header(k, v);
    }
    let body = if r.body.is_empty() {
        Body::Empty
    } else if is_text(r.header("content-type")) {
        Body::Text(String::from_utf8_lossy(&r.body).into_owned())
    } else {
        // MESH chunks and anything else not text: API Gateway gets them base64-encoded.
        Body::Binary(r.body.to_vec())
    };
    builder.body(body).unwrap_or_else(|_| Response::new(Body::Empty))
}

/// JSON and text bodies go to API Gateway as text; everything else as binary.
fn is_text(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t.starts_with("text/") || t.contains("json")
    })
}

/// What every binary's `main` does: JSON logging, the adapters from the environment (built once
/// per cold start), the service's context and the function's handler, then the runtime loop. Each
/// binary names its own handler type, so it links that handler's code and no other.
pub async fn run<C, H: Handler + 'static>(
    function: &'static str,
    context: fn(std::sync::Arc<dyn crate::ports::RecordStore>, &str) -> C,
    handler: fn(C) -> H,
) -> Result<(), lambda_http::Error> {
    super::logging::init();
    let adapters = crate::config::adapters_from_env().await?;
    let access = access_from_env(&adapters);
    serve(function, access, handler(context(adapters.records, &crate::config::origin_from_env()))).await
}

/// A function's access: the identity the API Gateway authorizer verified, the embedded policy and
/// the audit queue.
pub fn access_from_env(adapters: &crate::config::Adapters) -> Access {
    let audit = crate::audit::QueueAuditSink::new(adapters.queue.clone(), crate::config::audit_queue_from_env());
    Access::new(Arc::new(AuthorizerContext), Arc::new(audit))
}

/// Runs one function's handler as a Lambda.
pub async fn serve(function: &str, access: Access, handler: impl Handler + 'static) -> Result<(), lambda_http::Error> {
    let route = routes::by_function(function).ok_or_else(|| format!("no route for function {function}"))?;
    let (handler, access) = (&handler, &access);
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        let response = super::run(route, access, handler, to_api_request(route, req)).await;
        Ok::<_, Infallible>(to_lambda_response(response))
    }))
    .await
}
