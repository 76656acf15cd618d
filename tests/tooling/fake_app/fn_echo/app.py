"""Answers with what it received: the event, its Lambda context, environment and process."""

import base64
import json
import os
import sys
import time

from shared_marker import LAYER_VALUE

ENV_SHOWN = (
    "STAGE",
    "GREETING",
    "OWN_SETTING",
    "UNDECLARED",
    "JWT_SECRET",
    "JWT_SECRET_ARN",
    "TABLE_NAME",
    "DYNAMODB_ENDPOINT",
    "AWS_REGION",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "POWERTOOLS_TRACE_DISABLED",
    "SHELL_ONLY_VARIABLE",
)


def handler(event, context):
    query = event["queryStringParameters"] or {}
    print("echo: a log line on stdout must not disturb the gateway")
    time.sleep(float(query.get("sleep", 0)))
    if query.get("binary"):
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "isBase64Encoded": True,
            "body": base64.b64encode(b"\x89PNG\x00\xff").decode(),
        }
    report = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "invoked_function_arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "env": {name: os.environ.get(name) for name in ENV_SHOWN},
        "pid": os.getpid(),
        "cwd": os.getcwd(),
        "sys_path_head": sys.path[:2],
        "layer": LAYER_VALUE,
    }
    return {
        "statusCode": int(query.get("status", 200)),
        "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(report),
    }
