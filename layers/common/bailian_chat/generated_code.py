"""Precompiled bytecode for the source Python generates while the functions import (cold start).

`dataclasses` writes the methods of every dataclass as source text and execs it, `typing` compiles
every string forward reference (pydantic_core's schema TypedDicts have hundreds), `collections`
evals each namedtuple's `__new__`: some 450 small compilations per function, 25-30 ms of a
200-230 ms import, the same text compiled again on every cold start. `make build` (local/build.sh)
records, for every function, the text each of the three compiles and ships the code objects in
the layer next to this module, as it ships the modules' .pyc; `install` (bailian_chat/__init__.py,
before anything else imports) looks each text up there instead of compiling it.

Same text, same code: an entry is the code object `compile` makes from exactly that source, file
name and mode, with no inherited flags (as the three modules, which have no __future__ imports,
compile). Text not in the cache (a new dataclass since the build, a patch release of Python that
generates other text) is compiled as usual. A cache written by another Python minor version (its
bytecode magic differs), one marshal cannot read or whose entries are not code, or none (the
source tree: the tests and the local stack) installs nothing. The hooks are the three modules' own
names for the builtins (module globals shadow builtins), so nothing else is affected.

This module imports nothing of the layer: the build's recorder loads it on its own (see `record`).
No `from __future__` import here either: what the hooks compile must not inherit one.
"""

import builtins
import collections
import dataclasses
import inspect
import marshal
import os
import sys
import typing
from collections.abc import Callable
from importlib.util import MAGIC_NUMBER
from types import CodeType

CACHE_NAME = "generated_code.marshal"  # the build writes it here (local/generated_code.py)
CACHE_FILE = os.path.join(os.path.dirname(__file__), CACHE_NAME)
# (module, the builtin it calls with generated source)
HOOKED = ((dataclasses, "exec"), (typing, "compile"), (collections, "eval"))

Key = tuple[str, str, str]  # (source, file name, mode): what compile() is given
Compiler = Callable[[str, str, str], CodeType]  # (source, file name, mode) -> its code

_compile, _exec, _eval = builtins.compile, builtins.exec, builtins.eval
# Lookups since install: two integers per cold start, kept for the tests and for diagnosis.
counts = {"hits": 0, "misses": 0}


def install(path: str = CACHE_FILE) -> bool:
    """Hooks the three modules to the cache at `path`; False (nothing hooked) when there is no
    usable cache or the hooks are in place already (installed before, or the build recording)."""
    if _hooked():
        return False
    cache = load(path)
    if cache is None:
        return False

    def cached(source: str, filename: str, mode: str) -> CodeType:
        code = cache.get((source, filename, mode))
        if code is None:
            counts["misses"] += 1
            return _compiled_afresh(source, filename, mode)
        counts["hits"] += 1
        return code

    _hook(cached)
    return True


def record() -> dict[Key, CodeType]:
    """Build time: from now on every text the three modules compile is compiled here and kept in
    the dict returned (load this file as a standalone module before `bailian_chat`, whose
    __init__'s `install` then finds the hooks taken)."""
    entries: dict[Key, CodeType] = {}

    def remember(source: str, filename: str, mode: str) -> CodeType:
        code = entries[(source, filename, mode)] = _compiled_afresh(source, filename, mode)
        return code

    _hook(remember)
    return entries


def load(path: str) -> dict[Key, CodeType] | None:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError:
        return None
    if not data.startswith(MAGIC_NUMBER):
        return None
    try:
        cache = marshal.loads(memoryview(data)[len(MAGIC_NUMBER) :])
    except (EOFError, ValueError, TypeError):
        return None
    if not (isinstance(cache, dict) and all(type(code) is CodeType for code in cache.values())):
        return None  # marshal read it, but it is not what `write` writes
    return cache


def write(entries: dict[Key, CodeType], path: str) -> None:
    """The cache file: this Python's bytecode magic, then the entries (sorted, so their order does
    not depend on the order the functions were recorded in)."""
    with open(path, "wb") as file:
        file.write(MAGIC_NUMBER + marshal.dumps(dict(sorted(entries.items()))))


def _compiled_afresh(source: str, filename: str, mode: str) -> CodeType:
    """As the three modules compile: no flags inherited (they have no __future__ imports)."""
    return _compile(source, filename, mode, dont_inherit=True)


def _hooked() -> bool:
    return any(name in vars(module) for module, name in HOOKED)


def _namespaces(globals, locals) -> tuple:
    """exec/eval without globals run in their caller's namespaces, not the hook's (the three
    modules pass their own today): its globals, and its locals() as the builtins take them, a
    snapshot in a function, the namespace itself in a module or class body."""
    if globals is not None:
        return globals, locals
    caller = sys._getframe(2)
    if locals is None:
        locals = caller.f_locals
        if caller.f_code.co_flags & inspect.CO_OPTIMIZED:  # a function's frame: a write-through proxy
            locals = dict(locals)
    return caller.f_globals, locals


def _hook(compiled: Compiler) -> None:
    """The three builtins as the modules call them, with `compiled` making the code of a str
    source; any other call goes to the builtin unchanged."""

    def exec_(source, /, globals=None, locals=None, *, closure=None):
        if isinstance(source, str):
            source = compiled(source, "<string>", "exec")
        return _exec(source, *_namespaces(globals, locals), closure=closure)

    def eval_(source, /, globals=None, locals=None):
        if isinstance(source, str):
            # eval() ignores leading spaces and tabs in a string (compile() does not)
            source = compiled(source.lstrip(" \t"), "<string>", "eval")
        return _eval(source, *_namespaces(globals, locals))

    def compile_(source, filename, mode, flags=0, dont_inherit=False, optimize=-1, **options):
        if isinstance(source, str) and not (flags or dont_inherit or options) and optimize == -1:
            return compiled(source, filename, mode)
        return _compile(source, filename, mode, flags, dont_inherit, optimize, **options)

    for module, name in HOOKED:
        setattr(module, name, {"exec": exec_, "eval": eval_, "compile": compile_}[name])
