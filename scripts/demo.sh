#!/usr/bin/env bash
# The main job on the embedded sandbox (no AWS account needed): start the sandbox over from
# examples/sandbox/org.yaml, validate the example policies, plan their removals, apply the saved
# plan, and plan again: the second plan shows "No changes" (exit 0 with --detailed-exitcode).
# The sandbox keeps its state between these commands in .offboard/sandbox-state.json.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release -p offboard-cli
offboard="${CARGO_TARGET_DIR:-target}/release/offboard"
sandbox=(--sandbox examples/sandbox/org.yaml)
out=${OFFBOARD_DEMO_DIR:-target/demo}
mkdir -p "$out"
rm -f "$out/journal.jsonl"

echo "== offboard sandbox reset"
"$offboard" "${sandbox[@]}" sandbox reset
echo
echo "== offboard validate policies"
"$offboard" validate policies
echo
echo "== offboard plan policies --out $out/plan.json"
"$offboard" "${sandbox[@]}" plan policies --out "$out/plan.json"
echo
echo "== offboard apply $out/plan.json --journal $out/journal.jsonl"
"$offboard" "${sandbox[@]}" apply "$out/plan.json" --journal "$out/journal.jsonl"
echo
echo "== offboard plan policies --detailed-exitcode   (after the apply: nothing left to remove)"
status=0
"$offboard" "${sandbox[@]}" plan policies --detailed-exitcode || status=$?
if [[ $status -ne 0 ]]; then
    echo "demo: the plan after the apply exited $status; expected 0 (no changes)" >&2
    exit 1
fi
echo
echo "Plan: $out/plan.json   Journal: $out/journal.jsonl   Sandbox state: .offboard/sandbox-state.json"
echo "Start over with: offboard sandbox reset"
