"""Start the server: `policyqa serve` and `python app.py` both come here.

The order is chosen for a quick restart. The Assistant is prepared first (the index opened, or
built on a first start); then the server listens, with the HTTP API, the OpenAI-compatible API and
/docs ready at once. The chat page and the console (gradio: about half of the start-up time) are
built in the background and appear a few seconds later; until then they answer with a short
"正在启动" page that reloads itself (503 + Retry-After), and /api/v1/healthz says `"pages": "starting"`.
"""
from __future__ import annotations

import logging
import sys
import time

from .. import running_server
from ..errors import PolicyQAError
from ..settings import load_settings

log = logging.getLogger("policyqa.app")


def warm_up(assistant) -> None:
    """Load what the first question would otherwise wait for: the keyword index, the embedding
    model, the word segmenter's tables, the answerer's tables."""
    from ..segmenter import preload

    preload()
    assistant.notices()
    try:
        assistant.ask("补贴标准是多少")
    except PolicyQAError as exc:  # a corpus this question does not fit is no reason to stop
        log.debug("warm-up question not answered: %s", exc)


def serve(host: str | None = None, port: int | None = None, log_level: str = "info") -> int:
    from . import security  # noqa: F401  (assistant.web switches gradio's network calls off)
    from .security import configure_logging, is_loopback

    configure_logging(getattr(logging, log_level.upper()))
    try:
        env_settings = load_settings()
        settings = load_settings(host=host or env_settings.host, port=port or env_settings.port)
    except PolicyQAError as exc:
        log.error(str(exc))
        return 2

    import uvicorn

    from ..assistant import Assistant
    from .security import forwarded_ips_problem, forwarded_ips_warning
    from .server import access_note, create_app

    refusal = forwarded_ips_problem(settings)
    if refusal:  # every client could pose as loopback: refuse rather than serve an open API
        log.error(refusal)
        return 2
    try:
        started = time.perf_counter()
        assistant = Assistant(settings)
        if not assistant.index.exists():
            log.info("preparing index: the first start embeds the corpus (about 20 s for 120 clauses on 2 cores)",
                     extra={"data_dir": str(settings.data_dir), "corpus_dir": str(settings.corpus_dir)})
        # a progress bar belongs on a terminal: when stderr is a log file, the log lines say it all
        assistant.ensure_index(progress=sys.stderr.isatty())
        warm_up(assistant)
        log.info("index ready", extra={"seconds": round(time.perf_counter() - started, 1),
                                       "notices": len(assistant.notices()),
                                       "mode": "llm" if settings.llm_enabled else "extractive"})
        app = create_app(assistant, settings, pages="background")
    except PolicyQAError as exc:
        log.error(str(exc))
        return 1
    open_to_all = not settings.api_keys and not is_loopback(settings.host)
    (log.warning if open_to_all else log.info)(access_note(settings))
    if forwarded_ips_warning(settings):
        log.warning(forwarded_ips_warning(settings))
    base = f"http://{settings.host}:{settings.port}"
    log.info("serving", extra={"chat": f"{base}/", "console": f"{base}/console/",
                               "api": f"{base}/api/v1", "docs": f"{base}/docs"})
    # Timeouts: idle keep-alive connections close after POLICYQA_KEEP_ALIVE_TIMEOUT; a body must
    # arrive within POLICYQA_BODY_TIMEOUT (RequestGuard: uvicorn has no body timeout); past
    # POLICYQA_MAX_CONNECTIONS concurrent connections new ones get 503 instead of queueing forever.
    announce_while_serving(app, settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
                timeout_keep_alive=settings.keep_alive_timeout_s, limit_concurrency=settings.max_connections,
                timeout_graceful_shutdown=5)
    return 0


def announce_while_serving(app, settings) -> None:
    """`policyqa ask` on this data dir may ask this server (assistant/running_server.py) from its
    start-up to its shutdown. In the app's lifespan, not around uvicorn.run: on SIGTERM uvicorn shuts
    down, then raises the signal again, and code after uvicorn.run never runs."""
    from contextlib import asynccontextmanager

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a):
        async with inner(a) as state:
            path = running_server.announce(settings)
            try:
                yield state
            finally:
                running_server.withdraw(path)

    app.router.lifespan_context = lifespan
