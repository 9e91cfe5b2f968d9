"""What makes the server fit for a public backend: request ids, masked JSON logs, API keys,
rate limits and body-size limits.

- `RequestGuard` (ASGI middleware, outermost): gives every request an id (X-Request-ID, echoed on
  every response), refuses oversized bodies with 413, turns unexpected exceptions into a Chinese
  500 without a stack trace, and writes one JSON access-log line per request.
- `ApiGate` (a FastAPI dependency on the API routers): per-IP rate limit, API key (Bearer) when
  `POLICYQA_API_KEYS` is set or loopback-only access when it is not, then per-key rate limit.
- `JsonFormatter`: one JSON object per log line, phone and ID-card numbers masked.
"""
from __future__ import annotations

import contextvars
import hmac
import ipaddress
import json
import logging
import math
import re
import threading
import time
import uuid
from collections import deque
from urllib.parse import unquote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..settings import Settings

log = logging.getLogger("policyqa.web")

# ---------------------------------------------------------------- request ids

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_of(request) -> str:
    """The id RequestGuard gave the HTTP request behind a gradio event (a new one if none)."""
    rid = request.headers.get("x-request-id") if request is not None else None
    return rid or uuid.uuid4().hex


def in_context(parts, request_id: str):
    """Run each step of a stream with `request_id` set for logging: gradio runs every step of a
    generator in a fresh copy of the context, which would lose it."""
    ctx = contextvars.copy_context()
    ctx.run(request_id_var.set, request_id)
    while True:
        try:
            yield ctx.run(next, parts)
        except StopIteration:
            return


# ---------------------------------------------------------------- masking

ID_CARD = re.compile(r"(?<![0-9])([1-9]\d{16}[0-9Xx])(?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![0-9])(1[3-9]\d)(\d{4})(\d{4})(?![0-9])")


def mask_pii(text: str) -> str:
    """13812345678 → 138****5678; an 18-character ID-card number → 1****************X."""
    if not text:
        return text
    text = ID_CARD.sub(lambda m: m.group(1)[0] + "*" * 16 + m.group(1)[-1], text)
    return PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


# ---------------------------------------------------------------- logging

_STD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, request_id, msg, any `extra=` fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STD_ATTRS and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        # field by field: the request id (random hex) may hold a run of digits like a phone number
        return json.dumps({k: v if k in ("ts", "request_id") else _masked(v) for k, v in out.items()},
                          ensure_ascii=False, default=str)


def _masked(value):
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def configure_logging(level: int = logging.INFO, stream=None) -> None:
    """Route every logger (ours, uvicorn's, gradio's) through one JSON handler on stderr."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # RequestGuard writes the access log
    for noisy in ("httpx", "bm25s", "chromadb", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# ---------------------------------------------------------------- errors


def error_body(code: str, message: str) -> dict:
    """The one error shape of the API (OpenAI clients read error.message too)."""
    return {"error": {"code": code, "type": code, "message": message},
            "request_id": request_id_var.get()}


def api_error(status: int, code: str, message: str, headers: dict | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail={"code": code, "message": message},
                         headers=headers)


# ---------------------------------------------------------------- rate limits


class RateLimiter:
    """Sliding one-minute window per bucket ("ip:1.2.3.4", "key:ab12…")."""

    def __init__(self, per_minute: int, window_s: float = 60.0):
        self.per_minute = per_minute
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = time.monotonic()

    def check(self, bucket: str) -> float:
        """Count one request; return 0 if allowed, else the seconds to wait."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(bucket, deque())
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(0.001, self.window_s - (now - hits[0]))
            hits.append(now)
            if now - self._last_sweep > self.window_s:
                self._sweep(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        for bucket in [b for b, h in self._hits.items() if not h or now - h[-1] >= self.window_s]:
            del self._hits[bucket]


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_bearer = HTTPBearer(auto_error=False, description="POLICYQA_API_KEYS 中的一个密钥")


class ApiGate:
    """FastAPI dependency: rate limits and API-key auth for /api/v1 and /v1.

    Keys unset: only loopback clients are served (others get 403); keys set: a valid
    `Authorization: Bearer <key>` is required (401 otherwise). Both limits answer 429 + Retry-After.
    """

    def __init__(self, settings: Settings):
        self.keys = tuple(settings.api_keys)
        self.limiter = RateLimiter(settings.rate_limit_per_minute)

    def limit(self, bucket: str) -> None:
        wait = self.limiter.check(bucket)
        if wait:
            seconds = math.ceil(wait)
            raise api_error(429, "rate_limited", f"请求过于频繁，请在 {seconds} 秒后重试。",
                            headers={"Retry-After": str(seconds)})

    def ip_only(self, request: Request) -> None:
        """For endpoints open to all (health check): the per-IP limit alone."""
        self.limit(f"ip:{request.client.host if request.client else ''}")

    def __call__(self, request: Request,
                 credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str | None:
        ip = request.client.host if request.client else ""
        self.limit(f"ip:{ip}")
        if not self.keys:
            if not is_loopback(ip):
                raise api_error(403, "loopback_only",
                                "未配置 API 密钥（POLICYQA_API_KEYS），接口只对本机开放。")
            return None
        key = credentials.credentials.strip() if credentials else None
        if key is None or not any(hmac.compare_digest(key.encode(), k.encode()) for k in self.keys):
            raise api_error(401, "unauthorized", "缺少或无效的 API 密钥：请在请求头加 Authorization: Bearer <密钥>。",
                            headers={"WWW-Authenticate": "Bearer"})
        self.limit("key:" + hmac.new(b"policyqa", key.encode(), "sha256").hexdigest()[:16])
        return key


# ---------------------------------------------------------------- ASGI middleware

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
API_PREFIXES = ("/api/", "/v1/")


class _BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so FastAPI passes it on (not a 400)."""

    def __init__(self, limit: int):
        super().__init__(413, detail={"code": "body_too_large", "message": _too_large(limit)})


def _too_large(limit: int) -> str:
    return f"请求体过大：最多 {limit} 字节（约 {limit // 3} 个汉字）。"


class RequestGuard:
    """Pure ASGI middleware (so streaming responses pass through untouched)."""

    def __init__(self, app, max_body_bytes: int, other_body_bytes: int = 2 * 1024 * 1024):
        self.app = app
        self.max_api = max_body_bytes
        self.max_other = max(other_body_bytes, max_body_bytes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        # the app sees the id too (gradio handlers read it from gr.Request.headers)
        scope["headers"] = [(k, v) for k, v in scope.get("headers") or [] if k != b"x-request-id"]
        scope["headers"].append((b"x-request-id", rid.encode()))
        path = scope.get("path", "")
        limit = self.max_api if path.startswith(API_PREFIXES) else self.max_other
        started = time.perf_counter()
        state = {"status": 0, "started": False}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [(k, v) for k, v in message["headers"]
                                      if k.lower() != b"x-request-id"]
                message["headers"].append((b"x-request-id", rid.encode()))
            await send(message)

        received = 0

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit:
                await self._reply(send_with_id, 413, "body_too_large", _too_large(limit))
            else:
                await self.app(scope, counting_receive, send_with_id)
        except _BodyTooLarge:
            if not state["started"]:
                await self._reply(send_with_id, 413, "body_too_large", _too_large(limit))
        except Exception:
            log.exception("unhandled error", extra={"path": path})
            if not state["started"]:
                await self._reply(send_with_id, 500, "internal_error", "服务器内部错误，请稍后重试。")
        finally:
            client = scope.get("client") or ("", 0)
            query = unquote(scope.get("query_string", b"").decode("latin-1"))
            log.info("request", extra={
                "method": scope.get("method"), "path": path + (f"?{query}" if query else ""),
                "status": state["status"], "ms": round((time.perf_counter() - started) * 1000, 1),
                "client": client[0]})
            request_id_var.reset(token)

    @staticmethod
    async def _reply(send, status: int, code: str, message: str) -> None:
        body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
