//! Pages: a library's staff for its admins (list, add with a one-time
//! password shown once, change role, disable or enable, remove after a
//! confirmation step).

use super::filters;
use super::form::Field;
use super::layout::{Layout, SessionBar};
use super::nav;
use super::paging::Pager;
use super::signin::Problem;
use crate::error::ApiError;
use askama::Template;
use custody::accounts::StaffAccount;
use policy::staff::LibraryRole;

/// The roles an admin gives, as (value, words).
pub const ROLES: [(&str, &str); 3] = [
    ("staff", "staff"),
    ("custodian", "custodian of records"),
    ("admin", "library admin"),
];

/// A role's form value.
pub fn role_value(role: LibraryRole) -> &'static str {
    match role {
        LibraryRole::Admin => "admin",
        LibraryRole::Staff => "staff",
        LibraryRole::Custodian => "custodian",
    }
}

/// The add form as typed, and why it was refused.
#[derive(Default)]
pub struct AddForm<'a> {
    /// The address typed.
    pub email: &'a str,
    /// The name typed.
    pub display_name: &'a str,
    /// The role chosen.
    pub role: &'a str,
    /// A refusal: the field it is about and why.
    pub error: Option<(&'static str, &'a str)>,
}

/// A staff account just added, with its one-time password.
pub struct Added<'a> {
    /// The new member's name.
    pub name: &'a str,
    /// Their sign-in address.
    pub email: &'a str,
    /// The generated password, shown this once.
    pub password: &'a str,
}

#[derive(Template)]
#[template(path = "staff/list.html")]
struct List<'a> {
    layout: Layout,
    csrf: String,
    here: String,
    library: &'a str,
    me: i64,
    staff: &'a [StaffAccount],
    added: Option<Added<'a>>,
    problems: Vec<Problem<'a>>,
    email: Field<'a>,
    name: Field<'a>,
    role: &'a str,
    role_error: Option<&'a str>,
    roles: &'static [(&'static str, &'static str)],
    pager: String,
}

impl List<'_> {
    fn role_words(&self, role: &LibraryRole) -> &'static str {
        nav::role_name(*role)
    }

    fn role_value(&self, role: &LibraryRole) -> &'static str {
        role_value(*role)
    }
}

/// The staff page of the library `slug`.
#[allow(clippy::too_many_arguments)]
pub fn list_page<'a>(
    slug: &str,
    library: &'a str,
    me: i64,
    staff: &'a [StaffAccount],
    pager: &Pager,
    form: &AddForm<'a>,
    added: Option<Added<'a>>,
    notice: Option<&'static str>,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let here = format!("/libraries/{slug}/staff");
    let mut email = Field::new(
        "email",
        "Email address",
        Some(form.email),
        "They sign in with it",
    );
    let mut name = Field::new("display_name", "Name", Some(form.display_name), "");
    let mut role_error = None;
    let mut problems = Vec::new();
    if let Some((field, text)) = form.error {
        match field {
            "display_name" => name.error = Some(text),
            "role" => role_error = Some(text),
            _ => email.error = Some(text),
        }
        let field = match field {
            "display_name" | "role" => field,
            _ => "email",
        };
        problems.push(Problem { field, text });
    }
    let title = if problems.is_empty() {
        format!("Staff of {library} – custodian")
    } else {
        format!("Error: Staff of {library} – custodian")
    };
    let csrf = bar.csrf.clone();
    let mut layout = Layout::signed_in(
        title,
        nav::library(slug, LibraryRole::Admin),
        here.clone(),
        bar,
    );
    if let Some(n) = notice {
        layout = layout.notice(n);
    }
    super::render(&List {
        layout,
        csrf,
        here,
        library,
        me,
        staff,
        added,
        problems,
        email,
        name,
        role: if form.role.is_empty() {
            "staff"
        } else {
            form.role
        },
        role_error,
        roles: &ROLES,
        pager: pager.html(),
    })
}

#[derive(Template)]
#[template(path = "staff/remove.html")]
struct Remove<'a> {
    layout: Layout,
    csrf: String,
    here: String,
    back: String,
    library: &'a str,
    member: &'a StaffAccount,
    role: &'static str,
}

/// The confirmation step before removing a staff member.
pub fn remove_page(
    slug: &str,
    library: &str,
    member: &StaffAccount,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let back = format!("/libraries/{slug}/staff");
    let csrf = bar.csrf.clone();
    super::render(&Remove {
        layout: Layout::signed_in(
            format!("Remove {} – custodian", member.display_name),
            nav::library(slug, LibraryRole::Admin),
            back.clone(),
            bar,
        ),
        csrf,
        here: format!("{back}/{}/remove", member.account_id.0),
        back,
        library,
        member,
        role: nav::role_name(member.role),
    })
}
