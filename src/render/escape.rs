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

/// Escapes text for a Markdown table cell or list item, the Markdown way (CommonMark backslash
/// escapes, never HTML entities, which a reader of the raw text would see): no HTML, no
/// emphasis, links or code, no table breaks, one line. `&` is escaped only where it would start
/// an entity (`&amp;`), so "R&D" stays "R&D".
pub fn markdown(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' => {
                o.push('\\');
                o.push(c);
            }
            '&' if starts_entity(&s[i + 1..]) => o.push_str("\\&"),
            '\n' | '\r' => o.push(' '),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// Whether text after a `&` would make it an entity reference (`amp;`, `#38;`, `#x26;`).
fn starts_entity(rest: &str) -> bool {
    rest.find(';').is_some_and(|end| {
        end > 0
            && end <= 32
            && rest[..end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '#')
    })
}

#[cfg(test)]
mod tests {
    use super::markdown;

    #[test]
    fn markdown_text_is_escaped_with_backslashes_not_html_entities() {
        assert_eq!(markdown("R&D and Q&A"), "R&D and Q&A");
        assert_eq!(markdown("&amp; &#38;"), "\\&amp; \\&#38;");
        assert_eq!(markdown("a | b <b>x</b>"), "a \\| b \\<b\\>x\\</b\\>");
        assert_eq!(
            markdown("*bold* _em_ `code` [link](u)"),
            "\\*bold\\* \\_em\\_ \\`code\\` \\[link\\](u)"
        );
        assert_eq!(markdown("two\nlines\\"), "two lines\\\\");
    }
}
