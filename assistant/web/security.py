"""What makes the server fit for a public backend: request ids, masked JSON logs, API keys,
rate limits, quotas, body limits and timeouts.

- `RequestGuard` (ASGI middleware, outermost): gives every request an id (X-Request-ID, echoed on
  every response); reads the body within `body_timeout_s` (408) and `max_body_bytes` (413); refuses
  JSON holding lone surrogates (422); throttles the chat page's and console's actions per client IP
  (gradio's queue/join and every other non-API POST: 429); turns unexpected exceptions into a
  Chinese 500 without a stack trace; writes one JSON access-log line per request.
- `ApiGate` (a FastAPI dependency on the API routers): API key (Bearer) when `POLICYQA_API_KEYS` is
  set, or loopback-only access when it is not; refused attempts count in their own per-IP bucket (a
  shared IP sending bad keys does not lock out its valid keys); per-IP and per-key limits (a key may
  carry its own: `key:600`); `limit_user` adds a per-end-user limit inside a key (the OpenAI `user`
  field or the X-End-User-ID header).
- `RateLimiter`: moving one-minute windows from the `limits` package, in this process or in Redis
  (`POLICYQA_RATE_LIMIT_STORAGE=redis://…`) so that replicas share one budget; if Redis fails it
  counts in-process and logs a warning, never failing a request.
- `mask_pii` / `JsonFormatter`: one JSON object per log line, phone (mobile, landline, +86, spaced,
  full-width), and ID-card (18 and 15 digits) numbers masked.
- `forwarded_ips_problem`: the start-up refusal for `FORWARDED_ALLOW_IPS='*'` without keys.
"""
from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import ipaddress
import json
import logging
import math
import re
import time
import unicodedata
import uuid
from urllib.parse import parse_qs, unquote

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

# Matched on a copy of the text with every decimal digit made ASCII (全角 １３８ → 138) and full-width
# +, -, (, ), spaces made ASCII: one character for one, so a match's offsets hold in the original.
_SEP = r"[ \-.]?"
_CC = r"(?:(?:\+|00)?86[ \-]?)?"  # +86, 0086, 86
ID_CARD_18 = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5}[ \-]?[0-9]{8}[ \-]?[0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
ID_CARD_15 = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5}[ \-]?[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                        r"[ \-]?[0-9]{3})(?![0-9A-Za-z])")
MOBILE = re.compile(rf"(?<![0-9+]){_CC}(1{_SEP}[3-9](?:{_SEP}[0-9]){{9}})(?![0-9])")
LANDLINE = re.compile(rf"(?<![0-9+]){_CC}(\(?0[1-9][0-9]{{1,2}}\)?[ \-]?)([0-9](?:{_SEP}[0-9]){{6,7}})(?![0-9])")
_WIDE = str.maketrans({"＋": "+", "－": "-", "—": "-", "（": "(", "）": ")", "\u3000": " ", "\u00a0": " ",
                       "．": "."})
_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")


def _digit_view(text: str) -> str:
    text = _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(), 0)), text)
    return text.translate(_WIDE)


def _star(chars: list[str], view: list[str], start: int, end: int, keep_head: int, keep_tail: int) -> None:
    """Replace the digits (and X) in [start, end) with *, except the first keep_head and last keep_tail."""
    spots = [i for i in range(start, end) if view[i].isdigit() or view[i] in "Xx"]
    for i in spots[keep_head:len(spots) - keep_tail]:
        chars[i] = view[i] = "*"


def mask_pii(text: str) -> str:
    """Phone and ID-card numbers masked, however they are written:
    13812345678 / +86 138-1234-5678 / １３８ １２３４ ５６７８ → 138****5678 (separators kept);
    0570-1234567 → 0570-***4567; an ID-card number (18 or 15 digits) → 1****************X."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    chars, view = list(text), list(_digit_view(text))
    for pattern in (ID_CARD_18, ID_CARD_15):
        for m in pattern.finditer("".join(view)):
            _star(chars, view, m.start(1), m.end(1), 1, 1)
    for m in MOBILE.finditer("".join(view)):
        _star(chars, view, m.start(1), m.end(1), 3, 4)
    for m in LANDLINE.finditer("".join(view)):
        _star(chars, view, m.start(2), m.end(2), 0, 4)
    return "".join(chars)


def without_surrogates(text: str) -> str:
    """Lone surrogates (valid in JSON and Python, not in UTF-8) → U+FFFD, so the text can be written."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


_SURROGATE = re.compile("[\ud800-\udfff]")


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
        return mask_pii(without_surrogates(value))
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
    message = without_surrogates(message)  # it may quote the input; the response must encode
    return {"error": {"code": code, "type": code, "message": message},
            "request_id": request_id_var.get()}


def api_error(status: int, code: str, message: str, headers: dict | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail={"code": code, "message": message},
                         headers=headers)


# ---------------------------------------------------------------- rate limits


class RateLimiter:
    """Moving one-minute windows per bucket ("ip:1.2.3.4", "key:ab12…"), from the `limits` package.

    `storage` "" counts in this process; "redis://host:6379/0" (or any `limits` storage URI) counts in
    a store every replica shares. When that store fails, the request is counted in this process
    instead and a warning is logged (at most every 30 s): a limiter never costs an answer.
    """

    def __init__(self, per_minute: int = 60, storage: str = ""):
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self.per_minute = per_minute
        self.storage = storage
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = None
        self._warned_at = 0.0
        if storage:
            try:
                from limits.storage import storage_from_string

                self._shared = MovingWindowRateLimiter(storage_from_string(storage))
            except Exception as exc:  # bad URI, missing client library
                self._warn(exc)

    def check(self, bucket: str, per_minute: int | None = None) -> float:
        """Count one request; return 0 if allowed, else the seconds to wait."""
        from limits import RateLimitItemPerMinute

        limit = self.per_minute if per_minute is None else per_minute
        if limit <= 0:
            return 0.0
        item = RateLimitItemPerMinute(limit)
        if self._shared is not None:
            try:
                return self._wait(self._shared, item, bucket)
            except Exception as exc:  # the shared store is down: count here, say so in the log
                self._warn(exc)
        return self._wait(self._local, item, bucket)

    @staticmethod
    def _wait(strategy, item, bucket: str) -> float:
        if strategy.hit(item, bucket):
            return 0.0
        return max(0.001, strategy.get_window_stats(item, bucket).reset_time - time.time())

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at > 30:
            self._warned_at = now
            log.warning("rate-limit store unavailable; counting in this process until it is back "
                        "(check POLICYQA_RATE_LIMIT_STORAGE)",
                        extra={"storage": _redacted(self.storage), "error": f"{type(exc).__name__}: {exc}"})


def _redacted(uri: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", uri)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_ip(scope_or_request) -> str:
    client = scope_or_request.get("client") if isinstance(scope_or_request, dict) else scope_or_request.client
    return (client[0] if isinstance(client, (tuple, list)) else getattr(client, "host", "")) or ""


def key_id(key: str) -> str:
    """A stable, non-reversible name for a key in buckets and logs."""
    return hmac.new(b"policyqa", key.encode(), "sha256").hexdigest()[:16]


def too_many(wait: float, message: str = "请求过于频繁，请在 {s} 秒后重试。", code: str = "rate_limited"):
    seconds = max(1, math.ceil(wait))
    return api_error(429, code, message.format(s=seconds), headers={"Retry-After": str(seconds)})


_bearer = HTTPBearer(auto_error=False, description="POLICYQA_API_KEYS 中的一个密钥")
END_USER_HEADER = "x-end-user-id"


class ApiGate:
    """FastAPI dependency: API-key auth, then rate limits, for /api/v1 and /v1.

    Keys unset: only loopback clients are served (others get 403); keys set: a valid
    `Authorization: Bearer <key>` is required (401 otherwise). Refusals count per IP in a bucket of
    their own (`POLICYQA_AUTH_FAILURE_LIMIT`, then 429), so they never use up the budget of the valid
    keys behind the same IP. Served requests count per client IP and per key; a key's own limit
    (`key:600`) applies to both, so one backend carrying thousands of residents is not held to a
    single client's rate. All limits answer 429 + Retry-After.
    """

    def __init__(self, settings: Settings, limiter: RateLimiter | None = None):
        self.keys = tuple(settings.api_keys)
        self.per_minute = settings.rate_limit_per_minute
        self.key_limits = dict(settings.api_key_limits)
        self.user_limit = settings.user_rate_limit_per_minute
        self.failure_limit = settings.auth_failure_limit_per_minute
        self.limiter = limiter or RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_storage)

    def limit(self, bucket: str, per_minute: int | None = None, **message) -> None:
        wait = self.limiter.check(bucket, per_minute)
        if wait:
            raise too_many(wait, **message)

    def ip_only(self, request: Request) -> None:
        """For endpoints open to all (health check): the per-IP limit alone."""
        self.limit(f"ip:{client_ip(request)}")

    def _refuse(self, ip: str, error: HTTPException) -> None:
        self.limit(f"refused:{ip}", self.failure_limit, code="too_many_refusals",
                   message="被拒绝的请求过多（密钥无效或来源不允许），请在 {s} 秒后重试。")
        raise error

    def __call__(self, request: Request,
                 credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str | None:
        ip = client_ip(request)
        if not self.keys:
            if not is_loopback(ip):
                self._refuse(ip, api_error(403, "loopback_only",
                                           "未配置 API 密钥（POLICYQA_API_KEYS），接口只对本机开放。"))
            self.limit(f"ip:{ip}")
            self.limit_user(request)
            return None
        key = credentials.credentials.strip() if credentials else None
        if key is None or not any(hmac.compare_digest(key.encode(), k.encode()) for k in self.keys):
            self._refuse(ip, api_error(401, "unauthorized",
                                       "缺少或无效的 API 密钥：请在请求头加 Authorization: Bearer <密钥>。",
                                       headers={"WWW-Authenticate": "Bearer"}))
        own = self.key_limits.get(key, self.per_minute)
        self.limit(f"ip:{ip}", max(own, self.per_minute) if own > 0 else 0)
        self.limit(f"key:{key_id(key)}", own)
        request.state.policyqa_key = key_id(key)
        self.limit_user(request)
        return key

    def limit_user(self, request: Request, user: object = None) -> None:
        """The per-end-user limit (POLICYQA_USER_RATE_LIMIT) inside a key (or a client IP): `user` is
        the OpenAI `user` field; without it, the X-End-User-ID header. Counted once per request."""
        user = user if isinstance(user, str) and user.strip() else request.headers.get(END_USER_HEADER, "")
        user = user.strip()[:256]
        if not user or self.user_limit <= 0 or getattr(request.state, "policyqa_user", None) == user:
            return
        request.state.policyqa_user = user
        owner = getattr(request.state, "policyqa_key", None) or f"ip:{client_ip(request)}"
        digest = hashlib.sha256(user.encode("utf-8", "replace")).hexdigest()[:16]
        self.limit(f"user:{owner}:{digest}", self.user_limit,
                   message="该用户的请求过于频繁，请在 {s} 秒后重试。")


def forwarded_ips_problem(settings: Settings) -> str | None:
    """Why the server must not start as configured (None: it may). With FORWARDED_ALLOW_IPS='*',
    uvicorn believes any client's X-Forwarded-For: every client can claim to be 127.0.0.1, which
    without keys opens the API to everyone."""
    if _wildcard(settings.forwarded_allow_ips) and not settings.api_keys:
        return ("FORWARDED_ALLOW_IPS='*' 且未设置 POLICYQA_API_KEYS：任何客户端都能用 X-Forwarded-For 冒充本机，"
                "接口将对所有人开放。请把 FORWARDED_ALLOW_IPS 设为反向代理的地址（如 127.0.0.1），或设置 "
                "POLICYQA_API_KEYS。/ refusing to start: FORWARDED_ALLOW_IPS='*' without POLICYQA_API_KEYS "
                "lets any client pose as loopback; set it to your proxy's address, or set API keys.")
    return None


def forwarded_ips_warning(settings: Settings) -> str | None:
    if _wildcard(settings.forwarded_allow_ips):
        return ("FORWARDED_ALLOW_IPS='*'：任何客户端都能伪造 X-Forwarded-For，按 IP 的限流可被绕过；"
                "请只信任反向代理的地址。")
    return None


def _wildcard(value: str) -> bool:
    return "*" in (x.strip() for x in (value or "").split(","))


# ---------------------------------------------------------------- ASGI middleware

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
API_PREFIXES = ("/api/", "/v1/")


BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class _Refusal(Exception):
    """A request refused before the app sees it."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _too_large(limit: int) -> str:
    return f"请求体过大：最多 {limit} 字节（约 {limit // 3} 个汉字）。"


def _lone_surrogate_in_json(body: bytes) -> bool:
    """JSON may spell a lone surrogate ("\\ud800"); such text cannot be stored, logged or encoded."""
    if b"\\u" not in body:
        return False
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the app answers that
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


# gradio's client API (call/…: every event of our pages is private, the public API is /api/v1; the
# page itself uses queue/join and run/predict), its proxy to Hugging Face Spaces and its developer
# tools: not used by the pages, not throttled like /api/v1, and they
# answer odd names with 500s (KeyError on an unknown api_name). Refused before gradio sees them.
GRADIO_UNUSED = re.compile(r"/gradio_api/call(?:/|$)|/gradio_api/(?:vibe-|undo-vibe-|dev/|run-history|"
                           r"runs|process_recording|proxy=)|(?:^|/)monitoring(?:/|$)")


def _unservable_path(path: str) -> bool:
    """A path no file can have: a segment over 255 bytes (gradio's static routes stat it and fail
    with "File name too long", a 500) or a NUL byte ("embedded null byte")."""
    return "\x00" in path or any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in path.split("/"))


def _names_a_subpage(scope) -> bool:
    """gradio 6.31 answers `GET /?page=<a page it does not have>` with a 500 (KeyError in
    get_page_config). The chat page and the console are single pages: any non-empty `page` is unknown."""
    query = scope.get("query_string", b"")
    if b"page=" not in query or scope.get("method") != "GET":
        return False
    return any(v.strip() for v in parse_qs(query.decode("latin-1"), keep_blank_values=True).get("page", []))


class RequestGuard:
    """Pure ASGI middleware, outermost (so streaming responses pass through untouched).

    The request body is read here in full before the app runs: within `body_timeout_s` (a client
    that never sends it gets 408 and the connection is closed), up to the size limit (413). Actions
    of the chat page and the console (every non-API POST: gradio's queue/join, upload, …) count
    against `ui_per_minute` per client IP in `limiter` (429).
    """

    def __init__(self, app, max_body_bytes: int, other_body_bytes: int = 2 * 1024 * 1024,
                 body_timeout_s: float = 15.0, limiter: RateLimiter | None = None, ui_per_minute: int = 0):
        self.app = app
        self.max_api = max_body_bytes
        self.max_other = max(other_body_bytes, max_body_bytes)
        self.body_timeout_s = body_timeout_s
        self.limiter = limiter
        self.ui_per_minute = ui_per_minute

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
        is_api = path.startswith(API_PREFIXES)
        limit = self.max_api if is_api else self.max_other
        started = time.perf_counter()
        state = {"status": 0, "started": False, "ended": False}

        async def send_with_id(message):
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                state["ended"] = True
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [(k, v) for k, v in message["headers"]
                                      if k.lower() != b"x-request-id"]
                message["headers"].append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            if not is_api and (_names_a_subpage(scope) or _unservable_path(path)):
                raise _Refusal(404, "not_found", "没有这个页面。")
            if not is_api and GRADIO_UNUSED.search(path):
                raise _Refusal(404, "not_found", "没有这个接口；程序调用请用 /api/v1（见 /docs）。")
            if not is_api and scope.get("method") in BODY_METHODS and self.limiter and self.ui_per_minute > 0:
                wait = self.limiter.check(f"ui:{client_ip(scope)}", self.ui_per_minute)
                if wait:
                    seconds = max(1, math.ceil(wait))
                    raise _Refusal(429, "rate_limited", f"操作过于频繁，请在 {seconds} 秒后重试。",
                                   {"Retry-After": str(seconds)})
            body = await self._read_body(receive, headers, limit)
            if body and b"json" in headers.get(b"content-type", b"") and _lone_surrogate_in_json(body):
                raise _Refusal(422, "bad_unicode", "请求里有无法识别的字符（不成对的 UTF-16 代理码位，如 \\ud800），"
                                                   "请删除后重试。")
            await self.app(scope, self._replay(body, receive), send_with_id)
        except _Refusal as refusal:
            if not state["started"]:
                await self._reply(send_with_id, refusal.status, refusal.code, refusal.message, refusal.headers)
        except Exception:
            log.exception("unhandled error", extra={"path": path})
            if not state["started"]:
                await self._reply(send_with_id, 500, "internal_error", "服务器内部错误，请稍后重试。")
            elif not state["ended"]:  # a stream that failed midway ends cleanly, not as a torn connection
                try:
                    await send_with_id({"type": "http.response.body", "body": b"", "more_body": False})
                except Exception:  # the client is gone
                    pass
        finally:
            query = unquote(scope.get("query_string", b"").decode("latin-1"))
            log.info("request", extra={
                "method": scope.get("method"), "path": path + (f"?{query}" if query else ""),
                "status": state["status"], "ms": round((time.perf_counter() - started) * 1000, 1),
                "client": client_ip(scope)})
            request_id_var.reset(token)

    async def _read_body(self, receive, headers: dict, limit: int) -> bytes:
        """The whole body, or a _Refusal: 413 past `limit` (declared or counted), 408 past the timeout."""
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise _Refusal(413, "body_too_large", _too_large(limit), {"Connection": "close"})
        chunks, received = [], 0
        deadline = asyncio.get_running_loop().time() + self.body_timeout_s
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0.001))
            except asyncio.TimeoutError:
                raise _Refusal(408, "body_timeout", f"请求体未在 {self.body_timeout_s:g} 秒内传完，连接已关闭；"
                                                    "请检查网络后重试。", {"Connection": "close"}) from None
            if message["type"] != "http.request":  # the client went away
                raise _Refusal(400, "client_disconnected", "客户端已断开。")
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > limit:
                raise _Refusal(413, "body_too_large", _too_large(limit), {"Connection": "close"})
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    def _replay(body: bytes, receive):
        """A receive() that gives the app the body already read, then waits for the real messages
        (a disconnect, which streaming responses listen for)."""
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    @staticmethod
    async def _reply(send, status: int, code: str, message: str, headers: dict | None = None) -> None:
        body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
        extra = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), *extra]})
        await send({"type": "http.response.body", "body": body})
