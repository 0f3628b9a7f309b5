//! Escaping user-written text for Markdown (a table cell or list item), the one way it reaches a
//! Markdown document. HTML and SVG need no function: maud's templates escape every value.

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
