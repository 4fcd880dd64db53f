#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test of the workspace.
# It installs what it needs itself (moto into .venv), so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing moto (PyPI, into .venv) for the cross-check tests"
./scripts/setup-moto.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
# Tests that need moto find it in .venv and fail loudly if it is missing.
cargo test --workspace --all-targets
# Doc tests are not part of --all-targets.
cargo test --workspace --doc
