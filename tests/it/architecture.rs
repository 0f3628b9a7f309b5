//! The code map's architecture invariants (`src/lib.rs`), checked on the source text: which
//! module may name which, where sled, the environment and the clock may be touched, that test
//! doors are behind the `tamper` feature, and how large a file or function may grow. A rule
//! broken here is a claim in `lib.rs` that stopped being true: change the code or the claim.

use std::path::{Path, PathBuf};

/// A source file: its path under `src/` (with `/`) and its lines, comments and tests left out.
struct Source {
    path: String,
    code: Vec<(usize, String)>,
    lines: usize,
    text: String,
}

fn sources() -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).expect("a source file is text");
            let path = file
                .strip_prefix(&root)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            // Unit tests at the end of a file may use anything; doc comments are prose.
            let body = text.split("#[cfg(test)]").next().unwrap_or("");
            let code = body
                .lines()
                .enumerate()
                .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("").to_owned()))
                .filter(|(_, l)| !l.trim().is_empty())
                .collect();
            let code = expand_groups(code);
            Source {
                path,
                code,
                lines: text.lines().count(),
                text,
            }
        })
        .collect()
}

/// `use crate::{a, b::c};` (one line or several) read as `crate::a crate::b::c`, on the line
/// where the group opens, so that a grouped import is held to the same rules.
fn expand_groups(code: Vec<(usize, String)>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut group: Option<(usize, String)> = None;
    for (n, line) in code {
        let (start, text) = match group.take() {
            Some((start, mut text)) => {
                text.push_str(&line);
                (start, text)
            }
            None if line.contains("crate::{") => (n, line.clone()),
            None => {
                out.push((n, line));
                continue;
            }
        };
        let open = text.find("crate::{").map_or(0, |i| i + "crate::{".len());
        let inner = &text[open..];
        let mut depth = 1;
        let Some(end) = inner.find(|c| {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            depth == 0
        }) else {
            group = Some((start, text));
            continue;
        };
        let names: Vec<String> = inner[..end]
            .split(',')
            .map(|item| format!("crate::{}", item.trim().trim_start_matches('{')))
            .collect();
        out.push((start, format!("{} {}", &text[..open], names.join(" "))));
    }
    out.extend(group);
    out
}

/// Every line of a file outside `allowed` that contains `needle`, as `path:line`.
fn offenders(needle: &str, allowed: impl Fn(&str) -> bool) -> Vec<String> {
    sources()
        .iter()
        .filter(|s| !allowed(&s.path))
        .flat_map(|s| {
            s.code
                .iter()
                .filter(|(_, l)| l.contains(needle))
                .map(|(n, _)| format!("{}:{n}", s.path))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn under(path: &str, dirs: &[&str]) -> bool {
    dirs.iter()
        .any(|d| path == *d || path.starts_with(&format!("{d}/")) || path == format!("{d}.rs"))
}

fn assert_none(rule: &str, found: Vec<String>) {
    assert!(found.is_empty(), "{rule}, but: {}", found.join(", "));
}

#[test]
fn only_the_command_line_names_the_command_line() {
    assert_none(
        "only `cli` (and main.rs) may name `crate::cli`",
        offenders("crate::cli", |p| under(p, &["cli", "main"])),
    );
}

#[test]
fn only_the_faces_and_the_composition_root_name_http_and_web() {
    for needle in ["crate::http", "crate::web"] {
        assert_none(
            &format!("only http, web and server.rs may name `{needle}`"),
            offenders(needle, |p| under(p, &["http", "web", "server"])),
        );
    }
    assert_none(
        "only cli (serve) and main.rs may start a server",
        offenders("crate::server", |p| under(p, &["cli", "main"])),
    );
}

#[test]
fn only_store_touches_sled_or_a_database_client() {
    for needle in [
        "sled::",
        "tokio_postgres",
        "deadpool",
        "SledStore",
        "PgStore",
    ] {
        assert_none(
            &format!("only `store` may name `{needle}`"),
            offenders(needle, |p| under(p, &["store"])),
        );
    }
}

#[test]
fn only_config_and_main_read_the_environment() {
    for needle in ["std::env", "env::var"] {
        assert_none(
            &format!("only config.rs and main.rs may use `{needle}`"),
            offenders(needle, |p| under(p, &["config", "main"])),
        );
    }
}

#[test]
fn the_domain_does_no_io_reads_no_clock_and_names_no_other_module() {
    for needle in [
        "std::fs",
        "std::net",
        "std::io",
        "tokio",
        "Utc::now",
        "SystemTime",
        "Instant::now",
        "crate::ledger",
        "crate::store",
        "crate::projections",
        "crate::record",
        "crate::report",
        "crate::api",
        "crate::input",
        "crate::config",
    ] {
        assert_none(
            &format!("the domain may not use `{needle}`"),
            offenders(needle, |p| !under(p, &["domain"])),
        );
    }
}

#[test]
fn lower_layers_name_no_layer_above_them() {
    let rules: &[(&[&str], &[&str])] = &[
        (&["record"], &["crate::store", "crate::ledger"]),
        (&["store"], &["crate::ledger", "crate::projections"]),
        (
            &["proofs"],
            &[
                "crate::store",
                "crate::ledger",
                "crate::projections",
                "crate::domain",
                "crate::record",
            ],
        ),
        (
            &[
                "ledger",
                "projections",
                "store",
                "record",
                "domain",
                "input",
            ],
            &[
                "crate::report",
                "crate::render",
                "crate::api",
                "crate::jobs",
            ],
        ),
        (
            &["report", "render"],
            &[
                "crate::api",
                "crate::jobs",
                "crate::web",
                "crate::cli",
                "axum",
                "reqwest",
            ],
        ),
        (&["report"], &["crate::render"]),
        (&["http"], &["crate::render", "crate::report"]),
        (
            &["api"],
            &["axum", "reqwest", "crate::jobs", "crate::report"],
        ),
        (&["jobs"], &["axum", "crate::api"]),
        (
            &[
                "ledger",
                "projections",
                "store",
                "record",
                "domain",
                "input",
                "api",
                "report",
                "render",
                "jobs",
                "proofs",
            ],
            &["crate::notify"],
        ),
        (
            &["notify"],
            &[
                "crate::http",
                "crate::web",
                "crate::cli",
                "crate::report",
                "crate::render",
                "crate::store",
            ],
        ),
    ];
    for (modules, needles) in rules {
        for needle in *needles {
            assert_none(
                &format!("{modules:?} may not name `{needle}`"),
                offenders(needle, |p| !under(p, modules)),
            );
        }
    }
}

/// The lines of each file that exist only with the `tamper` feature: the item after each
/// `#[cfg(feature = "tamper")]` (to its closing brace), and whole files whose `mod` is gated.
fn tamper_gated() -> Vec<(String, Vec<bool>)> {
    let sources = sources();
    let mut gated_files = Vec::new();
    let mut out = Vec::new();
    for s in &sources {
        let lines: Vec<&str> = s.text.lines().collect();
        let mut gated = vec![false; lines.len()];
        let dir = s.path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        for (i, line) in lines.iter().enumerate() {
            if line.trim() != "#[cfg(feature = \"tamper\")]" {
                continue;
            }
            let Some(item) = (i + 1..lines.len()).find(|&j| !lines[j].trim().starts_with("#["))
            else {
                continue;
            };
            let trimmed = lines[item].trim_start();
            if let Some(name) = trimmed
                .strip_prefix("mod ")
                .and_then(|r| r.strip_suffix(';'))
            {
                let base = if s.path.ends_with("mod.rs") || s.path == "lib.rs" {
                    dir.clone()
                } else {
                    s.path.trim_end_matches(".rs").to_owned()
                };
                let prefix = if base.is_empty() {
                    String::new()
                } else {
                    format!("{base}/")
                };
                gated_files.push(format!("{prefix}{name}.rs"));
                gated_files.push(format!("{prefix}{name}/mod.rs"));
            }
            let indent = lines[item].len() - trimmed.len();
            let close = format!("{}}}", " ".repeat(indent));
            let end = match lines[item].trim_end().ends_with('{') {
                true => (item..lines.len())
                    .find(|&j| lines[j] == close)
                    .unwrap_or(item),
                false => item,
            };
            gated[i..=end].iter_mut().for_each(|g| *g = true);
        }
        out.push((s.path.clone(), gated));
    }
    for (path, gated) in &mut out {
        if gated_files.contains(path) {
            gated.iter_mut().for_each(|g| *g = true);
        }
    }
    out
}

#[test]
fn test_doors_exist_only_with_the_tamper_feature() {
    let gated = tamper_gated();
    let mut found = Vec::new();
    for s in sources() {
        let lines = &gated
            .iter()
            .find(|(p, _)| *p == s.path)
            .expect("every file")
            .1;
        for (i, line) in s.text.lines().enumerate() {
            if line.contains("fn tamper") && !lines[i] {
                found.push(format!("{}:{}", s.path, i + 1));
            }
        }
    }
    assert_none(
        "every `tamper` door sits behind #[cfg(feature = \"tamper\")]",
        found,
    );
}

/// Files allowed past the size limit, with the reason: declarative tables read as one.
const LONG_FILES: &[(&str, &str)] = &[];

#[test]
fn no_source_file_outgrows_six_hundred_lines() {
    let found: Vec<String> = sources()
        .iter()
        .filter(|s| s.lines > 600 && !LONG_FILES.iter().any(|(p, _)| *p == s.path))
        .map(|s| format!("{} ({} lines)", s.path, s.lines))
        .collect();
    assert_none("no file under src/ is over 600 lines", found);
}

/// Functions allowed past the size limit, with the reason.
const LONG_FUNCTIONS: &[(&str, &str)] = &[(
    "http/openapi.rs:document",
    "one JSON document, field by field, as the OpenAPI format lays it out",
)];

#[test]
fn no_function_outgrows_a_hundred_and_twenty_lines() {
    let mut found = Vec::new();
    for s in sources() {
        let lines: Vec<&str> = s.text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let trimmed = lines[i].trim_start();
            let name = [
                "pub fn ",
                "fn ",
                "pub(crate) fn ",
                "async fn ",
                "pub async fn ",
            ]
            .iter()
            .find_map(|p| trimmed.strip_prefix(p))
            .and_then(|rest| rest.split(['(', '<']).next());
            let (Some(name), true) = (name, lines[i].ends_with('{') || !lines[i].contains(';'))
            else {
                i += 1;
                continue;
            };
            // The body ends at the first line indented like the signature that closes it.
            let indent = lines[i].len() - trimmed.len();
            let close = format!("{}}}", " ".repeat(indent));
            let end = (i + 1..lines.len())
                .find(|&j| lines[j] == close)
                .unwrap_or(i);
            let key = format!("{}:{name}", s.path);
            if end - i + 1 > 120 && !LONG_FUNCTIONS.iter().any(|(k, _)| *k == key) {
                found.push(format!("{key} ({} lines)", end - i + 1));
            }
            i += 1;
        }
    }
    assert_none("no function under src/ is over 120 lines", found);
}

#[test]
fn html_and_svg_are_written_only_by_templates_that_escape() {
    assert_none(
        "markup is written with maud's `html!`, not formatted into strings",
        offenders("\"<", |_| false),
    );
    assert_none(
        "only the page frame's own style sheet is passed to maud unescaped",
        offenders("PreEscaped", |p| p == "render/html.rs"),
    );
}
