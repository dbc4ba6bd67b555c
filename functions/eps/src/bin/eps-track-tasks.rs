//! Lambda: EPS `GET /Task`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_eps::lambda::run("eps-track-tasks", spine_eps::handlers::TrackTasks).await
}
