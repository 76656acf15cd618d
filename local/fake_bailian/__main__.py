"""python -m local.fake_bailian: the fake in the foreground until Ctrl-C."""

import argparse
import sys

import uvicorn

from local import fake_bailian
from local.fake_bailian.endpoint import BASE_PATH, create_app
from local.fake_bailian.server import fake_server_config


def main(argv: list[str] | None = None) -> int:
    doc = (fake_bailian.__doc__ or "").splitlines()[0]
    parser = argparse.ArgumentParser(prog="python -m local.fake_bailian", description=doc)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument(
        "--api-key", required=True, help="the key clients must send as 'Authorization: Bearer'"
    )
    parser.add_argument("--timeout-delay", type=float, default=35.0, help="seconds #fault:timeout waits")
    args = parser.parse_args(argv)
    app = create_app(args.api_key, timeout_delay_seconds=args.timeout_delay)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"fake Bailian on http://{host}:{args.port}{BASE_PATH} (Ctrl-C stops)", file=sys.stderr, flush=True)
    uvicorn.Server(fake_server_config(app, host=args.host, port=args.port)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
