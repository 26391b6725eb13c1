#!/usr/bin/env bash
# Backup and restore of a ~1 GB database (#19), the way docs/backup-restore.md
# says, on SQLite and (when CUSTODIAN_TEST_POSTGRES_URL is set) PostgreSQL.
#
# The database: the demo consortium seeded by a first `serve`, then returned
# loans (non-identifying facts, no patron link: the shape retention leaves
# behind, which is most of a library's rows) added with one INSERT … SELECT
# per chunk until the database reaches GB gigabytes. It times, while `serve`
# runs: `custodian audit checkpoint` plus the two online copies (VACUUM INTO;
# pg_dump of the data and of the key store); then the restore (the two files
# put in place; pg_restore of both dumps into a fresh database and
# `custodian migrate`), `serve` on the restore until it listens, `custodian
# audit verify --checkpoints` against the checkpoints copied at backup time,
# and a staff read of a demo patron by card number on the restored server.
#
# Usage: bash tests/bench/backup.sh [GB]   (default 1)
# Release build. Prints one RESULT line per backend.
set -euo pipefail
cd "$(dirname "$0")/../.."
gb="${1:-1}"
target=$(python3 -c "print(int($gb * 1024**3))")

# CUSTODIAN_BIN: a binary to use instead of building the release one (to try the script out).
if [ -z "${CUSTODIAN_BIN:-}" ]; then
  echo "--- building the release binary" >&2
  cargo build --release -p tenant-api --bin custodian >&2
fi
bin="${CUSTODIAN_BIN:-$PWD/target/release/custodian}"
work="$(mktemp -d)"
pid=""
pgdbs=()
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  for db in "${pgdbs[@]}"; do psql -q "$CUSTODIAN_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port=18996
b64() { python3 -c "import base64,sys; print(base64.b64encode(bytes([int(sys.argv[1])])*32).decode())" "$1"; }
keys_env=(CUSTODIAN__ENCRYPTION__KEYS="k1:$(b64 1)" CUSTODIAN__ENCRYPTION__CURRENT_KEY=k1
  CUSTODIAN__ENCRYPTION__INDEX_KEY="$(b64 9)" CUSTODIAN__SERVER__BIND="127.0.0.1:$port"
  CUSTODIAN__LOG__LEVEL=warn CUSTODIAN__DEMO__PATRONS=50)

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

# serve DIR [VAR=value …]: starts the server in DIR, waits until it listens.
serve() {
  local dir="$1"; shift
  (cd "$dir" && exec env "${keys_env[@]}" "$@" "$bin" serve >out.txt 2>err.txt) &
  pid=$!
  for _ in $(seq 1 600); do grep -q "custodian listening" "$dir/out.txt" 2>/dev/null && return 0; sleep 0.2; done
  echo "the server did not start:" >&2; cat "$dir/err.txt" >&2; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
cli() { local dir="$1"; shift; (cd "$dir" && env "${keys_env[@]}" "${ENVX[@]}" "$bin" "$@"); }

# patron_read ACCOUNTS: signs in as riverbend's staff on the running server
# (ACCOUNTS: what the first start printed) and finds the first demo patron by
# card number; prints what it found.
patron_read() {
  python3 - "$1" "http://127.0.0.1:$port" <<'PY'
import json, sys, urllib.request, urllib.parse
out, base = sys.argv[1], sys.argv[2]
pw = {}
for line in open(out):
    w = line.split()
    for i, x in enumerate(w):
        if x.endswith("@demo.custodian.test") and i + 1 < len(w):
            pw[x] = w[i + 1]
card = next(l.split()[3] for l in open(out) if l.startswith("patron  riverbend"))
email = "staff.riverbend@demo.custodian.test"
req = urllib.request.Request(base + "/api/v1/auth/sign-in", json.dumps({"email": email, "password": pw[email]}).encode(), {"content-type": "application/json"})
token = json.load(urllib.request.urlopen(req))["token"]
q = urllib.parse.urlencode({"card": card, "purpose": "restore check"})
req = urllib.request.Request(f"{base}/api/v1/libraries/riverbend/patrons?{q}", headers={"authorization": f"Bearer {token}"})
items = json.load(urllib.request.urlopen(req))["items"]
assert len(items) == 1, items
pid = items[0]["id"]
req = urllib.request.Request(f"{base}/api/v1/libraries/riverbend/patrons/{pid}/records?purpose=restore+check", headers={"authorization": f"Bearer {token}"})
recs = json.load(urllib.request.urlopen(req))["items"]
print(f"patron read: staff found patron {pid} by card and read {len(recs)} record(s)")
PY
}

chunk="${BACKUP_CHUNK:-1000000}"
filler() { # filler SQL for rows [from, from+chunk) in library $lib, dialect $1
  local series
  if [ "$1" = pg ]; then series="generate_series($2, $2 + $chunk - 1) AS s(i)"
  else series="(WITH RECURSIVE c(i) AS (SELECT $2 UNION ALL SELECT i + 1 FROM c WHERE i < $2 + $chunk - 1) SELECT i FROM c) AS s"; fi
  echo "INSERT INTO library_records (library_id, id, kind, source, external_id, occurred_at, ended_at, item, branch, status, created_at, updated_at)
        SELECT $lib, 1000000000 + i, 'circulation', 'bulk', 'bulk-' || CAST(i AS TEXT), '2024-01-01 10:00:00', '2024-01-15 10:00:00',
               'The collected works, volume ' || CAST(i % 90000 AS TEXT) || ', a title long enough to stand for a real catalogue entry', 'Main Street branch', 'returned',
               '2024-01-01 10:00:00', '2024-01-15 10:00:00' FROM $series;"
}

run_sqlite() {
  local live="$work/sqlite-live" back="$work/sqlite-backup" keysb="$work/sqlite-keys" rest="$work/sqlite-restore"
  mkdir -p "$live" "$back" "$keysb" "$rest"
  ENVX=(CUSTODIAN__DATA__DIR="$live/data")
  serve "$live" "${ENVX[@]}"; stop
  cp "$live/out.txt" "$live/accounts.txt" # the demo's sign-ins, printed at the first start only
  local db="$live/data/custodian.db"
  lib=$(sqlite3 "$db" "SELECT id FROM libraries WHERE slug = 'riverbend'")
  local t0 from=0 size=0; t0=$(now)
  while [ "$size" -lt "$target" ]; do
    sqlite3 "$db" "$(filler sqlite $from)"; from=$((from + chunk))
    size=$(stat -c %s "$db")
  done
  sqlite3 "$db" "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  size=$(stat -c %s "$db")
  echo "sqlite: built $(numfmt --to=iec "$size") ($from filler records) in $(secs "$t0" "$(now)") s" >&2

  serve "$live" "${ENVX[@]}"
  local b0 b1; b0=$(now)
  cli "$live" audit checkpoint >/dev/null
  cp "$live/data/audit-checkpoints.jsonl" "$back/checkpoints-at-backup.jsonl"
  sqlite3 "$db" "VACUUM INTO '$back/custodian.db'"
  sqlite3 "$live/data/custodian.patron-keys.db" "VACUUM INTO '$keysb/custodian.patron-keys.db'"
  b1=$(now)
  stop
  local backup_s; backup_s=$(secs "$b0" "$b1")
  echo "sqlite: backup $(numfmt --to=iec "$(stat -c %s "$back/custodian.db")") + key store $(numfmt --to=iec "$(stat -c %s "$keysb/custodian.patron-keys.db")") in $backup_s s" >&2

  local r0 r1 r2 r3; r0=$(now)
  mkdir -p "$rest/data"
  cp "$back/custodian.db" "$keysb/custodian.patron-keys.db" "$rest/data/"
  sync
  r1=$(now)
  ENVX=(CUSTODIAN__DATA__DIR="$rest/data")
  serve "$rest" "${ENVX[@]}"
  r2=$(now)
  cli "$rest" audit verify --checkpoints "$back/checkpoints-at-backup.jsonl" | tail -1
  r3=$(now)
  patron_read "$live/accounts.txt"
  stop
  echo "RESULT sqlite $(numfmt --to=iec "$size"): backup $backup_s s; restore: files in place $(secs "$r0" "$r1") s, serve listening $(secs "$r1" "$r2") s, audit verify $(secs "$r2" "$r3") s"
}

run_postgres() {
  local admin="$CUSTODIAN_TEST_POSTGRES_URL"
  local base="${admin%/*}" live_db="custodian_bench_live_$$" rest_db="custodian_bench_restore_$$"
  local live="$work/pg-live" back="$work/pg-backup" keysb="$work/pg-keys" rest="$work/pg-restore"
  mkdir -p "$live" "$back" "$keysb" "$rest"
  pgdbs+=("$live_db" "$rest_db")
  psql -q "$admin" -c "CREATE DATABASE $live_db" >/dev/null
  local owner="$base/$live_db" app="${base/\/\/postgres@/\/\/custodian_app@}/$live_db"
  ENVX=(CUSTODIAN__DATA__DIR="$live/data" CUSTODIAN__DATABASE__URL="$app" CUSTODIAN__DATABASE__OWNER_URL="$owner")
  serve "$live" "${ENVX[@]}"; stop
  cp "$live/out.txt" "$live/accounts.txt" # the demo's sign-ins, printed at the first start only
  lib=$(psql -qtA "$owner" -c "SELECT id FROM libraries WHERE slug = 'riverbend'")
  local t0 from=0 size=0; t0=$(now)
  while [ "$size" -lt "$target" ]; do
    psql -q "$owner" -c "$(filler pg $from)" >/dev/null; from=$((from + chunk))
    size=$(psql -qtA "$owner" -c "SELECT pg_database_size(current_database())")
  done
  psql -q "$owner" -c "VACUUM ANALYZE library_records" >/dev/null
  size=$(psql -qtA "$owner" -c "SELECT pg_database_size(current_database())")
  echo "postgres: built $(numfmt --to=iec "$size") ($from filler records) in $(secs "$t0" "$(now)") s" >&2

  serve "$live" "${ENVX[@]}"
  local b0 b1; b0=$(now)
  cli "$live" audit checkpoint >/dev/null
  cp "$live/data/audit-checkpoints.jsonl" "$back/checkpoints-at-backup.jsonl"
  pg_dump --format=custom --exclude-schema=keystore --file "$back/data.dump" "$owner"
  pg_dump --format=custom --schema=keystore --file "$keysb/keys.dump" "$owner"
  b1=$(now)
  stop
  local backup_s; backup_s=$(secs "$b0" "$b1")
  echo "postgres: backup $(numfmt --to=iec "$(stat -c %s "$back/data.dump")") + key store $(numfmt --to=iec "$(stat -c %s "$keysb/keys.dump")") in $backup_s s" >&2

  local r0 r1 r2 r3; r0=$(now)
  psql -q "$admin" -c "CREATE DATABASE $rest_db" >/dev/null
  local rowner="$base/$rest_db" rapp="${base/\/\/postgres@/\/\/custodian_app@}/$rest_db"
  pg_restore --no-owner --exit-on-error --dbname "$rowner" "$back/data.dump"
  pg_restore --no-owner --exit-on-error --dbname "$rowner" "$keysb/keys.dump"
  ENVX=(CUSTODIAN__DATA__DIR="$rest/data" CUSTODIAN__DATABASE__URL="$rapp" CUSTODIAN__DATABASE__OWNER_URL="$rowner")
  cli "$rest" migrate >/dev/null
  r1=$(now)
  serve "$rest" "${ENVX[@]}"
  r2=$(now)
  cli "$rest" audit verify --checkpoints "$back/checkpoints-at-backup.jsonl" | tail -1
  r3=$(now)
  patron_read "$live/accounts.txt"
  stop
  echo "RESULT postgres $(numfmt --to=iec "$size"): backup $backup_s s; restore: pg_restore both + migrate $(secs "$r0" "$r1") s, serve listening $(secs "$r1" "$r2") s, audit verify $(secs "$r2" "$r3") s"
}

run_sqlite
if [ -n "${CUSTODIAN_TEST_POSTGRES_URL:-}" ]; then run_postgres; fi
