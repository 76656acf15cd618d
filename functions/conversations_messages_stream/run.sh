#!/bin/bash
# The handler of an ASGI function: the Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap)
# runs this, waits for the readiness check, then forwards each invocation to uvicorn over HTTP.
# The layer's packages are in /opt/python on Lambda (PYTHONPATH from the local stack otherwise).
# No proxy headers: the caller's address comes only from the request context header.
PYTHONPATH="/opt/python:${LAMBDA_TASK_ROOT}${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m uvicorn \
  --host 127.0.0.1 --port "${AWS_LWA_PORT:-8080}" --no-proxy-headers --no-access-log --no-server-header \
  --log-level warning app:app
