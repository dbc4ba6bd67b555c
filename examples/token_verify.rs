//! Benchmark: what verifying an access token costs per request — ES256 signature check, claims
//! and the policy decision — on one core, as the authorizer and the local gateway run it.
//! `cargo run --release --example token_verify [iterations]` (bench/access.sh runs it).

use std::time::{Duration, Instant};

use spine_shared::identity::{
    HealthcareWorker, Identity, Jwks, Policy, Principal, TokenSigner, TokenVerifier, generate_p256_pkcs8_pem,
};
use spine_shared::routes;

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let issuer = "https://spine.bench/oauth2";
    let audience = "https://spine.bench";
    let pem = generate_p256_pkcs8_pem().expect("key");
    let signer = TokenSigner::from_pem(&pem, "bench-1", issuer).expect("signer");
    let verifier = TokenVerifier::new(issuer, audience, &Jwks::from_signer(&signer));
    let identity = Identity {
        subject: "555021930100".into(),
        principal: Principal::HealthcareWorker(HealthcareWorker {
            user_id: "555021930100".into(),
            role_profile_id: "555021935107".into(),
            job_role: "R8000".into(),
            organisation: "Y12345".into(),
            activities: vec![],
        }),
    };
    let token = signer.mint(&identity, audience, Duration::from_secs(600)).expect("token");
    let route = routes::by_function("pds-get-patient").expect("route");
    let policy = Policy::embedded();

    let started = Instant::now();
    for _ in 0..n / 10 {
        std::hint::black_box(signer.mint(&identity, audience, Duration::from_secs(600)).expect("token"));
    }
    let mint_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(n / 10);

    let now = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    for _ in 0..n {
        let id = verifier.verify(std::hint::black_box(&token), now).expect("valid");
        policy.allows(&id, route).expect("allowed");
    }
    let verify_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("token bytes: {}", token.len());
    println!("mint:            {mint_us:.1} µs per token ({} iterations)", n / 10);
    println!("verify + policy: {verify_us:.1} µs per request ({n} iterations, one core)");
}
