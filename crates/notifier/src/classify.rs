//! What an emailed request asks for: correct, update, delete or other, and
//! the words that decided it. Plain keyword rules in the languages patrons
//! write in, checked in order of consequence: a deletion outranks a
//! correction, a correction outranks an update.

use policy::requests::RequestKind;

/// A classification and its reason, in words staff can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// What the message asks for.
    pub kind: RequestKind,
    /// Why: the phrase found and where.
    pub reason: String,
}

const DELETE: &[&str] = &[
    "delete",
    "deleting",
    "deletion",
    "remove my",
    "removal of my",
    "erase",
    "erasure",
    "close my account",
    "close my card",
    "close my library",
    "cancel my card",
    "cancel my account",
    "cancel my library",
    "forget me",
    "right to be forgotten",
    "eliminar",
    "elimine",
    "eliminen",
    "borrar",
    "borren",
    "dar de baja",
    "darme de baja",
    "supprimer",
    "supprimez",
    "suppression",
    "effacer",
    "effacez",
    "löschen",
    "löschung",
    "entfernen",
    "lösche",
];

const CORRECT: &[&str] = &[
    "wrong",
    "incorrect",
    "misspelled",
    "misspelt",
    "misspelling",
    "spelled wrong",
    "typo",
    "mistake",
    "error",
    "fix",
    "correct",
    "correction",
    "inaccurate",
    "corregir",
    "corrijan",
    "corrija",
    "incorrecto",
    "incorrecta",
    "erróneo",
    "errónea",
    "equivocado",
    "equivocada",
    "corriger",
    "corrigez",
    "erreur",
    "erroné",
    "erronée",
    "inexact",
    "korrigieren",
    "korrigiert",
    "berichtigen",
    "berichtigung",
    "falsch",
    "fehler",
];

const UPDATE: &[&str] = &[
    "update",
    "new address",
    "new phone",
    "new email",
    "new e-mail",
    "new number",
    "new name",
    "i moved",
    "we moved",
    "have moved",
    "i've moved",
    "changed my",
    "change my",
    "name change",
    "changed",
    "got married",
    "actualizar",
    "actualicen",
    "actualice",
    "cambiar",
    "cambio de",
    "nueva dirección",
    "nuevo teléfono",
    "nuevo correo",
    "me mudé",
    "mettre à jour",
    "mise à jour",
    "nouvelle adresse",
    "nouveau numéro",
    "changement",
    "déménagé",
    "aktualisieren",
    "aktualisierung",
    "neue adresse",
    "neue telefonnummer",
    "geändert",
    "umgezogen",
    "änderung",
];

/// Finds `needle` in `haystack` (both lower case) as whole words.
fn find_word(haystack: &str, needle: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = haystack[start..].find(needle) {
        let at = start + pos;
        let end = at + needle.len();
        let before_ok = haystack[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = haystack[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        start = end;
    }
    false
}

/// The request text worth reading: quoted lines of earlier mail are left out.
fn unquoted(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
}

/// Classifies a message by its subject and text.
pub fn classify(subject: &str, text: &str) -> Classification {
    let subject = subject.to_lowercase();
    let body = unquoted(text);
    for (kind, words) in [
        (RequestKind::Delete, DELETE),
        (RequestKind::Correct, CORRECT),
        (RequestKind::Update, UPDATE),
    ] {
        for (place, hay) in [("subject", &subject), ("text", &body)] {
            if let Some(word) = words.iter().find(|w| find_word(hay, w)) {
                return Classification {
                    kind,
                    reason: format!("{}: the {place} says \"{word}\"", kind.as_str()),
                };
            }
        }
    }
    Classification {
        kind: RequestKind::Other,
        reason: "other: no words asking to correct, update or delete information".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletion_outranks_correction_and_update() {
        let c = classify(
            "Please delete my account",
            "my address is wrong and I moved",
        );
        assert_eq!(c.kind, RequestKind::Delete);
        assert_eq!(c.reason, "delete: the subject says \"delete\"");
    }

    #[test]
    fn words_match_whole() {
        assert_eq!(classify("Prefix question", "").kind, RequestKind::Other);
        assert_eq!(
            classify("", "please fix my name").kind,
            RequestKind::Correct
        );
    }

    #[test]
    fn other_languages() {
        assert_eq!(
            classify("Cambio", "Quiero actualizar mi nueva dirección").kind,
            RequestKind::Update
        );
        assert_eq!(classify("Bitte löschen", "").kind, RequestKind::Delete);
        assert_eq!(
            classify("", "Il y a une erreur dans mon nom").kind,
            RequestKind::Correct
        );
    }

    #[test]
    fn quoted_text_is_not_read() {
        let c = classify("Hours?", "When are you open?\n> please delete everything");
        assert_eq!(c.kind, RequestKind::Other);
    }
}
