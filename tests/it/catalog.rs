//! The event catalog in `events/` agrees with the code: one JSON Schema per event type,
//! generated from the Rust types; every type documented in `events/README.md` with an example
//! taken from the sample ledger.

use goal_ledger::domain::Event;

use crate::golden;

#[test]
fn every_event_schema_file_matches_the_rust_type() {
    for (name, version, schema) in Event::schemas() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        golden::check(&format!("events/schemas/{name}.v{version}.json"), &text);
    }
    // Older versions stay, frozen, for the records written in them; nothing else is there.
    for file in std::fs::read_dir(golden::path("events/schemas")).unwrap() {
        let name = file.unwrap().file_name().into_string().unwrap();
        let known = Event::TYPES
            .iter()
            .any(|(kind, current)| (1..=*current).any(|v| name == format!("{kind}.v{v}.json")));
        assert!(known, "{name} is the schema of no event type's version");
    }
}

/// The "Event types" section of `events/README.md`, generated from the types' documentation and
/// the first record of each type in the sample ledger.
#[test]
fn the_catalog_readme_shows_every_event_type_with_an_example_from_the_sample() {
    let readme = std::fs::read_to_string(golden::path("events/README.md")).unwrap();
    let sample =
        std::fs::read_to_string(golden::path("events/samples/quarterly-goals.jsonl")).unwrap();
    let (begin, end) = ("<!-- event-types:begin -->\n", "<!-- event-types:end -->");
    let head = &readme[..readme.find(begin).expect("begin marker") + begin.len()];
    let tail = &readme[readme.find(end).expect("end marker")..];
    let mut block = String::new();
    for (name, version, schema) in Event::schemas() {
        let description = schema
            .schema
            .metadata
            .as_ref()
            .and_then(|m| m.description.clone())
            .unwrap_or_default();
        let example = sample
            .lines()
            .find(|l| l.contains(&format!("\"type\":\"{name}\"")))
            .unwrap_or_else(|| panic!("the sample has no {name}"));
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(example).unwrap(),
        )
        .unwrap();
        block += &format!(
            "### {name}\n\n{description}\n\nSchema: [`schemas/{name}.v{version}.json`](schemas/{name}.v{version}.json)\n\n```json\n{pretty}\n```\n\n"
        );
    }
    golden::check("events/README.md", &format!("{head}{block}{tail}"));
}
