//! `custodian create-user`: the operator's way to make the director's
//! account, or a library's account (its audit log shows it).

use super::{no_such_library, open_store, Outcome};
use crate::passwords;
use crate::settings::Settings;
use custody::accounts::{self, OperatorAccount};
use custody::CustodyError;
use policy::staff::LibraryRole;
use std::io::Read;

/// The account asked for on the command line.
pub struct NewUser<'a> {
    /// `--email`
    pub email: &'a str,
    /// `--name`
    pub name: &'a str,
    /// `--role`: director, admin, staff or custodian.
    pub role: &'a str,
    /// `--library`: required for every role but director.
    pub library: Option<&'a str>,
    /// `--password-stdin`: read the password instead of generating one.
    pub password_stdin: bool,
}

/// Creates the account and prints a generated password once.
pub fn create_user(settings: &Settings, user: &NewUser<'_>) -> Outcome {
    let role = match (user.role, user.library) {
        ("director", None) => None,
        ("director", Some(_)) => {
            return Err("the director belongs to the consortium: omit --library".into())
        }
        (r, Some(_)) => Some(
            r.parse::<LibraryRole>()
                .map_err(|e| format!("--role: {e} or director"))?,
        ),
        (_, None) => return Err("--library SLUG is required for library staff".into()),
    };
    let email = accounts::sign_in_email(user.email)
        .map_err(|_| "--email: expected an email address such as name@library.org".to_string())?;
    let (password, generated) = password(user.password_stdin)?;
    let hash = passwords::hash(&password)?;
    let store = open_store(settings)?;
    let new = OperatorAccount {
        email: &email,
        display_name: user.name,
        password_hash: &hash,
    };
    let refused = |e: CustodyError| match e {
        CustodyError::Conflict(_) => format!("an account with the email {email} already exists"),
        CustodyError::NotFound => no_such_library(user.library),
        other => other.to_string(),
    };
    match (role, user.library) {
        (Some(role), Some(slug)) => {
            accounts::operator_adds_staff(&store, slug, role, &new).map_err(refused)?;
            println!("Created {role} {email} at {slug}.");
        }
        _ => {
            accounts::operator_creates_director(&store, &new).map_err(refused)?;
            println!("Created consortium director {email}.");
        }
    }
    if generated {
        println!("Password (shown only now): {password}");
    }
    Ok(())
}

/// The password from standard input, or a generated one (and whether it was generated).
fn password(from_stdin: bool) -> Result<(String, bool), String> {
    let (password, generated) = if from_stdin {
        let mut p = String::new();
        std::io::stdin()
            .read_to_string(&mut p)
            .map_err(|e| format!("reading the password: {e}"))?;
        (p.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (passwords::generate(), true)
    };
    if password.chars().count() < passwords::MIN_LENGTH {
        return Err(format!(
            "the password needs at least {} characters",
            passwords::MIN_LENGTH
        ));
    }
    Ok((password, generated))
}
