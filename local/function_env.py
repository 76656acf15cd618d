"""The environment a local Lambda process gets: what Lambda itself sets, the function's template
environment, the local wiring (DynamoDB Local, the dev JWT secret, dummy credentials), and an
optional `sam local start-api --env-vars` file."""

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local.template import LOCAL_REGION, Function, Template, env_value

log = logging.getLogger("local.gateway")

# None removes the variable: JWT_SECRET replaces the Secrets Manager ARN locally.
LocalOverrides = Mapping[str, str | None]


def local_api_key_digest_secret(jwt_secret: str) -> str:
    """The API keys' digest key, derived from the dev JWT secret (one local secret to keep)."""
    return hashlib.sha256(f"api-key-digests/{jwt_secret}".encode()).hexdigest()


def local_overrides(*, dynamodb_endpoint: str, table_name: str, jwt_secret: str) -> dict[str, str | None]:
    """Point every function at the local stack instead of AWS."""
    return {
        "API_KEY_DIGEST_SECRET": local_api_key_digest_secret(jwt_secret),
        "API_KEY_DIGEST_SECRET_ARN": None,
        "DYNAMODB_ENDPOINT": dynamodb_endpoint,
        # boto3 honours this too, so even a client built without DYNAMODB_ENDPOINT stays local.
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
        "TABLE_NAME": table_name,
        "JWT_SECRET": jwt_secret,
        "JWT_SECRET_ARN": None,
        "AWS_REGION": LOCAL_REGION,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def lambda_runtime_variables(function: Function) -> dict[str, str]:
    """What the Lambda service sets in every execution environment."""
    return {
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.logical_id}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{function.logical_id}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime or 'python3.13'}",
        "AWS_REGION": LOCAL_REGION,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_SAM_LOCAL": "true",  # what `sam local` sets; code may check it
        "LAMBDA_TASK_ROOT": str(function.code_uri),
        "_HANDLER": function.handler,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "PYTHONUNBUFFERED": "1",  # logs reach the console as they are written
    }


def load_env_vars_file(path: Path) -> dict[str, dict[str, str]]:
    """Read a `sam local start-api --env-vars` JSON file: {"Parameters": {...}, "<FunctionId>": {...}}."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"--env-vars {path}: {error}") from error
    if not isinstance(content, dict) or not all(isinstance(v, dict) for v in content.values()):
        raise ValueError(f"--env-vars {path}: expected an object of objects")
    return {
        section: {name: env_value(value) for name, value in values.items()}
        for section, values in content.items()
    }


def env_vars_warnings(template: Template, env_vars: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Like SAM, the file only overrides variables the template declares; say what it ignores."""
    warnings = []
    declared_anywhere = {name for f in template.functions.values() for name in f.environment}
    for section, values in env_vars.items():
        if section == "Parameters":
            ignored = sorted(set(values) - declared_anywhere)
            where = "any function"
        elif section not in template.functions:
            warnings.append(f"env-vars: {section!r} is not a function of the template; ignored")
            continue
        else:
            ignored = sorted(set(values) - set(template.functions[section].environment))
            where = section
        warnings.extend(
            f"env-vars: {name} is not declared for {where} in template.yaml; ignored" for name in ignored
        )
    return warnings


def function_environment(
    function: Function,
    *,
    overrides: LocalOverrides,
    env_vars: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, str]:
    """The complete environment of one local Lambda process (nothing inherited from the shell)."""
    environment = {**lambda_runtime_variables(function), **function.environment}
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    for section in ("Parameters", function.logical_id):
        file_values = (env_vars or {}).get(section) or {}
        environment.update({k: v for k, v in file_values.items() if k in function.environment})
    return environment


def warn_about_env_vars(template: Template, env_vars: Mapping[str, Mapping[str, Any]] | None) -> None:
    for warning in env_vars_warnings(template, env_vars or {}):
        log.warning(warning)


def lambda_like_environment(function: Function) -> dict[str, str]:
    """What Lambda gives the function's process (lambda_runtime_variables, not marked as `sam
    local`), with fake role credentials (nothing is sent: the clients primed at init sign one
    request that is answered in-process) and the function's template environment, for the
    cold-start bench and the build's recording of generated code."""
    runtime = lambda_runtime_variables(function)
    del runtime["AWS_SAM_LOCAL"]
    return {
        **runtime,
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "ASIABENCHCOLDIMPORT00",
        "AWS_SECRET_ACCESS_KEY": "bench-cold-import-secret",
        "AWS_SESSION_TOKEN": "bench-cold-import-token",
        **function.environment,
    }
