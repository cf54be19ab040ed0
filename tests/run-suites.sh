#!/usr/bin/env bash
# Runs every test suite against $BUILD (default build/) and sums their closing lines.
# Each suite is an executable script tests/<name>/run.sh that prints its own results and ends with a
# line "N passed, N failed" (optionally ", N skipped"). Suites run in the order of SUITES.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
SUITES=${SUITES:-$(ls -d tests/*/ | xargs -n1 basename)}
tp=0; tf=0; ts=0; bad=()
for s in $SUITES; do
    [ -x "tests/$s/run.sh" ] || continue
    echo "=== suite $s ($BUILD)"
    log=$(mktemp)
    t0=$(date +%s)
    "tests/$s/run.sh" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    echo "=== suite $s took $(( $(date +%s) - t0 )) s"
    line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
    rm -f "$log"
    if [ -z "$line" ]; then echo "suite $s printed no summary (rc=$rc)"; bad+=("$s"); tf=$((tf+1)); continue; fi
    p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line"); f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
    sk=0; grep -q skipped <<<"$line" && sk=$(sed -E 's/.*\b([0-9]+) skipped.*/\1/' <<<"$line")
    tp=$((tp+p)); tf=$((tf+f)); ts=$((ts+sk))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then bad+=("$s"); fi
done
echo "=== all suites ($BUILD): ${bad[*]:-no} failing suites"
echo "$tp passed, $tf failed, $ts skipped"
[ ${#bad[@]} -eq 0 ]
