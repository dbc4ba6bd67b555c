//! PDS JSON Patch: the body `{"patches": [...]}` applied to a patient all or nothing, with the
//! rules PDS adds to RFC 6902 — adds to a top-level list use the index `-`; a list item is
//! replaced whole only with its `id` (or, for an extension, its `url`), and changed in part only
//! after an operation naming its `id`; a list item is removed only straight after a `test` of it.
//! Operations are checked and applied one at a time on a working copy, so index shifts from earlier
//! operations are seen exactly as RFC 6902 applies them.

use serde_json::Value;
use spine_shared::fhir::Patient;
use spine_shared::{ErrorCode, SpineError, SpineResult};

/// Top-level fields that are lists.
const LISTS: [&str; 7] = ["name", "address", "telecom", "contact", "generalPractitioner", "extension", "identifier"];
/// Lists whose items carry an `id`.
const ID_LISTS: [&str; 5] = ["name", "address", "telecom", "contact", "generalPractitioner"];
/// Fields no patch may touch.
const READ_ONLY: [&str; 4] = ["resourceType", "id", "meta", "identifier"];
/// The most operations in one update.
pub const MAX_PATCHES: usize = 100;

fn invalid(why: impl AsRef<str>) -> SpineError {
    SpineError::new(ErrorCode::InvalidUpdate, format!("Invalid patch - {}", why.as_ref()))
}

struct Op {
    op: String,
    path: String,
    segments: Vec<String>,
    value: Option<Value>,
    raw: Value,
}

/// Decodes a JSON pointer into its segments (`~1` → `/`, `~0` → `~`).
fn segments(path: &str) -> SpineResult<Vec<String>> {
    let rest = path.strip_prefix('/').ok_or_else(|| invalid(format!("path '{path}' must start with '/'")))?;
    Ok(rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect())
}

/// Parses the request body into operations.
fn parse(body: &[u8]) -> SpineResult<Vec<Op>> {
    let doc: Value = serde_json::from_slice(body).map_err(|_| invalid("the body is not valid JSON"))?;
    let Some(obj) = doc.as_object() else { return Err(invalid("the body must be an object with 'patches'")) };
    if let Some(extra) = obj.keys().find(|k| *k != "patches") {
        return Err(SpineError::new(
            ErrorCode::AdditionalProperties,
            format!("Invalid patch - unexpected property '{extra}'"),
        ));
    }
    let Some(list) = obj.get("patches").and_then(Value::as_array) else {
        return Err(invalid("the body must have a 'patches' list"));
    };
    if list.is_empty() {
        return Err(SpineError::new(
            ErrorCode::TooFewValuesSubmitted,
            "Invalid patch - 'patches' must hold at least one operation",
        ));
    }
    if list.len() > MAX_PATCHES {
        return Err(SpineError::new(
            ErrorCode::TooManyValuesSubmitted,
            format!("Invalid patch - at most {MAX_PATCHES} operations"),
        ));
    }
    list.iter()
        .map(|raw| {
            let o = raw.as_object().ok_or_else(|| invalid("each patch must be an object"))?;
            let op = o.get("op").and_then(Value::as_str).ok_or_else(|| invalid("each patch needs an 'op'"))?.to_owned();
            let path =
                o.get("path").and_then(Value::as_str).ok_or_else(|| invalid("each patch needs a 'path'"))?.to_owned();
            if !["add", "replace", "remove", "test"].contains(&op.as_str()) {
                return Err(invalid(format!("operation '{op}' is not supported")));
            }
            let value = o.get("value").cloned();
            match (op.as_str(), &value) {
                ("remove", Some(_)) => return Err(invalid("a 'remove' takes no value")),
                ("add" | "replace" | "test", None) => return Err(invalid(format!("'{op}' needs a value"))),
                _ => {}
            }
            if let Some(k) = o.keys().find(|k| !["op", "path", "value"].contains(&k.as_str())) {
                return Err(SpineError::new(
                    ErrorCode::AdditionalProperties,
                    format!("Invalid patch - unexpected property '{k}'"),
                ));
            }
            let segments = segments(&path)?;
            Ok(Op { op, path, segments, value, raw: raw.clone() })
        })
        .collect()
}

fn index_of(segment: &str) -> Option<usize> {
    (!segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())).then(|| segment.parse().ok()).flatten()
}

/// The list item an operation's path points into (`/name/0/...` → the name at 0), if any.
fn list_item<'a>(doc: &'a Value, op: &Op) -> Option<&'a Value> {
    let i = index_of(op.segments.get(1)?)?;
    doc.get(op.segments[0].as_str())?.get(i)
}

/// Checks one operation against the PDS rules, given the document before it and the operations
/// before it.
fn check(doc: &Value, ops: &[Op], at: usize) -> SpineResult<()> {
    let op = &ops[at];
    let field = op.segments[0].as_str();
    if op.path == "/" || field.is_empty() {
        return Err(invalid("the whole resource cannot be patched"));
    }
    if READ_ONLY.contains(&field) {
        return Err(SpineError::new(
            ErrorCode::InvalidUpdate,
            format!("Invalid update with error - '{field}' cannot be updated"),
        ));
    }
    if !LISTS.contains(&field) || op.op == "test" {
        return Ok(());
    }
    let depth = op.segments.len();
    if depth == 1 {
        // The whole list.
        return if op.op == "remove" {
            Err(invalid(format!("remove the items of '{field}' one at a time, each after a test")))
        } else {
            Ok(())
        };
    }
    let item_segment = op.segments[1].as_str();
    if depth == 2 {
        match op.op.as_str() {
            "add" if item_segment != "-" => return Err(invalid(format!("an add to '{field}' must use the index '-'"))),
            "add" => return Ok(()),
            _ => {}
        }
        let current = list_item(doc, op).ok_or_else(|| invalid(format!("'{}' does not exist", op.path)))?;
        if op.op == "replace" {
            let key = if field == "extension" { "url" } else { "id" };
            if let Some(existing) = current.get(key)
                && op.value.as_ref().and_then(|v| v.get(key)) != Some(existing)
            {
                return Err(invalid(format!("a replace of '{}' must carry the item's {key}", op.path)));
            }
        }
        if op.op == "remove" {
            let tested = at.checked_sub(1).map(|p| &ops[p]).is_some_and(|prev| {
                prev.op == "test"
                    && (prev.path == op.path
                        || prev.path == format!("{}/id", op.path)
                        || prev.path == format!("{}/url", op.path))
            });
            if !tested {
                return Err(invalid(format!("a remove of '{}' must immediately follow a test of it", op.path)));
            }
        }
        return Ok(());
    }
    // A part of a list item.
    if item_segment == "-" {
        return Err(invalid(format!("'{}' does not name an existing item", op.path)));
    }
    if op.op == "remove" && op.segments.last().is_some_and(|s| index_of(s).is_some()) {
        return Err(invalid("remove whole list items only; replace the item to change its parts"));
    }
    if ID_LISTS.contains(&field) {
        let Some(id) = list_item(doc, op).and_then(|item| item.get("id")) else { return Ok(()) };
        let id_path = format!("/{field}/{item_segment}/id");
        let names_id = |o: &Op| o.path == id_path && o.op != "remove" && o.value.as_ref() == Some(id);
        if !(names_id(op) || ops[..at].iter().any(names_id)) {
            return Err(invalid(format!("a change to '{}' must first name the item's id at '{id_path}'", op.path)));
        }
    }
    Ok(())
}

/// Applies the patch body to `patient` and returns the patched resource, or the first rule it
/// breaks. `patient` itself is never changed.
pub fn apply(patient: &Patient, body: &[u8]) -> SpineResult<Patient> {
    let ops = parse(body)?;
    let mut doc = serde_json::to_value(patient).map_err(SpineError::internal)?;
    for at in 0..ops.len() {
        check(&doc, &ops, at)?;
        let op: json_patch::PatchOperation =
            serde_json::from_value(ops[at].raw.clone()).map_err(|_| invalid(format!("operation {at} is malformed")))?;
        json_patch::patch(&mut doc, &[op]).map_err(|e| match e.kind {
            json_patch::PatchErrorKind::TestFailed => invalid(format!("test failed at '{}'", ops[at].path)),
            _ => invalid(format!("'{}' cannot be applied: the path does not exist", ops[at].path)),
        })?;
    }
    serde_json::from_value::<Patient>(doc).map_err(|e| {
        let msg = e.to_string();
        match msg.split('`').nth(1) {
            Some(field) if msg.starts_with("unknown field") => SpineError::new(
                ErrorCode::InvalidUpdate,
                format!("Invalid update with error - Update unsupported for resource - '{field}'"),
            ),
            _ => SpineError::new(
                ErrorCode::InvalidUpdate,
                "Invalid update with error - the patched resource is not a valid Patient",
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patient() -> Patient {
        serde_json::from_value(json!({
            "resourceType": "Patient",
            "id": "9000000009",
            "gender": "female",
            "name": [
                {"id": "2", "use": "usual", "family": "Parker", "given": ["Mary"]},
                {"id": "3", "use": "nickname", "family": "Irwin"},
                {"id": "4", "use": "temp", "family": "Bruce", "period": {"start": "2020-01-01"}},
                {"id": "5", "use": "old", "family": "Sharpe"}
            ],
            "extension": [{"url": "https://example/ext-a", "valueString": "a"}]
        }))
        .unwrap()
    }

    fn run(patches: serde_json::Value) -> SpineResult<Patient> {
        apply(&patient(), json!({"patches": patches}).to_string().as_bytes())
    }

    fn families(p: &Patient) -> Vec<String> {
        p.name.iter().map(|n| n.family.clone().unwrap_or_default()).collect()
    }

    #[test]
    fn replaces_a_simple_field() {
        let p = run(json!([{"op": "replace", "path": "/gender", "value": "male"}])).unwrap();
        assert_eq!(p.gender.as_deref(), Some("male"));
    }

    #[test]
    fn adds_to_lists_only_with_the_dash_index() {
        let p = run(json!([{"op": "add", "path": "/name/-", "value": {"use": "temp", "family": "New"}}])).unwrap();
        assert_eq!(p.name.len(), 5);
        let e = run(json!([{"op": "add", "path": "/name/0", "value": {"family": "New"}}])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUpdate);
    }

    #[test]
    fn removes_follow_a_test_and_indexes_shift_as_rfc_6902_says() {
        // The specification's example 1: both removals use index 1.
        let p = run(json!([
            {"op": "test", "path": "/name/1/id", "value": "3"},
            {"op": "remove", "path": "/name/1"},
            {"op": "test", "path": "/name/1/id", "value": "4"},
            {"op": "remove", "path": "/name/1"}
        ]))
        .unwrap();
        assert_eq!(families(&p), vec!["Parker", "Sharpe"]);
        // Example 2: descending indexes.
        let p = run(json!([
            {"op": "test", "path": "/name/2/id", "value": "4"},
            {"op": "remove", "path": "/name/2"},
            {"op": "test", "path": "/name/1/id", "value": "3"},
            {"op": "remove", "path": "/name/1"}
        ]))
        .unwrap();
        assert_eq!(families(&p), vec!["Parker", "Sharpe"]);
        // Example 3, the failure: after the first removal, index 2 holds id 5, so the test fails.
        let e = run(json!([
            {"op": "test", "path": "/name/1/id", "value": "3"},
            {"op": "remove", "path": "/name/1"},
            {"op": "test", "path": "/name/2/id", "value": "4"},
            {"op": "remove", "path": "/name/2"}
        ]))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUpdate);
    }

    #[test]
    fn a_remove_without_the_test_straight_before_it_is_refused() {
        let e = run(json!([{"op": "remove", "path": "/name/1"}])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUpdate);
        let e = run(json!([
            {"op": "test", "path": "/name/1/id", "value": "3"},
            {"op": "replace", "path": "/gender", "value": "male"},
            {"op": "remove", "path": "/name/1"}
        ]))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUpdate);
        // A test of the whole object or of an extension's url also counts.
        run(json!([
            {"op": "test", "path": "/extension/0/url", "value": "https://example/ext-a"},
            {"op": "remove", "path": "/extension/0"}
        ]))
        .unwrap();
    }

    #[test]
    fn replacing_a_whole_item_needs_its_id() {
        let e =
            run(json!([{"op": "replace", "path": "/name/0", "value": {"use": "usual", "family": "X"}}])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUpdate);
        let p = run(json!([{"op": "replace", "path": "/name/0", "value": {"id": "2", "use": "usual", "family": "X"}}]))
            .unwrap();
        assert_eq!(families(&p)[0], "X");
    }

    #[test]
    fn changing_part_of_an_item_needs_its_id_named_first() {
        let e = run(json!([{"op": "add", "path": "/name/0/given/-", "value": "Rose"}])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUpdate);
        let p = run(json!([
            {"op": "add", "path": "/name/0/id", "value": "2"},
            {"op": "add", "path": "/name/0/given/0", "value": "Rose"}
        ]))
        .unwrap();
        assert_eq!(p.name[0].given, vec!["Rose", "Mary"]);
        let p = run(json!([
            {"op": "replace", "path": "/name/0/id", "value": "2"},
            {"op": "replace", "path": "/name/0/family", "value": "Smith"}
        ]))
        .unwrap();
        assert_eq!(families(&p)[0], "Smith");
    }

    #[test]
    fn nothing_applies_when_one_operation_fails() {
        let original = patient();
        let e = apply(
            &original,
            json!({"patches": [
                {"op": "replace", "path": "/gender", "value": "male"},
                {"op": "test", "path": "/name/0/id", "value": "nope"}
            ]})
            .to_string()
            .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUpdate);
        assert_eq!(original, patient());
    }

    #[test]
    fn malformed_bodies_and_operations() {
        for (body, code) in [
            ("not json", ErrorCode::InvalidUpdate),
            ("[]", ErrorCode::InvalidUpdate),
            ("{}", ErrorCode::InvalidUpdate),
            (r#"{"patches": []}"#, ErrorCode::TooFewValuesSubmitted),
            (r#"{"patches": [], "x": 1}"#, ErrorCode::AdditionalProperties),
            (r#"{"patches": [{"op": "move", "from": "/a", "path": "/b"}]}"#, ErrorCode::InvalidUpdate),
            (r#"{"patches": [{"op": "add", "path": "/gender"}]}"#, ErrorCode::InvalidUpdate),
            (r#"{"patches": [{"op": "remove", "path": "/gender", "value": 1}]}"#, ErrorCode::InvalidUpdate),
            (r#"{"patches": [{"op": "replace", "path": "gender", "value": "male"}]}"#, ErrorCode::InvalidUpdate),
            (r#"{"patches": [{"op": "replace", "path": "/id", "value": "9000000017"}]}"#, ErrorCode::InvalidUpdate),
            (r#"{"patches": [{"op": "add", "path": "/pets", "value": "cat"}]}"#, ErrorCode::InvalidUpdate),
            (r#"{"patches": [{"op": "replace", "path": "/birthDate/x", "value": "1"}]}"#, ErrorCode::InvalidUpdate),
        ] {
            let e = apply(&patient(), body.as_bytes()).unwrap_err();
            assert_eq!(e.code, code, "{body}");
        }
        let e = apply(&patient(), br#"{"patches": [{"op": "add", "path": "/pets", "value": "cat"}]}"#).unwrap_err();
        assert!(e.diagnostics.contains("'pets'"), "{}", e.diagnostics);
    }
}
