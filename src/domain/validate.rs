//! Field checks shared by every command: text length and control characters, numbers in range,
//! dates in order, a closing time in the future. Each failure is a `Rejection::Invalid` naming
//! the field, so the caller knows what to fix.

use chrono::{DateTime, NaiveDate, Utc};

use super::rejection::Rejection;

/// Largest magnitude accepted for a key result value, baseline or target.
pub const MAX_VALUE: f64 = 1e15;

/// Checks a text field: length in characters, and no control characters but newlines and tabs
/// where `multiline`.
pub(super) fn text(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<(), Rejection> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len < min {
        return Err(Rejection::invalid(field, "must not be empty"));
    }
    if len > max {
        return Err(Rejection::invalid(
            field,
            format!("is {len} characters long; the limit is {max}"),
        ));
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t')))
    {
        return Err(Rejection::invalid(
            field,
            format!(
                "contains the control character U+{:04X}; remove it",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// Checks a key result value, baseline or target: finite and within `MAX_VALUE`.
pub(super) fn number(field: &str, value: f64) -> Result<(), Rejection> {
    if value.is_finite() && value.abs() <= MAX_VALUE {
        Ok(())
    } else {
        Err(Rejection::invalid(
            field,
            format!("{value} is out of range: use a number between -1e15 and 1e15"),
        ))
    }
}

/// A due date may not come before the start date.
pub(super) fn check_dates(start: NaiveDate, due: NaiveDate) -> Result<(), Rejection> {
    if due < start {
        return Err(Rejection::invalid(
            "due",
            format!("{due} is before the start date {start}"),
        ));
    }
    Ok(())
}

/// A proposal's closing time, when given, must lie after `now`.
pub(super) fn check_closing(
    closes_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    match closes_at {
        Some(at) if at <= now => Err(Rejection::invalid(
            "closes_at",
            format!("{} is not in the future", at.to_rfc3339()),
        )),
        _ => Ok(()),
    }
}
