//! Pages: moderation.
