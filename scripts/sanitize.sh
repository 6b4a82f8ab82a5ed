#!/usr/bin/env bash
# Runs the test suite under ThreadSanitizer and under AddressSanitizer with leak detection.
#
#   scripts/sanitize.sh            both runs
#   scripts/sanitize.sh thread     ThreadSanitizer only
#   scripts/sanitize.sh address    AddressSanitizer + LeakSanitizer only
#
# Exits non-zero if a test fails or a sanitizer reports anything. Suppressions (each justified
# in its file): scripts/tsan.supp, one frame of the Swift runtime's continuation fast path (a
# false positive); scripts/lsan.supp, XCTest's own leaks. Nothing else.
#
# Environment: SANITIZE_FILTER (a `swift test --filter` pattern; default: the transport, client
# and reliability tests), BUILD_PATH (default .build; the runs use .build-tsan and .build-asan
# next to it, since sanitized builds cannot share objects).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

KINDS=${1:-thread address}
[ "$KINDS" = all ] && KINDS="thread address"
FILTER=${SANITIZE_FILTER:-LMStudioTransportTests|LMStudioTests|LMStudioReliabilityTests}
BUILD_BASE=${BUILD_PATH:-.build}
# The runtime's crash backtracer can hang under a sanitizer; the sanitizers report themselves.
export SWIFT_BACKTRACE=enable=no

for kind in $KINDS; do
    # Tells the reliability tests to stretch their time bounds and shrink their load.
    export LMSTUDIO_SANITIZER="$kind"
    case "$kind" in
    thread)
        log="$BUILD_BASE-tsan.log"
        TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp halt_on_error=0 ${TSAN_OPTIONS:-}" \
            swift test --sanitize=thread --build-path "$BUILD_BASE-tsan" --filter "$FILTER" 2>&1 | tee "$log"
        status=${PIPESTATUS[0]}
        if grep -q "WARNING: ThreadSanitizer" "$log"; then
            echo "ThreadSanitizer reported races (see $log)" >&2
            exit 1
        fi
        [ "$status" -eq 0 ] || { echo "tests failed under ThreadSanitizer (see $log)" >&2; exit "$status"; }
        echo "ThreadSanitizer: clean"
        ;;
    address)
        log="$BUILD_BASE-asan.log"
        ASAN_OPTIONS="detect_leaks=1 fast_unwind_on_malloc=0 ${ASAN_OPTIONS:-}" LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp ${LSAN_OPTIONS:-}" \
            swift test --sanitize=address --build-path "$BUILD_BASE-asan" --filter "$FILTER" 2>&1 | tee "$log"
        status=${PIPESTATUS[0]}
        if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)" "$log"; then
            echo "AddressSanitizer reported errors or leaks (see $log)" >&2
            exit 1
        fi
        [ "$status" -eq 0 ] || { echo "tests failed under AddressSanitizer (see $log)" >&2; exit "$status"; }
        echo "AddressSanitizer + LeakSanitizer: clean"
        ;;
    *)
        echo "usage: scripts/sanitize.sh [thread|address|all]" >&2
        exit 2
        ;;
    esac
done
