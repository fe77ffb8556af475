#!/usr/bin/env bash
# Creates bench/.venv-quix with Quix Streams for bench/quix_compare.py.
# Kept apart from .venv so quixstreams never enters requirements.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-quix"
stamp="$venv/.quixstreams-3.28.1"
[ -f "$stamp" ] && exit 0
python3.11 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q quixstreams==3.28.1
touch "$stamp"
