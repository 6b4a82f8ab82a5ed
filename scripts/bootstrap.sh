#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for lmstudio-swift: the C libraries the transport
# links, the tools the tests use, and a Python venv with the official lmstudio SDK for the
# conformance check. Safe to run again: it only installs what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APT_PACKAGES=(libwebsockets-dev libssl-dev pkg-config openssl)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    echo "bootstrap: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        echo "bootstrap: add /opt/swift/usr/bin to PATH" >&2
    else
        echo "bootstrap: a Swift 6 toolchain is required (https://swift.org/install)" >&2
    fi
    exit 1
fi

if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

# The conformance check drives our mock server with the official Python SDK.
if [[ "${LMSTUDIO_SKIP_PYTHON:-0}" != "1" ]]; then
    "$ROOT/scripts/python-venv.sh" >/dev/null
fi
echo "bootstrap: ready" >&2
