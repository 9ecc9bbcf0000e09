#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv): the pinned packages of
# requirements-dev.txt (run-time pins plus test tools), then our own packages in editable mode.
# Skips the work when nothing it depends on has changed since the last run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="$REPO_ROOT/.venv"
PYTHON=${PYTHON:-python3}
PACKAGES=(libs/common services/intake services/trajecten services/tolken services/rapportage)

cd "$REPO_ROOT"
stamp_file="$VENV/.civic-stamp"
stamp=$(cat requirements.txt requirements-dev.txt "${PACKAGES[@]/%//pyproject.toml}" | sha256sum | cut -d' ' -f1)
if [[ -x $VENV/bin/python && -f $stamp_file && $(cat "$stamp_file") == "$stamp" ]]; then
  exit 0
fi

echo "python-env: installing packages into .venv (first run takes a minute)" >&2
[[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r requirements-dev.txt
editable=()
for pkg in "${PACKAGES[@]}"; do editable+=(-e "$pkg"); done
# With deps: a package may pin one that the requirement files do not list yet.
"$VENV/bin/pip" install -q --disable-pip-version-check --no-build-isolation "${editable[@]}"
echo "$stamp" >"$stamp_file"
