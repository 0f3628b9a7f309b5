//! Escaping, the one way user-written text reaches HTML, SVG or Markdown: `xml` for HTML and SVG
//! content and attributes, `markdown` for a Markdown table cell or list item.

/// Escapes text for XML (and HTML) content and attributes; control characters other than
/// newline and tab are dropped.
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

/// Escapes text for a Markdown table cell or list item: no HTML, no table breaks, one line.
pub fn markdown(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}
