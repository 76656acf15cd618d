#!/usr/bin/env bash
# A stand-in for Lambda's Python 3.13 base image, built without pulling from a container registry,
# for `make sam-local SAM_LOCAL_ARGS=--skip-pull-image` on machines that cannot reach ECR Public.
#
# A Debian bookworm rootfs (debootstrap, from Debian's own mirror) + this machine's Python 3.13
# (the interpreter .venv was made from) as /var/lang + awslambdaric and boto3 (PyPI; Lambda's Python
# runtime ships boto3, so the layer does not) as /var/runtime, whose /var/runtime/bootstrap is what
# SAM's runtime interface emulator starts. Tagged as the image SAM
# looks for (public.ecr.aws/lambda/python:3.13-<arch>); SAM adds the emulator and the layer on top.
# Needs root (debootstrap), a running Docker engine, and the Debian mirror apt uses.
set -euo pipefail
cd "$(dirname "$0")/.."

AWSLAMBDARIC_VERSION=4.2.2
BOTO3=$(grep -E '^boto3==' requirements-dev.txt) # the version the tests run with
ROOTFS=${ROOTFS:-.local/lambda-rootfs}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 platform=manylinux2014_x86_64 ;;
  aarch64 | arm64) arch=arm64 platform=manylinux2014_aarch64 ;;
  *) echo "lambda_base_image: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
TAG=${TAG:-public.ecr.aws/lambda/python:3.13-$arch}

die() { echo "lambda_base_image: $*" >&2; exit 1; }
docker info >/dev/null 2>&1 || die "no Docker engine answers (start dockerd first)"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
python=$(.venv/bin/python -c 'import sys; print(sys.base_prefix)')
[ -x "$python/bin/python3.13" ] || die "no Python 3.13 at $python (run make bootstrap)"

if [ ! -x "$ROOTFS/bin/sh" ]; then
  echo "lambda_base_image: debootstrap bookworm into $ROOTFS"
  debootstrap --variant=minbase \
    --include=libssl3,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,zlib1g,libuuid1,ca-certificates \
    bookworm "$ROOTFS" "$MIRROR" >/dev/null
fi

echo "lambda_base_image: Python from $python -> /var/lang, awslambdaric $AWSLAMBDARIC_VERSION + $BOTO3 -> /var/runtime"
rm -rf "$ROOTFS/var/lang" "$ROOTFS/var/runtime"
mkdir -p "$ROOTFS/var/lang" "$ROOTFS/var/runtime" "$ROOTFS/var/task" "$ROOTFS/opt"
# The interpreter and its standard library only: no test suite, no site-packages of this machine.
tar -C "$python" --exclude='lib/python3.13/test' --exclude='lib/python3.13/site-packages/*' \
  --exclude='__pycache__' -cf - bin lib include | tar -C "$ROOTFS/var/lang" -xf -
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile \
  --only-binary=:all: --platform "$platform" --python-version 3.13 \
  --target "$ROOTFS/var/runtime" "awslambdaric==$AWSLAMBDARIC_VERSION" "$BOTO3"
cat >"$ROOTFS/var/runtime/bootstrap" <<'SH'
#!/bin/sh
# Started by the runtime interface emulator: the Lambda runtime API client runs the handler.
export PYTHONPATH="/var/runtime:/opt/python:/var/task${PYTHONPATH:+:$PYTHONPATH}"
exec /var/lang/bin/python3.13 -m awslambdaric "${_HANDLER:-$AWS_LAMBDA_FUNCTION_HANDLER}"
SH
chmod +x "$ROOTFS/var/runtime/bootstrap"

echo "lambda_base_image: docker import as $TAG"
tar -C "$ROOTFS" -cf - . | docker import \
  --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/task:/opt/lib' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV TZ=:UTC' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
  --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'WORKDIR /var/task' \
  - "$TAG" >/dev/null
# SAM builds its runtime image on top of this one and, with --skip-pull-image, keeps reusing it:
# drop the ones built on an older stand-in.
docker images -q --filter "reference=samcli/lambda-python:3.13-$arch-*" | xargs -r docker rmi -f >/dev/null
docker run --rm --entrypoint /var/lang/bin/python3.13 "$TAG" -c \
  'import ssl, sqlite3, ctypes, sys; sys.path.insert(0, "/var/runtime"); import awslambdaric, boto3; print("python", sys.version.split()[0], "ok")'
echo "lambda_base_image: $TAG ready (make sam-local SAM_LOCAL_ARGS=--skip-pull-image)"
