"""Importing a function's handler file in-process, the one way tests, benchmarks and the OpenAPI
generator all do it: every function's file is app.py, so each gets a unique module name."""

import importlib.util
import sys
import uuid
from pathlib import Path
from types import ModuleType


def import_handler_module(path: Path, prefix: str = "function") -> ModuleType:
    """Imports `path` as a fresh module (registered in sys.modules while it runs, as pydantic and
    dataclasses need); a module that fails to import is not left behind."""
    module_name = f"{prefix}_{path.parent.name}_{uuid.uuid4().hex[:12]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no Python module at {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module
