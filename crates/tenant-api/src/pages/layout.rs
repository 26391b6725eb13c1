//! What every page shares: its title, the site links in its header, who is
//! signed in (with the sign-out button), and the messages shown above its content.

use std::borrow::Cow;

/// A link in the header.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it goes.
    pub href: Cow<'static, str>,
    /// What it says.
    pub label: Cow<'static, str>,
}

impl NavLink {
    /// A link whose address and words are known at compile time.
    pub const fn fixed(href: &'static str, label: &'static str) -> Self {
        NavLink {
            href: Cow::Borrowed(href),
            label: Cow::Borrowed(label),
        }
    }

    /// A link to an address made at run time (a library's pages).
    pub fn to(href: String, label: &'static str) -> Self {
        NavLink {
            href: Cow::Owned(href),
            label: Cow::Borrowed(label),
        }
    }
}

/// The header of the public directory's pages.
pub const DIRECTORY_NAV: &[NavLink] = &[NavLink::fixed("/directory", "Library directory")];

/// Who is signed in, shown in the header of every signed-in page with the
/// sign-out button (which needs the session's CSRF token).
#[derive(Debug, Clone)]
pub struct SessionBar {
    /// "Ada Lovelace, library admin at Riverbend": as a librarian says it.
    pub who: String,
    /// The session's form token.
    pub csrf: String,
    /// Where the sign-out button posts: `/sign-out` or `/my/sign-out`.
    pub sign_out: &'static str,
}

/// How a message above the content reads to assistive technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    /// Something done, announced politely.
    Notice,
    /// Something that went wrong, announced at once.
    Error,
}

impl FlashKind {
    /// The stylesheet's class for it.
    pub fn class(&self) -> &'static str {
        match self {
            FlashKind::Notice => "notice",
            FlashKind::Error => "error",
        }
    }

    /// The ARIA role that makes screen readers announce it.
    pub fn role(&self) -> &'static str {
        match self {
            FlashKind::Notice => "status",
            FlashKind::Error => "alert",
        }
    }
}

/// A message shown above a page's content (after a form, for instance).
#[derive(Debug, Clone)]
pub struct Flash {
    /// Notice or error.
    pub kind: FlashKind,
    /// The words, escaped when shown.
    pub text: String,
}

/// The shared context of `layout.html`; every page template holds one as `layout`.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The document's title.
    pub title: String,
    /// The header's links; no header when empty.
    pub nav: Cow<'static, [NavLink]>,
    /// The path of the page itself: its header link is marked `aria-current`.
    pub current: String,
    /// Who is signed in; none on public pages.
    pub session: Option<SessionBar>,
    /// Messages above the content.
    pub flash: Vec<Flash>,
    /// Asks search engines not to index the page (pages behind emailed links).
    pub noindex: bool,
}

impl Layout {
    /// A page titled `title`, with the given header links.
    pub fn new(title: impl Into<String>, nav: &'static [NavLink]) -> Self {
        Layout {
            title: title.into(),
            nav: Cow::Borrowed(nav),
            current: String::new(),
            session: None,
            flash: Vec::new(),
            noindex: false,
        }
    }

    /// A signed-in page: the role's links (see [`crate::pages::nav`]), who is
    /// signed in, and `current`, the page's own path, for `aria-current`.
    /// Never indexed: it is about one session.
    pub fn signed_in(
        title: impl Into<String>,
        nav: Vec<NavLink>,
        current: impl Into<String>,
        session: SessionBar,
    ) -> Self {
        Layout {
            title: title.into(),
            nav: Cow::Owned(nav),
            current: current.into(),
            session: Some(session),
            flash: Vec::new(),
            noindex: true,
        }
    }

    /// The same page with a notice above its content ("Reply sent.").
    pub fn notice(mut self, text: impl Into<String>) -> Self {
        self.flash.push(Flash {
            kind: FlashKind::Notice,
            text: text.into(),
        });
        self
    }

    /// Whether `href` is this page's own link (the header marks it).
    pub fn is_current(&self, href: &str) -> bool {
        !self.current.is_empty() && self.current == href
    }

    /// The same page, kept out of search engines.
    pub fn noindex(mut self) -> Self {
        self.noindex = true;
        self
    }
}
