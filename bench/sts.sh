#!/usr/bin/env bash
# Builds Hybrid, installs the node-oidc-provider peer (npm), and runs bench-sts: tokens per
# second of Hybrid's STS and of the peer, in one run, with the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd bench/sts-peer && npm ci --no-audit --no-fund --silent)
cargo build --release -q -p hybrid -p hybrid-bench
"${CARGO_TARGET_DIR:-target}/release/bench-sts" --hybrid "${CARGO_TARGET_DIR:-target}/release/hybrid" "$@"
