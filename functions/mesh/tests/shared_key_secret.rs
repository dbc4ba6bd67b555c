//! In AWS the MESH shared key is a Secrets Manager secret the stack creates; the route functions
//! read it once per cold start by the ARN in `MESH_SHARED_KEY_SECRET_ARN`. Checked against moto.

use spine_mesh::lambda::shared_key_from_secret;
use spine_shared::testing::{aws_config, unique};

#[tokio::test]
async fn the_shared_key_is_read_from_its_secret() {
    let client = aws_sdk_secretsmanager::Client::new(&aws_config());
    let created = client.create_secret().name(unique("mesh-shared-key")).secret_string("TestKey").send().await.unwrap();
    let arn = created.arn().unwrap();
    assert_eq!(&*shared_key_from_secret(&client, arn).await.unwrap(), b"TestKey");
    let missing = shared_key_from_secret(&client, "arn:aws:secretsmanager:eu-west-2:123456789012:secret:nope").await;
    assert!(missing.unwrap_err().contains("cannot read the MESH shared key secret"));
}
