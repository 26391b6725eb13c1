#!/usr/bin/env bash
# Outbox delivery to SMTP on loopback (issue #16): queue time and delivery
# rate for lettre's own two-write send on one connection (the old behaviour),
# for one worker on one connection, and for the default settings, on SQLite
# and, when CUSTODIAN_TEST_POSTGRES_URL is set, PostgreSQL. The SMTP server is
# testkit's FastSink (Rust, in the bench's process; aiosmtpd tops out at a
# few hundred messages a second); its own rate is printed first.
#
# Usage: bash tests/bench/delivery.sh [N]   (default 20000 messages a run)
# Release build (the bench profile). Prints one line per run.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo bench -p tenant-api --bench delivery -- "${1:-20000}"
