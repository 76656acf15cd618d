"""The fake in a background thread (local.http_server's harness), for tests and the local stack."""

from __future__ import annotations

from typing import Any

import uvicorn

from local.fake_bailian.endpoint import BASE_PATH, CHAT_PATH, create_app
from local.http_server import AsgiServer


def fake_server_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for the fake: quiet (it writes its own access line), no lifespan."""
    return uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1.0, **options
    )


class FakeBailianServer(AsgiServer):
    """The fake served from a daemon thread; `app.state.fault_counter` holds its x<N> counters."""

    @property
    def base_url(self) -> str:
        """What an OpenAI-compatible client takes as its base URL."""
        return self.url + BASE_PATH

    @property
    def chat_url(self) -> str:
        return self.url + CHAT_PATH

    def stop(self, timeout: float = 5.0) -> None:
        # Sooner than the gateway's default: a test's stalled stream must not hold teardown long.
        super().stop(timeout)


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str = "sk-fake-bailian",
    *,
    timeout_delay_seconds: float = 35.0,
    access_log: bool = True,
    startup_timeout: float = 10.0,
) -> FakeBailianServer:
    """Start the fake on host:port (0 = a free port) in a background thread; returns once it listens."""
    app = create_app(api_key, timeout_delay_seconds=timeout_delay_seconds, access_log=access_log)
    server = FakeBailianServer(app, host=host, port=port, config=fake_server_config(app))
    return server.start(startup_timeout)
