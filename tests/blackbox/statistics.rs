//! Statistics (#15) against the real binary: counts wait in memory and are
//! written at a graceful shutdown, not lost.

use crate::blackbox::harness::*;
use diesel::prelude::*;

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn counts_in_memory_are_written_at_shutdown() {
    for backend in backends() {
        // An hour between flushes: only the shutdown's flush can write them.
        let mut server = Server::start(backend, &[("CUSTODIAN__STATISTICS__FLUSH_SECS", "3600")]);
        let admin = server.sign_in("admin.riverbend@demo.custodian.test");
        register(
            &server,
            &admin,
            "riverbend",
            serde_json::json!({"card_number": "21000666001", "pin": "2468", "name": "Test Patron", "birth_date": "1980-01-01"}),
        );
        for _ in 0..6 {
            let r = patron_sign_in(&server, "riverbend", "21000666001", "2468");
            assert_eq!(r.status, 200, "{backend:?}: {:?}", r.body);
        }
        let status = server.terminate();
        assert!(status.success(), "{backend:?}: {status}");
        let mut raw =
            store::testing::raw_connection(&store::DbUrl::parse(&server.raw_url).unwrap()).unwrap();
        let q = diesel::sql_query(
            "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) AS n FROM statistics_counts WHERE series = 'patron_sign_ins'",
        );
        let rows: Vec<Total> = match &mut raw {
            store::DbConn::Pg(c) => q.load(c).unwrap(),
            store::DbConn::Sqlite(c) => q.load(c).unwrap(),
        };
        assert_eq!(
            rows[0].n, 6,
            "{backend:?}: the sign-ins were written at shutdown"
        );
    }
}
