//! Lambda: Spine Directory `GET /Organization`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_sds::lambda::run("sds-search-organizations", spine_sds::handlers::SearchOrganizations).await
}
