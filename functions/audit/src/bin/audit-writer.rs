//! Lambda: the audit queue's consumer (SQS event source, partial batch failures), writing the audit
//! table and the NDJSON archive. Not in the route table. Wiring only; the writer lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    spine_audit::lambda::run_writer().await
}
