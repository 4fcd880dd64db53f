#!/usr/bin/env bash
# Installs moto's standalone server into <repo>/.venv, for the tests that cross-check against moto
# (tests/src/moto.rs finds it at .venv/bin/moto_server, or at $MOTO_SERVER).
#
# Idempotent: a .venv that already has the pinned version is left alone, so CI can call this on
# every run. Needs only python3 (>= 3.9) with its standard venv module; everything else comes
# from PyPI.
set -euo pipefail

MOTO_VERSION="5.2.5"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.venv"
python="$venv/bin/python"

installed_version() {
    "$python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true
}

if [[ ! -x "$python" ]]; then
    echo "setup-moto: creating $venv" >&2
    if ! python3 -m venv "$venv"; then
        echo "setup-moto: 'python3 -m venv' failed; install Python's venv module (Debian: apt-get install python3-venv) and rerun" >&2
        exit 1
    fi
fi

if [[ "$(installed_version)" != "$MOTO_VERSION" || ! -x "$venv/bin/moto_server" ]]; then
    echo "setup-moto: installing moto[server]==$MOTO_VERSION into $venv" >&2
    "$python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

if ! "$venv/bin/moto_server" --help >/dev/null; then
    echo "setup-moto: $venv/bin/moto_server --help failed after installing; remove $venv and rerun" >&2
    exit 1
fi
echo "setup-moto: moto $(installed_version) ready at $venv/bin/moto_server" >&2
