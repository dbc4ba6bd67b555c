//! The route table is the one declaration of every endpoint: the OpenAPI document
//! (`openapi/spine.json`) names exactly its paths, methods and functions, and every function of
//! the table has a Lambda binary of that name.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;
use spine_shared::routes;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_openapi_document_names_exactly_the_routes() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("openapi/spine.json")).unwrap()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let function = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            documented.insert((method.to_ascii_uppercase(), path.clone(), function.to_owned()));
        }
    }
    let declared: BTreeSet<_> =
        routes::all().iter().map(|r| (r.method.clone(), r.path.clone(), r.function.clone())).collect();
    assert_eq!(documented, declared);
}

#[test]
fn every_function_has_a_lambda_binary_of_its_name() {
    for r in routes::all() {
        let bin = root().join("functions").join(&r.service).join("src/bin").join(format!("{}.rs", r.function));
        assert!(bin.exists(), "{} has no binary at {}", r.function, bin.display());
        let text = std::fs::read_to_string(&bin).unwrap();
        assert!(text.contains(&format!("\"{}\"", r.function)), "{} runs another function", bin.display());
    }
}

#[test]
fn the_local_gateway_has_a_handler_for_every_route() {
    let (_dir, store) = {
        let dir = tempfile::tempdir().unwrap();
        let store = spine_shared::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap();
        (dir, store)
    };
    let stores = support::identity::stores(std::sync::Arc::new(store.records()));
    let handlers = spine::services::handlers(&stores, "http://localhost").unwrap();
    assert_eq!(handlers.len(), routes::all().len());
}

#[test]
fn every_route_declares_a_known_activity_and_its_access_modes() {
    let policy = spine_shared::identity::Policy::embedded();
    let modes = ["healthcare-worker", "application", "patient"];
    for r in routes::all() {
        if r.is_mesh() {
            assert_eq!(r.service, "mesh", "{}: only MESH routes take NHSMESH tokens", r.function);
            assert!(r.access.is_empty() && !r.patient_data, "{}: a MESH route has no access modes", r.function);
            continue;
        }
        if r.is_public() {
            assert_eq!(r.service, "cis", "{}: only the token endpoint and the JWKS may be public", r.function);
            assert!(r.access.is_empty() && !r.patient_data, "{}: a public route has no access modes", r.function);
            continue;
        }
        assert!(
            policy.activities.contains_key(&r.activity),
            "{}: activity {:?} is not in policy.json",
            r.function,
            r.activity
        );
        assert!(!r.access.is_empty(), "{}: no access mode allowed", r.function);
        for m in &r.access {
            assert!(modes.contains(&m.as_str()), "{}: unknown access mode {m}", r.function);
        }
    }
}
