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
        login_key -> Text,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Binary,
        account_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_seen_at -> Timestamp,
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
    audit_checkpoints (library_id, seq, at) {
        library_id -> BigInt,
        seq -> BigInt,
        head_hash -> Binary,
        at -> Timestamp,
        key_id -> Text,
        signature -> Binary,
    }
}

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

diesel::table! {
    patrons (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        card_index -> Binary,
        card_last4 -> Text,
        card_sealed -> Text,
        pin_hash -> Text,
        name_sealed -> Text,
        address_sealed -> Nullable<Text>,
        email_index -> Nullable<Binary>,
        email_sealed -> Nullable<Text>,
        phone_sealed -> Nullable<Text>,
        birth_date_sealed -> Nullable<Text>,
        guardian_sealed -> Nullable<Text>,
        keep_history -> Bool,
        contact_by -> Text,
        deletion_requested_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        pending_email_index -> Nullable<Binary>,
        pending_email_sealed -> Nullable<Text>,
        email_token_hash -> Nullable<Binary>,
        email_token_expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The key store, apart from the data (see the migration 000022).
    keystore.patron_keys (library_id, patron_id) {
        library_id -> BigInt,
        patron_id -> BigInt,
        key_sealed -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    patron_consents (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        patron_id -> BigInt,
        kind -> Text,
        scope -> Text,
        given_by_sealed -> Text,
        granted_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    library_records (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        kind -> Text,
        source -> Text,
        external_id -> Text,
        occurred_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        item -> Text,
        branch -> Text,
        status -> Text,
        amount_cents -> Nullable<BigInt>,
        settled_at -> Nullable<Timestamp>,
        details_sealed -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    record_links (library_id, record_id) {
        library_id -> BigInt,
        record_id -> BigInt,
        patron_id -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    patrons,
    patron_keys,
    patron_consents,
    library_records,
    record_links
);

diesel::table! {
    patron_sessions (library_id, token_hash) {
        library_id -> BigInt,
        token_hash -> Binary,
        patron_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    outbox (library_id, id) {
        id -> BigInt,
        library_id -> BigInt,
        message_id -> Text,
        template -> Text,
        recipient_hint -> Text,
        envelope_sealed -> Text,
        message_sealed -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        body_id -> Nullable<BigInt>,
        patron_id -> Nullable<BigInt>,
        trace_parent -> Nullable<Text>,
    }
}

diesel::table! {
    outbox_bodies (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        purpose -> Text,
        body_sealed -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    inbound_mail (id) {
        id -> BigInt,
        fingerprint -> Binary,
        received_at -> Timestamp,
        channel -> Text,
        outcome -> Text,
        route -> Nullable<Text>,
        reason -> Text,
        size_bytes -> BigInt,
    }
}

diesel::table! {
    inbound_mail_routes (inbound_id, library_id) {
        inbound_id -> BigInt,
        library_id -> BigInt,
    }
}

diesel::table! {
    mail_requests (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        inbound_id -> Nullable<BigInt>,
        queue -> Text,
        kind -> Text,
        reason -> Text,
        status -> Text,
        owner_id -> Nullable<BigInt>,
        due_at -> Timestamp,
        sender_sealed -> Text,
        subject_sealed -> Text,
        body_sealed -> Text,
        attachments_sealed -> Text,
        raw_sealed -> Text,
        in_reply_to -> Nullable<Text>,
        confirm_hash -> Nullable<Binary>,
        confirm_expires_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
        confirmed_at -> Nullable<Timestamp>,
        received_at -> Timestamp,
        updated_at -> Timestamp,
        source -> Text,
        patron_id -> Nullable<BigInt>,
        reply_to_sealed -> Nullable<Text>,
        content_removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mail_request_events (library_id, request_id, seq) {
        library_id -> BigInt,
        request_id -> BigInt,
        seq -> Integer,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        detail -> Text,
        note_sealed -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(inbound_mail, inbound_mail_routes, libraries);
diesel::allow_tables_to_appear_in_same_query!(mail_requests, mail_request_events);

diesel::table! {
    security_log (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        target_library_id -> BigInt,
        action -> Text,
        clause -> Text,
        repeats -> BigInt,
    }
}

diesel::table! {
    legal_requests (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        instrument -> Text,
        requester_name -> Text,
        requester_agency -> Text,
        requester_email -> Text,
        court -> Text,
        case_number -> Text,
        issued_on -> Nullable<Text>,
        good_cause_shown -> Bool,
        finding -> Text,
        patron_ids -> Text,
        kinds -> Text,
        from_date -> Nullable<Text>,
        to_date -> Nullable<Text>,
        non_disclosure_until -> Nullable<Text>,
        consent_id -> Nullable<BigInt>,
        status -> Text,
        registered_by -> BigInt,
        created_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        clause -> Nullable<Text>,
        reason -> Nullable<Text>,
        imminent_danger -> Bool,
    }
}

diesel::table! {
    legal_releases (library_id, audit_seq) {
        library_id -> BigInt,
        audit_seq -> BigInt,
        legal_request_id -> BigInt,
        subject -> Text,
    }
}

diesel::table! {
    legal_time (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        legal_request_id -> BigInt,
        minutes -> BigInt,
        what -> Text,
        by_account -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    legal_settings (library_id) {
        library_id -> BigInt,
        legal_hourly_rate_cents -> BigInt,
    }
}

diesel::table! {
    vendors (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        name -> Text,
        service -> Text,
        privacy_policy_url -> Text,
        contract_starts -> Text,
        contract_ends -> Text,
        fields -> Text,
        purpose -> Text,
        erasure_contact -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        notified_soon_at -> Nullable<Timestamp>,
        notified_ended_at -> Nullable<Timestamp>,
        use_key -> Nullable<Text>,
    }
}

diesel::table! {
    vendor_keys (library_id, id) {
        library_id -> BigInt,
        id -> Text,
        vendor_id -> BigInt,
        secret_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    legal_documents (library_id, id) {
        library_id -> BigInt,
        id -> BigInt,
        legal_request_id -> BigInt,
        name_sealed -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        content_sealed -> Binary,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    statistics_counts (library_id, day, series, key) {
        library_id -> BigInt,
        day -> Text,
        series -> Text,
        key -> Text,
        count -> BigInt,
    }
}

diesel::table! {
    retention_periods (library_id, kind) {
        library_id -> BigInt,
        kind -> Text,
        keep_days -> BigInt,
        then_method -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    retention_runs (library_id) {
        library_id -> BigInt,
        ran_at -> Timestamp,
        dry_run -> Bool,
        report -> Text,
    }
}

diesel::table! {
    job_leases (job) {
        job -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    privacy_policy_versions (library_id, version) {
        library_id -> BigInt,
        version -> BigInt,
        document -> Text,
        summary -> Text,
        new_uses -> Text,
        published_by -> BigInt,
        published_at -> Timestamp,
    }
}

diesel::table! {
    policy_notices (library_id, version, patron_id) {
        library_id -> BigInt,
        version -> BigInt,
        patron_id -> BigInt,
        outbox_id -> BigInt,
        queued_at -> Timestamp,
    }
}

diesel::table! {
    policy_dismissals (library_id, patron_id) {
        library_id -> BigInt,
        patron_id -> BigInt,
        version -> BigInt,
        dismissed_at -> Timestamp,
    }
}

diesel::table! {
    patron_opt_outs (library_id, patron_id, use_key) {
        library_id -> BigInt,
        patron_id -> BigInt,
        use_key -> Text,
        opted_out -> Bool,
        policy_version -> BigInt,
        consent_id -> BigInt,
        updated_at -> Timestamp,
    }
}
