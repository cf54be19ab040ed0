#!/usr/bin/env bash
# run.sh: the unit tests: builds $BUILD/unit-tests when missing (make does that for `make check`) and runs
# it; its last line is the summary `N passed, N failed`. Extra arguments filter tests by name.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
if [ ! -x "$BUILD/unit-tests" ]; then
    echo "unit: $BUILD/unit-tests is not built (make $BUILD/unit-tests)"
    echo "0 passed, 1 failed"
    exit 1
fi
exec "$BUILD/unit-tests" "$@"
