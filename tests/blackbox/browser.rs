//! The pages in a real browser: headless Chromium driven by Playwright for
//! Python (`tests/browser/drive.py`) against the real binary on each backend,
//! with axe-core injected into every page at 1280 and 390 px, a keyboard
//! check of the skip link, and no request allowed off loopback.
//!
//! Without python3, Playwright, Chromium or axe-core the test is skipped with
//! a line saying so, unless `CUSTODIAN_TEST_BROWSER=required` (as `.ci/run`
//! sets), in which case it fails.

use crate::blackbox::harness::{backends, Server};
use std::process::Command;

const DRIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser/drive.py");
/// The same IMLS outlet file the directory tests import, so the directory
/// has results and entry pages to visit.
const OUTLETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/library_outlets.csv"
);
/// The driver's exit code for "a prerequisite is missing" (as opposed to 1,
/// "a check failed").
const UNAVAILABLE: i32 = 2;

fn required() -> bool {
    std::env::var("CUSTODIAN_TEST_BROWSER").is_ok_and(|v| v == "required")
}

/// Whether the driver can run here; panics when it cannot and the run requires it.
fn available() -> bool {
    let why = match Command::new("python3").arg(DRIVER).arg("--check").output() {
        Err(e) => format!("python3 cannot be started ({e})"),
        Ok(out) if out.status.success() => return true,
        Ok(out) if out.status.code() == Some(UNAVAILABLE) => {
            String::from_utf8_lossy(&out.stderr).trim().to_owned()
        }
        Ok(out) => panic!(
            "{DRIVER} --check failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    };
    let how = "install them with `python3 -m pip install playwright`, `apt-get install chromium` and `npm ci --prefix tests/browser` (.ci/run does all three)";
    if required() {
        panic!("CUSTODIAN_TEST_BROWSER=required but {why}: {how}");
    }
    eprintln!("skipping the browser tests: {why} ({how})");
    false
}

#[test]
fn pages_pass_axe_in_chromium() {
    if !available() {
        return;
    }
    for backend in backends() {
        // A dozen patrons a library: enough for every flow (the child, one
        // keeping history) and quick to seed.
        let server = Server::start(backend, &[("CUSTODIAN__DEMO__PATRONS", "12")]);
        let import = server.cli(&["directory", "import", OUTLETS]);
        assert!(
            import.status.success(),
            "directory import failed ({backend:?}): {}",
            String::from_utf8_lossy(&import.stderr)
        );
        let label = format!("{backend:?}").to_lowercase();
        let out = Command::new("python3")
            .arg(DRIVER)
            .arg(&server.base)
            .args(["--label", &label])
            .arg("--accounts")
            .arg(server.accounts_file())
            .output()
            .expect("start python3 for the browser driver");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Printed on success too: the per-page line is the axe result and the
        // page size the closing note reports.
        println!("--- browser, {backend:?}\n{stdout}{stderr}");
        if !out.status.success() {
            // The driver's lines are printed above; the end of the server's
            // log says what it made of the requests that failed.
            let log = server.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "the browser checks failed on {backend:?} ({}):\n{stderr}\nthe end of the server log:\n{}",
                out.status,
                tail.join("\n")
            );
        }
    }
}
