#!/usr/bin/env bash
# Runs the SAM CLI from its own virtualenv (.venv-sam): SAM pins its own boto3/pydantic,
# so it never shares the app's .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
SAM_VERSION=1.170.0
if [ ! -x .venv-sam/bin/sam ] || ! .venv-sam/bin/sam --version 2>/dev/null | grep -q "$SAM_VERSION"; then
  python=$(.venv/bin/python -c 'import sys; print(sys.base_prefix)')/bin/python3
  [ -x .venv-sam/bin/python ] || "$python" -m venv .venv-sam
  .venv-sam/bin/python -m pip install --quiet --disable-pip-version-check "aws-sam-cli==$SAM_VERSION"
fi
export SAM_CLI_TELEMETRY=0
exec .venv-sam/bin/sam "$@"
