//! The committed fuzz corpora (`tests/fuzz/corpus/<target>/`) replayed
//! through the fuzz targets' own checks, so every input that once found a
//! crash, and the seeds, stay covered in CI even where cargo-fuzz is not
//! installed. Pure functions only: no app, no backend.

// Its cfgs name the fuzz crate's `fuzzing` and features, unknown here.
#[allow(unexpected_cfgs)]
#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let caught = std::panic::catch_unwind(|| check(&data));
        assert!(
            caught.is_ok(),
            "{target}: {} fails its check",
            path.display()
        );
        n += 1;
    }
    assert!(n > 0, "{target}: the corpus is empty");
}

#[test]
fn inbound_mail_corpus() {
    replay("inbound_mail", checks::inbound_mail);
}

#[test]
fn policy_document_corpus() {
    replay("policy_document", checks::policy_document);
}

#[test]
fn feed_lines_corpus() {
    replay("feed_lines", checks::feed_lines);
}

#[test]
fn list_cursor_corpus() {
    replay("list_cursor", checks::list_cursor);
}

#[test]
fn imls_row_corpus() {
    replay("imls_row", checks::imls_row);
}

#[test]
fn sip2_message_corpus() {
    replay("sip2_message", checks::sip2_message);
}
