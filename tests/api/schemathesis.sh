#!/usr/bin/env bash
# Holds the real server to its OpenAPI document (#17): schemathesis, every
# check on, against the debug binary on SQLite and (with
# CUSTODIAN_TEST_POSTGRES_URL) on PostgreSQL, signed in as the consortium
# director, a library admin and a patron in turn. Prints per backend the test
# cases, failures and seconds; exits non-zero on any failure or error.
#
#   bash tests/api/schemathesis.sh
#
# Knobs (environment): ST_MAX_EXAMPLES (per operation and role, default 5:
# about 14,000 cases and under 3 minutes a backend),
# ST_SEED (default 17), ST_WORKERS (default 1), ST_MIN_CASES (fewer test
# cases than this on a backend fail the run: default 2000, per #17), ST_BACKENDS ("sqlite
# postgres"), ST_SCHEMA (a document file to test instead of the one the
# server serves at /api/v1/openapi.json), ST_KEEP=1 (keep the work directory
# with the servers' logs and schemathesis's reports).
set -euo pipefail
cd "$(dirname "$0")/../.."

MAX_EXAMPLES="${ST_MAX_EXAMPLES:-5}"
SEED="${ST_SEED:-17}"
# One worker: schemathesis's workers are threads, and under CPython 3.11 two
# of them describing strategies at once (ast.parse) can trip CPython's
# "AST constructor recursion depth mismatch" (python/cpython#106905), an
# error of the tool, not of the server.
WORKERS="${ST_WORKERS:-1}"
MIN_CASES="${ST_MIN_CASES:-2000}"
BIN=target/debug/custodian
PG_ADMIN_URL="${CUSTODIAN_TEST_POSTGRES_URL:-}"
REDIS_URL="${CUSTODIAN_TEST_REDIS_URL:-}"
if [[ -n "${ST_BACKENDS:-}" ]]; then
  read -r -a BACKENDS <<<"$ST_BACKENDS"
elif [[ -n "$PG_ADMIN_URL" ]]; then
  BACKENDS=(sqlite postgres)
else
  BACKENDS=(sqlite)
fi

if ! python3 -c "import schemathesis" 2>/dev/null; then
  echo "--- installing schemathesis (tests/api/requirements.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r tests/api/requirements.txt
fi

# Already built by `cargo test` in CI; incremental and quick otherwise.
cargo build --quiet -p tenant-api --bin custodian

INBOUND_TOKEN="schemathesis-gateway-$RANDOM$RANDOM$RANDOM"
WORK="$(mktemp -d -t custodian-schemathesis.XXXXXX)"
SERVER_PID=""
PG_DB=""
cleanup() {
  stop_server
  drop_pg_db
  if [[ "${ST_KEEP:-}" == 1 ]]; then
    echo "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# postgres://user@host:port/db?query with another user and database.
pg_url() { # URL USER DB
  local url="$1" user="$2" db="$3" scheme rest query="" hostpart
  scheme="${url%%://*}"; rest="${url#*://}"
  if [[ "$rest" == *\?* ]]; then query="?${rest#*\?}"; rest="${rest%%\?*}"; fi
  hostpart="${rest##*@}"; hostpart="${hostpart%%/*}"
  echo "${scheme}://${user:+$user@}${hostpart}/${db}${query}"
}
pg_user() { # the userinfo of a URL, password included
  local rest="${1#*://}"
  [[ "$rest" == *@* ]] && echo "${rest%@*}" || echo ""
}

drop_pg_db() {
  if [[ -n "$PG_DB" ]]; then
    psql -q -X "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_DB=""
  fi
}

# Starts `custodian serve` on a fresh data directory (and database): sets
# BASE, SERVER_PID and OUT (its standard output, with the demo's sign-ins).
start_server() { # BACKEND
  local backend="$1" dir="$WORK/$1"
  mkdir -p "$dir"
  OUT="$dir/stdout.txt"
  local -a env=(
    "CUSTODIAN__DATA__DIR=$dir/data"
    "CUSTODIAN__SERVER__BIND=127.0.0.1:0"
    "CUSTODIAN__SERVER__WORKERS=2"
    # A few patrons per library are enough to sign one in and to have rows to read.
    "CUSTODIAN__DEMO__PATRONS=3"
    "CUSTODIAN__SERVER__SHUTDOWN_TIMEOUT_SECS=5"
    # Without a token the mail gateway's endpoint does not exist (404); with
    # one it is there to be tested, and refuses every call without the token.
    "CUSTODIAN__MAIL__INBOUND_TOKEN=$INBOUND_TOKEN"
  )
  if [[ "$backend" == postgres ]]; then
    PG_DB="custodian_schemathesis_$$_$RANDOM"
    psql -q -X "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DB" >/dev/null
    # The server migrates as the owner and serves as the application role,
    # which owns nothing and is subject to row-level security (as the tests do).
    env+=(
      "CUSTODIAN__DATABASE__OWNER_URL=$(pg_url "$PG_ADMIN_URL" "$(pg_user "$PG_ADMIN_URL")" "$PG_DB")"
      "CUSTODIAN__DATABASE__URL=$(pg_url "$PG_ADMIN_URL" custodian_app "$PG_DB")"
    )
    if [[ -n "$REDIS_URL" ]]; then
      env+=("CUSTODIAN__REDIS__URL=$REDIS_URL" "CUSTODIAN__REDIS__KEY_PREFIX=custodian-schemathesis:$PG_DB:")
    fi
  fi
  env -i PATH="$PATH" "${env[@]}" "$BIN" serve >"$OUT" 2>"$dir/server.log" &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 900; i++)); do
    BASE="$(sed -n 's/^custodian listening on \(http[^ ]*\).*/\1/p' "$OUT")"
    [[ -n "$BASE" ]] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "custodian did not start on $backend; its log:" >&2
  cat "$dir/server.log" >&2
  exit 1
}

# The demo password printed for EMAIL.
password_of() { awk -v e="$1" '$0 ~ e { for (i = 1; i < NF; i++) if ($i == e) print $(i + 1) }' "$OUT" | head -n1; }
# The demo patron printed for SLUG: "CARD PIN".
patron_of() { awk -v s="$1" '$1 == "patron" && $2 == s { print $4, $6 }' "$OUT" | head -n1; }

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

staff_token() { # EMAIL
  local body
  body="$(python3 -c 'import json,sys; print(json.dumps({"email": sys.argv[1], "password": sys.argv[2]}))' "$1" "$(password_of "$1")")"
  curl -sS --fail-with-body -X POST "$BASE/api/v1/auth/sign-in" \
    -H 'content-type: application/json' -d "$body" | json_field token
}

patron_token() { # SLUG
  local card pin body
  read -r card pin < <(patron_of "$1")
  body="$(python3 -c 'import json,sys; print(json.dumps({"card_number": sys.argv[1], "pin": sys.argv[2]}))' "$card" "$pin")"
  curl -sS --fail-with-body -X POST "$BASE/api/v1/libraries/$1/patron/sign-in" \
    -H 'content-type: application/json' -d "$body" | json_field token
}

# Operations that end the caller's own session: run in the main pass, they
# would sign the role out part-way and every later case would test only the
# 401 answer. They run instead in a last, short pass of their own per role
# (SESSION_ENDERS), after which the token is spent.
SESSION_ENDERS=(
  "POST /api/v1/auth/sign-out"
  "POST /api/v1/patron/sign-out"
)

# Operations whose requests the server also refuses for a rule JSON Schema
# cannot state: one that depends on what is stored, on the library's own
# privacy policy, on today's date or on two fields at once. For exactly these,
# positive_data_acceptance also expects the status named (with its defaults);
# every other operation is held to the document alone. "OPERATION|STATUS".
STATEFUL_RULES=(
  # The current PIN must be the one stored.
  "PUT /api/v1/patron/me/pin|400"
  # Opt-outs name the optional uses of this library's privacy policy.
  "PUT /api/v1/patron/me/opt-outs|400"
  # An export's use key must be an optional use of the library's policy.
  "GET /api/v1/libraries/{library}/exports/{use_key}|400"
  # Retention periods may not exceed the maxima of the library's policy.
  "PUT /api/v1/libraries/{library}/retention|400"
  # A new policy version must validate as a policy document (TOML in a string).
  "POST /api/v1/libraries/{library}/privacy-policy/versions|422"
  # An owner must be the director's account (its inbox) or staff of this library.
  "PATCH /api/v1/director/requests/{id}|400"
  "PATCH /api/v1/libraries/{library}/requests/{id}|400"
  # Patron ids must be patrons of this library.
  "POST /api/v1/libraries/{library}/legal-requests|400"
  # Time is recorded by the one who spent it (by = the caller's account id).
  "POST /api/v1/libraries/{library}/legal-requests/{id}/time|400"
  # An upload must not be empty, and its bytes must be of the Content-Type it names.
  "POST /api/v1/libraries/{library}/legal-requests/{id}/documents|400 415"
  # The body must be one RFC 5322 message, which a string schema cannot say.
  "POST /api/v1/director/inbound-mail|422"
  # Each line of the feed must be a JSON record (FeedLine), and there must be one.
  "POST /api/v1/libraries/{library}/records/feed|400"
  # A report's from is on or before its to, at most 366 days apart.
  "GET /api/v1/director/statistics|400"
  "GET /api/v1/libraries/{library}/statistics|400"
  # A year is not later than this one.
  "GET /api/v1/libraries/{library}/legal-request-counts|400"
  # A record's patron_id must be a patron of this library.
  "POST /api/v1/libraries/{library}/records|400"
  # A directory change names at least one field that is not null, latitude
  # with longitude, and opening hours that close after they open.
  "PATCH /api/v1/directory/libraries/{id}|400"
  "POST /api/v1/libraries/{library}/directory-entry/changes|400"
  # A search's radius needs near= to measure from, and its cursor belongs to the
  # query it came from.
  "GET /api/v1/directory/libraries|400"
  "GET /api/v1/directory/libraries.csv|400"
  "GET /api/v1/directory/libraries.jsonld|400"
  # A list's cursor must be one this server gave out (an opaque next_cursor).
  "GET /api/v1/libraries|400"
  "GET /api/v1/libraries/{library}/audit|400"
  "GET /api/v1/libraries/{library}/legal-requests|400"
  "GET /api/v1/libraries/{library}/patrons|400"
  "GET /api/v1/libraries/{library}/patrons/{patron}/records|400"
  "GET /api/v1/libraries/{library}/records|400"
  "GET /api/v1/libraries/{library}/requests|400"
  "GET /api/v1/libraries/{library}/staff|400"
  "GET /api/v1/patron/me/records|400"
  "GET /api/v1/director/inbound-mail|400"
  "GET /api/v1/director/outbox|400"
  "GET /api/v1/director/requests|400"
  "GET /api/v1/director/security-log|400"
  "GET /api/v1/directory/changes|400"
  # A contract ends on or after it starts, is never extended past its stored end,
  # and its use is an optional use of the library's policy.
  "POST /api/v1/libraries/{library}/vendors|400"
  "PATCH /api/v1/libraries/{library}/vendors/{id}|400"
)

# A schemathesis configuration for one role: its library in every
# `{library}` path parameter, and the session enders left out.
write_config() { # FILE LIBRARY TOKEN
  {
    echo '[parameters]'
    echo "\"path.library\" = \"$2\""
    # The role's token as the document's bearer scheme (not a bare header), so
    # that ignored_auth knows what to leave out; the mail gateway's token too.
    printf '\n[auth.openapi.bearer]\nbearer = "%s"\n' "$3"
    printf '\n[auth.openapi.mail_gateway]\nbearer = "%s"\n' "$INBOUND_TOKEN"
    # Its cache (link calibration, examples found) stays in the work directory, not the checkout.
    printf '\n[cache]\ndirectory = "%s"\n' "$WORK/cache"
    local op
    for op in "${SESSION_ENDERS[@]}"; do
      printf '\n[[operations]]\ninclude-name = "%s"\nenabled = false\n' "$op"
    done
    local rule
    local rule extra
    for rule in "${STATEFUL_RULES[@]}"; do
      extra="$(sed 's/\([0-9]\{3\}\)/"\1"/g; s/ /, /g' <<<"${rule##*|}")"
      # schemathesis's defaults for the check (config/_checks.py), and the statuses more.
      printf '\n[[operations]]\ninclude-name = "%s"\nchecks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx", %s]\n' \
        "${rule%|*}" "$extra"
    done
  } >"$1"
}

# Runs schemathesis; adds to CASES and FAILED from its JSON report.
run_schemathesis() { # LABEL CONFIG [extra schemathesis options...]
  local label="$1" config="$2"
  shift 2
  local report="$WORK/$label.json" rc=0
  echo "--- schemathesis: $label"
  # No NUL in generated strings: custodian refuses a NUL in any field, query
  # parameter or path with 400 naming it (README, "Input is checked"; tested in
  # tests/app), which the document cannot say short of a pattern on every string.
  SCHEMATHESIS_HOOKS=tests/api/hooks.py schemathesis --config-file "$config" run "$SCHEMA_FILE" \
    --url "$BASE" \
    --checks all \
    --generation-allow-x00 false \
    --seed "$SEED" \
    --max-examples "$MAX_EXAMPLES" \
    --workers "$WORKERS" \
    --no-color \
    --report json --report-json-path "$report" \
    "$@" || rc=$?
  local counts
  counts="$(python3 - "$report" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print(0, 1)
    sys.exit()
t = r["test_cases"]
print(t["generated"], t["with_failures"] + t["errored"] + sum(e["count"] for e in r["errors"]))
PY
)"
  local cases failures
  read -r cases failures <<<"$counts"
  CASES=$((CASES + cases))
  FAILED=$((FAILED + failures))
  if ((rc != 0 && failures == 0)); then FAILED=$((FAILED + 1)); fi
  echo "$label: $cases cases, $failures failing (schemathesis exit $rc)"
  SUMMARY+=("  $label: $cases cases, $failures failing")
}

TOTAL_FAILED=0
declare -a RESULTS=()
for backend in "${BACKENDS[@]}"; do
  if [[ "$backend" == postgres && -z "$PG_ADMIN_URL" ]]; then
    echo "postgres needs CUSTODIAN_TEST_POSTGRES_URL" >&2
    exit 1
  fi
  started=$SECONDS
  start_server "$backend"
  echo "--- $backend: custodian at $BASE"
  SCHEMA_FILE="$WORK/$backend/openapi.json"
  if [[ -n "${ST_SCHEMA:-}" ]]; then
    cp "$ST_SCHEMA" "$SCHEMA_FILE"
  else
    curl -sS --fail-with-body "$BASE/api/v1/openapi.json" -o "$SCHEMA_FILE"
  fi

  # One library for the admin, another for the patron, so nothing the admin's
  # cases do (edit, merge or delete patrons) can touch the patron's session.
  admin_library=riverbend
  patron_library=cedar-county
  declare -A TOKEN=(
    [director]="$(staff_token director@demo.custodian.test)"
    [admin]="$(staff_token "admin.$admin_library@demo.custodian.test")"
    [patron]="$(patron_token "$patron_library")"
  )
  declare -A LIBRARY=([director]="$admin_library" [admin]="$admin_library" [patron]="$patron_library")

  CASES=0
  FAILED=0
  SUMMARY=()
  for role in patron admin director; do
    write_config "$WORK/$backend/$role.toml" "${LIBRARY[$role]}" "${TOKEN[$role]}"
    run_schemathesis "$backend-$role" "$WORK/$backend/$role.toml"
  done
  # The last pass: the session enders, for each role (see SESSION_ENDERS).
  enders=()
  for op in "${SESSION_ENDERS[@]}"; do
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(sys.argv[3] not in d.get("paths", {}).get(sys.argv[2], {}))' \
      "$SCHEMA_FILE" "${op#* }" "$(tr '[:upper:]' '[:lower:]' <<<"${op%% *}")"; then
      enders+=(--include-name "$op")
    else
      echo "--- the document has no $op: nothing to run last for it"
    fi
  done
  ((${#enders[@]} == 0)) || for role in patron admin director; do
    printf '[parameters]\n"path.library" = "%s"\n\n[auth.openapi.bearer]\nbearer = "%s"\n\n[cache]\ndirectory = "%s"\n' \
      "${LIBRARY[$role]}" "${TOKEN[$role]}" "$WORK/cache" >"$WORK/$backend/$role-last.toml"
    run_schemathesis "$backend-$role-sign-out" "$WORK/$backend/$role-last.toml" \
      "${enders[@]}"
  done
  stop_server
  drop_pg_db
  seconds=$((SECONDS - started))
  RESULTS+=("$backend: $CASES cases, $FAILED failing, ${seconds} s")
  for line in "${SUMMARY[@]}"; do RESULTS+=("$line"); done
  TOTAL_FAILED=$((TOTAL_FAILED + FAILED))
  if ((CASES < MIN_CASES)); then
    # Too few cases prove little: a shrunken document or a filter gone wrong.
    RESULTS+=("  $backend: fewer than $MIN_CASES cases (ST_MIN_CASES)")
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
  fi
  unset TOKEN LIBRARY
done

echo "--- schemathesis $(python3 -c 'import importlib.metadata as m; print(m.version("schemathesis"))'), seed $SEED, --max-examples $MAX_EXAMPLES"
printf '%s\n' "${RESULTS[@]}"
if ((TOTAL_FAILED > 0)); then
  echo "schemathesis found $TOTAL_FAILED failing case(s)" >&2
  exit 1
fi
