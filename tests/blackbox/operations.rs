//! Health, readiness, request ids, errors, configuration and shutdown.

use crate::blackbox::harness::*;

#[test]
fn every_response_carries_a_request_id_that_reaches_the_log() {
    let server = Server::start(Backend::Embedded, &[]);
    let a = get(&server.url("/healthz"), None);
    let b = get(&server.url("/api/v1/no-such-thing"), None);
    let id_a = a.header("x-request-id").expect("request id").to_owned();
    let id_b = b
        .header("x-request-id")
        .expect("request id on errors too")
        .to_owned();
    assert_ne!(id_a, id_b);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log();
    assert!(
        log.contains(&id_a),
        "the log should name request {id_a}:\n{log}"
    );
}

#[test]
fn json_logs_when_configured() {
    let server = Server::start(Backend::Embedded, &[("CUSTODIAN__LOG__FORMAT", "json")]);
    get(&server.url("/healthz"), None);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log();
    let finished: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"] == "request finished")
        .collect();
    assert!(!finished.is_empty(), "no JSON request line in:\n{log}");
    assert!(
        finished[0]["request"]["request_id"].is_string()
            || finished[0]["span"]["request_id"].is_string(),
        "{}",
        finished[0]
    );
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let mut server = Server::start(Backend::Embedded, &[]);
    assert_eq!(get(&server.url("/healthz"), None).status, 200);
    let status = server.terminate();
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        server.log()
    );
}

fn run_serve_with(vars: &[(&str, &str)]) -> (std::process::Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(dir.path());
    cmd.arg("serve")
        .env("CUSTODIAN__DATA__DIR", dir.path().join("data"));
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stderr)
}

#[test]
fn a_bad_configuration_value_stops_start_up_and_names_the_setting() {
    for (var, value, named) in [
        ("CUSTODIAN__SERVER__BIND", "nowhere", "server.bind"),
        ("CUSTODIAN__DATABASE__POOL_SIZE", "lots", "pool_size"),
        ("CUSTODIAN__LOG__FORMAT", "xml", "log.format"),
        (
            "CUSTODIAN__DATABASE__URL",
            "mysql://db/custodian",
            "database.url",
        ),
        ("CUSTODIAN__SERVER__NO_SUCH_KEY", "1", "no_such_key"),
    ] {
        let (out, stderr) = run_serve_with(&[(var, value)]);
        assert!(!out.status.success(), "{var}={value} should stop start-up");
        assert!(
            stderr.contains(named),
            "{var}={value}: the message should name {named}: {stderr}"
        );
        assert!(
            stderr.contains("expected")
                || stderr.contains("unknown field")
                || stderr.contains("invalid"),
            "{stderr}"
        );
    }
}

#[test]
fn a_bad_value_in_the_config_file_is_named_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("custodian.toml");
    std::fs::write(&file, "[auth]\nsession_hours = \"forever\"\n").unwrap();
    let out = command(dir.path())
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("session_hours"), "{stderr}");
}

#[test]
fn config_prints_the_effective_settings_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .arg("config")
        .env(
            "CUSTODIAN__DATABASE__URL",
            "postgres://custodian_app:hunter2secret@db.example/custodian",
        )
        .env("CUSTODIAN__SERVER__BIND", "0.0.0.0:9000")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("bind = \"0.0.0.0:9000\""), "{text}");
    assert!(!text.contains("hunter2secret"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    let parsed: toml::Value = toml::from_str(&text).expect("config prints valid TOML");
    assert_eq!(parsed["auth"]["session_hours"].as_integer(), Some(12));
}

#[test]
fn every_subcommand_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        "serve",
        "migrate",
        "seed-demo",
        "create-user",
        "config",
        "vendors",
    ] {
        let out = command(dir.path()).arg(sub).arg("--help").output().unwrap();
        assert!(out.status.success(), "{sub} --help");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.lines().next().is_some_and(|l| l.len() > 20),
            "{sub}: {text}"
        );
    }
}

#[test]
fn the_first_start_seeds_once_and_a_restart_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |expect_seed: bool| {
        let mut child = command(dir.path())
            .arg("serve")
            .env("CUSTODIAN__SERVER__BIND", "127.0.0.1:0")
            .env("CUSTODIAN__DATA__DIR", &data)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut seen = String::new();
        let stdout = child.stdout.take().unwrap();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if line.starts_with("custodian listening on") {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            seen.contains("director@demo.custodian.test"),
            expect_seed,
            "{seen}"
        );
    };
    run(true);
    assert!(data.join("custodian.db").exists());
    assert!(data.join("outbox").is_dir());
    run(false);
}

#[test]
fn create_user_makes_an_account_that_can_sign_in() {
    let server = Server::start(Backend::Embedded, &[]);
    let data = server.log_path.parent().unwrap().join("data");
    let out = command(server.log_path.parent().unwrap())
        .args([
            "create-user",
            "--email",
            "Clerk@Riverbend.example",
            "--name",
            "A Clerk",
            "--role",
            "staff",
            "--library",
            "riverbend",
        ])
        .env("CUSTODIAN__DATA__DIR", &data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Password (shown only now): "))
        .unwrap();
    let r = post(
        &server.url("/api/v1/auth/sign-in"),
        None,
        &serde_json::json!({"email": "clerk@riverbend.example", "password": password}),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["account"]["libraries"][0]["slug"], "riverbend");
    assert_eq!(r.body["account"]["libraries"][0]["role"], "staff");

    let again = command(server.log_path.parent().unwrap())
        .args([
            "create-user",
            "--email",
            "x@y.org",
            "--name",
            "X",
            "--role",
            "staff",
            "--library",
            "nowhere",
        ])
        .env("CUSTODIAN__DATA__DIR", &data)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no library with the slug"));
}
