"""A running `policyqa serve` that `policyqa ask` can hand its question to.

A CLI call that answers in its own process first imports the retrieval stack and loads the word
segmenter's tables (about 3.5 s on 2 cores) for a 40 ms answer. A server that is up has all that
loaded, so once it is ready it writes `<data dir>/server.json` (its address, its process id and a
fingerprint of the settings answers depend on) and removes it when it stops.

`policyqa ask` sends its question there only when the answer would be the same as its own:
the same data dir (the file is in it), the same answer settings (corpus, Chroma, LLM endpoint and
model, the date and time zone), a server process that is alive. If anything else happens (no file,
a stale one, a refused connection, a timeout, a refused key, 429, 5xx), it answers in its own process
as before, so the server is a shortcut and never a dependency. `policyqa ask --local` skips it.

This module imports only the standard library: it runs before anything heavy is loaded.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import socket
import time
from pathlib import Path

from .errors import BadQuestion
from .settings import Settings

log = logging.getLogger("policyqa.cli")

SERVER_FILE = "server.json"
CONNECT_TIMEOUT_S = 0.5  # a server on this machine accepts at once, or is not there
ANSWER_TIMEOUT_S = 15.0  # an extractive answer takes well under a second, even on a busy server


def answer_fingerprint(settings: Settings) -> str:
    """What an answer depends on besides the question and the index in the data dir."""
    parts = [str(Path(settings.corpus_dir).resolve()), settings.chroma_host, settings.chroma_port,
             settings.collection, settings.fixed_today.isoformat() if settings.fixed_today else "",
             settings.timezone, settings.llm_base_url, settings.llm_model, settings.max_context_tokens,
             settings.max_question_chars]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:16]


def _server_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / SERVER_FILE


def local_url(host: str, port: int) -> str:
    """Where a process on this machine reaches a server listening on host:port."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def announce(settings: Settings) -> Path | None:
    """Called by the server once it can answer. A data dir that cannot be written is no reason to
    stop serving: the CLI then answers in its own process."""
    path = _server_file(settings)
    record = {"url": local_url(settings.host, settings.port), "pid": os.getpid(), "host": socket.gethostname(),
              "fingerprint": answer_fingerprint(settings), "started": time.time()}
    try:
        tmp = path.with_name(f".{SERVER_FILE}.{os.getpid()}")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return path
    except OSError as exc:
        log.debug("could not write %s (%s): CLI calls will answer in their own process", path, exc)
        return None


def withdraw(path: Path | None) -> None:
    """Called by the server as it stops: removes the file if it is still this process's."""
    if path is None:
        return
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _alive(record: dict) -> bool:
    if record.get("host") != socket.gethostname():  # a data dir shared between machines
        return True  # cannot tell from here: the connection will say
    try:
        os.kill(int(record["pid"]), 0)
        return True
    except PermissionError:  # alive, run by another user
        return True
    except (OSError, ValueError, TypeError, KeyError):
        return False


def find(settings: Settings) -> str | None:
    """The URL of a running server that answers as this process would, or None."""
    try:
        record = json.loads(_server_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("fingerprint") != answer_fingerprint(settings):
        return None
    url = record.get("url")
    return url if isinstance(url, str) and url.startswith("http://") and _alive(record) else None


def ask(settings: Settings, url: str, question: str, history: list[dict], region: str | None) -> dict | None:
    """The server's answer (the JSON contract), or None to answer here instead. A question the server
    refuses (empty, too long, an unknown region) raises BadQuestion with the server's message."""
    host_port = url[len("http://"):]
    body = json.dumps({"messages": [*history, {"role": "user", "content": question}],
                       **({"region": region} if region else {})}, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "X-PolicyQA-Client": "cli"}
    if settings.api_keys:
        headers["Authorization"] = f"Bearer {settings.api_keys[0]}"
    timeout = ANSWER_TIMEOUT_S + (settings.llm_timeout_s * (settings.llm_max_retries + 1) if settings.llm_enabled else 0)
    conn = http.client.HTTPConnection(host_port, timeout=CONNECT_TIMEOUT_S)
    try:
        conn.connect()
        conn.sock.settimeout(timeout)
        conn.request("POST", "/api/v1/ask", body=body, headers=headers)
        response = conn.getresponse()
        payload = json.loads(response.read().decode("utf-8"))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        log.info("the server at %s did not answer (%s); answering here", url, exc)
        return None
    finally:
        conn.close()
    if response.status == 200 and isinstance(payload, dict) and "answer" in payload:
        log.info("answered by the server at %s", url)
        return payload
    message = (payload.get("error") or {}).get("message") if isinstance(payload, dict) else None
    if response.status == 422 and message:  # the question itself (empty, too long, unknown region)
        raise BadQuestion(message)
    log.info("the server at %s answered %s; answering here", url, response.status)
    return None
