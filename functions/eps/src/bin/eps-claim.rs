//! Lambda: EPS `POST /Claim`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_eps::lambda::run("eps-claim", spine_eps::handlers::SubmitClaim).await
}
