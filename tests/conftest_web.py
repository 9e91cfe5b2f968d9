"""Fixtures for the web tests: the session's real Assistant (tests/conftest.py: temp HOME, TMPDIR
and data dir, index built once) served by real uvicorn servers on 127.0.0.1 (random free ports).

test_api.py and test_browser.py import these fixtures; the servers are cached per process, so
each starts once however many modules import them.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / "test-artifacts"
API_KEYS = tuple(f"test-key-{i}" for i in range(6))  # one per test: each has its own budget
CORS_ORIGIN = "http://127.0.0.1:5173"  # a mini-program dev server on this machine
_CACHE: dict = {}


@dataclass
class LiveServer:
    base_url: str
    settings: object
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        """Ask uvicorn to finish, and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


class _Lines:
    """A stream that keeps every log line the process writes (JSON, as in production)."""

    def __init__(self):
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines += [line for line in text.splitlines() if line.strip()]

    def flush(self) -> None:
        pass

    def records(self) -> list[dict]:
        return [json.loads(line) for line in list(self.lines)]


def _logs() -> _Lines:
    """Logging configured as app.py configures it, writing to a _Lines stream."""
    if "logs" not in _CACHE:
        from assistant.web.security import configure_logging

        root = logging.getLogger()
        _CACHE["saved_logging"] = (root.handlers[:], root.level)
        _CACHE["logs"] = _Lines()
        configure_logging(logging.INFO, stream=_CACHE["logs"])
    return _CACHE["logs"]


def _serve(core, settings, pages: str = "now") -> LiveServer:
    import uvicorn

    from assistant.web.server import create_app  # assistant.web switches gradio's network calls off

    app = create_app(core, settings, pages=pages)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False,
                                           proxy_headers=True, forwarded_allow_ips="127.0.0.1"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    return LiveServer(f"http://127.0.0.1:{port}", settings, server, thread)


def _server(assistant, name: str, **overrides) -> LiveServer:
    if name not in _CACHE:
        _CACHE[name] = _serve(assistant, replace(assistant.settings, **overrides))
    return _CACHE[name]


@pytest.fixture(scope="session")
def web_logs(assistant):
    yield _logs()
    if _CACHE.pop("logs", None):
        handlers, level = _CACHE.pop("saved_logging")
        logging.getLogger().handlers[:] = handlers
        logging.getLogger().setLevel(level)


@pytest.fixture(scope="session")
def open_server(assistant, web_logs) -> LiveServer:
    """No API keys (loopback only), generous limits: what `python app.py` gives on a laptop."""
    yield _server(assistant, "open", rate_limit_per_minute=10_000)
    if "open" in _CACHE:
        _CACHE.pop("open").stop()


@pytest.fixture(scope="session")
def keyed_server(assistant, web_logs) -> LiveServer:
    """API keys, tight limits, a CORS allow-list: a public backend."""
    yield _server(assistant, "keyed", api_keys=API_KEYS, rate_limit_per_minute=5,
                  max_body_bytes=4096, cors_origins=(CORS_ORIGIN,))
    if "keyed" in _CACHE:
        _CACHE.pop("keyed").stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
