//! Diesel table definitions shared by both backends.
//!
//! Only types both PostgreSQL and SQLite support appear here, so one set of
//! queries serves both. Tenant tables are `pub(crate)`: outside this crate they
//! can only be reached through a [`crate::tenant::LibraryTx`].

diesel::table! {
    consortium (id) {
        id -> SmallInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    libraries (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        jurisdiction -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        is_director -> Bool,
        disabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Binary,
        account_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    library_staff (library_id, account_id) {
        library_id -> BigInt,
        account_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(library_staff -> accounts (account_id));
diesel::joinable!(library_staff -> libraries (library_id));
diesel::allow_tables_to_appear_in_same_query!(
    consortium,
    libraries,
    accounts,
    sessions,
    library_staff
);

diesel::table! {
    audit_log (library_id, seq) {
        library_id -> BigInt,
        seq -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        subject -> Text,
        purpose -> Text,
        decision -> Text,
        clause -> Text,
        sealed -> Bool,
        prev_hash -> Binary,
        hash -> Binary,
    }
}
