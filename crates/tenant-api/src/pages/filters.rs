//! The page templates' own filters (askama finds them by this module's name).
//!
//! `text` escapes the way the pages always have: `&`, `<`, `>` and `"` as
//! named entities (`&amp;` …), which is safe in text and in double-quoted
//! attributes, the only kind the templates use. askama's own escaper writes
//! numeric entities (`&#38;`), equally safe but not what links and clients
//! that read the pages have seen so far. A value shown without `|text` is
//! still escaped by askama, so forgetting it is never unsafe.

use std::fmt;

/// A value escaped for HTML text or a double-quoted attribute.
pub struct Escaped<T>(T);

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut escaping = Escaping(f);
        fmt::write(&mut escaping, format_args!("{}", self.0))
    }
}

// Escaped by its own `Display`, so askama must not escape it again.
impl<T: fmt::Display> askama::filters::HtmlSafe for Escaped<T> {}

/// Writes through to the page, escaping as it goes.
struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(at) = rest.find(['&', '<', '>', '"']) {
            self.0.write_str(&rest[..at])?;
            self.0.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                _ => "&quot;",
            })?;
            rest = &rest[at + 1..];
        }
        self.0.write_str(rest)
    }
}

/// `{{ value|text }}`: the value, escaped for HTML text or a double-quoted attribute.
pub fn text<T: fmt::Display>(value: T, _: &dyn askama::Values) -> askama::Result<Escaped<T>> {
    Ok(Escaped(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_with_named_entities_once() {
        let shown = Escaped("a & b <c> \"d\" 'e' &amp;").to_string();
        assert_eq!(shown, "a &amp; b &lt;c&gt; &quot;d&quot; 'e' &amp;amp;");
    }
}
