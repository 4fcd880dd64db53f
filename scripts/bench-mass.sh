#!/usr/bin/env bash
# The mass-offboarding benchmark in one command: builds the release `offboard` and `bench-mass`,
# then runs bench-mass, which generates an organisation of leavers and stayers, serves it with
# `offboard sandbox serve` under Identity Center's rate limits, and times `offboard plan` and
# `offboard apply` against the lower bound (README, "Benchmark"). Markdown tables go to stdout,
# progress to stderr; each scenario's files (fixture, policy, plan, journal, logs) stay in
# target/bench-mass/.
#
#   scripts/bench-mass.sh                                   # N=1000 leavers, K=5, D=0
#   scripts/bench-mass.sh --leavers 50 --assignments 3 --deletion-delay 500ms
#   scripts/bench-mass.sh --readme                          # the README's three scenarios (30+ min),
#                                                           # then the core planner's criterion bench
#   scripts/bench-mass.sh --help
#
# Not part of CI: scripts/test.sh runs only the benchmark's unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
# Two builds, not one: building both packages at once would unify their dependencies' features
# and give a different `offboard` from the one `cargo build --release -p offboard-cli` makes.
cargo build --quiet --release -p offboard-cli
cargo build --quiet --release -p offboard-bench
"$target/release/bench-mass" --offboard "$target/release/offboard" --out-dir "$target/bench-mass" "$@"
for arg in "$@"; do
    if [[ $arg == --readme ]]; then
        echo "== core planner: 10,000 leavers against 100,000 grants (criterion)" >&2
        cargo bench --quiet -p offboard-core --bench plan 2>&1 | grep -E '^plan/|time:' || true
    fi
done
