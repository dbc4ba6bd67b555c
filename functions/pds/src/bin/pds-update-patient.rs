//! Lambda: PDS `PATCH /Patient/{id}`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_pds::lambda::run("pds-update-patient", spine_pds::handlers::UpdatePatient).await
}
