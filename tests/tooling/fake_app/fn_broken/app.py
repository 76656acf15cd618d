"""Misbehaves on demand: /broken/<mode>."""

import os
import time


def handler(event, context):
    mode = event["pathParameters"]["mode"]
    if mode == "raise":
        raise RuntimeError("the handler failed")
    if mode == "sleep":
        time.sleep(30)
    if mode == "exit":
        os._exit(3)
    if mode == "huge-body":  # over Lambda's 6 MB response payload limit once serialized
        return {"statusCode": 200, "body": "x" * (6 * 1024 * 1024 + 100)}
    if mode == "pid":
        return {"statusCode": 200, "body": str(os.getpid())}
    malformed = {
        "body-not-string": {"statusCode": 200, "body": {"not": "a string"}},
        "no-status": {"body": "hi"},
        "extra-key": {"statusCode": 200, "body": "hi", "cookies": ["a=1"]},
        "not-serializable": {"statusCode": 200, "body": object()},
    }
    return malformed.get(mode)
