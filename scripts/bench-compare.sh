#!/usr/bin/env bash
# Compares lmstudio-bench with the official LM Studio Python SDK: the same five figures, against
# one mock server (a separate process, in benchmark mode), interleaved, BENCH_ROUNDS times (3).
# Prints every run, the medians of both, the ratios, and whether each target of issue 8 holds;
# then the server's own ceiling, measured by a raw websocket client that only counts frames.
#   BUILD_PATH        the SwiftPM build directory (default: .build)
#   BENCH_ROUNDS      rounds of interleaved runs (default: 3)
#   LMSTUDIO_PY_SDK   the Python SDK requirement (default: lmstudio==1.6.0b1, see python-venv.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_PATH="${BUILD_PATH:-$ROOT/.build}"
ROUNDS="${BENCH_ROUNDS:-3}"
FRAGMENTS=100000

echo "== building (release)" >&2
swift build -c release --build-path "$BUILD_PATH" --product lmstudio-bench >&2
swift build -c release --build-path "$BUILD_PATH" --product lms-swift >&2
BIN="$(swift build -c release --build-path "$BUILD_PATH" --show-bin-path)"
PY="$("$ROOT/scripts/python-venv.sh")"

WORK="$(mktemp -d)"
MOCK_PID=""
cleanup() {
    if [[ -n "$MOCK_PID" ]]; then
        kill -TERM "$MOCK_PID" 2>/dev/null || true
        wait "$MOCK_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# One server for everything: the standalone mock, streaming up to FRAGMENTS fragments per
# prediction as fast as it can (each client asks for its count with maxTokens), no record, and
# its network thread polls for 200 µs after activity instead of sleeping (no wake-up per request).
"$BIN/lms-swift" mock --port 0 --fragments "$FRAGMENTS" --busy-poll-us 200 >"$WORK/mock.out" 2>"$WORK/mock.err" &
MOCK_PID=$!
for _ in $(seq 100); do
    [[ -s "$WORK/mock.out" ]] && break
    kill -0 "$MOCK_PID" 2>/dev/null || { cat "$WORK/mock.err" >&2; exit 1; }
    sleep 0.1
done
PORT="$(head -n 1 "$WORK/mock.out")"
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "the mock did not print its port" >&2; exit 1; }
HOST="127.0.0.1:$PORT"

SDK_VERSION="$("$PY" -c 'import importlib.metadata as m; print(m.version("lmstudio"))')"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(swift --version 2>/dev/null | head -n 1)"
echo "== Python SDK lmstudio $SDK_VERSION ($("$PY" --version)); mock on $HOST, --fragments $FRAGMENTS --busy-poll-us 200"

run_python() { "$PY" "$ROOT/scripts/bench/python_bench.py" --host "$HOST" --runs 1 | tee -a "$WORK/python.txt" | sed 's/^/python  /'; }
run_swift() { "$BIN/lmstudio-bench" --host "$HOST" --runs 1 | tee -a "$WORK/swift.txt" | sed 's/^/swift   /'; }
for round in $(seq "$ROUNDS"); do
    echo "-- round $round"
    # Alternate who goes first, so neither always runs on a freshly idle machine.
    if (( round % 2 == 1 )); then run_python; run_swift; else run_swift; run_python; fi
done

echo "-- server ceilings: a raw websocket client counting the frames of 64 streams; a C client making the rpc calls"
"$BIN/lmstudio-bench" --host "$HOST" --workload server-ceiling --runs 3 | tee "$WORK/ceiling.txt" | sed 's/^/raw     /'

"$PY" - "$WORK/python.txt" "$WORK/swift.txt" "$WORK/ceiling.txt" <<'PYTHON'
import statistics, sys

def figures(path):
    values = {}
    for line in open(path):
        name, rest = line.split(": ", 1)
        number, unit = rest.split(" ", 1)
        values.setdefault(name, []).append(float(number))
        values.setdefault("unit:" + name, unit.strip())
    return values

python, swift, ceiling = (figures(path) for path in sys.argv[1:4])
# (figure, "lower" if smaller is better, target ratio of the Swift SDK's advantage)
targets = [
    ("connect_auth_first_rpc_ms", True, 20),
    ("rpc_roundtrips_per_s", False, 5),
    ("stream_fragments_per_s", False, 20),
    ("concurrent64_fragments_per_s", False, 10),
    ("peak_rss_mb", True, 6),
]
print()
print(f"{'figure':<30} {'python (median)':>20} {'swift (median)':>20} {'ratio':>8} {'target':>8}  holds")
held = 0
for name, lower, target in targets:
    unit = python["unit:" + name]
    p, s = statistics.median(python[name]), statistics.median(swift[name])
    # Python/Swift for times and memory, Swift/Python for rates: bigger is better for Swift.
    ratio = p / s if lower else s / p
    holds = ratio >= target
    held += holds
    digits = 1 if lower else 0
    print(f"{name:<30} {f'{p:,.{digits}f} {unit}':>20} {f'{s:,.{digits}f} {unit}':>20} "
          f"{f'{ratio:.1f}x':>8} {f'{target}x':>8}  {'yes' if holds else 'NO'}")
print(f"targets held: {held} of {len(targets)}")
name = "server_ceiling_concurrent64_fragments_per_s"
if name in ceiling:
    top = statistics.median(ceiling[name])
    concurrent = statistics.median(swift["concurrent64_fragments_per_s"])
    print(f"server ceiling (raw client, 64 streams): {top:,.0f} fragments/s; "
          f"the Swift SDK's concurrent64 is {concurrent / top:.0%} of it, Python's "
          f"{statistics.median(python['concurrent64_fragments_per_s']) / top:.0%}")
name = "server_ceiling_rpc_roundtrips_per_s"
if name in ceiling:
    top = statistics.median(ceiling[name])
    print(f"server ceiling (C libwebsockets client, sequential getModelInfo): {top:,.0f} calls/s; "
          f"the Swift SDK's rpc figure is {statistics.median(swift['rpc_roundtrips_per_s']) / top:.0%} of it, "
          f"Python's {statistics.median(python['rpc_roundtrips_per_s']) / top:.0%}")
PYTHON
