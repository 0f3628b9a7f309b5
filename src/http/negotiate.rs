//! Content negotiation: which of HTML, Markdown or JSON a client prefers, from `?format=` or
//! the `Accept` header. The JSON API asks it too, to hand a browser over to the web view.

use axum::http::{header, HeaderMap};

use super::error::ApiError;

/// What the client prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
    Json,
}

/// Picks the format from `?format=` or the `Accept` header (highest q wins; JSON by default).
pub fn negotiate(headers: &HeaderMap, format: Option<&str>) -> Result<Format, ApiError> {
    match format {
        Some("html") => return Ok(Format::Html),
        Some("md" | "markdown") => return Ok(Format::Markdown),
        Some("json") => return Ok(Format::Json),
        Some("") | None => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format {other:?}: use html, md or json"
            )))
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut best = (0.0f32, Format::Json);
    for (i, part) in accept.split(',').enumerate() {
        let mut fields = part.split(';').map(str::trim);
        let kind = match fields.next().unwrap_or("") {
            "text/html" | "application/xhtml+xml" => Format::Html,
            "text/markdown" => Format::Markdown,
            "application/json" => Format::Json,
            _ => continue,
        };
        let q = fields
            .find_map(|f| f.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
            .unwrap_or(1.0)
            // Earlier entries win ties.
            - i as f32 * 1e-4;
        if q > best.0 {
            best = (q, kind);
        }
    }
    Ok(best.1)
}
