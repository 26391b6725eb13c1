//! What every page shares: its title, the site links in its header, and the
//! messages shown above its content.

/// A link in the header.
#[derive(Debug, Clone, Copy)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
}

/// The header of the public directory's pages.
pub const DIRECTORY_NAV: &[NavLink] = &[NavLink {
    href: "/directory",
    label: "Library directory",
}];

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
    pub nav: &'static [NavLink],
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
            nav,
            flash: Vec::new(),
            noindex: false,
        }
    }

    /// The same page, kept out of search engines.
    pub fn noindex(mut self) -> Self {
        self.noindex = true;
        self
    }
}
