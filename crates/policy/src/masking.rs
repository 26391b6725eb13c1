//! Showing identifiers without revealing them: card numbers and payment cards
//! to their last four characters, email and phone partially.
//!
//! Charlotte Mecklenburg Library: "we reveal only the last four digits of your
//! credit card number". The mask has a fixed length, so it does not tell how
//! long the number is either.

/// A library card number as `****1234`; four characters or fewer show nothing.
pub fn mask_card(card: &str) -> String {
    let chars: Vec<char> = card.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if chars.len() <= 4 {
        return "****".into();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("****{tail}")
}

/// A payment card as `**** 1234` (digits only); a number too short to be a card shows nothing.
pub fn mask_payment_card(pan: &str) -> String {
    let digits: Vec<char> = pan.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 12 {
        return "****".into();
    }
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("**** {tail}")
}

/// An email address as `a***@example.org`: the first character and the domain.
pub fn mask_email(email: &str) -> String {
    match email.trim().rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ => "***".into(),
    }
}

/// A phone number with every digit but the last two hidden, punctuation kept: `(***) ***-**00`.
pub fn mask_phone(phone: &str) -> String {
    let total = phone.chars().filter(char::is_ascii_digit).count();
    if total <= 2 {
        return "**".into();
    }
    let mut seen = 0;
    phone
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen > total - 2 {
                    c
                } else {
                    '*'
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
    use proptest::prelude::*;

    #[test]
    fn cards_show_their_last_four_only() {
        assert_eq!(mask_card("2 1234 5678 9012"), "****9012");
        assert_eq!(mask_card("A1B2C3"), "****B2C3");
        assert_eq!(mask_card("1234"), "****");
        assert_eq!(mask_card(""), "****");
        assert_eq!(mask_payment_card("4111-1111-1111-1234"), "**** 1234");
        assert_eq!(mask_payment_card("1234"), "****");
    }

    #[test]
    fn email_and_phone_are_masked_partially() {
        assert_eq!(mask_email("Ada.Lovelace@example.org"), "A***@example.org");
        assert_eq!(mask_email("not an address"), "***");
        assert_eq!(mask_phone("(816) 836-5200"), "(***) ***-**00");
        assert_eq!(mask_phone("5"), "**");
    }

    proptest! {
        #[test]
        fn a_masked_card_reveals_at_most_its_last_four(card in "[A-Za-z0-9 -]{0,30}") {
            let shown = mask_card(&card);
            let revealed: String = shown.chars().filter(|c| *c != '*').collect();
            let alnum: Vec<char> = card.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            prop_assert!(revealed.chars().count() <= 4);
            if !revealed.is_empty() {
                let tail: String = alnum[alnum.len() - 4..].iter().collect();
                prop_assert_eq!(revealed, tail);
            }
            prop_assert_eq!(shown.chars().count(), if alnum.len() <= 4 { 4 } else { 8 });
        }

        #[test]
        fn a_masked_payment_card_reveals_at_most_four_digits(pan in "[0-9 -]{0,25}") {
            let revealed: Vec<char> = mask_payment_card(&pan).chars().filter(char::is_ascii_digit).collect();
            prop_assert!(revealed.len() <= 4);
        }

        #[test]
        fn a_masked_phone_reveals_at_most_two_digits(phone in "[0-9 ()+.-]{0,20}") {
            let revealed = mask_phone(&phone).chars().filter(char::is_ascii_digit).count();
            prop_assert!(revealed <= 2);
        }
    }
}
