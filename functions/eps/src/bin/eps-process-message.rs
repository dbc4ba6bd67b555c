//! Lambda: EPS `POST /$process-message`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_eps::lambda::run("eps-process-message", spine_eps::handlers::ProcessMessage).await
}
