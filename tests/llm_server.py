"""A scripted OpenAI-compatible chat-completions endpoint on 127.0.0.1, for tests.

It speaks the real wire protocol (`POST /v1/chat/completions`, plain JSON or `stream=True`
server-sent events), so the code under test talks to it through its real HTTP client.
Each request takes the next scripted `Reply`; the requests received are kept for assertions.

    from tests.llm_server import Reply, ScriptedLLM

    with ScriptedLLM() as llm:
        llm.script(Reply("新能源汽车最高补贴1.5万元/辆【衢州市·（十四）】。"))
        settings = load_settings({}, llm_base_url=llm.url, llm_api_key="test", llm_model="qwen-test")
        ...
        assert llm.requests[0]["messages"][0]["role"] == "system"
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_ERRORS = {
    401: ("Incorrect API key provided.", "invalid_api_key"),
    403: ("This key may not use this model.", "permission_denied"),
    404: ("The model does not exist.", "model_not_found"),
    500: ("The server had an error while processing your request.", "server_error"),
}


@dataclass(frozen=True)
class Reply:
    """One scripted response. `text` is sent as the assistant's message (or its stream)."""

    text: str = ""
    status: int = 200  # anything but 200 sends an OpenAI-style error body
    delay_s: float = 0.0  # wait before answering (for timeouts)
    malformed: bool = False  # a body that is not JSON / a stream event that is not JSON
    chunk_chars: int = 3  # characters per streamed delta
    chunk_delay_s: float = 0.0  # wait between streamed deltas
    stall_s: float = 0.0  # wait this long halfway through a stream (a stream that stalls)


class ScriptedLLM:
    """The endpoint. Start it with `with ScriptedLLM() as llm:`; `llm.url` is its base URL."""

    def __init__(self, default: Reply | None = None):
        self.default = default  # used once the script runs out; None: answer 500
        self.requests: list[dict] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first (with ScriptedLLM() as llm:)"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *replies: Reply | str) -> None:
        """Queue replies, in the order requests will receive them (a str is `Reply(text)`)."""
        with self._lock:
            self._replies.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    def next_reply(self, request: dict) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._replies:
                return self._replies.popleft()
        return self.default or Reply(status=500)

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._replies)

    def start(self) -> "ScriptedLLM":
        handler = type("Handler", (_Handler,), {"llm": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes handlers sleeping in a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops; False when stopped."""
        return not self._stop.wait(seconds)

    def __enter__(self) -> "ScriptedLLM":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):  # a client that timed out and left
        pass


class _Handler(BaseHTTPRequestHandler):
    llm: ScriptedLLM
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: fine for SSE

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._json(400, {"error": {"message": "request body is not JSON"}})
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        request["_authorization"] = self.headers.get("Authorization", "")
        reply = self.llm.next_reply(request)
        if reply.delay_s and not self.llm.sleep(reply.delay_s):
            return
        if reply.status != 200:
            message, code = MODEL_ERRORS.get(reply.status, ("error", "error"))
            return self._json(reply.status, {"error": {"message": message, "type": code, "code": code}})
        model = request.get("model", "scripted")
        if request.get("stream"):
            return self._stream(reply, model)
        if reply.malformed:
            return self._raw(200, "application/json", b'{"id": "chatcmpl-1", "choices": [{"mess')
        self._json(200, {
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": reply.text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    def _stream(self, reply: Reply, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        step = max(1, reply.chunk_chars)
        pieces = [reply.text[i:i + step] for i in range(0, len(reply.text), step)]
        events = [_chunk(model, {"role": "assistant", "content": ""})]
        events += [_chunk(model, {"content": p}) for p in pieces]
        halfway = 1 + len(pieces) // 2
        if reply.malformed:  # half the answer, then a broken event, then the connection drops
            events = events[:halfway] + ['{"id": "chatcmpl-scripted", "choices": [{"delta": {"cont']
        else:
            events += [_chunk(model, {}, finish="stop"), "[DONE]"]
        try:
            for n, event in enumerate(events, 1):
                self.wfile.write(f"data: {event}\n\n".encode("utf-8"))
                self.wfile.flush()
                delay = reply.chunk_delay_s + (reply.stall_s if n == halfway else 0.0)
                if delay and not self.llm.sleep(delay):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self, status: int, body: dict) -> None:
        self._raw(status, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def _raw(self, status: int, content_type: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _chunk(model: str, delta: dict, finish: str | None = None) -> str:
    return json.dumps({
        "id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
        "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }, ensure_ascii=False)


def free_port() -> int:
    """A port nothing listens on (for 'unreachable endpoint' tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
