//! What each fuzz target checks of one input. Shared, by `#[path]`, between
//! the fuzz targets in `fuzz_targets/` and the corpus replay test in
//! `tests/app/fuzz_corpus.rs`, so CI replays the committed corpora through the
//! very same checks without cargo-fuzz. Every function must not panic for
//! any input; the asserts are the invariants.
//!
//! In the fuzz crate each check is behind the feature naming its crates; in
//! the test suite (no `fuzzing` cfg) all of them are there.

#[cfg(any(not(fuzzing), feature = "directory"))]
/// The header of the IMLS outlet file: inputs to [`imls_row`] are the rows after it.
pub const IMLS_HEADER: &[u8] = b"fscs_id,name,phone,county,location,lat,long\n";

#[cfg(any(not(fuzzing), feature = "mail"))]
/// Inbound mail: parse, classify, route (the look-ups answered from the address itself).
pub fn inbound_mail(data: &[u8]) {
    let _ = notifier::inbound::envelope(data);
    let Ok(m) = notifier::inbound::parse(data) else {
        return;
    };
    assert_eq!(m.size, data.len());
    // PostgreSQL refuses NUL in text: none may reach what is stored.
    for s in [
        Some(&m.subject),
        Some(&m.text),
        m.from.as_ref(),
        m.message_id.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(!s.contains('\0'), "a NUL was kept");
    }
    let c = notifier::classify::classify(&m.subject, &m.text);
    assert!(c.reason.starts_with(c.kind.as_str()));
    let n = m.from.as_deref().map_or(0, str::len);
    let routed = notifier::route::route(
        m.from.as_deref(),
        |a| Ok::<_, ()>(a.len() % 3 == 0),
        |a| Ok((1..=(a.len() % 4) as i64).map(store::LibraryId).collect()),
    )
    .unwrap_or_else(|()| unreachable!());
    match routed.route {
        "library" => {
            assert_eq!(routed.queue, "library");
            assert!(
                !routed.scopes.is_empty() && !routed.scopes.contains(&store::LibraryId::CONSORTIUM)
            );
        }
        "director" => assert_eq!((routed.queue, n % 3), ("inbox", 0)),
        "triage" => assert_eq!(routed.queue, "triage"),
        other => panic!("unknown route {other}"),
    }
    if routed.route != "library" {
        assert_eq!(routed.scopes, vec![store::LibraryId::CONSORTIUM]);
    }
}

/// Policy documents: an accepted document, written out again as TOML, is accepted again and is the same.
pub fn policy_document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = policy::document::PolicyDocument::from_toml(text) else {
        return;
    };
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => panic!("accepted but not a TOML table: {e}"),
    };
    let again = match toml::to_string(&table) {
        Ok(s) => s,
        Err(e) => panic!("accepted but cannot be written out: {e}"),
    };
    match policy::document::PolicyDocument::from_toml(&again) {
        Ok(d) => assert_eq!(d, doc, "the same document read differently"),
        Err(e) => panic!("accepted once, refused the second time: {e}"),
    }
}

#[cfg(any(not(fuzzing), feature = "app"))]
/// Records feed lines: the input screen and the line parser.
pub fn feed_lines(data: &[u8]) {
    let _ = tenant_api::input::check_feed(data);
    if let Ok(feed) = custody::records::Feed::parse(data) {
        assert!((1..=custody::records::FEED_LIMIT).contains(&feed.len()));
    }
}

#[cfg(any(not(fuzzing), feature = "app"))]
/// List cursors: one that decodes is the very cursor its key encodes to.
pub fn list_cursor(data: &[u8]) {
    use tenant_api::routes::{decode_cursor, encode_cursor};
    if let Some(bytes) = data.get(..8) {
        let mut id = [0u8; 8];
        id.copy_from_slice(bytes);
        let id = i64::from_le_bytes(id);
        assert_eq!(decode_cursor(&encode_cursor(id)), Some(id));
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(id) = decode_cursor(s) {
        assert_eq!(
            encode_cursor(id),
            s,
            "a cursor this server never gave out was taken"
        );
    }
    // The directory's cursors are bound to a search: the first line names it.
    let (fp, c) = s.split_once('\n').unwrap_or(("", s));
    if let Some(key) = directory::search::decode_cursor(c, fp) {
        let again = directory::search::encode_cursor(&key, fp);
        assert_eq!(again, c, "a directory cursor it never gave out was taken");
    }
}

#[cfg(any(not(fuzzing), feature = "directory"))]
/// IMLS import rows (after the file's header): what is kept is in range and named.
pub fn imls_row(data: &[u8]) {
    let mut input = IMLS_HEADER.to_vec();
    input.extend_from_slice(data);
    let Ok((outlets, _skipped)) = directory::import::read(&input[..]) else {
        return;
    };
    for o in outlets {
        assert!(o.line >= 2);
        assert!(!o.fields.name.trim().is_empty());
        if let Some(la) = o.fields.latitude {
            assert!((-90.0..=90.0).contains(&la));
        }
        if let Some(lo) = o.fields.longitude {
            assert!((-180.0..=180.0).contains(&lo));
        }
        let _ = o.key();
    }
}

#[cfg(any(not(fuzzing), feature = "app"))]
/// SIP2: framing does not depend on how reads cut the stream; every frame is
/// capped and holds no CR; parsing never panics.
pub fn sip2_message(data: &[u8]) {
    use tenant_api::sip2::codec::{Frame, Framer, Message, MAX_MESSAGE};
    let _ = Message::parse(data);
    let step = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut framer = Framer::new();
    let mut cut = Vec::new();
    for chunk in data.chunks(step) {
        cut.extend(framer.push(chunk));
    }
    let whole = Framer::new().push(data);
    assert_eq!(cut, whole, "framing depends on how reads cut the stream");
    for frame in whole {
        if let Frame::Message(m) = frame {
            assert!(m.len() <= MAX_MESSAGE && !m.contains(&b'\r'));
            if let Ok(msg) = Message::parse(&m) {
                assert_eq!(msg.command.len(), 2);
            }
        }
    }
}
