//! The HTTP client under every SDK client: HTTP/1.1 over rustls on ring, from hyper, hyper-util
//! and hyper-rustls, with the system's root certificates. DynamoDB, SQS, S3 and KMS all speak
//! HTTP/1.1; the SDK's own client (`aws-smithy-http-client`) also links HTTP/2 (h2), a proxy layer
//! and tower, which a Lambda binary pays for in size and never uses. Connections are pooled per
//! client and kept across invocations of a warm Lambda.

use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::TokioExecutor;

type Https = hyper_rustls::HttpsConnector<TcpConnector>;

/// The connect and read timeouts a connector was built for.
type Timeouts = (Option<Duration>, Option<Duration>);

/// An SDK HTTP client: one connection pool per pair of timeouts the SDK asks for.
#[derive(Debug, Default)]
pub struct Http1Client {
    connectors: std::sync::Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

/// The client for the SDK's `http_client` setting.
pub fn http1_client() -> SharedHttpClient {
    SharedHttpClient::new(Http1Client::default())
}

impl HttpClient for Http1Client {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, c)) = connectors.iter().find(|(t, _)| *t == timeouts) {
            return c.clone();
        }
        let connector = SharedHttpConnector::new(Http1Connector::new(timeouts.0, timeouts.1));
        connectors.push((timeouts, connector.clone()));
        connector
    }
}

/// One pool of HTTP/1.1 connections.
#[derive(Debug)]
struct Http1Connector {
    client: Option<Client<Https, SdkBody>>,
    read_timeout: Option<Duration>,
}

impl Http1Connector {
    fn new(connect_timeout: Option<Duration>, read_timeout: Option<Duration>) -> Self {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(connect_timeout);
        // No system roots (a minimal container): every HTTPS call fails with that reason, and
        // plain HTTP (a local AWS-API server) still works.
        let client = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map(|b| b.https_or_http().enable_http1().wrap_connector(tcp))
            .map_err(|e| tracing::error!(error = %e, "no root certificates; HTTPS calls will fail"))
            .ok()
            .map(|https| Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(60)).build(https));
        Http1Connector { client, read_timeout }
    }
}

impl HttpConnector for Http1Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let Some(client) = self.client.clone() else {
            return HttpConnectorFuture::ready(Err(ConnectorError::other("no root certificates".into(), None)));
        };
        let request = match request.try_into_http1x() {
            Ok(r) => r,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let send = client.request(request);
            let response = match read_timeout {
                Some(t) => tokio::time::timeout(t, send).await.map_err(|e| ConnectorError::timeout(e.into()))?,
                None => send.await,
            }
            .map_err(classify)?;
            let response = response.map(SdkBody::from_body_1_x);
            HttpResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// A connect failure or a dropped connection is an I/O error (the SDK retries it); anything else
/// is reported as it is.
fn classify(e: hyper_util::client::legacy::Error) -> ConnectorError {
    if e.is_connect() { ConnectorError::io(e.into()) } else { ConnectorError::other(e.into(), None) }
}
