"""Third-party packages imported without running their eager __init__ (cold start).

`aws_lambda_powertools.event_handler`'s __init__ imports every resolver Powertools has (AppSync's
pulls in asyncio, plus Bedrock, VPC Lattice, AppSync Events, ...) and
`aws_lambda_powertools.utilities.data_classes`' imports every event class (CodePipeline's pulls in
tempfile and zipfile), where the functions use only the REST resolver and its events: about 20 ms
of every endpoint function's cold start. Both __init__s do nothing but re-export names from their
submodules, so `install` registers each package as a module with its real __path__ (submodules
import from the package's directory as usual) whose exported names are imported on first use
(PEP 562 `__getattr__`, read from the real __init__'s `from ... import` lines). Same objects,
imported later or never. Checked against the pinned aws-lambda-powertools
(layers/common/requirements.txt) by tests/unit/test_lean_imports.py, which fails if a new
version's __init__ does anything else.

`defer_init` is the general form for a package whose __init__ does more than re-export (botocore's
docs package, store/__init__.py): the whole __init__ runs, unchanged, on the first use of any of
its names.
"""

import ast
import importlib.util
import sys
import types

LEAN_PACKAGES = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
)


def install() -> None:
    """Registers the LEAN_PACKAGES not imported yet (one already imported whole is left as is)."""
    for name in LEAN_PACKAGES:
        if name not in sys.modules:
            _register_lean_package(name)


def defer_init(name: str) -> None:
    """Registers package `name` (if not imported yet) with its __init__ run on the first access to
    one of its attributes instead of now; its submodules import as usual meanwhile."""
    if name in sys.modules:
        return
    package = _unexecuted_package(name)
    if package is None:
        return

    def __getattr__(attribute: str):
        del package.__getattr__  # once: the real __init__ defines the names from now on
        package.__spec__.loader.exec_module(package)
        return getattr(package, attribute)

    package.__getattr__ = __getattr__


def _register_lean_package(name: str) -> None:
    package = _unexecuted_package(name)
    if package is not None:
        package.__getattr__ = _lazy_exports(package)


def _unexecuted_package(name: str) -> types.ModuleType | None:
    """Package `name` registered as imported, with its real __path__, __file__ and __spec__, but its
    __init__ not run (None, nothing registered, if it is not a package from source here)."""
    parent_name, _, child = name.rpartition(".")
    __import__(parent_name)  # the real parents (light ones)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        return None
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    setattr(sys.modules[parent_name], child, package)
    return package


def _lazy_exports(package: types.ModuleType):
    exports: dict[str, str] = {}  # exported name -> the module it comes from

    def __getattr__(attribute: str):
        if not exports:
            exports.update(reexported_names(package.__spec__.origin, package.__name__))
        if attribute not in exports:
            raise AttributeError(f"module {package.__name__!r} has no attribute {attribute!r}")
        __import__(exports[attribute])  # not importlib.import_module: -X importtime sees this one
        value = getattr(sys.modules[exports[attribute]], attribute)
        setattr(package, attribute, value)  # next time a plain attribute
        return value

    return __getattr__


def reexported_names(init_path: str, package: str) -> dict[str, str]:
    """Name -> source module of every `from X import name` at the top of a package's __init__.py."""
    with open(init_path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), init_path)
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            module = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            names.update({alias.asname or alias.name: module for alias in node.names})
    return names
