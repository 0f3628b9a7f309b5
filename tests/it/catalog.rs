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
    let files = std::fs::read_dir(golden::path("events/schemas"))
        .unwrap()
        .count();
    assert_eq!(
        files,
        Event::TYPES.len(),
        "a schema file without an event type, or the reverse"
    );
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

/// The independent Python verifier (`events/verify.py`, needs `pip install blake3`) agrees with
/// this program on the sample ledger, on a tampered copy, and against a digest.
#[test]
fn the_independent_python_verifier_agrees_with_the_program() {
    let sample = golden::path("events/samples/quarterly-goals.jsonl");
    let script = golden::path("events/verify.py");
    let text = std::fs::read_to_string(&sample).unwrap();
    let report = goal_ledger::ledger::verify_lines(text.as_bytes(), None, &mut |_| {}).unwrap();
    let python = |file: &std::path::Path, digest: Option<String>| {
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(&script).arg(file);
        if let Some(d) = digest {
            cmd.args(["--digest", &d]);
        }
        let out = cmd.output().expect("python3 runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !stderr.contains("No module named 'blake3'"),
            "install the verifier's dependency: pip install blake3"
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &stderr,
        )
    };
    let (code, out) = python(&sample, Some(report.head.to_string()));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("head {}", report.head)), "{out}");

    let dir = crate::support::temp_dir();
    let tampered = dir.path().join("tampered.jsonl");
    std::fs::write(
        &tampered,
        text.replacen("\"visits\",\"value\":4", "\"visits\",\"value\":5", 1),
    )
    .unwrap();
    let rust = goal_ledger::ledger::verify_lines(
        std::fs::read(&tampered).unwrap().as_slice(),
        None,
        &mut |_| {},
    )
    .unwrap();
    let bad = rust.first_bad.expect("the program finds the change");
    let (code, out) = python(&tampered, None);
    assert_eq!(code, Some(3), "{out}");
    // Python names the record whose prev no longer matches: the altered one's successor.
    assert!(
        out.contains(&format!("FAILED at record {}", bad.seq + 1)),
        "{out} vs {bad:?}"
    );
}
