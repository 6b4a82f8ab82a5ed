#!/usr/bin/env bash
# A bounded soak run (minutes): mixed traffic (RPCs on three namespaces, whole and cancelled
# predictions, log channels) from one client against an in-process mock server that restarts
# on the same port every SOAK_RESTART_SECONDS. Reports RSS (from /proc) at start, once warm
# (after a quarter of the run) and at the end, and fails when RSS grew by more than
# SOAK_RSS_GROWTH_KB after warm-up, when traffic does not recover after a restart, or when
# calls or channels are left behind. Every loop is bounded in time and count.
#
# Environment: SOAK_SECONDS (default 180), SOAK_RESTART_SECONDS (10), SOAK_CONCURRENCY (32),
# SOAK_MAX_ROUNDS, SOAK_RSS_GROWTH_KB (12288), BUILD_PATH (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH="/opt/swift/usr/bin:$PATH"
BUILD_PATH="${BUILD_PATH:-.build}"
export SOAK_SECONDS="${SOAK_SECONDS:-180}"
swift build -c release --build-path "$BUILD_PATH" --product LMStudioSoak
# The run must end on its own; the outer timeout only guards against a hang.
timeout "$((SOAK_SECONDS + 120))" "$BUILD_PATH/release/LMStudioSoak"
