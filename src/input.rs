//! Text forms of the domain's values that both faces read: key result specs
//! `NAME:BASELINE:TARGET[:UNIT]`, `KR=VALUE` pairs, dates (`YYYY-MM-DD` or RFC 3339) and times.
//! The command line parses its arguments and the HTTP API its query strings here. Every error
//! says what was expected, with an example.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::domain::{KeyResultSpec, KrName};

/// A problem with an argument: the message names the argument and shows the right form.
pub type ArgResult<T> = Result<T, String>;

fn number(what: &str, text: &str) -> ArgResult<f64> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{what}: {text:?} is not a number"))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("{what}: {text:?} is not a finite number"))
    }
}

/// `NAME:BASELINE:TARGET[:UNIT]`, e.g. `visits:40000:48000:visits/month`.
pub fn key_result(spec: &str) -> ArgResult<KeyResultSpec> {
    let parts: Vec<&str> = spec.splitn(4, ':').collect();
    let [name, baseline, target, rest @ ..] = parts.as_slice() else {
        return Err(format!(
            "key result {spec:?}: use NAME:BASELINE:TARGET[:UNIT], for example visits:40000:48000:visits/month"
        ));
    };
    Ok(KeyResultSpec {
        name: KrName::parse(name).map_err(|e| e.to_string())?,
        unit: rest.first().copied().unwrap_or("").to_owned(),
        baseline: number(&format!("baseline of {name}"), baseline)?,
        target: number(&format!("target of {name}"), target)?,
        weight: None,
    })
}

/// `KR=VALUE`, e.g. `visits=46000`.
pub fn kr_value(pair: &str) -> ArgResult<(KrName, f64)> {
    let (name, value) = pair
        .split_once('=')
        .ok_or_else(|| format!("{pair:?}: use KR=VALUE, for example visits=46000"))?;
    Ok((
        KrName::parse(name).map_err(|e| e.to_string())?,
        number(name, value)?,
    ))
}

/// A date: `YYYY-MM-DD`, or the date of an RFC 3339 time.
pub fn date(text: &str) -> ArgResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc).date_naive()))
        .map_err(|_| format!("{text:?} is not a date: use YYYY-MM-DD, for example 2026-09-30"))
}

/// A time: RFC 3339, or `YYYY-MM-DD` meaning the start of that day (UTC), or its end with
/// `end_of_day`.
pub fn time(text: &str, end_of_day: bool) -> ArgResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!(
            "{text:?} is not a time: use RFC 3339 (2026-08-01T12:00:00Z) or a date (2026-08-01)"
        )
    })?;
    let at = if end_of_day {
        NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
    } else {
        NaiveTime::from_hms_opt(0, 0, 0)
    };
    Ok(day.and_time(at.unwrap_or_default()).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_result_specs_take_an_optional_unit_that_may_hold_colons() {
        let kr = key_result("visits:40000:48000:visits/month").unwrap();
        assert_eq!(
            (kr.baseline, kr.target, kr.unit.as_str()),
            (40000.0, 48000.0, "visits/month")
        );
        assert_eq!(key_result("t:5:2:h:m").unwrap().unit, "h:m");
        assert!(key_result("visits:40000")
            .unwrap_err()
            .contains("NAME:BASELINE:TARGET"));
        assert!(key_result("visits:x:1")
            .unwrap_err()
            .contains("not a number"));
        assert!(key_result("visits:NaN:1").unwrap_err().contains("finite"));
    }

    #[test]
    fn dates_and_times_accept_both_forms() {
        assert_eq!(date("2026-09-30").unwrap().to_string(), "2026-09-30");
        assert_eq!(
            date("2026-09-30T23:00:00Z").unwrap().to_string(),
            "2026-09-30"
        );
        assert!(date("30/09/2026").is_err());
        assert_eq!(
            time("2026-09-30", true).unwrap().to_rfc3339(),
            "2026-09-30T23:59:59.999999+00:00"
        );
        assert_eq!(
            time("2026-09-30", false).unwrap().to_rfc3339(),
            "2026-09-30T00:00:00+00:00"
        );
    }
}
