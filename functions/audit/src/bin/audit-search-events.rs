//! Lambda: the privacy officer's `GET /audit/FHIR/R4/AuditEvent`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_audit::lambda::run("audit-search-events", spine_audit::handlers::SearchEvents).await
}
