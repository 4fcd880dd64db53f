#!/usr/bin/env bash
# The main job on the embedded sandbox (no AWS account needed): validate the example policies,
# plan their removals against examples/sandbox/org.yaml, then apply the saved plan.
# Each command starts its own in-process sandbox from the fixture, so the apply below sees the
# same starting state the plan saw.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release -p offboard-cli
offboard=./target/release/offboard
sandbox=(--sandbox examples/sandbox/org.yaml)
out=${OFFBOARD_DEMO_DIR:-target/demo}
mkdir -p "$out"

echo "== offboard validate policies"
"$offboard" validate policies
echo
echo "== offboard plan policies --out $out/plan.json"
"$offboard" "${sandbox[@]}" plan policies --out "$out/plan.json"
echo
echo "== offboard apply $out/plan.json --journal $out/journal.jsonl"
"$offboard" "${sandbox[@]}" apply "$out/plan.json" --journal "$out/journal.jsonl"
echo
echo "Plan: $out/plan.json   Journal: $out/journal.jsonl"
