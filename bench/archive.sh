#!/usr/bin/env bash
# Builds Hybrid, starts a throwaway PostgreSQL cluster (installed from Debian packages when it
# is missing), and runs the archive benchmark in one run: archived transcripts per second on
# SQLite (the baseline), then on PostgreSQL with one and with two partner processes.
# Usage: bench/archive.sh [N] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-postgres.sh
. scripts/test-postgres.sh
cargo build --release -q -p hybrid -p hybrid-bench
start_test_postgres
target="${CARGO_TARGET_DIR:-target}/release"
"$target/bench-ews" --hybrid "$target/hybrid" --archive "${1:-3000}" --concurrency "${2:-16}" \
  --postgres "$HYBRID_TEST_POSTGRES_URL"
