//! Embedded migrations for each backend, and the PostgreSQL application role.

use crate::connection::{DbConn, DbUrl};
use crate::error::{StoreError, StoreResult};
use diesel::connection::SimpleConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Any fixed number: the session-level advisory lock migrations hold on PostgreSQL.
const MIGRATION_LOCK: i64 = 0x6375_7374_6f64; // "custod"

/// Connects to `url` as the owner, applies every pending migration and, when
/// `app_role` names one (with its password, if any), sets up the PostgreSQL
/// application role; returns the versions applied.
///
/// The connection it opens is its own, so nothing outside the store ever
/// holds a connection that is not inside a scope.
pub fn apply(url: &DbUrl, app_role: Option<(&str, Option<&str>)>) -> StoreResult<Vec<String>> {
    let mut conn = url.connect()?;
    let applied = run_pending(&mut conn)?;
    if let Some((role, password)) = app_role {
        ensure_app_role(&mut conn, role, password)?;
    }
    Ok(applied)
}

/// Applies every pending migration; returns the versions applied.
///
/// On PostgreSQL several processes may start at once (replicas with
/// `migrate_on_start`, a migrate job beside them): an advisory lock lets one
/// migrate while the others wait and then find nothing to do. SQLite's own
/// write lock does the same there.
pub fn run_pending(conn: &mut DbConn) -> StoreResult<Vec<String>> {
    let applied = match conn {
        DbConn::Pg(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let applied = c.run_pending_migrations(POSTGRES).map(versions);
            let unlocked = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            let applied = applied.map_err(|e| StoreError::Migration(e.to_string()))?;
            unlocked?;
            return Ok(applied);
        }
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE).map(versions),
    };
    applied.map_err(|e| StoreError::Migration(e.to_string()))
}

/// How many embedded migrations the database has not applied yet.
///
/// Reads the bookkeeping table with a plain SELECT: diesel's own check first
/// tries to create that table, which the application role may not do.
pub fn pending_count(conn: &mut DbConn) -> StoreResult<usize> {
    use diesel::migration::MigrationSource;
    use diesel::prelude::*;
    use diesel::sql_types::{Bool, Text};

    #[derive(QueryableByName)]
    struct Applied {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let exists_sql = match conn {
        DbConn::Pg(_) => "to_regclass('__diesel_schema_migrations') IS NOT NULL",
        DbConn::Sqlite(_) => {
            "EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations')"
        }
    };
    let exists: bool = diesel::select(diesel::dsl::sql::<Bool>(exists_sql)).get_result(conn)?;
    let applied: Vec<String> = if exists {
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<Applied>(conn)?
            .into_iter()
            .map(|a| a.version)
            .collect()
    } else {
        Vec::new()
    };
    let embedded: Vec<String> = match conn {
        DbConn::Pg(_) => MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES)
            .map(|m| m.iter().map(|m| m.name().version().to_string()).collect()),
        DbConn::Sqlite(_) => MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE)
            .map(|m| m.iter().map(|m| m.name().version().to_string()).collect()),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(embedded.iter().filter(|v| !applied.contains(v)).count())
}

fn versions(v: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    v.into_iter().map(|m| m.to_string()).collect()
}

/// Creates the application role if it does not exist and grants it what
/// serving needs: data access on every table, nothing it could own or alter.
///
/// Runs as the owner (the migration role). The role name must be a plain
/// identifier; the password, when given, is set on every run so it can rotate.
pub fn ensure_app_role(conn: &mut DbConn, role: &str, password: Option<&str>) -> StoreResult<()> {
    let DbConn::Pg(pg) = conn else {
        return Ok(());
    };
    if !is_plain_identifier(role) {
        return Err(StoreError::BadUrl(format!(
            "database.app_role must be a lowercase identifier (letters, digits, _), got {role:?}"
        )));
    }
    let password_clause = match password {
        Some(p) => format!("ALTER ROLE {role} PASSWORD {};", quote_literal(p)),
        None => String::new(),
    };
    let sql = format!(
        r#"
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                BEGIN
                    CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL; -- created by a concurrent migrate
                END;
            END IF;
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO {role}', current_database());
        END
        $$;
        {password_clause}
        GRANT USAGE ON SCHEMA public TO {role};
        GRANT USAGE ON SCHEMA keystore TO {role};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA keystore TO {role};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
        REVOKE INSERT, UPDATE, DELETE ON __diesel_schema_migrations FROM {role};
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
        GRANT EXECUTE ON FUNCTION staff_memberships(BIGINT) TO {role};
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role};
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM {role};
        GRANT EXECUTE ON FUNCTION libraries_with_patron_email(BYTEA) TO {role};
        GRANT EXECUTE ON FUNCTION scopes_awaiting_confirmation() TO {role};
        REVOKE UPDATE, DELETE, TRUNCATE ON outbox FROM {role};
        REVOKE UPDATE, DELETE, TRUNCATE ON outbox_bodies FROM {role};
        GRANT EXECUTE ON FUNCTION outbox_claim(TEXT, TIMESTAMP, TIMESTAMP, BIGINT) TO {role};
        GRANT EXECUTE ON FUNCTION outbox_mark_sent(BIGINT, BIGINT, TIMESTAMP) TO {role};
        GRANT EXECUTE ON FUNCTION outbox_mark_failed(BIGINT, BIGINT, TEXT, TIMESTAMP) TO {role};
        GRANT EXECUTE ON FUNCTION outbox_retry(BIGINT, TIMESTAMP) TO {role};
        GRANT EXECUTE ON FUNCTION outbox_summaries(BIGINT, TEXT, BIGINT, BIGINT) TO {role};
        GRANT EXECUTE ON FUNCTION outbox_counts() TO {role};
        GRANT EXECUTE ON FUNCTION vendor_key_owner(TEXT) TO {role};
        GRANT EXECUTE ON FUNCTION outbox_expire_dead(BIGINT, TIMESTAMP) TO {role};
        GRANT EXECUTE ON FUNCTION outbox_oldest_waiting() TO {role};
        REVOKE UPDATE, DELETE, TRUNCATE ON privacy_policy_versions FROM {role};
        "#
    );
    pg.batch_execute(&sql)
        .map_err(|e| StoreError::Migration(format!("granting {role}: {e}")))
}

/// Refuses a serving connection whose role would see through row-level security.
pub fn check_serving_role(conn: &mut DbConn) -> StoreResult<()> {
    use diesel::prelude::*;
    use diesel::sql_types::{Bool, Text};

    #[derive(QueryableByName)]
    struct RoleFlags {
        #[diesel(sql_type = Text)]
        rolname: String,
        #[diesel(sql_type = Bool)]
        rolsuper: bool,
        #[diesel(sql_type = Bool)]
        rolbypassrls: bool,
    }
    let DbConn::Pg(pg) = conn else {
        return Ok(());
    };
    let flags: RoleFlags = diesel::sql_query(
        "SELECT rolname::text AS rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .get_result(pg)?;
    if flags.rolsuper || flags.rolbypassrls {
        return Err(StoreError::UnsafeRole(format!(
            "database.url connects as role {:?}, which bypasses row-level security; \
             serve as the application role that `custodian migrate` creates (database.app_role) \
             and keep the owner's URL in database.owner_url",
            flags.rolname
        )));
    }
    Ok(())
}

fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 63
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_plain_identifiers() {
        assert!(is_plain_identifier("custodian_app"));
        assert!(!is_plain_identifier("app; DROP TABLE x"));
        assert!(!is_plain_identifier("App"));
        assert!(!is_plain_identifier(""));
    }

    #[test]
    fn literals_are_quoted() {
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    /// An existing SQLite database, migrated: its counters start above every
    /// id it has used, a deleted patron's included (named in the audit log),
    /// and its queued mail survives the outbox's new key.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn an_existing_sqlite_database_keeps_counting_up() {
        use crate::sequence::{allocate, IdSpace};
        use crate::{Access, LibraryId};
        let dir = tempfile::tempdir().unwrap();
        let url = crate::DbUrl::parse(&format!("sqlite://{}", dir.path().join("old.db").display()))
            .unwrap();
        let mut conn = url.connect().unwrap();
        let DbConn::Sqlite(c) = &mut conn else {
            panic!("sqlite")
        };
        for _ in 0..5 {
            c.run_next_migration(SQLITE).unwrap();
        }
        c.batch_execute(
            "INSERT INTO libraries (id, slug, name, jurisdiction) VALUES (1, 'a', 'A', 'missouri');
             INSERT INTO patrons (library_id, id, card_index, card_last4, card_sealed, pin_hash, name_sealed, created_at, updated_at)
                 VALUES (1, 1, x'01', '0001', 's', 'h', 'n', '2026-11-01 00:00:00', '2026-11-01 00:00:00'),
                        (1, 2, x'02', '0002', 's', 'h', 'n', '2026-11-01 00:00:00', '2026-11-01 00:00:00');
             INSERT INTO audit_log (library_id, seq, at, actor, action, subject, purpose, decision, clause, sealed, prev_hash, hash)
                 VALUES (1, 1, '2026-11-01 00:00:00', 'account:1', 'patron.delete', 'patron:3', '', 'allow', '', 0, x'00', x'00');
             INSERT INTO outbox (id, library_id, message_id, template, recipient_hint, envelope_sealed, message_sealed, next_attempt_at, created_at)
                 VALUES (7, 0, '<m@x>', 't', 'h', 'e', 'm', '2026-11-01 00:00:00', '2026-11-01 00:00:00');",
        )
        .unwrap();
        run_pending(&mut conn).unwrap();
        let (patron, outbox) =
            crate::tenant::scoped(&mut conn, LibraryId(1), Access::Write, |tx| {
                Ok::<_, StoreError>((
                    allocate(tx, IdSpace::Patrons, 1)?,
                    allocate(tx, IdSpace::Outbox, 2)?,
                ))
            })
            .unwrap();
        assert_eq!(patron, vec![4], "patron 3 was deleted before the upgrade");
        assert_eq!(outbox, vec![8, 9]);
        let DbConn::Sqlite(c) = &mut conn else {
            panic!("sqlite")
        };
        #[derive(diesel::QueryableByName)]
        struct Kept {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            library_id: i64,
        }
        let kept: Vec<Kept> = diesel::RunQueryDsl::load(
            diesel::sql_query("SELECT library_id FROM outbox WHERE id = 7"),
            c,
        )
        .unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].library_id, 0);
    }
}
