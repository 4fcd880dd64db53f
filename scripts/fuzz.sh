#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each, one after the other, and prints per
# target the runs, the final coverage (cov/ft), the corpus size and the crashes found.
#
#   scripts/fuzz.sh SECONDS [TARGET...]     e.g. scripts/fuzz.sh 600
#
# Needs the nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz if missing.
# Corpora grow in fuzz/corpus/<target>/ (seeded from fuzz/seeds/ and the repository's fixtures),
# crashes land in fuzz/artifacts/<target>/, full logs in fuzz/logs/<target>.log; none of them is
# committed. Exits 1 if any target crashed. CI does not run this (see docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
all_targets=(policy_load plan_file journal sandbox_decode sandbox_dispatch)
targets=("${@:-${all_targets[@]}}")

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "the nightly toolchain is missing: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz (crates.io)"
    cargo install cargo-fuzz --locked
fi

# Copies the committed seeds and the repository's fixtures into the target's corpus.
seed() {
    local target=$1 corpus=fuzz/corpus/$1
    mkdir -p "$corpus"
    case $target in
        policy_load)
            cp fuzz/seeds/policy_load/* "$corpus"/
            find policies -name '*.yaml' | while read -r f; do cp "$f" "$corpus/policies-${f//\//-}"; done
            ;;
        plan_file)
            cp fuzz/seeds/plan_file/* "$corpus"/
            # The example plan of the format documentation.
            awk '/^```json$/{on=1; next} /^```$/{on=0} on' docs/plan-format.md >"$corpus/plan-format-example.json"
            ;;
        journal) cp fuzz/seeds/journal/* "$corpus"/ ;;
        sandbox_decode | sandbox_dispatch) cp fuzz/seeds/sandbox/* "$corpus"/ ;;
        *)
            echo "unknown target $target; targets: ${all_targets[*]}" >&2
            exit 2
            ;;
    esac
}

echo "== building the fuzz targets (nightly, address sanitizer)"
nice -n 19 cargo +nightly fuzz build

mkdir -p fuzz/logs
failed=()
summary=()
for target in "${targets[@]}"; do
    seed "$target"
    artifacts=fuzz/artifacts/$target
    mkdir -p "$artifacts"
    before=$(find "$artifacts" -type f | wc -l)
    log=fuzz/logs/$target.log
    echo "== $target: fuzzing for ${seconds}s (log: $log)"
    status=0
    # One process, one thread (libFuzzer's default without -jobs), at the lowest priority.
    nice -n 19 cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
    crashes=$(($(find "$artifacts" -type f | wc -l) - before))
    line="$target: ${seconds}s, runs ${runs:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus $corpus, crashes $crashes"
    if [[ $status -ne 0 || $crashes -gt 0 ]]; then
        line+=" (exit $status; see $log and $artifacts/)"
        failed+=("$target")
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "crashed: ${failed[*]}" >&2
    exit 1
fi
