#!/bin/bash
PYTHONPATH="${LAMBDA_TASK_ROOT}${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m uvicorn \
  --host 127.0.0.1 --port "${AWS_LWA_PORT:-8080}" --no-proxy-headers --log-level warning app:app
