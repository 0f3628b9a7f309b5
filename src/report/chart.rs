//! An SVG chart of one key result, drawn without JavaScript: values over time from check-ins
//! (points coloured by health), the target as a line that steps where an adjustment changed it,
//! the baseline, and markers for adjustments and decisions whose reason shows on hover
//! (`<title>`). Axis labels are spaced by the width so they never overlap.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::markdown::number;
use super::{GoalRetro, KeyResultReport};
use crate::domain::Health;

/// Escapes text for XML content and attributes.
pub fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

pub fn health_colour(h: Health) -> &'static str {
    match h {
        Health::OnTrack => "#2e7d32",
        Health::AtRisk => "#f9a825",
        Health::OffTrack => "#c62828",
    }
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 46.0;

/// Nice round steps for the value axis: 1, 2 or 5 times a power of ten.
fn nice_step(span: f64, ticks: f64) -> f64 {
    let raw = (span / ticks).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let normalized = raw / magnitude;
    let nice = if normalized <= 1.0 {
        1.0
    } else if normalized <= 2.0 {
        2.0
    } else if normalized <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn short(v: f64) -> String {
    match v.abs() {
        a if a >= 1e6 => format!("{}M", number(v / 1e6)),
        a if a >= 1e4 => format!("{}k", number(v / 1e3)),
        _ => number(v),
    }
}

/// The SVG for key result `kr` of `retro`.
pub fn key_result(retro: &GoalRetro, kr: &KeyResultReport) -> String {
    let start = retro
        .as_adopted
        .as_ref()
        .map_or(retro.as_ended.start, |d| d.start.min(retro.as_ended.start));
    let t0 = start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let mut t1 = retro
        .as_ended
        .due
        .and_hms_opt(23, 59, 59)
        .unwrap_or_default()
        .and_utc();
    for p in &kr.check_ins {
        t1 = t1.max(p.at);
    }
    if let Some(c) = retro.closed_at {
        t1 = t1.max(c);
    }
    let span_secs = (t1 - t0).num_seconds().max(1) as f64;

    let mut values: Vec<f64> = vec![kr.baseline];
    values.extend(kr.targets.iter().map(|t| t.target));
    values.extend(kr.check_ins.iter().map(|p| p.value));
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    if (hi - lo).abs() < f64::EPSILON {
        hi += 1.0;
        lo -= 1.0;
    }
    let step = nice_step(hi - lo, 5.0);
    let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);

    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |t: DateTime<Utc>| {
        LEFT + ((t - t0).num_seconds() as f64 / span_secs).clamp(0.0, 1.0) * plot_w
    };
    let y = |v: f64| TOP + (1.0 - (v - lo) / (hi - lo)) * plot_h;

    let unit = xml(&kr.unit);
    let mut o = String::new();
    let _ = write!(
        o,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="t-{name}" font-family="system-ui, sans-serif" font-size="12"><title id="t-{name}">{name}: {baseline} → {target} {unit}</title>"##,
        name = xml(kr.name.as_str()),
        baseline = number(kr.baseline),
        target = kr
            .targets
            .last()
            .map(|t| number(t.target))
            .unwrap_or_default(),
    );
    let _ = write!(
        o,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ddd"/>"##
    );

    // Value axis: nice ticks with grid lines.
    let mut v = lo;
    while v <= hi + step / 2.0 {
        let yy = y(v);
        let _ = write!(
            o,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            short(v)
        );
        v += step;
    }
    let _ = write!(
        o,
        r##"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle" fill="#555">{}</text>"##,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        if unit.is_empty() {
            xml(kr.name.as_str())
        } else {
            unit.clone()
        }
    );

    // Time axis: weekly or monthly ticks, as many as fit (one label per 80 px at most).
    let max_labels = (plot_w / 80.0).floor().max(2.0) as i64;
    let days = (t1 - t0).num_days().max(1);
    let mut ticks: Vec<NaiveDate> = Vec::new();
    if days <= 7 * max_labels {
        let every = (days / max_labels).max(1);
        let mut d = start;
        while d <= t1.date_naive() {
            ticks.push(d);
            d += Duration::days(every);
        }
    } else {
        let months = (days / 30).max(1);
        let every = (months / max_labels + 1).max(1) as u32;
        let mut d = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or(start);
        while d <= t1.date_naive() {
            if d >= start {
                ticks.push(d);
            }
            let m = d.month0() + every;
            d = NaiveDate::from_ymd_opt(d.year() + (m / 12) as i32, m % 12 + 1, 1)
                .unwrap_or(NaiveDate::MAX);
        }
    }
    for d in &ticks {
        let xx = x(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        let _ = write!(
            o,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{}" y2="{}" stroke="#999"/><text x="{xx:.1}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 5.0,
            TOP + plot_h + 18.0,
            d.format("%b %-d")
        );
    }
    let _ = write!(
        o,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">{} – {}</text>"##,
        LEFT + plot_w / 2.0,
        HEIGHT - 6.0,
        start,
        t1.date_naive()
    );

    // Baseline, and the target stepping at each adjustment.
    let _ = write!(
        o,
        r##"<line x1="{LEFT}" x2="{}" y1="{by:.1}" y2="{by:.1}" stroke="#9e9e9e" stroke-dasharray="2 3"><title>baseline {}</title></line>"##,
        WIDTH - RIGHT,
        number(kr.baseline),
        by = y(kr.baseline)
    );
    let mut path = String::new();
    for (i, step) in kr.targets.iter().enumerate() {
        let from = if i == 0 { t0 } else { step.from };
        let _ = write!(
            path,
            "{}{:.1},{:.1} ",
            if i == 0 { "M" } else { "L" },
            x(from),
            y(step.target)
        );
        let until = kr.targets.get(i + 1).map_or(t1, |n| n.from);
        let _ = write!(path, "L{:.1},{:.1} ", x(until), y(step.target));
    }
    let _ = write!(
        o,
        r##"<path class="target" d="{}" fill="none" stroke="#1565c0" stroke-width="2" stroke-dasharray="6 4"><title>target</title></path>"##,
        path.trim_end()
    );

    // Adjustment and decision markers, with their reasons on hover.
    for c in &retro.changes {
        let xx = x(c.at);
        let label = format!("{} {}: {}", c.at.date_naive(), c.kind, c.reason);
        let colour = if c.kind == "adjusted" {
            "#6a1b9a"
        } else {
            "#757575"
        };
        let _ = write!(
            o,
            r##"<g class="marker"><title>{}</title><line x1="{xx:.1}" x2="{xx:.1}" y1="{TOP}" y2="{}" stroke="{colour}" stroke-dasharray="1 3"/><path d="M{:.1},{TOP} l5,-8 h-10 z" fill="{colour}"/></g>"##,
            xml(&label),
            TOP + plot_h,
            xx
        );
    }

    // The values, and one point per check-in coloured by health.
    let line: Vec<String> = kr
        .check_ins
        .iter()
        .filter(|p| !kr.check_ins.iter().any(|q| q.corrects == Some(p.seq)))
        .map(|p| format!("{:.1},{:.1}", x(p.at), y(p.value)))
        .collect();
    if line.len() > 1 {
        let _ = write!(
            o,
            r##"<polyline class="values" points="{}" fill="none" stroke="#37474f" stroke-width="1.5"/>"##,
            line.join(" ")
        );
    }
    let radius = if kr.check_ins.len() > 60 { 2.0 } else { 3.5 };
    for p in &kr.check_ins {
        let confidence = p
            .confidence
            .map(|c| format!(", confidence {c}/10"))
            .unwrap_or_default();
        let note = p
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        let label = format!(
            "{}: {} {} ({}{confidence}){note}",
            p.at.date_naive(),
            number(p.value),
            kr.unit,
            p.health
        );
        let _ = write!(
            o,
            r##"<circle class="check-in" cx="{:.1}" cy="{:.1}" r="{radius}" fill="{}"><title>{}</title></circle>"##,
            x(p.at),
            y(p.value),
            health_colour(p.health),
            xml(&label)
        );
    }
    o.push_str("</svg>");
    o
}
