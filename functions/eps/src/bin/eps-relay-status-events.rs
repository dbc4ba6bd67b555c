//! Lambda: the EPS outbox relay (DynamoDB stream of the table, outbox items only), sending status
//! events to the status queue. Not in the route table. Wiring only; the relay lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    spine_eps::lambda::run_relay().await
}
