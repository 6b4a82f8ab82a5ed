#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. the Swift test suite (unit, loopback and subprocess tests) in debug;
#   2. the conformance check: the official Python SDK (two versions) against our mock server;
#   3. the transport, client and reliability tests again under ThreadSanitizer.
# Set LMSTUDIO_SKIP_SANITIZERS=1 to skip step 3 locally.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "swift test"
swift build --build-tests
swift test --skip-build

step "conformance with the official Python SDK"
BUILD_PATH="$PWD/.build" scripts/conformance.sh

if [[ "${LMSTUDIO_SKIP_SANITIZERS:-0}" != "1" ]]; then
    step "ThreadSanitizer"
    scripts/sanitize.sh thread
fi
step "all tests passed"
