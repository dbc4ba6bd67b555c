//! Lambda: the API Gateway REST REQUEST authorizer (not a route: it runs in front of them).
//! Wiring only; the decision lives in the library (`spine_cis::authorizer::authorize`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    spine_cis::lambda::run_authorizer().await
}
