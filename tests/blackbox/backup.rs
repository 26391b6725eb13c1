//! Backup and restore (#19), on both backends: a backup taken while the
//! server takes writes, restored into a fresh database, serves again with its
//! audit chains intact (against the checkpoints taken before it), row-level
//! security binding the application role, and patrons readable.
//! docs/backup-restore.md is the procedure this follows.

use crate::blackbox::harness::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "admin.riverbend@demo.custodian.test";

fn env_of(server: &Server, key: &str) -> Option<String> {
    server
        .env
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// A server process, stopped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `custodian serve` on `env` in `dir` until it listens; the process and its address.
fn serve_on(dir: &Path, env: &[(String, String)]) -> (Running, String) {
    let mut cmd = command(dir);
    cmd.arg("serve")
        .env("CUSTODIAN__SERVER__BIND", "127.0.0.1:0")
        .env("CUSTODIAN__SERVER__WORKERS", "2")
        .env("CUSTODIAN__DEMO__PATRONS", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let log = std::fs::File::create(dir.join("restored.log")).unwrap();
    let mut child = Running(cmd.stdout(Stdio::piped()).stderr(log).spawn().unwrap());
    let out = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(url) = line.strip_prefix("custodian listening on ") {
                    let url = url.trim().to_owned();
                    std::thread::spawn(move || while rx.recv().is_ok() {});
                    return (child, url);
                }
            }
            Err(_) => {
                drop(child);
                let log = std::fs::read_to_string(dir.join("restored.log")).unwrap_or_default();
                panic!("the restored server did not start:\n{log}");
            }
        }
    }
}

fn cli_on(dir: &Path, env: &[(String, String)], args: &[&str]) -> (bool, String) {
    let mut cmd = command(dir);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn run(program: &str, args: &[&str]) {
    let o = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A database of the test server's PostgreSQL, dropped at the end.
struct Scratch {
    admin: String,
    name: String,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn db_name(url: &str) -> String {
    let path = url.rsplit_once('/').unwrap().1;
    path.split('?').next().unwrap().to_owned()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(c: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).load::<Count>(c).unwrap()[0].n
}

#[test]
fn a_backup_taken_under_load_restores_with_its_chains_isolation_and_patrons() {
    for backend in backends() {
        let server = Server::start(backend, &[]);
        let admin = server.sign_in(ADMIN);
        let rosa = register(
            &server,
            &admin,
            "riverbend",
            json!({"card_number": "21000888001", "pin": "2468", "name": "Rosa Backup", "birth_date": "1975-04-05"}),
        )["id"]
            .as_i64()
            .unwrap();
        // Another library's patron, for row-level security to keep apart.
        let lakeshore = server.sign_in("admin.lakeshore@demo.custodian.test");
        register(
            &server,
            &lakeshore,
            "lakeshore",
            json!({"card_number": "31000888001", "pin": "2468", "name": "Lake Patron", "birth_date": "1975-04-05"}),
        );
        let data = PathBuf::from(env_of(&server, "CUSTODIAN__DATA__DIR").unwrap());
        let (ok, out) = cli_on(
            data.parent().unwrap(),
            &server.env,
            &["audit", "checkpoint"],
        );
        assert!(ok, "{backend:?}: {out}");
        let work = tempfile::tempdir().unwrap();
        let anchors = work.path().join("checkpoints-at-backup.jsonl");
        std::fs::copy(data.join("audit-checkpoints.jsonl"), &anchors).unwrap();

        // Writes go on while the backup is taken.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let load = {
            let (stop, url, admin) = (stop.clone(), server.url(""), admin.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 200 {
                    let r = post(
                        &format!("{url}/api/v1/libraries/riverbend/patrons"),
                        Some(&admin),
                        &json!({"card_number": format!("21000889{n:03}"), "pin": "2468", "name": "Load Patron", "birth_date": "1980-01-01"}),
                    );
                    assert_eq!(r.status, 201, "{:?}", r.body);
                    n += 1;
                }
                n
            })
        };
        std::thread::sleep(Duration::from_millis(300));

        let restored = tempfile::tempdir().unwrap();
        let new_data = restored.path().join("data");
        std::fs::create_dir_all(&new_data).unwrap();
        // The library keys are configuration, kept in the secret store; here the development ones.
        std::fs::copy(data.join("dev-keys.toml"), new_data.join("dev-keys.toml")).unwrap();
        let mut env = vec![(
            "CUSTODIAN__DATA__DIR".to_owned(),
            new_data.display().to_string(),
        )];
        let started = Instant::now();
        let mut scratch = None;
        match backend {
            Backend::Embedded => {
                // The data, then the key store (so the keys are no older than the patrons).
                let mut db =
                    SqliteConnection::establish(&data.join("custodian.db").display().to_string())
                        .unwrap();
                let backup = work.path().join("custodian.db");
                db.batch_execute(&format!("VACUUM INTO '{}'", backup.display()))
                    .unwrap();
                let mut keys = SqliteConnection::establish(
                    &data.join("custodian.patron-keys.db").display().to_string(),
                )
                .unwrap();
                let keys_backup = work.path().join("custodian.patron-keys.db");
                keys.batch_execute(&format!("VACUUM INTO '{}'", keys_backup.display()))
                    .unwrap();
                eprintln!("sqlite backup: {:?}", started.elapsed());
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                std::fs::copy(&backup, new_data.join("custodian.db")).unwrap();
                std::fs::copy(&keys_backup, new_data.join("custodian.patron-keys.db")).unwrap();
            }
            Backend::Services => {
                let owner = server.raw_url.clone();
                let data_dump = work.path().join("data.dump");
                let keys_dump = work.path().join("keys.dump");
                run(
                    "pg_dump",
                    &[
                        "--format=custom",
                        "--exclude-schema=keystore",
                        "--file",
                        data_dump.to_str().unwrap(),
                        &owner,
                    ],
                );
                run(
                    "pg_dump",
                    &[
                        "--format=custom",
                        "--schema=keystore",
                        "--file",
                        keys_dump.to_str().unwrap(),
                        &owner,
                    ],
                );
                eprintln!("postgres backup: {:?}", started.elapsed());
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                // A fresh, empty database, restored as its owner.
                let admin_url = testkit::postgres_url().unwrap();
                let old = db_name(&owner);
                let name = format!("{old}_restored");
                let mut a = PgConnection::establish(&admin_url).unwrap();
                a.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                scratch = Some(Scratch {
                    admin: admin_url,
                    name: name.clone(),
                });
                let swap = |url: &str| url.replace(&format!("/{old}"), &format!("/{name}"));
                let new_owner = swap(&owner);
                for dump in [&data_dump, &keys_dump] {
                    run(
                        "pg_restore",
                        &[
                            "--no-owner",
                            "--exit-on-error",
                            "--dbname",
                            &new_owner,
                            dump.to_str().unwrap(),
                        ],
                    );
                }
                for key in [
                    "CUSTODIAN__DATABASE__URL",
                    "CUSTODIAN__DATABASE__OWNER_URL",
                    "CUSTODIAN__REDIS__URL",
                ] {
                    env.push((key.into(), swap(&env_of(&server, key).unwrap())));
                }
                env.push((
                    "CUSTODIAN__REDIS__KEY_PREFIX".into(),
                    format!("custodian-test-restored:{name}:"),
                ));
                // Grants the application role again (a restore does not create roles).
                let (ok, out) = cli_on(restored.path(), &env, &["migrate"]);
                assert!(ok, "{out}");
            }
        }
        let written = load.join().unwrap();
        assert!(written > 0, "{backend:?}: the load ran");
        eprintln!("{backend:?}: restored; {written} patrons registered during the backup");

        let (ok, out) = cli_on(restored.path(), &env, &["audit", "verify"]);
        assert!(ok, "{backend:?}: {out}");
        assert!(out.contains("5 audit chain(s) verified"), "{out}");
        let path = anchors.display().to_string();
        let (ok, out) = cli_on(
            restored.path(),
            &env,
            &["audit", "verify", "--checkpoints", &path],
        );
        assert!(
            ok,
            "{backend:?}: against the checkpoints taken before the backup: {out}"
        );
        assert!(
            out.contains("riverbend: ") && out.contains("matches the checkpoint"),
            "{out}"
        );

        let (child, base) = serve_on(restored.path(), &env);
        let r = post(
            &format!("{base}/api/v1/libraries/riverbend/patron/sign-in"),
            None,
            &json!({"card_number": "21000888001", "pin": "2468"}),
        );
        assert_eq!(r.status, 200, "{backend:?}: {:?}", r.body);
        let me = get(
            &format!("{base}/api/v1/patron/me"),
            r.body["token"].as_str(),
        );
        assert_eq!(me.status, 200, "{backend:?}: {:?}", me.body);
        assert!(me.body.to_string().contains("Rosa Backup"), "{:?}", me.body);
        let staff = post(
            &format!("{base}/api/v1/auth/sign-in"),
            None,
            &json!({"email": ADMIN, "password": server.password(ADMIN)}),
        );
        assert_eq!(staff.status, 200, "{backend:?}: {:?}", staff.body);
        let read = get(
            &format!("{base}/api/v1/libraries/riverbend/patrons/{rosa}?purpose=checking%20a%20restored%20backup"),
            staff.body["token"].as_str(),
        );
        assert_eq!(read.status, 200, "{backend:?}: {:?}", read.body);
        assert!(
            read.body.to_string().contains("Rosa Backup"),
            "{:?}",
            read.body
        );

        if backend == Backend::Services {
            // Row-level security still binds the application role.
            let app_url = env_of_list(&env, "CUSTODIAN__DATABASE__URL");
            let owner_url = env_of_list(&env, "CUSTODIAN__DATABASE__OWNER_URL");
            let mut app = PgConnection::establish(&app_url).unwrap();
            let mut owner = PgConnection::establish(&owner_url).unwrap();
            let all = count(&mut owner, "SELECT COUNT(*) AS n FROM patrons");
            assert!(all > 1, "{all}");
            assert_eq!(count(&mut app, "SELECT COUNT(*) AS n FROM patrons"), 0);
            assert_eq!(count(&mut app, "SELECT COUNT(*) AS n FROM audit_log"), 0);
            assert_eq!(
                count(&mut app, "SELECT COUNT(*) AS n FROM keystore.patron_keys"),
                0
            );
            for slug in ["riverbend", "lakeshore"] {
                let id = count(
                    &mut owner,
                    &format!("SELECT id AS n FROM libraries WHERE slug = '{slug}'"),
                );
                app.batch_execute(&format!(
                    "SELECT set_config('custodian.library_id', '{id}', false)"
                ))
                .unwrap();
                let theirs = count(
                    &mut owner,
                    &format!("SELECT COUNT(*) AS n FROM patrons WHERE library_id = {id}"),
                );
                assert!(theirs > 0 && theirs < all, "{slug}: {theirs} of {all}");
                assert_eq!(
                    count(&mut app, "SELECT COUNT(*) AS n FROM patrons"),
                    theirs,
                    "{slug}: the application role sees its library's patrons only"
                );
            }
            assert!(
                app.batch_execute("UPDATE audit_log SET actor = 'x'")
                    .is_err(),
                "the application role still cannot change the audit log"
            );
            assert_eq!(
                count(
                    &mut app,
                    "SELECT COUNT(*) AS n FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)"
                ),
                0
            );
        }
        drop(child);
        drop(scratch);
    }
}

fn env_of_list(env: &[(String, String)], key: &str) -> String {
    env.iter().find(|(k, _)| k == key).unwrap().1.clone()
}
