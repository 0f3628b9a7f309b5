//! An SVG chart of one key result, drawn without JavaScript: values over time from check-ins
//! (points coloured by health), the target as a line that steps where an adjustment changed it,
//! the baseline, and markers for adjustments and decisions whose reason shows on hover
//! (`<title>`). Axis labels are spaced by the width so they never overlap. `Frame` maps time and
//! value to the plot; each layer of the chart is drawn by its own function, a maud template
//! whose every value is escaped.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use maud::{display, html, Markup, Render};

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

/// A coordinate, to one decimal place.
#[derive(Clone, Copy)]
struct At(f64);

impl Render for At {
    fn render_to(&self, buffer: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(buffer, "{:.1}", self.0);
    }
}

/// The SVG for key result `kr` of `retro`.
pub fn key_result(retro: &GoalRetro, kr: &KeyResultReport) -> Markup {
    let f = Frame::new(retro, kr);
    let name = kr.name.as_str();
    let target = kr
        .targets
        .last()
        .map(|t| number(t.target))
        .unwrap_or_default();
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } width="100%"
            role="img" aria-labelledby={ "t-" (name) } font-family="system-ui, sans-serif" font-size="12" {
            title id={ "t-" (name) } { (name) ": " (number(kr.baseline)) " → " (target) " " (kr.unit) }
            rect x=(LEFT) y=(TOP) width=(PLOT_W) height=(PLOT_H) fill="#fafafa" stroke="#ddd" {}
            (value_axis(&f, kr))
            (time_axis(&f))
            (baseline_and_target(&f, kr))
            (markers(&f, retro))
            (check_ins(&f, kr))
            (legend())
        }
    }
}

/// What each mark means, along the bottom.
fn legend() -> Markup {
    let y = HEIGHT - 8.0;
    let ym = y - 4.0;
    let line = |from: f64, stroke: &str, width: &str, dash: &str| {
        html! {
            line x1=(LEFT + from) x2=(LEFT + from + 20.0) y1=(ym) y2=(ym) stroke=(stroke)
                stroke-width=[(!width.is_empty()).then_some(width)]
                stroke-dasharray=[(!dash.is_empty()).then_some(dash)] {}
        }
    };
    let label = |at: f64, text: &str| html! { text x=(LEFT + at) y=(y) { (text) } };
    html! {
        g.legend fill="#555" {
            (line(0.0, "#37474f", "1.5", "")) (label(25.0, "values"))
            @for (i, h) in [Health::OnTrack, Health::AtRisk, Health::OffTrack].into_iter().enumerate() {
                circle cx=(LEFT + 80.0 + 10.0 * i as f64) cy=(ym) r="3.5" fill=(health_colour(h)) {}
            }
            (label(108.0, "check-ins by health (on track, at risk, off track)"))
            (line(390.0, "#1565c0", "2", "6 4")) (label(415.0, "target"))
            (line(460.0, "#9e9e9e", "", "2 3")) (label(485.0, "baseline"))
            path d={ "M" (LEFT + 548.0) "," (y) " l5,-8 h-10 z" } fill="#757575" {}
            (label(556.0, "decision"))
        }
    }
}

/// Value axis: nice ticks with grid lines, and the unit (or the key result's name) along it.
fn value_axis(f: &Frame, kr: &KeyResultReport) -> Markup {
    let ticks = std::iter::successors(Some(f.lo), |v| Some(v + f.step))
        .take_while(|v| *v <= f.hi + f.step / 2.0);
    let middle = At(TOP + PLOT_H / 2.0);
    let unit = if kr.unit.is_empty() {
        kr.name.as_str()
    } else {
        kr.unit.as_str()
    };
    html! {
        @for v in ticks {
            line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(At(f.y(v))) y2=(At(f.y(v))) stroke="#eee" {}
            text x=(LEFT - 6.0) y=(At(f.y(v) + 4.0)) text-anchor="end" fill="#555" { (short(v)) }
        }
        text x="14" y=(middle) transform={ "rotate(-90 14 " (middle) ")" } text-anchor="middle" fill="#555" { (unit) }
    }
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
fn time_axis(f: &Frame) -> Markup {
    html! {
        @for d in &time_ticks(f) {
            @let xx = At(f.x(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()));
            line x1=(xx) x2=(xx) y1=(TOP + PLOT_H) y2=(TOP + PLOT_H + 5.0) stroke="#999" {}
            text x=(xx) y=(TOP + PLOT_H + 18.0) text-anchor="middle" fill="#555" { (display(d.format("%b %-d"))) }
        }
        text x=(LEFT + PLOT_W / 2.0) y=(TOP + PLOT_H + 40.0) text-anchor="middle" fill="#555" {
            (display(f.start)) " – " (display(f.t1.date_naive()))
        }
    }
}

/// The baseline, and the target stepping at each adjustment.
fn baseline_and_target(f: &Frame, kr: &KeyResultReport) -> Markup {
    use std::fmt::Write as _;
    let mut path = String::new();
    for (i, step) in kr.targets.iter().enumerate() {
        let from = if i == 0 { f.t0 } else { step.from };
        let until = kr.targets.get(i + 1).map_or(f.t1, |n| n.from);
        let (y, start) = (f.y(step.target), if i == 0 { "M" } else { " L" });
        let _ = write!(
            path,
            "{start}{:.1},{y:.1} L{:.1},{y:.1}",
            f.x(from),
            f.x(until)
        );
    }
    let by = At(f.y(kr.baseline));
    html! {
        line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(by) y2=(by) stroke="#9e9e9e" stroke-dasharray="2 3" {
            title { "baseline " (number(kr.baseline)) }
        }
        path.target d=(path) fill="none" stroke="#1565c0" stroke-width="2" stroke-dasharray="6 4" {
            title { "target" }
        }
    }
}

/// Adjustment and decision markers, with their reasons on hover.
fn markers(f: &Frame, retro: &GoalRetro) -> Markup {
    html! {
        @for c in &retro.changes {
            @let xx = At(f.x(c.at));
            @let colour = if c.kind == "adjusted" { "#6a1b9a" } else { "#757575" };
            g.marker {
                title { (display(c.at.date_naive())) " " (c.kind) ": " (c.reason) }
                line x1=(xx) x2=(xx) y1=(TOP) y2=(TOP + PLOT_H) stroke=(colour) stroke-dasharray="1 3" {}
                path d={ "M" (xx) "," (TOP) " l5,-8 h-10 z" } fill=(colour) {}
            }
        }
    }
}

/// The check-ins that stand: all but those a later check-in corrects.
fn standing(kr: &KeyResultReport) -> impl Iterator<Item = &crate::report::Point> {
    let corrected: std::collections::HashSet<u64> =
        kr.check_ins.iter().filter_map(|p| p.corrects).collect();
    kr.check_ins
        .iter()
        .filter(move |p| !corrected.contains(&p.seq))
}

/// The values as a line and one point per check-in coloured by health; a corrected check-in
/// is drawn only as its correction (nor does it stretch the axis).
fn check_ins(f: &Frame, kr: &KeyResultReport) -> Markup {
    use std::fmt::Write as _;
    let mut line = String::new();
    for p in standing(kr) {
        let gap = if line.is_empty() { "" } else { " " };
        let _ = write!(line, "{gap}{:.1},{:.1}", f.x(p.at), f.y(p.value));
    }
    let radius = if kr.check_ins.len() > 60 { 2.0 } else { 3.5 };
    html! {
        @if standing(kr).nth(1).is_some() {
            polyline.values points=(line) fill="none" stroke="#37474f" stroke-width="1.5" {}
        }
        @for p in standing(kr) {
            circle.check-in cx=(At(f.x(p.at))) cy=(At(f.y(p.value))) r=(radius) fill=(health_colour(p.health)) {
                title {
                    (display(p.at.date_naive())) ": " (number(p.value)) " " (kr.unit) " (" (display(p.health))
                    @if let Some(c) = p.confidence { ", confidence " (c) "/10" }
                    ")"
                    @if let Some(n) = &p.note { ": " (n) }
                }
            }
        }
    }
}
