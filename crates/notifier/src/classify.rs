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

// Rules are phrases of words, matched on text that is lower-cased with its
// accents taken off (people write "borrenme" for "bórrenme", "loeschen" for
// "löschen"). A word ending in `*` matches any word it begins (the
// inflections: eliminar, elimine, eliminen, eliminación); one starting with
// `*` matches any word it ends or, with both, is in (German compounds:
// Datenlöschung, Adressänderung).

const DELETE: &[&str] = &[
    // English
    "delete*",
    "deletion*",
    "remove my",
    "remove me",
    "removal of my",
    "erase*",
    "erasure",
    "close my account",
    "close my card",
    "close my library",
    "close my membership",
    "cancel my card",
    "cancel my account",
    "cancel my library",
    "cancel my membership",
    "deactivate my",
    "terminate my account",
    "terminate my membership",
    "wipe my",
    "purge my",
    "get rid of my",
    "forget me",
    "right to be forgotten",
    "right to erasure",
    // Spanish
    "elimin*",
    "borrar*",
    "borre*",
    "borren*",
    "borra",
    "borrame",
    // Not "borrad*": a borrador is a draft.
    "borrad",
    "borrado",
    "borrada",
    "borrados",
    "borradas",
    "suprim*",
    "supresion",
    "de baja",
    "la baja de",
    "solicito la baja",
    "cancel* mi cuenta",
    "cancel* mi tarjeta",
    "cancel* mi carnet",
    "cerrar mi cuenta",
    "cierren mi cuenta",
    "cierre mi cuenta",
    "quit* mis datos",
    "derecho al olvido",
    // French
    "supprim*",
    "suppression*",
    "effac*",
    "desinscri*",
    "desactiv* mon compte",
    "ferm* mon compte",
    "clotur* mon compte",
    "resili*",
    "retir* mes donnees",
    "droit a l oubli",
    "droit a l effacement",
    // German
    "*losch*",
    "*loesch*",
    "entfern*",
    "*kundigung",
    "kundigen",
    "kundige",
    "konto schliess*",
    "vergessenwerden",
    "recht auf vergessen*",
];

const CORRECT: &[&str] = &[
    // English
    "wrong*",
    "incorrect*",
    "misspel*",
    "spelled wrong",
    "typo*",
    "mistake*",
    "mistaken*",
    "error*",
    "erroneous*",
    "fix*",
    "correct",
    "corrected",
    "correcting",
    "correction*",
    "inaccura*",
    "not right",
    "not accurate",
    // Spanish
    "correg*",
    "corrij*",
    "correccion*",
    "incorrect*",
    "erroneo*",
    "erronea*",
    "equivocad*",
    "errata*",
    "mal escrit*",
    "esta mal",
    "estan mal",
    "rectifi*",
    "subsan*",
    // French
    "corrig*",
    "erreur*",
    "errone*",
    "inexact*",
    "mal orthographi*",
    "mal ecrit*",
    "faux",
    "fausse",
    "pas correct*",
    // German
    "korrigier*",
    "korrektur*",
    "berichtig*",
    "richtigstell*",
    "falsch*",
    "*fehler*",
    "unrichtig*",
    "nicht korrekt",
    "nicht richtig",
];

const UPDATE: &[&str] = &[
    // English
    "update*",
    "new address",
    "new phone",
    "new email",
    "new e mail",
    "new number",
    "new name",
    "new surname",
    "new last name",
    "i moved",
    "we moved",
    "have moved",
    "has moved",
    "i ve moved",
    "just moved",
    "moving to",
    "relocat*",
    "changed my",
    "change my",
    "changing my",
    "name change",
    "changed",
    "got married",
    "married name",
    // Spanish
    "actualiz*",
    "actualic*",
    "cambi*",
    "nueva direccion",
    "nuevo domicilio",
    "nuevo telefono",
    "nuevo correo",
    "nuevo numero",
    "me mude",
    "nos mudamos",
    "me he mudado",
    "mudanza",
    // French
    "mettre a jour",
    "mise a jour",
    "mettez a jour",
    "nouvelle adresse",
    "nouveau numero",
    "nouveau telephone",
    "nouvel e mail",
    "nouveau courriel",
    "changement*",
    "chang* mon",
    "chang* ma",
    "chang* mes",
    "chang* d adresse",
    "demenag*",
    "actualis*",
    "modifi*",
    // German
    "aktualisier*",
    "neue adresse",
    "neue anschrift",
    "neue telefonnummer",
    "neue nummer",
    "neue e mail",
    "neuer name",
    "*anderung*",
    "*aenderung*",
    "geandert",
    "geaendert",
    "andern sie",
    "zu andern",
    "umgezogen",
    "umzug",
    "ummeld*",
];

/// Lower case without accents: what the rules are written in.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => out.push('o'),
            'ú' | 'ù' | 'û' | 'ü' => out.push('u'),
            'ñ' => out.push('n'),
            'ç' => out.push('c'),
            'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            // Combining accents of decomposed text (e + U+0301).
            '\u{300}'..='\u{36f}' => {}
            _ => out.push(c),
        }
    }
    out
}

/// The words of folded text.
fn words(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `word` matches one word of a rule.
fn word_matches(word: &str, rule: &str) -> bool {
    match (rule.strip_prefix('*'), rule.strip_suffix('*')) {
        (Some(inner), Some(_)) => word.contains(inner.trim_end_matches('*')),
        (Some(tail), None) => word.ends_with(tail),
        (None, Some(head)) => word.starts_with(head),
        (None, None) => word == rule,
    }
}

/// The words of `hay` a rule matched, if it matched.
fn find_rule(hay: &[&str], rule: &str) -> Option<String> {
    let parts: Vec<&str> = rule.split(' ').collect();
    if parts.is_empty() || hay.len() < parts.len() {
        return None;
    }
    hay.windows(parts.len())
        .find(|w| w.iter().zip(&parts).all(|(w, r)| word_matches(w, r)))
        .map(|w| w.join(" "))
}

/// The request text worth reading: quoted lines of earlier mail are left out.
fn unquoted(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Classifies a message by its subject and text.
pub fn classify(subject: &str, text: &str) -> Classification {
    let subject = fold(subject);
    let body = fold(&unquoted(text));
    let (subject, body) = (words(&subject), words(&body));
    for (kind, rules) in [
        (RequestKind::Delete, DELETE),
        (RequestKind::Correct, CORRECT),
        (RequestKind::Update, UPDATE),
    ] {
        for (place, hay) in [("subject", &subject), ("text", &body)] {
            if let Some(found) = rules.iter().find_map(|r| find_rule(hay, r)) {
                return Classification {
                    kind,
                    reason: format!("{}: the {place} says \"{found}\"", kind.as_str()),
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
    fn inflections_synonyms_and_missing_accents() {
        use RequestKind::{Correct, Delete, Other, Update};
        for (subject, text, kind) in [
            ("", "Por favor bórrenme de su sistema", Delete),
            ("", "por favor borrenme de su sistema", Delete),
            (
                "Solicitud",
                "Quiero que eliminen mis datos personales",
                Delete,
            ),
            ("Eliminación de cuenta", "", Delete),
            ("", "Solicito la supresión de mis datos", Delete),
            ("", "Quiero darme de baja de la biblioteca", Delete),
            ("", "Por favor, denme de baja", Delete),
            ("", "Deseo cancelar mi tarjeta", Delete),
            (
                "",
                "Favor de corregir mi apellido, está mal escrito",
                Correct,
            ),
            ("", "Corrijan mi nombre por favor", Correct),
            ("Corrección de datos", "", Correct),
            ("", "Hay un error en mi fecha de nacimiento", Correct),
            ("", "Necesito que actualicen mi dirección", Update),
            ("", "Quiero cambiar mi dirección", Update),
            ("", "Me mudé el mes pasado", Update),
            ("", "Tengo una nueva direccion", Update),
            ("", "Merci de supprimer mon compte", Delete),
            ("", "Pouvez-vous effacer mes données ?", Delete),
            ("", "Je veux exercer mon droit à l'oubli", Delete),
            ("", "Mon nom est mal orthographié", Correct),
            ("", "Veuillez corriger mon adresse", Correct),
            ("", "J'ai déménagé, voici ma nouvelle adresse", Update),
            ("", "Merci de mettre à jour mon numéro", Update),
            ("Changement d'adresse", "", Update),
            ("", "Bitte löschen Sie mein Konto", Delete),
            ("", "Bitte loeschen Sie meine Daten", Delete),
            ("Antrag auf Datenlöschung", "", Delete),
            ("", "Ich möchte meine Mitgliedschaft kündigen", Delete),
            ("", "Mein Name ist falsch geschrieben", Correct),
            ("", "Da ist ein Tippfehler in meinem Namen", Correct),
            ("Adressänderung", "", Update),
            ("", "Ich bin umgezogen", Update),
            ("", "Please remove me from your records", Delete),
            ("", "My surname is misspelled", Correct),
            (
                "",
                "I have updated my phone number, please change my record",
                Update,
            ),
            ("Library hours", "When are you open on Sunday?", Other),
            (
                "Prefix",
                "A borrador question about the Spanish club",
                Other,
            ),
        ] {
            let c = classify(subject, text);
            assert_eq!(c.kind, kind, "{subject:?} {text:?}: {}", c.reason);
        }
    }

    #[test]
    fn the_reason_names_the_words_found() {
        let c = classify("", "Por favor BÓRRENME");
        assert_eq!(c.reason, "delete: the text says \"borrenme\"");
    }

    #[test]
    fn quoted_text_is_not_read() {
        let c = classify("Hours?", "When are you open?\n> please delete everything");
        assert_eq!(c.kind, RequestKind::Other);
    }
}
