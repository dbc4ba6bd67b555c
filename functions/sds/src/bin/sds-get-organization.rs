//! Lambda: Spine Directory `GET /Organization/{id}`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_sds::lambda::run("sds-get-organization", spine_sds::handlers::GetOrganization).await
}
