//! `/healthz` (the process is alive) and `/readyz` (it can serve).

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::json;

/// `{"status": "ok"}`.
#[derive(utoipa::ToSchema)]
pub struct Alive {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

/// The readiness answer: overall status and one check per dependency.
#[derive(utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    #[schema(example = "ready")]
    pub status: String,
    /// The checks.
    pub checks: ReadinessChecks,
}

/// Each dependency's check.
#[derive(utoipa::ToSchema)]
pub struct ReadinessChecks {
    /// The database answers (the detail names the backend).
    pub database: Check,
    /// No migration is pending.
    pub migrations: Check,
    /// Redis answers; null when Redis is not configured.
    pub redis: Option<Check>,
}

/// Always 200 while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "health", operation_id = "healthz",
    summary = "The process is alive",
    responses((status = 200, description = "Alive", body = Alive, example = json!({"status": "ok"}))))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// One dependency's check.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Check {
    /// Whether it passed.
    ok: bool,
    /// What was found (the backend's name, or what is wrong).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    detail: Option<String>,
}

impl Check {
    fn pass(detail: Option<String>) -> Self {
        Check { ok: true, detail }
    }
    fn fail(detail: String) -> Self {
        Check {
            ok: false,
            detail: Some(detail),
        }
    }
}

/// 200 when the database answers, its migrations are current and Redis (if configured) answers; else 503.
#[utoipa::path(get, path = "/readyz", tag = "health", operation_id = "readyz",
    summary = "The database, migrations and Redis are ready",
    responses(
        (status = 200, description = "Ready", body = Readiness, example = json!({"status": "ready", "checks": {"database": {"ok": true, "detail": "sqlite"}, "migrations": {"ok": true}, "redis": null}})),
        (status = 503, description = "Not ready; the checks say which dependency", body = Readiness),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    let db = web::block(move || store.ping().and_then(|()| store.pending_migrations())).await;
    let (database, migrations) = match db {
        Ok(Ok(0)) => (
            Check::pass(Some(state.store.backend().as_str().into())),
            Check::pass(None),
        ),
        Ok(Ok(n)) => (
            Check::pass(Some(state.store.backend().as_str().into())),
            Check::fail(format!("{n} migration(s) pending: run `custodian migrate`")),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            (
                Check::fail("database not reachable".into()),
                Check::fail("unknown".into()),
            )
        }
        Err(_) => (
            Check::fail("check did not complete".into()),
            Check::fail("unknown".into()),
        ),
    };
    let redis = match &state.redis {
        None => None,
        Some(conn) => {
            let mut conn = conn.clone();
            let pong: Result<String, _> = redis::cmd("PING").query_async(&mut conn).await;
            Some(match pong {
                Ok(_) => Check::pass(None),
                Err(e) => {
                    tracing::warn!(error = %e, "readiness: redis check failed");
                    Check::fail("redis not reachable".into())
                }
            })
        }
    };
    let ready = database.ok && migrations.ok && redis.as_ref().is_none_or(|c| c.ok);
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": { "database": database, "migrations": migrations, "redis": redis },
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// The health checks' operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(healthz, readyz),
    components(schemas(Alive, Readiness, ReadinessChecks, Check))
)]
pub struct ApiDoc;

/// Registers the health checks at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/healthz", get => healthz))
        .service(resource!("/readyz", get => readyz));
}
