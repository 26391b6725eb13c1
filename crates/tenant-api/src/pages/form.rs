//! Form controls every page builds the same way: a label for each input, its
//! hint, and, after a refused submission, its error beside it (`aria-invalid`,
//! tied to the input by `aria-describedby`) with what was typed kept.

/// One labelled text input, shown by `templates/field.html`.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// The input's `name` and `id`.
    pub name: &'static str,
    /// Its label.
    pub label: &'static str,
    /// What it holds: what was typed, kept across a refusal.
    pub value: &'a str,
    /// A hint under it; none when empty.
    pub hint: &'static str,
    /// Why the last submission was refused, when it was for this field.
    pub error: Option<&'a str>,
}

impl<'a> Field<'a> {
    /// An input showing `value` (empty when there is none).
    pub fn new(
        name: &'static str,
        label: &'static str,
        value: Option<&'a str>,
        hint: &'static str,
    ) -> Self {
        Field {
            name,
            label,
            value: value.unwrap_or(""),
            hint,
            error: None,
        }
    }

    /// The ids of the hint and error that describe the input, space-separated.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }
}

/// A ticked or unticked box.
pub struct Tick {
    /// The value sent.
    pub value: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is ticked.
    pub checked: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::filters;
    use askama::Template;

    #[derive(Template)]
    #[template(
        source = "{% for f in fields %}{% include \"field.html\" %}{% endfor %}",
        ext = "html"
    )]
    struct Fields<'a> {
        fields: Vec<Field<'a>>,
    }

    #[test]
    fn a_refused_field_says_why_beside_it_and_keeps_what_was_typed() {
        let mut card = Field::new(
            "card",
            "Card number",
            Some("12\"34"),
            "On the back of the card",
        );
        card.error = Some("a card number has 14 digits");
        let html = Fields {
            fields: vec![Field::new("q", "Name", None, ""), card],
        }
        .render()
        .unwrap();
        assert!(
            html.starts_with(
                "<div><label for=\"q\">Name</label><input id=\"q\" name=\"q\" value=\"\" /></div>"
            ),
            "{html}"
        );
        assert!(html.contains("value=\"12&quot;34\""), "{html}");
        assert!(
            html.contains("aria-describedby=\"card-hint card-error\" aria-invalid=\"true\" />"),
            "{html}"
        );
        assert!(
            html.contains(
                "<p class=\"error\" id=\"card-error\">a card number has 14 digits</p></div>"
            ),
            "{html}"
        );
    }
}
