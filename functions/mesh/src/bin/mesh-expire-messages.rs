//! Lambda: MESH's scheduled expiry (EventBridge, hourly): 5-day non-delivery reports. Not in the
//! route table. Wiring only; the job lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    spine_mesh::lambda::run_expiry().await
}
