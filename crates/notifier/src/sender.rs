//! Finding the address in a `From`, `Sender` or `Reply-To` field as real
//! mail clients write it: RFC 5322 mailboxes and groups, obsolete forms, and
//! the broken shapes that arrive anyway (unquoted commas in a display name,
//! a missing `>`, junk after the address, an address in the display name).
//!
//! Only the address is wanted: display names are never stored or logged.

/// Every address in a field's raw value, in order. A display name that looks
/// like an address does not count when an angle-bracketed address follows it.
pub fn addresses(value: &str) -> Vec<String> {
    let cleaned = strip_comments(value);
    let mut out = Vec::new();
    for item in split_list(&cleaned) {
        if let Some(a) = mailbox(&item) {
            out.push(a);
        }
    }
    out
}

/// The first address in a field's raw value.
pub fn address(value: &str) -> Option<String> {
    addresses(value).into_iter().next()
}

/// Removes `(comments)` outside quoted strings, nesting and `\` escapes included.
fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                out.push(' ');
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Splits a list of mailboxes at commas and semicolons outside quotes and
/// angle brackets, dropping group names (`Team: a@x, b@y;`). A piece without
/// an `@` is glued to the next one, so `Smith, John <j@x>` (an unquoted comma
/// in a display name) stays one mailbox.
fn split_list(value: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            current.push(c);
            continue;
        }
        match c {
            '\\' if quoted => {
                escaped = true;
                current.push(c);
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            '<' if !quoted => {
                angle = true;
                current.push(c);
            }
            '>' if !quoted => {
                angle = false;
                current.push(c);
            }
            // A group's name ends at its colon, unless the colon is part of
            // an address already begun (an IPv6 literal, a route).
            ':' if !quoted && !angle && !current.contains('@') => current.clear(),
            ',' | ';' if !quoted && !angle => pieces.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pieces.push(current);
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for piece in pieces {
        if piece.trim().is_empty() {
            continue;
        }
        pending.push_str(&piece);
        if pending.contains('@') {
            out.push(std::mem::take(&mut pending));
        } else {
            pending.push(',');
        }
    }
    out
}

/// The address of one mailbox: the angle-bracketed one when there is one
/// (the last, so a name such as `"bob@x" <alice@y>` yields alice), else the
/// first word with an `@`.
fn mailbox(item: &str) -> Option<String> {
    let mut angled = None;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in item.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => {
                let rest = &item[i + 1..];
                // A missing `>` ends the address at the first blank.
                let inner = rest
                    .split(['>', ' ', '\t', '\r', '\n'])
                    .next()
                    .unwrap_or_default();
                if let Some(a) = clean(inner) {
                    angled = Some(a);
                }
            }
            _ => {}
        }
    }
    if angled.is_some() {
        return angled;
    }
    // No angle brackets: a bare address, perhaps quoted or with junk around it.
    item.split(|c: char| c.is_whitespace() || c == '"')
        .filter(|w| w.contains('@'))
        .find_map(clean)
}

/// An address as custodian keeps it: trimmed of the punctuation clients
/// leave around it, `local@domain` with a lower-case domain, or `None`.
fn clean(word: &str) -> Option<String> {
    let word = word.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | ',' | ';' | ':' | '[' | ']')
    });
    let word = word.trim_end_matches('.');
    let (local, domain) = word.rsplit_once('@')?;
    // Source routes (`@relay:user@host`) are obsolete: the mailbox is after the colon.
    let local = local.rsplit(':').next().unwrap_or(local);
    let local = local.trim_matches('"');
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let ok_local = local.chars().all(|c| {
        !c.is_control() && !c.is_whitespace() && !matches!(c, '<' | '>' | '@' | ',' | ';')
    });
    let domain = domain.trim_end_matches('.').to_lowercase();
    let ok_domain = !domain.starts_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    if !ok_local || !ok_domain || domain.is_empty() {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &str) -> Option<String> {
        address(v)
    }

    #[test]
    fn rfc_5322_shapes() {
        let a = Some("ana@example.org".to_owned());
        assert_eq!(one("ana@example.org"), a);
        assert_eq!(one("<ana@example.org>"), a);
        assert_eq!(one(" Ana Garcia <ana@example.org> "), a);
        assert_eq!(one("\"Garcia, Ana\" <ana@example.org>"), a);
        assert_eq!(
            one("\"Ana \\\"the reader\\\" Garcia\" <ana@example.org>"),
            a
        );
        assert_eq!(one("ana@example.org (Ana Garcia)"), a);
        assert_eq!(one("Ana (the reader) <ana@example.org>"), a);
        assert_eq!(one("=?UTF-8?Q?Ana_Garc=C3=ADa?= <ana@example.org>"), a);
        assert_eq!(one("Readers: ana@example.org, bob@example.org;"), a);
        assert_eq!(one("undisclosed-recipients:;"), None);
        assert_eq!(one("<@relay.example:ana@example.org>"), a);
        assert_eq!(
            addresses("Ana <ana@example.org>, \"Smith, Bob\" <bob@example.org>"),
            ["ana@example.org", "bob@example.org"]
        );
    }

    #[test]
    fn broken_shapes_clients_send() {
        let a = Some("ana@example.org".to_owned());
        // Unquoted display names with commas and dots.
        assert_eq!(one("Garcia, Ana <ana@example.org>"), a);
        assert_eq!(one("Dr. A. Garcia, Jr. <ana@example.org>"), a);
        assert_eq!(addresses("Garcia, Ana <ana@example.org>").len(), 1);
        // The display name is itself an address (Outlook does this).
        assert_eq!(one("ana@example.org <ana@example.org>"), a);
        assert_eq!(one("\"boss@evil.example\" <ana@example.org>"), a);
        assert_eq!(one("boss@evil.example <ana@example.org>"), a);
        // A missing closing bracket, junk after the address.
        assert_eq!(one("Ana Garcia <ana@example.org"), a);
        assert_eq!(one("Ana <ana@example.org> via Library List"), a);
        assert_eq!(one("ana@example.org."), a);
        assert_eq!(one("'ana@example.org'"), a);
        // Upper-case domains are folded; the local part stays as written.
        assert_eq!(
            one("Ana.Garcia@EXAMPLE.ORG"),
            Some("Ana.Garcia@example.org".into())
        );
    }

    #[test]
    fn what_is_not_an_address() {
        assert_eq!(one(""), None);
        assert_eq!(one("Ana Garcia"), None);
        assert_eq!(one("<>"), None);
        assert_eq!(one("@example.org"), None);
        assert_eq!(one("ana@"), None);
        assert_eq!(one("ana@@example.org"), None);
    }
}
