//! The token endpoint never logs a passcode, a username, an assertion or a token: the log of a
//! run of successful and refused grants is scanned for each of them. (Its own test binary: it
//! installs the process's log subscriber.)

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use spine_cis::seed::LOCAL_PASSCODE;
use support::{client_credentials, world};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_credential_or_token_reaches_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    spine_shared::pipeline::logging::init_with_writer(move || writer.clone());
    let w = world().await;
    let mut secrets = vec![LOCAL_PASSCODE.to_owned(), "wrong-passcode-42".to_owned(), "patient-9000000009".to_owned()];
    let mut answers = Vec::new();
    for form in [
        format!("grant_type=password&username=555021930101&password={LOCAL_PASSCODE}"),
        format!("grant_type=password&username=patient-9000000009&password={LOCAL_PASSCODE}"),
        "grant_type=password&username=555021930101&password=wrong-passcode-42".to_owned(),
        format!("grant_type=password&username=555021930100&password={LOCAL_PASSCODE}"),
    ] {
        answers.push(w.token(&form).await);
    }
    let assertion = w.assertion();
    answers.push(w.token(&client_credentials(&assertion)).await);
    answers.push(w.token(&client_credentials(&assertion)).await);
    secrets.push(assertion);
    for a in &answers {
        if let Some(token) = a.json()["access_token"].as_str() {
            secrets.push(token.to_owned());
        }
    }
    assert_eq!(secrets.len(), 7, "three tokens were issued");
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("token issued") && log.contains("token refused"), "{log}");
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "the log holds a secret");
    }
    assert!(!log.contains("9000000009"), "the log holds an NHS number");
}
