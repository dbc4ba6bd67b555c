//! Lambda: PDS `GET /Patient/{id}/RelatedPerson`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_pds::lambda::run("pds-get-related-people", spine_pds::handlers::GetRelatedPeople).await
}
