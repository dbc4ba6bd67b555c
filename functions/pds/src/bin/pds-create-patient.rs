//! Lambda: PDS `POST /Patient`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_pds::lambda::run("pds-create-patient", spine_pds::handlers::CreatePatient).await
}
