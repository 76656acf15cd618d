#!/usr/bin/env bash
# make build: `sam build` of template.yaml for python3.13 / arm64 without a container, then checks
# that every native extension in the layer is an aarch64 binary and prints a size report (fails
# when the layer plus a function would exceed Lambda's 250 MB unzipped limit).
#
# No container is needed: SAM's python builder (aws-lambda-builders, python_pip) asks pip for
# wheels of the function's architecture (manylinux*_aarch64, cp313) and fails, rather than
# falling back to x86_64, when a package has none. The functions have no requirements.txt of
# their own (everything is in the layer): SAM copies them as they are, with a warning per function.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=.aws-sam/build
LIMIT_BYTES=262144000 # Lambda: function + layers, unzipped, 250 MB

bash local/sam.sh --version >/dev/null # creates .venv-sam (SAM CLI in its own venv) when missing
# SAM resolves the runtime's interpreter as `python3.13` on PATH (a pyenv shim may not answer for
# it); .venv-sam's own python is 3.13.
export PATH="$PWD/.venv-sam/bin:$PATH"
python3.13 -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' || {
  echo "build: .venv-sam/bin/python3.13 is not Python 3.13; delete .venv-sam and rerun" >&2
  exit 1
}

started=$(date +%s)
# --cached/--parallel come from samconfig.toml ([default.build.parameters]).
bash local/sam.sh build --template-file template.yaml --build-dir "$BUILD_DIR"
echo "sam build took $(($(date +%s) - started)) s"

# Precompile the layer and the functions: /opt and /var/task are read-only on Lambda, so without
# shipped .pyc every cold start compiles the sources again (measured: ~2x the import time).
# unchecked-hash: the .pyc stays valid whatever timestamps the zip gives the sources (the same
# command as local/generated_code.PRECOMPILE, which make sam-local and the bench run).
python3.13 -m compileall -q -j 0 --invalidation-mode unchecked-hash "$BUILD_DIR" >/dev/null
echo "precompiled $(find "$BUILD_DIR" -name '*.pyc' | wc -l) modules for Python 3.13"
# And the source dataclasses, typing and namedtuple generate while a function imports (its methods,
# forward references): recorded by importing and priming every function with the project's Python
# 3.13 and pinned packages, shipped in the layer (bailian_chat/generated_code.py; ~25 ms per import).
.venv/bin/python -m local.generated_code "$BUILD_DIR/CommonLayer/python"

.venv-sam/bin/python - "$BUILD_DIR" "$LIMIT_BYTES" <<'PY'
"""Checks the built artifacts' architecture and prints their sizes."""

import os
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

build_dir, limit = Path(sys.argv[1]), int(sys.argv[2])
EM_AARCH64, EM_X86_64 = 183, 62


def files(root: Path):
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath, name)
            if not path.is_symlink():
                yield path


def unzipped(root: Path) -> int:
    return sum(path.stat().st_size for path in files(root))


def zipped(root: Path) -> int:
    """The size of the deployment zip (deflate, as `sam deploy` uploads it)."""
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(files(root)):
                archive.write(path, path.relative_to(root))
        return handle.tell()


def machine(path: Path) -> int | None:
    with open(path, "rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    return struct.unpack("<H" if header[5] == 1 else ">H", header[18:20])[0]


def human(size: int) -> str:
    """Binary units, as Lambda's limits are (250 MB = 250 MiB = 262,144,000 bytes)."""
    return f"{size / 2**20:.2f} MiB" if size >= 2**20 else f"{size / 2**10:.1f} KiB"


layer = build_dir / "CommonLayer"
if not (layer / "python").is_dir():
    sys.exit(f"build: {layer}/python is missing: did the layer build?")

# Every ELF in the layer must be aarch64 (argon2-cffi-bindings' _ffi.abi3.so has no arch in its
# name, so look at the binary itself).
elfs = [(path, machine(path)) for path in files(layer)]
elfs = [(path, kind) for path, kind in elfs if kind is not None]
wrong = [(path, kind) for path, kind in elfs if kind != EM_AARCH64]
print(f"\nnative extensions in the layer ({len(elfs)}), ELF machine:")
for path, kind in sorted(elfs):
    name = {EM_AARCH64: "aarch64", EM_X86_64: "x86_64"}.get(kind, str(kind))
    print(f"  {name:8} {path.relative_to(layer)}")
if not elfs:
    sys.exit("build: no native extension found in the layer (expected pydantic-core, argon2, cffi)")
if wrong:
    sys.exit(f"build: {len(wrong)} binaries in the layer are not aarch64")

if (layer / "python" / "boto3").exists() or (layer / "python" / "botocore").exists():
    print("note: the layer carries its own boto3/botocore (the runtime already has them)")

functions = sorted(p for p in build_dir.iterdir() if p.is_dir() and p.name != "CommonLayer")
layer_unzipped, layer_zipped = unzipped(layer), zipped(layer)
rows = [("CommonLayer (layer)", layer_unzipped, layer_zipped)]
rows += [(f.name, unzipped(f), zipped(f)) for f in functions]
print(f"\n{'artifact':<34} {'unzipped':>12} {'zipped':>12}")
for name, raw, packed in rows:
    print(f"{name:<34} {human(raw):>12} {human(packed):>12}")

top_level: dict[str, int] = {}
for path in files(layer / "python"):
    head = path.relative_to(layer / "python").parts[0]
    head = head.split(".")[0] if path.parent == layer / "python" else head
    if ".dist-info" not in head and ".data" not in head:
        top_level[head] = top_level.get(head, 0) + path.stat().st_size
largest_parts = sorted(top_level.items(), key=lambda item: -item[1])[:6]
print("largest in the layer: " + ", ".join(f"{name} {human(size)}" for name, size in largest_parts))

largest = max((raw for _name, raw, _packed in rows[1:]), default=0)
total = layer_unzipped + largest
print(
    f"layer + largest function, unzipped: {human(total)} of Lambda's {human(limit)} limit "
    f"({100 * total / limit:.1f}%)"
)
if total > limit:
    sys.exit("build: over Lambda's 250 MB unzipped limit")
PY
