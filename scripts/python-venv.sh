#!/usr/bin/env bash
# Creates (or reuses) a Python venv with the official LM Studio SDK, used by the conformance
# check and the benchmark comparison. Prints the venv's python path on stdout.
#   LMSTUDIO_PY_SDK   the pip requirement for the SDK (default: lmstudio==1.6.0b1)
#   LMSTUDIO_VENV     where to put the venv (default: .venv/<sdk version>)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SDK="${LMSTUDIO_PY_SDK:-lmstudio==1.6.0b1}"
VENV="${LMSTUDIO_VENV:-$ROOT/.venv/${SDK//[^A-Za-z0-9.]/_}}"
PYTHON="${PYTHON:-python3}"

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV" >&2
fi
if ! "$VENV/bin/python" -c "import lmstudio, jsonschema" >/dev/null 2>&1; then
    # httpx 1.0 pre-releases break the SDK's httpx-ws dependency; pin the 0.x line.
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$SDK" 'httpx<1' jsonschema >&2
fi
echo "$VENV/bin/python"
