//! Lambda: Spine Directory `GET /Endpoint`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_sds::lambda::run("sds-get-endpoint", spine_sds::handlers::GetEndpoint).await
}
