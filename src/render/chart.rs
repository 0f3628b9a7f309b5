//! An SVG chart of one key result, drawn without JavaScript: values over time from check-ins
//! (points coloured by health), the target as a line that steps where an adjustment changed it,
//! the baseline, and markers for adjustments and decisions whose reason shows on hover
//! (`<title>`). Axis labels are spaced by the width so they never overlap. `Frame` maps time and
//! value to the plot; each layer of the chart is drawn by its own function.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::escape::xml;
use super::number::number;
use crate::domain::Health;
use crate::report::{GoalRetro, KeyResultReport};

pub fn health_colour(h: Health) -> &'static str {
    match h {
        Health::OnTrack => "#2e7d32",
        Health::AtRisk => "#f9a825",
        Health::OffTrack => "#c62828",
    }
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 322.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 20.0;
/// Below the plot: the time axis, its span, and the legend.
const BOTTOM: f64 = 68.0;
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;

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

/// Where a key result's chart puts things: the time span and the value range of the plot.
struct Frame {
    /// The first day shown.
    start: NaiveDate,
    t0: DateTime<Utc>,
    t1: DateTime<Utc>,
    span_secs: f64,
    lo: f64,
    hi: f64,
    /// The distance between value ticks.
    step: f64,
}

impl Frame {
    /// From the earliest start to the latest of due date, check-ins and closing; from the
    /// lowest to the highest of baseline, targets and values, rounded out to nice ticks.
    fn new(retro: &GoalRetro, kr: &KeyResultReport) -> Frame {
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
        values.extend(standing(kr).map(|p| p.value));
        let (mut lo, mut hi) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
        if (hi - lo).abs() < f64::EPSILON {
            hi += 1.0;
            lo -= 1.0;
        }
        let step = nice_step(hi - lo, 5.0);
        let (lo, hi) = ((lo / step).floor() * step, (hi / step).ceil() * step);
        Frame {
            start,
            t0,
            t1,
            span_secs,
            lo,
            hi,
            step,
        }
    }

    fn x(&self, t: DateTime<Utc>) -> f64 {
        LEFT + ((t - self.t0).num_seconds() as f64 / self.span_secs).clamp(0.0, 1.0) * PLOT_W
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (1.0 - (v - self.lo) / (self.hi - self.lo)) * PLOT_H
    }
}

/// The SVG for key result `kr` of `retro`.
pub fn key_result(retro: &GoalRetro, kr: &KeyResultReport) -> String {
    let f = Frame::new(retro, kr);
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
        unit = xml(&kr.unit),
    );
    let _ = write!(
        o,
        r##"<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#fafafa" stroke="#ddd"/>"##
    );
    value_axis(&mut o, &f, kr);
    time_axis(&mut o, &f);
    baseline_and_target(&mut o, &f, kr);
    markers(&mut o, &f, retro);
    check_ins(&mut o, &f, kr);
    legend(&mut o);
    o.push_str("</svg>");
    o
}

/// What each mark means, along the bottom.
fn legend(o: &mut String) {
    let y = HEIGHT - 8.0;
    let _ = write!(
        o,
        r##"<g class="legend" fill="#555"><line x1="{l}" x2="{l2}" y1="{ym}" y2="{ym}" stroke="#37474f" stroke-width="1.5"/><text x="{t1}" y="{y}">values</text><circle cx="{c1}" cy="{ym}" r="3.5" fill="#2e7d32"/><circle cx="{c2}" cy="{ym}" r="3.5" fill="#f9a825"/><circle cx="{c3}" cy="{ym}" r="3.5" fill="#c62828"/><text x="{t2}" y="{y}">check-ins by health (on track, at risk, off track)</text><line x1="{d1}" x2="{d2}" y1="{ym}" y2="{ym}" stroke="#1565c0" stroke-width="2" stroke-dasharray="6 4"/><text x="{t3}" y="{y}">target</text><line x1="{b1}" x2="{b2}" y1="{ym}" y2="{ym}" stroke="#9e9e9e" stroke-dasharray="2 3"/><text x="{t4}" y="{y}">baseline</text><path d="M{m},{mt} l5,-8 h-10 z" fill="#757575"/><text x="{t5}" y="{y}">decision</text></g>"##,
        l = LEFT,
        l2 = LEFT + 20.0,
        ym = y - 4.0,
        t1 = LEFT + 25.0,
        c1 = LEFT + 80.0,
        c2 = LEFT + 90.0,
        c3 = LEFT + 100.0,
        t2 = LEFT + 108.0,
        d1 = LEFT + 390.0,
        d2 = LEFT + 410.0,
        t3 = LEFT + 415.0,
        b1 = LEFT + 460.0,
        b2 = LEFT + 480.0,
        t4 = LEFT + 485.0,
        m = LEFT + 548.0,
        mt = y,
        t5 = LEFT + 556.0,
    );
}

/// Value axis: nice ticks with grid lines, and the unit (or the key result's name) along it.
fn value_axis(o: &mut String, f: &Frame, kr: &KeyResultReport) {
    let mut v = f.lo;
    while v <= f.hi + f.step / 2.0 {
        let yy = f.y(v);
        let _ = write!(
            o,
            r##"<line x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            short(v)
        );
        v += f.step;
    }
    let unit = xml(&kr.unit);
    let _ = write!(
        o,
        r##"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle" fill="#555">{}</text>"##,
        TOP + PLOT_H / 2.0,
        TOP + PLOT_H / 2.0,
        if unit.is_empty() {
            xml(kr.name.as_str())
        } else {
            unit
        }
    );
}

/// The days that get a tick on the time axis: weekly or monthly, as many as fit (one label
/// per 80 px at most).
fn time_ticks(f: &Frame) -> Vec<NaiveDate> {
    let start = f.start;
    let max_labels = (PLOT_W / 80.0).floor().max(2.0) as i64;
    let days = (f.t1 - f.t0).num_days().max(1);
    let mut ticks: Vec<NaiveDate> = Vec::new();
    if days <= 7 * max_labels {
        let every = (days / max_labels).max(1);
        let mut d = start;
        while d <= f.t1.date_naive() {
            ticks.push(d);
            d += Duration::days(every);
        }
    } else {
        let months = (days / 30).max(1);
        let every = (months / max_labels + 1).max(1) as u32;
        let mut d = NaiveDate::from_ymd_opt(start.year(), start.month(), 1).unwrap_or(start);
        while d <= f.t1.date_naive() {
            if d >= start {
                ticks.push(d);
            }
            let m = d.month0() + every;
            d = NaiveDate::from_ymd_opt(d.year() + (m / 12) as i32, m % 12 + 1, 1)
                .unwrap_or(NaiveDate::MAX);
        }
    }
    ticks
}

/// Time axis: the ticks with their dates, and the whole span under them.
fn time_axis(o: &mut String, f: &Frame) {
    for d in &time_ticks(f) {
        let xx = f.x(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        let _ = write!(
            o,
            r##"<line x1="{xx:.1}" x2="{xx:.1}" y1="{}" y2="{}" stroke="#999"/><text x="{xx:.1}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
            TOP + PLOT_H,
            TOP + PLOT_H + 5.0,
            TOP + PLOT_H + 18.0,
            d.format("%b %-d")
        );
    }
    let _ = write!(
        o,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">{} – {}</text>"##,
        LEFT + PLOT_W / 2.0,
        TOP + PLOT_H + 40.0,
        f.start,
        f.t1.date_naive()
    );
}

/// The baseline, and the target stepping at each adjustment.
fn baseline_and_target(o: &mut String, f: &Frame, kr: &KeyResultReport) {
    let _ = write!(
        o,
        r##"<line x1="{LEFT}" x2="{}" y1="{by:.1}" y2="{by:.1}" stroke="#9e9e9e" stroke-dasharray="2 3"><title>baseline {}</title></line>"##,
        WIDTH - RIGHT,
        number(kr.baseline),
        by = f.y(kr.baseline)
    );
    let mut path = String::new();
    for (i, step) in kr.targets.iter().enumerate() {
        let from = if i == 0 { f.t0 } else { step.from };
        let _ = write!(
            path,
            "{}{:.1},{:.1} ",
            if i == 0 { "M" } else { "L" },
            f.x(from),
            f.y(step.target)
        );
        let until = kr.targets.get(i + 1).map_or(f.t1, |n| n.from);
        let _ = write!(path, "L{:.1},{:.1} ", f.x(until), f.y(step.target));
    }
    let _ = write!(
        o,
        r##"<path class="target" d="{}" fill="none" stroke="#1565c0" stroke-width="2" stroke-dasharray="6 4"><title>target</title></path>"##,
        path.trim_end()
    );
}

/// Adjustment and decision markers, with their reasons on hover.
fn markers(o: &mut String, f: &Frame, retro: &GoalRetro) {
    for c in &retro.changes {
        let xx = f.x(c.at);
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
            TOP + PLOT_H,
            xx
        );
    }
}

/// The check-ins that stand: all but those a later check-in corrects.
fn standing(kr: &KeyResultReport) -> impl Iterator<Item = &crate::report::Point> {
    kr.check_ins
        .iter()
        .filter(|p| !kr.check_ins.iter().any(|q| q.corrects == Some(p.seq)))
}

/// The values as a line and one point per check-in coloured by health; a corrected check-in
/// is drawn only as its correction (nor does it stretch the axis).
fn check_ins(o: &mut String, f: &Frame, kr: &KeyResultReport) {
    let line: Vec<String> = standing(kr)
        .map(|p| format!("{:.1},{:.1}", f.x(p.at), f.y(p.value)))
        .collect();
    if line.len() > 1 {
        let _ = write!(
            o,
            r##"<polyline class="values" points="{}" fill="none" stroke="#37474f" stroke-width="1.5"/>"##,
            line.join(" ")
        );
    }
    let radius = if kr.check_ins.len() > 60 { 2.0 } else { 3.5 };
    for p in standing(kr) {
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
            f.x(p.at),
            f.y(p.value),
            health_colour(p.health),
            xml(&label)
        );
    }
}
