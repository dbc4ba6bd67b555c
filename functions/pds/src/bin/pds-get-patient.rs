//! Lambda: PDS `GET /Patient/{id}`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_pds::lambda::run("pds-get-patient", spine_pds::handlers::GetPatient).await
}
