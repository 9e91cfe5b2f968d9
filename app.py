"""Start policyqa's web server: residents' chat page (/), hotline console (/console),
HTTP API (/api/v1), OpenAI-compatible API (/v1) and API docs (/docs) — offline, no key needed.

    python app.py                      # http://127.0.0.1:7860
    python app.py --host 0.0.0.0 --port 8080
"""
from __future__ import annotations

import argparse
import logging
import sys
import time

import assistant.web  # noqa: F401  (switches gradio's network calls off before gradio is imported)
from assistant.errors import PolicyQAError
from assistant.settings import load_settings
from assistant.web.security import configure_logging

log = logging.getLogger("policyqa.app")


def parse_args(argv: list[str] | None, default_host: str, default_port: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="policyqa 网页、热线台与 API 服务")
    parser.add_argument("--host", default=default_host,
                        help=f"listen address (POLICYQA_HOST; default {default_host})")
    parser.add_argument("--port", type=int, default=default_port,
                        help=f"listen port (POLICYQA_PORT; default {default_port})")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    try:
        env_settings = load_settings()
    except PolicyQAError as exc:
        print(f"policyqa: {exc}", file=sys.stderr)
        return 2
    args = parse_args(argv, env_settings.host, env_settings.port)
    configure_logging(getattr(logging, args.log_level.upper()))
    settings = load_settings(host=args.host, port=args.port)

    import uvicorn

    from assistant.assistant import Assistant
    from assistant.web.security import forwarded_ips_problem, forwarded_ips_warning, is_loopback
    from assistant.web.server import access_note, create_app

    refusal = forwarded_ips_problem(settings)
    if refusal:  # every client could pose as loopback: refuse rather than serve an open API
        log.error(refusal)
        return 2
    try:
        started = time.perf_counter()
        assistant = Assistant(settings)
        log.info("preparing index (first run embeds the corpus: about 10–20 s)",
                 extra={"data_dir": str(settings.data_dir), "corpus_dir": str(settings.corpus_dir)})
        assistant.ensure_index()
        log.info("index ready", extra={"seconds": round(time.perf_counter() - started, 1),
                                       "notices": len(assistant.notices()),
                                       "mode": "llm" if settings.llm_enabled else "extractive"})
        app = create_app(assistant, settings)
    except PolicyQAError as exc:
        log.error(str(exc))
        return 1
    open_to_all = not settings.api_keys and not is_loopback(settings.host)
    (log.warning if open_to_all else log.info)(access_note(settings))
    if forwarded_ips_warning(settings):
        log.warning(forwarded_ips_warning(settings))
    base = f"http://{settings.host}:{settings.port}"
    log.info("serving", extra={"chat": f"{base}/", "console": f"{base}/console",
                               "api": f"{base}/api/v1", "docs": f"{base}/docs"})
    # Timeouts: idle keep-alive connections close after POLICYQA_KEEP_ALIVE_TIMEOUT; a body must
    # arrive within POLICYQA_BODY_TIMEOUT (RequestGuard: uvicorn has no body timeout); past
    # POLICYQA_MAX_CONNECTIONS concurrent connections new ones get 503 instead of queueing forever.
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
                timeout_keep_alive=settings.keep_alive_timeout_s, limit_concurrency=settings.max_connections,
                timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
