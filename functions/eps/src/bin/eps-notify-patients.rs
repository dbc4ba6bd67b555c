//! Lambda: the EPS status queue's consumer (SQS event source, partial batch failures), writing
//! patient notifications. Not in the route table. Wiring only; the consumer lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    spine_eps::lambda::run_notifier().await
}
