//! `/healthz` (the process is alive) and `/readyz` (it can serve).

use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::json;

/// Always 200 while the process runs.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[derive(Serialize)]
struct Check {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// Registers the health checks at the site root.
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    cfg.service(resource!("/healthz", get => healthz))
        .service(resource!("/readyz", get => readyz));
}
