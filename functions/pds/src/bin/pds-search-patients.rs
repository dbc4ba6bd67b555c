//! Lambda: PDS `GET /Patient?...`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_pds::lambda::run("pds-search-patients", spine_pds::handlers::SearchPatients).await
}
