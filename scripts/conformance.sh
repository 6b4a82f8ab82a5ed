#!/usr/bin/env bash
# Conformance of the mock server with the official LM Studio Python SDK.
#
# For each SDK version (1.6.0b1 and the newest stable, 1.5.0): install it into its own venv under
# .venv/, start two mocks (one admitting guests, one requiring an API token), drive the SDK through
# Tests/Conformance/conformance.py, stop the mocks, and validate every client message they recorded
# against ../shared/protocol/lms.json, and compare the act() scenario's wire sequence with
# Tests/Conformance/act-wire.json (which the Swift test ActWireTests checks lmstudio-swift's act()
# against). Prints "N passed, M failed" and exits non-zero on failures.
#
# Usage: scripts/conformance.sh [version ...]     (default: 1.6.0b1 1.5.0)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SCHEMA="$ROOT/../shared/protocol/lms.json"
BUILD_PATH=${BUILD_PATH:-$ROOT/.build}
VERSIONS=("$@")
[ ${#VERSIONS[@]} -gt 0 ] || VERSIONS=(1.6.0b1 1.5.0)
TOKEN="sk-lm-abcDEF78:abcDEF7890abcDEF7890"
WORK=$(mktemp -d)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -f "$SCHEMA" ] || { echo "missing $SCHEMA" >&2; exit 1; }

echo "== building lms-swift"
swift build --build-path "$BUILD_PATH" --product lms-swift >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
MOCK="$BUILD_PATH/debug/lms-swift"

# Starts a mock in the background; sets STARTED_PORT and appends its pid to PIDS.
start_mock() {
    local name=$1
    shift
    local out="$WORK/$name.out"
    LMSTUDIO_MOCK_TOKEN="$TOKEN" "$MOCK" mock --port 0 --record "$WORK/$name.jsonl" "$@" >"$out" 2>"$WORK/$name.err" &
    PIDS+=($!)
    STARTED_PID=$!
    STARTED_PORT=""
    for _ in $(seq 1 100); do
        if [ -s "$out" ]; then
            STARTED_PORT=$(head -n 1 "$out")
            break
        fi
        sleep 0.1
    done
    [ -n "$STARTED_PORT" ] || { echo "mock $name did not start" >&2; cat "$WORK/$name.err" >&2; exit 1; }
}

stop_mock() {
    local pid=$1
    kill -TERM "$pid"
    wait "$pid" || true
}

total_passed=0
total_failed=0
status=0
for version in "${VERSIONS[@]}"; do
    # The shared helper creates (or reuses) .venv/<sdk> with the SDK, httpx<1 and jsonschema.
    python=$(LMSTUDIO_PY_SDK="lmstudio==$version" "$ROOT/scripts/python-venv.sh")

    start_mock "main-$version" --prompt-interval-ms "Tell me a long story=50"
    main_pid=$STARTED_PID
    main_port=$STARTED_PORT
    start_mock "token-$version" --api-token-env LMSTUDIO_MOCK_TOKEN
    token_pid=$STARTED_PID
    token_port=$STARTED_PORT

    results="$WORK/results-$version.json"
    timeout 600 "$python" "$ROOT/Tests/Conformance/conformance.py" drive \
        --host "127.0.0.1:$main_port" --token-host "127.0.0.1:$token_port" --token "$TOKEN" \
        --results "$results" || status=1

    stop_mock "$main_pid"
    stop_mock "$token_pid"

    if [ -f "$results" ]; then
        summary="$WORK/summary-$version.txt"
        "$python" "$ROOT/Tests/Conformance/conformance.py" validate --schema "$SCHEMA" \
            --record "$WORK/main-$version.jsonl" --record "$WORK/token-$version.jsonl" \
            --results "$results" | tee "$summary" || status=1
        line=$(tail -n 1 "$summary")
        # The act() scenario's wire sequence must equal the fixture that the Swift test
        # ActWireTests compares lmstudio-swift's act() against (so both SDKs send the same).
        if "$python" "$ROOT/Tests/Conformance/conformance.py" actwire \
            --record "$WORK/main-$version.jsonl" --compare "$ROOT/Tests/Conformance/act-wire.json"; then
            total_passed=$((total_passed + 1))
        else
            total_failed=$((total_failed + 1))
            status=1
        fi
        passed=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
        failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
        total_passed=$((total_passed + passed))
        total_failed=$((total_failed + failed))
    else
        echo "lmstudio $version: the driver produced no results" >&2
        total_failed=$((total_failed + 1))
    fi
done

echo "conformance: $total_passed passed, $total_failed failed"
if [ "$total_failed" -gt 0 ] || [ "$status" -ne 0 ]; then
    exit 1
fi
