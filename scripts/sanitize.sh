#!/usr/bin/env bash
# Runs the concurrency-heavy tests under a sanitizer: scripts/sanitize.sh thread|address
set -euo pipefail
cd "$(dirname "$0")/.."
KIND=${1:-thread}
FILTER=${SANITIZE_FILTER:-LMStudioTransportTests|LMStudioTests}
case "$KIND" in
thread)
    # tsan.supp holds one narrow suppression for a false positive in the Swift runtime's
    # continuation fast path; see the comment in the file.
    TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp halt_on_error=0 ${TSAN_OPTIONS:-}" \
        swift test --sanitize=thread --build-path .build-tsan --filter "$FILTER" 2>&1 | tee .build-tsan.log
    if grep -q "WARNING: ThreadSanitizer" .build-tsan.log; then
        echo "ThreadSanitizer reported races (see .build-tsan.log)" >&2
        exit 1
    fi
    ;;
address)
    LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp ${LSAN_OPTIONS:-}" \
        swift test --sanitize=address --build-path .build-asan --filter "$FILTER"
    ;;
*)
    echo "usage: scripts/sanitize.sh thread|address" >&2
    exit 2
    ;;
esac
