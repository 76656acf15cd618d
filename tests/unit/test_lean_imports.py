"""bailian_chat.lean_imports against the pinned aws-lambda-powertools: the packages it registers
without their __init__ export the very objects their __init__ would, their __init__ still does
nothing else (a new version that does fails here), and no function imports the whole packages;
botocore.docs' __init__ runs only when one of its names is used."""

import ast
import json
import re
from pathlib import Path

import pytest
from aws_lambda_powertools.shared.version import VERSION
from bailian_chat import lean_imports

from tests.support.fresh_python import REPO_ROOT, each_function_imported, run_python

# What the full __init__s pull in and no function uses (AppSync's resolver imports asyncio).
NEVER_IMPORTED = (
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.event_handler.vpc_lattice",
    "aws_lambda_powertools.utilities.data_classes.code_pipeline_job_event",
    "aws_lambda_powertools.utilities.data_classes.s3_event",
    "botocore.docs.service",  # botocore's reference-docs generator (lean_imports.defer_init)
)


def test_the_installed_powertools_is_the_pinned_one():
    requirements = (REPO_ROOT / "layers" / "common" / "requirements.txt").read_text()
    pinned = re.search(r"^aws-lambda-powertools==(\S+)$", requirements, re.MULTILINE)
    assert pinned is not None and pinned.group(1) == VERSION


@pytest.mark.parametrize("package", lean_imports.LEAN_PACKAGES)
def test_the_package_init_only_reexports(package):
    """The assumption lean_imports rests on: a docstring, `from ... import` lines and __all__."""
    init = Path(__import__(package, fromlist=["_"]).__spec__.origin)
    for node in ast.parse(init.read_text()).body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        exports = isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]
        assert docstring or exports or isinstance(node, ast.ImportFrom), ast.unparse(node)


LEAN_EQUALS_FULL = """
import json, sys
from bailian_chat import lean_imports

lean_imports.install()
report = {}
for name in lean_imports.LEAN_PACKAGES:
    package = sys.modules[name]
    registered_lean = "__getattr__" in vars(package)  # the lean package, its __init__ not run
    lean = {attribute: getattr(package, attribute) for attribute in
            lean_imports.reexported_names(package.__spec__.origin, name)}
    full = {"__name__": name, "__package__": name, "__path__": package.__path__}
    with open(package.__spec__.origin) as init:
        exec(compile(init.read(), package.__spec__.origin, "exec"), full)
    public = {key: value for key, value in full.items() if not key.startswith("__")}
    report[name] = {
        "same_names": sorted(public) == sorted(lean),
        "same_objects": all(lean[key] is value for key, value in public.items()),
        "all_exported": set(full.get("__all__", ())) <= set(lean),
        "count": len(lean),
        "registered": registered_lean,
    }
print(json.dumps(report))
"""


def test_the_lean_packages_export_the_same_objects_as_their_init():
    report = json.loads(run_python(LEAN_EQUALS_FULL))

    assert set(report) == set(lean_imports.LEAN_PACKAGES)
    for name, checks in report.items():
        assert checks["count"] > 5, name
        assert all(checks.values()), (name, checks)


def test_a_package_already_imported_whole_is_left_as_it_is():
    code = (
        "import sys; import aws_lambda_powertools.event_handler as full; "
        "from bailian_chat import lean_imports; lean_imports.install(); "
        "print(sys.modules['aws_lambda_powertools.event_handler'] is full, "
        "'aws_lambda_powertools.event_handler.appsync' in sys.modules)"
    )
    assert run_python(code).split() == ["True", "True"]


def test_an_unknown_name_is_an_attribute_error():
    code = (
        "from bailian_chat import lean_imports; lean_imports.install()\n"
        "import aws_lambda_powertools.event_handler as package\n"
        "try:\n    package.NoSuchResolver\nexcept AttributeError as exc:\n    print(exc)"
    )
    assert "has no attribute 'NoSuchResolver'" in run_python(code)


AUTH_LIBRARIES = ("jwt", "argon2")
# Each function as Lambda imports it: what it imports of NEVER_IMPORTED and of AUTH_LIBRARIES.
FUNCTION_IMPORTS = each_function_imported(
    f"[[n for n in names if n in sys.modules] for names in ({NEVER_IMPORTED!r}, {AUTH_LIBRARIES!r})]",
    forget=(*AUTH_LIBRARIES, "_argon2_cffi_bindings"),
)


@pytest.fixture(scope="module")
def function_imports() -> dict[str, list[list[str]]]:
    return json.loads(run_python(FUNCTION_IMPORTS))


def test_no_function_imports_what_the_full_inits_would(function_imports):
    """The layer is imported before Powertools, so the lean packages are in place before the
    resolver's first import."""
    assert len(function_imports) > 30
    assert {function: never for function, (never, _) in function_imports.items() if never} == {}


BOTOCORE_DOCS = """
import sys
import bailian_chat.store
import botocore.session

client = botocore.session.get_session().create_client(
    "dynamodb", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
)
documented = "GetItem" in str(client.get_item.__func__.__doc__)  # botocore's lazy docstrings work
before = "botocore.docs.service" in sys.modules
import botocore.docs

generate_docs = botocore.docs.generate_docs  # the first name used: the real __init__ runs now
print(documented, before, generate_docs.__module__, botocore.docs.ServiceDocumenter is
      sys.modules["botocore.docs.service"].ServiceDocumenter, botocore.docs.DEPRECATED_SERVICE_NAMES)
"""


def test_botocore_docs_init_runs_only_when_one_of_its_names_is_used():
    shown = run_python(BOTOCORE_DOCS).split()

    assert shown == ["True", "False", "botocore.docs", "True", "{'sms-voice'}"]


STREAMING_FUNCTION_IMPORTS = """
import json, sys
sys.path.insert(0, "functions/{function}")
import app
print(json.dumps(sorted(m for m in sys.modules if m.startswith("aws_lambda_powertools.event_handler."))))
"""


@pytest.mark.parametrize("function", ["v1_chat_completions", "conversations_messages_stream"])
def test_the_streaming_functions_do_not_import_the_rest_resolver(function):
    """Starlette serves them: Powertools' resolver and its OpenAPI validation (about 25 ms of an
    import) are for the other functions; the request body rules they share are in api.request_body."""
    assert json.loads(run_python(STREAMING_FUNCTION_IMPORTS.format(function=function))) == []


def test_only_the_functions_that_issue_tokens_or_check_passwords_import_pyjwt_or_argon2(function_imports):
    """auth.user_views and auth.self_service show users and end sessions without them (about 5 ms of an
    import); the authorizer verifies tokens."""
    assert {function: auth for function, (_, auth) in function_imports.items() if auth} == {
        "auth_login": ["jwt", "argon2"],
        "auth_password": ["jwt", "argon2"],
        "auth_refresh": ["jwt", "argon2"],
        "auth_register": ["jwt", "argon2"],
        "auth_user_delete": ["argon2"],  # the password is checked before the account goes
        "authorizer": ["jwt"],
    }
