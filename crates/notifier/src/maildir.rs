//! Taking in a Maildir folder: every message of `new/` and `cur/`, in name
//! order, each one moved so the next run does not read it again.
//!
//! What is taken in from `new/` moves to `cur/` with the Seen flag, as a mail
//! reader would; what is not a message moves to `refused/`; what fails for
//! another reason (the database) stays where it is, to be taken in on the
//! next run. A message taken in before is recognised by its Message-ID, so a
//! file that could not be moved is never filed twice.
//!
//! Progress goes to a log the caller gives (the CLI's standard error), in
//! file names and counts only: a message's contents never reach it.

use crate::requests::Channel;
use crate::{Mailroom, MailroomError};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How often, in messages, progress is written.
const PROGRESS_EVERY: usize = 100;

/// What one run over a Maildir did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Messages found.
    pub total: usize,
    /// Messages taken in, by outcome (request, auto_reply, bounce, duplicate).
    pub taken: BTreeMap<&'static str, usize>,
    /// Files that were not a message, moved to `refused/`.
    pub refused: usize,
    /// Files that could not be taken in and stay where they are.
    pub failed: usize,
}

impl Mailroom {
    /// Takes in every message of the Maildir `dir` (see the module's documentation).
    pub fn ingest_maildir(
        &self,
        dir: &Path,
        log: &mut dyn Write,
    ) -> Result<Summary, MailroomError> {
        take_in(
            dir,
            |raw| {
                self.ingest(raw, Channel::Maildir, chrono::Utc::now().naive_utc())
                    .map(|i| i.outcome)
            },
            log,
        )
    }
}

/// The files of `new/` and `cur/`, in name order, with the folder each is in.
fn files(dir: &Path) -> Result<Vec<(&'static str, PathBuf)>, MailroomError> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let path = dir.join(sub);
        let entries = std::fs::read_dir(&path).map_err(|e| MailroomError::Invalid {
            field: "--maildir",
            message: format!(
                "cannot read {} ({e}); a Maildir has new/, cur/ and tmp/ folders",
                path.display()
            ),
        })?;
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                files.push((sub, entry.path()));
            }
        }
    }
    files.sort_by(|a, b| a.1.file_name().cmp(&b.1.file_name()));
    Ok(files)
}

/// Takes in every message of the Maildir `dir` with `take`, which files one
/// message and answers its outcome; [`MailroomError::Unreadable`] marks a
/// file that is not a message. Only an unreadable Maildir is an error: each
/// file's failure is written to `log` and counted.
pub fn take_in(
    dir: &Path,
    mut take: impl FnMut(&[u8]) -> Result<&'static str, MailroomError>,
    log: &mut dyn Write,
) -> Result<Summary, MailroomError> {
    let files = files(dir)?;
    let mut summary = Summary {
        total: files.len(),
        ..Summary::default()
    };
    let started = Instant::now();
    for (i, (sub, path)) in files.iter().enumerate() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = std::fs::read(path)
            .map_err(|e| Err(format!("cannot read it ({e})")))
            .and_then(|raw| {
                take(&raw).map_err(|e| match e {
                    MailroomError::Unreadable(why) => Ok(why.to_string()),
                    other => Err(other.to_string()),
                })
            });
        match result {
            // Not a message: filed nowhere, and moved aside so the next run
            // does not read it again.
            Err(Ok(why)) => {
                summary.refused += 1;
                let aside = dir.join("refused");
                let moved = std::fs::create_dir_all(&aside)
                    .and_then(|()| std::fs::rename(path, aside.join(&name)));
                match moved {
                    Ok(()) => say(log, format!("refused: {name}: {why}; moved to refused/")),
                    Err(e) => say(log, format!(
                        "refused: {name}: {why}; it could not be moved to refused/ ({e}), so it stays where it is"
                    )),
                }
            }
            Ok(outcome) => {
                *summary.taken.entry(outcome).or_default() += 1;
                if *sub == "new" {
                    let seen = dir
                        .join("cur")
                        .join(format!("{}:2,S", name.split(':').next().unwrap_or(&name)));
                    if let Err(e) = std::fs::rename(path, &seen) {
                        say(log, format!("warning: {name}: taken in, but could not be moved to cur/ ({e}); it will be recognised as a duplicate next time"));
                    }
                }
            }
            Err(Err(e)) => {
                summary.failed += 1;
                say(
                    log,
                    format!(
                        "error: {name}: {e}; it stays where it is, to be taken in on the next run"
                    ),
                );
            }
        }
        if (i + 1) % PROGRESS_EVERY == 0 || i + 1 == summary.total {
            say(
                log,
                format!(
                    "{}/{} messages, {:.1}s: {}{} refused, {} failed",
                    i + 1,
                    summary.total,
                    started.elapsed().as_secs_f64(),
                    summary
                        .taken
                        .iter()
                        .map(|(k, v)| format!("{v} {k}, "))
                        .collect::<String>(),
                    summary.refused,
                    summary.failed
                ),
            );
        }
    }
    if summary.total == 0 {
        say(log, format!("no messages in {}", dir.display()));
    }
    Ok(summary)
}

/// Writes one line of progress; a log that cannot be written must not stop
/// the mail being taken in.
fn say(log: &mut dyn Write, line: String) {
    let _ = writeln!(log, "{line}");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::inbound::ParseError;
    use std::fs;

    fn maildir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        dir
    }

    fn names(dir: &Path, sub: &str) -> Vec<String> {
        let mut names: Vec<String> = match fs::read_dir(dir.join(sub)) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    #[test]
    fn messages_move_to_cur_refusals_aside_and_failures_stay() {
        let dir = maildir();
        let d = dir.path();
        fs::write(d.join("new/1.a:2,"), b"message").unwrap();
        fs::write(d.join("new/2.b"), b"junk").unwrap();
        fs::write(d.join("new/3.c"), b"fails").unwrap();
        fs::write(d.join("cur/4.d:2,S"), b"message").unwrap();
        let mut seen = Vec::new();
        let mut log = Vec::new();
        let summary = take_in(
            d,
            |raw| {
                seen.push(raw.to_vec());
                match raw {
                    b"message" => Ok("request"),
                    b"junk" => Err(MailroomError::Unreadable(ParseError::NotAMessage)),
                    _ => Err(MailroomError::NotFound),
                }
            },
            &mut log,
        )
        .unwrap();
        assert_eq!(seen.len(), 4, "every file is read once, in name order");
        assert_eq!(
            summary,
            Summary {
                total: 4,
                taken: BTreeMap::from([("request", 2)]),
                refused: 1,
                failed: 1,
            }
        );
        assert_eq!(names(d, "new"), ["3.c"], "a failure stays for the next run");
        assert_eq!(names(d, "cur"), ["1.a:2,S", "4.d:2,S"]);
        assert_eq!(names(d, "refused"), ["2.b"]);
        let log = String::from_utf8(log).unwrap();
        assert!(log.contains("refused: 2.b: "), "{log}");
        assert!(log.contains("moved to refused/"), "{log}");
        assert!(
            log.contains("error: 3.c: no such request; it stays where it is"),
            "{log}"
        );
        assert!(log.contains("4/4 messages, "), "{log}");
        assert!(log.contains("2 request, 1 refused, 1 failed"), "{log}");
    }

    #[test]
    fn an_empty_maildir_says_so_and_a_missing_one_is_refused() {
        let dir = maildir();
        let mut log = Vec::new();
        let summary = take_in(dir.path(), |_| Ok("request"), &mut log).unwrap();
        assert_eq!(summary.total, 0);
        assert!(String::from_utf8(log)
            .unwrap()
            .starts_with("no messages in "));

        let missing = dir.path().join("nowhere");
        let err = take_in(&missing, |_| Ok("request"), &mut Vec::new()).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("--maildir: cannot read "), "{text}");
        assert!(
            text.ends_with("a Maildir has new/, cur/ and tmp/ folders"),
            "{text}"
        );
    }
}
