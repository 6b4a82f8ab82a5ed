#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for FUZZ_SECONDS seconds (default 60).
#
#   FuzzInboundFrames  the inbound frame decoder and envelope router (ServerMessage decoding,
#                      routing by call/channel id, logging of dropped frames; no log line may
#                      contain the client's passkey)
#   FuzzServerAddress  the host/URL parsers (ServerAddress(parsing:), the transport's URL parser)
#   FuzzAPIToken       API-token resolution from the argument and the environment
#
# Seeds come from Tests/FuzzCorpus/<target>/ (real protocol messages, host strings and tokens);
# new inputs go to a scratch corpus under $FUZZ_OUT, never into the repository. A crash leaves
# its input in $FUZZ_OUT/crashes/ and makes the script exit non-zero; replay it with a plain
# build: `swift run FuzzInboundFrames <file>`, then add it as a regression test.
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_TARGETS (default: all three), FUZZ_OUT
# (default .build-fuzz/out), BUILD_PATH (default .build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
BUILD_PATH="${BUILD_PATH:-.build-fuzz}"
FUZZ_OUT="${FUZZ_OUT:-$BUILD_PATH/out}"
TARGETS="${FUZZ_TARGETS:-FuzzInboundFrames FuzzServerAddress FuzzAPIToken}"

corpus_of() {
    case "$1" in
        FuzzInboundFrames) echo inbound-frames ;;
        FuzzServerAddress) echo server-address ;;
        FuzzAPIToken) echo api-token ;;
        *) echo "unknown target $1" >&2; exit 2 ;;
    esac
}

# The Swift runtime's own crash backtracer can hang under ASan; libFuzzer reports crashes itself.
export SWIFT_BACKTRACE=enable=no
mkdir -p "$FUZZ_OUT/crashes"
for target in $TARGETS; do
    # -sanitize-coverage: without it this toolchain links libFuzzer but emits no coverage
    # counters, and libFuzzer mutates blindly ("Is the code instrumented for coverage?").
    swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -DLIBFUZZER \
        -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
        --build-path "$BUILD_PATH" --product "$target" 2>&1 | grep -v "Cannot export local symbol" || true
    [ -x "$BUILD_PATH/release/$target" ] || { echo "fuzz: building $target failed" >&2; exit 1; }
done

failed=0
summary=""
for target in $TARGETS; do
    name="$(corpus_of "$target")"
    work="$FUZZ_OUT/corpus/$name"
    mkdir -p "$work"
    cp -n Tests/FuzzCorpus/"$name"/* "$work"/ 2>/dev/null || true
    options=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
             -artifact_prefix="$FUZZ_OUT/crashes/$target-")
    [ -f "Tests/FuzzCorpus/$name.dict" ] && options+=(-dict="Tests/FuzzCorpus/$name.dict")
    [ "$target" = FuzzInboundFrames ] && options+=(-max_len=8192)
    log="$FUZZ_OUT/$target.log"
    echo "fuzz: $target for ${FUZZ_SECONDS}s (log: $log)"
    status=0
    timeout "$((FUZZ_SECONDS + 300))" "$BUILD_PATH/release/$target" "${options[@]}" "$work" >"$log" 2>&1 || status=$?
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
    if [ "$status" -ne 0 ]; then
        failed=1
        summary+="$target: FAILED (exit $status) after ${runs:-?} executions; see $log and $FUZZ_OUT/crashes/"$'\n'
        grep -E "ERROR|Fatal error|Crash|Test unit written" "$log" | head -5 >&2 || true
    else
        summary+="$target: ${runs:-?} executions, no crash"$'\n'
    fi
done
printf '%s' "$summary"
exit "$failed"
