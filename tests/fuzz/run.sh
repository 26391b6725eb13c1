#!/usr/bin/env bash
# A short fuzz run of the fuzz targets (#19), for CI: builds the fuzz crate and
# runs each target for CUSTODIAN_CI_FUZZ_SECONDS (default 20) on its committed
# corpus, one at a time in one process (libFuzzer's default; -jobs=1 would
# fork a child and send its output to fuzz-0.log). New inputs it finds go to a scratch copy,
# so the committed corpus stays as committed. A crash fails the step and
# leaves its input in tests/fuzz/artifacts/<target>/.
#
# Only the stable toolchain is here: RUSTC_BOOTSTRAP=1 lets cargo fuzz pass
# its -Z flags, and `-s none` leaves out AddressSanitizer (the workspace
# forbids unsafe code, so it would find nothing and costs about 2x).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${CUSTODIAN_CI_FUZZ_SECONDS:-20}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null; then
  echo "--- installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

# CI's default is the three targets that do not build the web application
# (tenant-api and its ~150 more crates): a cold build of all six took over 20
# minutes on the 2-core machine, more than CI's budget leaves. The other
# three's corpora are replayed by `cargo test` (tests/app/fuzz_corpus.rs);
# CUSTODIAN_CI_FUZZ_TARGETS=all runs all six.
if [[ "${CUSTODIAN_CI_FUZZ_TARGETS:-light}" == all ]]; then
  targets=(inbound_mail policy_document feed_lines list_cursor imls_row sip2_message)
  features=(--features mail,directory,app)
else
  targets=(inbound_mail policy_document imls_row)
  features=(--no-default-features --features mail,directory)
fi
started=$SECONDS
for t in "${targets[@]}"; do
  cargo fuzz build --fuzz-dir tests/fuzz -s none "${features[@]}" "$t"
done
echo "fuzz build: $((SECONDS - started)) s"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  echo "--- fuzz $t for ${seconds} s"
  status=0
  cargo fuzz run --fuzz-dir tests/fuzz -s none "${features[@]}" "$t" "$scratch/$t" "tests/fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"$scratch/$t.log" 2>&1 || status=$?
  grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$scratch/$t.log" || true
  if [[ $status != 0 ]]; then
    tail -n 40 "$scratch/$t.log" >&2
    echo "fuzz $t failed (exit $status); the input is in tests/fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
echo "fuzz step: $((SECONDS - started)) s"
