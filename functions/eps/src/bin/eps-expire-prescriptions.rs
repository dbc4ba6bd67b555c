//! Lambda: EPS's scheduled expiry (EventBridge, daily): prescriptions not dispensed within their
//! validity become 0004 Expired. Not in the route table. Wiring only; the job lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    spine_eps::lambda::run_expiry().await
}
