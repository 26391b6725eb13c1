//! Email: outbox, delivery, templates, inbound correction requests.
