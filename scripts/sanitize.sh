#!/usr/bin/env bash
# Runs the test suite under ThreadSanitizer, then under AddressSanitizer with leak detection.
# Exits non-zero if either run reports a problem or a test fails.
#
# Suppressions (each justified in its file):
#   scripts/tsan.supp  one frame: the Swift runtime's continuation fast path (a false positive)
#   scripts/lsan.supp  XCTest's own leaks
#
# Environment: SANITIZE_FILTER (a `swift test --filter` pattern; default: the whole suite),
# SANITIZERS (default "thread address"), BUILD_PATH (default .build-sanitize; one
# subdirectory per sanitizer, since the builds cannot share objects).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

BUILD_ROOT="${BUILD_PATH:-.build-sanitize}"
SANITIZERS="${SANITIZERS:-thread address}"
filter=()
[ -n "${SANITIZE_FILTER:-}" ] && filter=(--filter "$SANITIZE_FILTER")
# The runtime's crash backtracer can hang under a sanitizer; the sanitizers report themselves.
export SWIFT_BACKTRACE=enable=no

failed=0
for sanitizer in $SANITIZERS; do
    echo "sanitize: $sanitizer"
    status=0
    case "$sanitizer" in
        thread)
            TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp history_size=4" \
                swift test --sanitize=thread --build-path "$BUILD_ROOT/thread" "${filter[@]}" || status=$?
            ;;
        address)
            ASAN_OPTIONS="detect_leaks=1" LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp" \
                swift test --sanitize=address --build-path "$BUILD_ROOT/address" "${filter[@]}" || status=$?
            ;;
        *)
            echo "sanitize: unknown sanitizer $sanitizer" >&2
            exit 2
            ;;
    esac
    if [ "$status" -ne 0 ]; then
        echo "sanitize: $sanitizer run FAILED (exit $status)" >&2
        failed=1
    else
        echo "sanitize: $sanitizer run clean"
    fi
done
exit "$failed"
