//! The sign-in pages (staff and patrons), the landing pages a sign-in leads
//! to, and the page a browser gets when a request fails.

use super::filters;
use super::form::Field;
use super::layout::{Layout, NavLink, SessionBar, DIRECTORY_NAV};
use super::nav;
use crate::error::ApiError;
use askama::Template;

/// A refused field, for the error summary above the form.
pub struct Problem<'a> {
    /// The field's id, linked from the summary.
    pub field: &'static str,
    /// Why it was refused.
    pub text: &'a str,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn<'a> {
    layout: Layout,
    csrf: &'a str,
    problems: Vec<Problem<'a>>,
    email: Field<'a>,
    password_error: Option<&'a str>,
    library: Option<Field<'a>>,
}

/// What a staff sign-in form shows: what was typed (never the password) and
/// why the last attempt was refused.
#[derive(Default)]
pub struct SignInForm<'a> {
    /// The email typed.
    pub email: &'a str,
    /// The library slug typed, when one was asked for.
    pub library: Option<&'a str>,
    /// Whether to ask for the library (the email opens several).
    pub ask_library: bool,
    /// A refusal: the field it is about and why.
    pub error: Option<(&'static str, &'a str)>,
}

/// The staff sign-in page.
pub fn sign_in_page(csrf: &str, form: &SignInForm<'_>) -> Result<String, ApiError> {
    let mut email = Field::new("email", "Email address", Some(form.email), "");
    let mut password_error = None;
    let mut library = form.ask_library.then(|| {
        Field::new(
            "library",
            "Library",
            form.library,
            "The short name of your library in its addresses, such as riverbend",
        )
    });
    let mut problems = Vec::new();
    if let Some((field, text)) = form.error {
        match field {
            "password" => password_error = Some(text),
            "library" => {
                if let Some(l) = library.as_mut() {
                    l.error = Some(text);
                }
            }
            _ => email.error = Some(text),
        }
        let field = match field {
            "password" | "library" => field,
            _ => "email",
        };
        problems.push(Problem { field, text });
    }
    super::render(&SignIn {
        layout: Layout::new(title("Staff sign-in", &problems), DIRECTORY_NAV),
        csrf,
        problems,
        email,
        password_error,
        library,
    })
}

/// One member library in the patron's chooser.
pub struct LibraryChoice {
    /// Its slug, the form's value.
    pub slug: String,
    /// Its name, what the patron reads.
    pub name: String,
}

#[derive(Template)]
#[template(path = "my_sign_in.html")]
struct MySignIn<'a> {
    layout: Layout,
    csrf: &'a str,
    problems: Vec<Problem<'a>>,
    libraries: &'a [LibraryChoice],
    chosen: &'a str,
    library_error: Option<&'a str>,
    card: Field<'a>,
    pin_error: Option<&'a str>,
}

/// What the patron sign-in form shows after a refusal.
#[derive(Default)]
pub struct MySignInForm<'a> {
    /// The library chosen.
    pub library: &'a str,
    /// The card number typed.
    pub card_number: &'a str,
    /// A refusal: the field it is about and why.
    pub error: Option<(&'static str, &'a str)>,
}

/// The patron sign-in page.
pub fn my_sign_in_page(
    csrf: &str,
    libraries: &[LibraryChoice],
    form: &MySignInForm<'_>,
) -> Result<String, ApiError> {
    let mut card = Field::new(
        "card_number",
        "Card number",
        Some(form.card_number),
        "The number on your library card",
    );
    let (mut library_error, mut pin_error) = (None, None);
    let mut problems = Vec::new();
    if let Some((field, text)) = form.error {
        let field = match field {
            "library" => {
                library_error = Some(text);
                "library"
            }
            "pin" => {
                pin_error = Some(text);
                "pin"
            }
            _ => {
                card.error = Some(text);
                "card_number"
            }
        };
        problems.push(Problem { field, text });
    }
    super::render(&MySignIn {
        layout: Layout::new(title("Patron sign-in", &problems), DIRECTORY_NAV),
        csrf,
        problems,
        libraries,
        chosen: form.library,
        library_error,
        card,
        pin_error,
    })
}

/// A refused form's title starts with "Error", so it is the first thing a
/// screen reader announces.
fn title(base: &str, problems: &[Problem<'_>]) -> String {
    if problems.is_empty() {
        format!("{base} – custodian")
    } else {
        format!("Error: {base} – custodian")
    }
}

#[derive(Template)]
#[template(path = "library_home.html")]
struct LibraryHome<'a> {
    layout: Layout,
    name: &'a str,
    role: &'a str,
    library: &'a str,
    slug: &'a str,
}

/// A library account's landing page: what each of its pages is for.
pub fn library_home(
    name: &str,
    role: policy::staff::LibraryRole,
    slug: &str,
    library: &str,
    bar: SessionBar,
) -> Result<String, ApiError> {
    let here = format!("/libraries/{slug}");
    super::render(&LibraryHome {
        layout: Layout::signed_in(
            format!("{library} – custodian"),
            nav::library(slug, role),
            here,
            bar,
        ),
        name,
        role: nav::role_name(role),
        library,
        slug,
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    status: u16,
    title: &'a str,
    detail: &'a str,
    next: Option<NavLink>,
}

/// The page a browser gets instead of problem+json: the problem's own title
/// and detail, and where to go next when there is an obvious place.
pub fn error_page(
    status: u16,
    title: &str,
    detail: &str,
    next: Option<NavLink>,
) -> Result<String, ApiError> {
    super::render(&ErrorPage {
        layout: Layout::new(format!("{title} – custodian"), DIRECTORY_NAV).noindex(),
        status,
        title,
        detail,
        next,
    })
}
