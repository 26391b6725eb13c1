//! Showing identifiers without revealing them: card numbers and payment cards
//! to their last four characters, email and phone partially.

/// A library card number shown as `****` and its last four characters.
///
/// Separators are ignored; a number of four characters or fewer is hidden
/// entirely, since its "last four" would be all of it. The prefix has a fixed
/// length so the mask does not reveal how long the number is.
pub fn mask_card(number: &str) -> String {
    let chars: Vec<char> = number.chars().filter(|c| c.is_alphanumeric()).collect();
    if chars.len() <= 4 {
        return "****".to_owned();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("****{tail}")
}

/// A payment card number shown as `****` and its last four digits.
pub fn mask_payment_card(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    mask_card(&digits)
}

/// An email shown as its first character, `***`, and its domain.
pub fn mask_email(email: &str) -> String {
    match email.trim().rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ => "***".to_owned(),
    }
}

/// A phone number with every digit but the last two replaced by `*`.
pub fn mask_phone(phone: &str) -> String {
    let total = phone.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    phone
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 2 <= total {
                    '*'
                } else {
                    c
                }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_show_last_four_only() {
        assert_eq!(mask_card("21234001234567"), "****4567");
        assert_eq!(mask_card("2 1234 0012 34567"), "****4567");
        assert_eq!(mask_card("1234"), "****");
        assert_eq!(mask_payment_card("4111-1111-1111-1234"), "****1234");
    }

    #[test]
    fn email_and_phone_are_partial() {
        assert_eq!(mask_email("alice.smith@example.org"), "a***@example.org");
        assert_eq!(mask_email("not-an-email"), "***");
        assert_eq!(mask_phone("(816) 836-5200"), "(***) ***-**00");
    }
}
