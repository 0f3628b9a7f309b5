//! How numbers and durations read in reports, charts and the CLI's tables: whole numbers without
//! a fraction, others to two places, progress as a percentage, durations in the unit that reads
//! best.

/// A number as reports show it: `48000`, `0.25`, `1.33`.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{}", (v * 100.0).round() / 100.0)
    }
}

/// A changed field's value as a reader says it: text without JSON quotes, numbers as `number`
/// writes them, `none` for null; lists and objects as JSON. Not escaped.
pub fn value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.as_f64().map(number).unwrap_or_default(),
        serde_json::Value::Null => "none".into(),
        other => other.to_string(),
    }
}

/// A fraction as a whole percentage: `0.96` → `96%`.
pub fn percent(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

/// A duration in minutes, hours or days, whichever reads best.
pub fn hours(seconds: i64) -> String {
    match seconds {
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 2 * 86_400 => format!("{:.1} h", s as f64 / 3600.0),
        s => format!("{:.1} days", s as f64 / 86_400.0),
    }
}
