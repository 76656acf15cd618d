"""Alibaba Cloud Model Studio (Bailian) client: the only package that imports httpx."""

import sys

# httpx's command-line entry point (httpx._main) imports click whenever click is installed, and the
# layer has it (uvicorn's, for the two streaming functions): ~40 ms of every model-calling cold start
# for a CLI no function runs. Marked absent, httpx falls back to its stub, as it does without click.
sys.modules.setdefault("httpx._main", None)
