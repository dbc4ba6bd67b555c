//! Lambda: CIS `POST /care-identity/FHIR/R4/EpisodeOfCare`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_cis::lambda::run("cis-create-episode", spine_cis::handlers::CreateEpisode).await
}
