//! `scripts/build-lambdas.sh` gives the functions that link the S3 client a size budget of their
//! own (`S3_FUNCTIONS`). Those are exactly the MESH routes that touch chunk bytes — the only ones
//! whose binaries link S3 (`lambda::run` decides it at compile time) — so the list must name every
//! such function of the route table, and nothing else.

use std::collections::BTreeSet;

use spine_mesh::api::MeshRoute;

fn repo_file(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_s3_size_budget_names_exactly_the_routes_that_touch_chunks() {
    let script = repo_file("scripts/build-lambdas.sh");
    let line = script.lines().find(|l| l.starts_with("S3_FUNCTIONS=(")).expect("S3_FUNCTIONS=( … ) in the script");
    let listed: BTreeSet<&str> =
        line.trim_start_matches("S3_FUNCTIONS=(").split(')').next().unwrap().split_whitespace().collect();

    let routes: serde_json::Value = serde_json::from_str(&repo_file("shared/routes.json")).unwrap();
    let functions: BTreeSet<String> = routes["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["function"].as_str())
        .filter(|f| f.starts_with("mesh-"))
        .map(str::to_owned)
        .collect();
    assert_eq!(functions.len(), 13, "the MESH route functions: {functions:?}");
    let touching: BTreeSet<&str> = functions
        .iter()
        .filter(|f| MeshRoute::from_function(f).expect("a MESH route function").touches_chunks())
        .map(String::as_str)
        .collect();
    assert_eq!(touching.len(), 5);
    assert_eq!(listed, touching, "S3_FUNCTIONS in scripts/build-lambdas.sh");
}
