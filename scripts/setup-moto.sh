#!/usr/bin/env bash
# Installs moto's standalone server into <repo>/.venv, for the tests that cross-check against moto
# (tests/src/moto.rs finds it at .venv/bin/moto_server, or at $MOTO_SERVER).
#
# Idempotent: a .venv that already has the pinned version is left alone, so CI can call this on
# every run. Needs only python3 (>= 3.9) with its standard venv module; everything else comes
# from PyPI.
set -euo pipefail

MOTO_VERSION="5.2.5"
# boto3 is pinned too: the boto3 check of the sandbox (tests/python/) must see the same wire
# protocol every run (botocore 1.44.5 speaks rpcv2Cbor to AppStream, like the Rust SDK).
BOTO3_VERSION="1.44.5"
# jsonschema validates offboard's generated JSON Schemas independently of the Rust code that
# generates them (tests/tests/schemas.rs, tests/python/validate_schema.py).
JSONSCHEMA_VERSION="4.26.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.venv"
python="$venv/bin/python"

installed_version() {
    "$python" -c "import importlib.metadata as m; print(m.version('${1:-moto}'))" 2>/dev/null || true
}

if [[ ! -x "$python" ]]; then
    echo "setup-moto: creating $venv" >&2
    if ! python3 -m venv "$venv"; then
        echo "setup-moto: 'python3 -m venv' failed; install Python's venv module (Debian: apt-get install python3-venv) and rerun" >&2
        exit 1
    fi
fi

if [[ "$(installed_version)" != "$MOTO_VERSION" || "$(installed_version boto3)" != "$BOTO3_VERSION" \
    || "$(installed_version jsonschema)" != "$JSONSCHEMA_VERSION" || ! -x "$venv/bin/moto_server" ]]; then
    echo "setup-moto: installing moto[server]==$MOTO_VERSION boto3==$BOTO3_VERSION jsonschema==$JSONSCHEMA_VERSION into $venv" >&2
    "$python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "boto3==$BOTO3_VERSION" \
        "jsonschema==$JSONSCHEMA_VERSION"
fi

if ! "$venv/bin/moto_server" --help >/dev/null; then
    echo "setup-moto: $venv/bin/moto_server --help failed after installing; remove $venv and rerun" >&2
    exit 1
fi
echo "setup-moto: moto $(installed_version) ready at $venv/bin/moto_server" >&2
