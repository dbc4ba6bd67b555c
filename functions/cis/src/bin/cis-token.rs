//! Lambda: CIS `POST /oauth2/token`, the OAuth2 token endpoint. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_cis::lambda::run("cis-token", spine_cis::handlers::Token).await
}
