//! Writes the generated export the scale benchmark imports (three teams, 1,000 adopted goals,
//! check-ins spread over them, and the goal `probe` with exactly 100 events), for scripts that
//! load a large ledger into the real binary (`benches/memory.sh`).
//!
//! `cargo bench --bench export -- EVENTS PATH`

mod common;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(n), Some(path)) = (args.first().and_then(|n| n.parse().ok()), args.get(1)) else {
        eprintln!("usage: cargo bench --bench export -- EVENTS PATH");
        std::process::exit(2);
    };
    common::export(n, std::path::Path::new(path));
}
