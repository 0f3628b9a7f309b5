//! The event catalog in `events/` agrees with the code: one JSON Schema per event type,
//! generated from the Rust types; every type documented in `events/README.md`.

use goal_ledger::domain::Event;

use crate::golden;

#[test]
fn every_event_schema_file_matches_the_rust_type() {
    for (name, version, schema) in Event::schemas() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        golden::check(&format!("events/schemas/{name}.v{version}.json"), &text);
    }
    let files = std::fs::read_dir(golden::path("events/schemas")).unwrap().count();
    assert_eq!(files, Event::TYPES.len(), "a schema file without an event type, or the reverse");
}

#[test]
fn every_event_type_is_documented_in_the_catalog_readme() {
    let readme = std::fs::read_to_string(golden::path("events/README.md")).unwrap();
    for (name, version) in Event::TYPES {
        assert!(readme.contains(&format!("### {name}")), "events/README.md lacks a section for {name}");
        assert!(readme.contains(&format!("schemas/{name}.v{version}.json")), "events/README.md does not link {name}'s schema");
    }
}
