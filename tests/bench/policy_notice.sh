#!/usr/bin/env bash
# How long queueing a privacy policy notice takes on PostgreSQL (#16): builds
# N patrons with an email in a fresh database (bulk insert through
# store::patrons::create_many, one fixed PIN hash), publishes a version that
# adds a use, and times custody::privacy_policy::queue_notice end to end
# (reading the patrons, composing, sealing and inserting every message,
# recording who was told, 1,000 patrons a transaction); then a rerun, which
# must queue nothing.
#
# Usage: CUSTODIAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
#          bash tests/bench/policy_notice.sh [N]      (default 100000; the issue's figure is 1000000)
# Prints the setup time, the cost of composing 1,000 messages, and the queue time.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CUSTODIAN_TEST_POSTGRES_URL:?set CUSTODIAN_TEST_POSTGRES_URL to a PostgreSQL server}"
POLICY_NOTICE_N="${1:-100000}" exec cargo bench -p notifier --bench policy_notice
