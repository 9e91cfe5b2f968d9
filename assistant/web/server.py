"""One server for all three audiences: `create_app(assistant, settings)` → FastAPI with

- `/`            residents' chat page (gradio)
- `/console/`    hotline console (gradio)
- `/api/v1/...`  HTTP API, `/v1/...` OpenAI-compatible API
- `/docs`, `/redoc`  the API's documentation, with Swagger UI and ReDoc served from this server
                 (the fastapi-offline package ships them): it works with no internet access.

`pages="background"` (what `policyqa serve` uses) starts serving the API at once and mounts the two
gradio pages when they are built; until then they answer with a short page that reloads itself.
"""
from __future__ import annotations

import asyncio
import logging
import re
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from .. import errors
from ..settings import Settings
from . import api, openai_compat
from .feedback import FeedbackStore
from .security import ApiGate, RateLimiter, RequestGuard, api_error, error_body, is_loopback

log = logging.getLogger("policyqa.web")

STATUS_OF = {errors.BadQuestion: 422, errors.NotFound: 404, errors.SettingsError: 500,
             errors.CorpusError: 500, errors.IndexError_: 503, errors.LLMError: 502}
DOCS = "接口说明见 /docs。"
GENERIC = {400: "请求无效。", 401: "需要 API 密钥。", 403: "无权访问。", 404: f"没有这个地址；{DOCS}",
           405: f"不支持该请求方法；{DOCS}", 413: "请求体过大。", 429: "请求过于频繁。"}
# FastAPI's words for a body it could not decode (not UTF-8, or not text at all)
BODY_NOT_PARSED = "There was an error parsing the body"
NOT_UTF8 = "请求体无法解析：请以 UTF-8 编码发送 JSON（Content-Type: application/json）。"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese(message: str) -> str:
    """The Chinese half of a message written “中文 / English” for the command line: the API
    answers in one language."""
    head = message.split(" / ", 1)[0]
    return head if _CJK.search(head) else message


FIELD_ERRORS = {"missing": "缺少此字段", "string_type": "应为文本", "int_parsing": "应为整数",
                "bool_parsing": "应为 true 或 false", "list_type": "应为列表", "literal_error": "取值不在允许范围内",
                "greater_than_equal": "数值过小", "less_than_equal": "数值过大", "string_too_long": "过长",
                "too_short": "不能为空", "model_attributes_type": "应为 JSON 对象", "dict_type": "应为 JSON 对象"}


def _json_error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.PolicyQAError)
    async def policyqa_error(request: Request, exc: errors.PolicyQAError):
        status = next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 400)
        if status >= 500:
            log.error("policyqa error", extra={"error": str(exc), "kind": type(exc).__name__})
            return _json_error(status, type(exc).__name__, "服务暂时不可用，请稍后重试。")
        return _json_error(status, "not_found" if status == 404 else "bad_question", chinese(str(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if isinstance(exc.detail, dict):
            return _json_error(exc.status_code, exc.detail["code"], exc.detail["message"], exc.headers)
        if exc.status_code == 400 and exc.detail == BODY_NOT_PARSED:
            return _json_error(400, "bad_encoding", NOT_UTF8)
        return _json_error(exc.status_code, f"http_{exc.status_code}",
                           GENERIC.get(exc.status_code, "请求失败。"), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return _json_error(400, "bad_json", "请求体不是有效的 JSON：请以 UTF-8 编码发送 JSON 对象。")
        parts = []
        for p in problems[:5]:
            where = ".".join(str(x) for x in p.get("loc", ()) if x != "body") or "请求体"
            parts.append(f"{where}：{FIELD_ERRORS.get(p.get('type', ''), '格式不正确')}")
        return _json_error(422, "invalid_request", "请求参数不正确（" + "；".join(parts) + f"）。{DOCS}")


def _allowed_methods(app: FastAPI, request: Request) -> set[str]:
    """The methods the API routes accept on this request's path (empty: no route has the path).
    Asked of the routes themselves (FastAPI keeps included routers as routes of their own)."""
    allowed = set()
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        for route in app.router.routes:
            if getattr(route, "name", "") == "unknown_api_path" or isinstance(route, Mount):
                continue
            if route.matches(scope)[0] == Match.FULL:
                allowed.add(method)
                break
    return allowed


STARTING_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="2">
<title>政策问答 · 正在启动</title></head><body style="font-family: sans-serif; margin: 3em auto; max-width: 32em;
padding: 0 1em; color: #333"><h2>政策问答正在启动</h2><p>页面几秒后自动打开，请稍候…</p></body></html>"""
FAILED_PAGE = STARTING_PAGE.replace('<meta http-equiv="refresh" content="2">', "").replace(
    "正在启动", "暂时无法打开").replace("页面几秒后自动打开，请稍候…", "页面暂时无法打开，请稍后再试；接口 /api/v1 不受影响。")


def _build_pages(assistant, settings: Settings, store: FeedbackStore):
    """The two gradio apps (importing gradio is most of the cost)."""
    from .chat_ui import build_chat_ui
    from .console_ui import build_console_ui

    queue = dict(default_concurrency_limit=4, max_size=settings.ui_queue_size)  # bounded
    console = build_console_ui(assistant, settings, store).queue(**queue)
    chat = build_chat_ui(assistant, settings, store).queue(**queue)
    return console, chat


def _mount_pages(app: FastAPI, settings: Settings, console, chat) -> list:
    """Mount the console at /console and the chat page at /; return the gradio sub-apps."""
    import gradio as gr

    from .chat_ui import CSS, HEAD
    from .console_ui import CONSOLE_CSS, CONSOLE_HEAD

    common = dict(footer_links=[], run_history=False, show_error=False, ssr_mode=False,
                  server_name=settings.host, server_port=settings.port)
    gr.mount_gradio_app(app, console, path="/console", css=CSS + CONSOLE_CSS, head=HEAD + CONSOLE_HEAD,
                        **common)
    console_app = app.router.routes[-1].app
    gr.mount_gradio_app(app, chat, path="/", css=CSS, head=HEAD, **common)
    return [console_app, app.router.routes[-1].app]


async def _pages_later(app: FastAPI, assistant, settings: Settings, store: FeedbackStore,
                       placeholder, stopping: asyncio.Event) -> None:
    """Build the pages off the event loop, mount them, run their start-up, and keep them running
    until the server stops (gradio's lifespan is entered and left in this one task)."""
    import anyio

    try:
        console, chat = await anyio.to_thread.run_sync(_build_pages, assistant, settings, store)
        app.router.routes.remove(placeholder)
        gradio_apps = _mount_pages(app, settings, console, chat)
    except Exception:
        log.exception("the chat page and the console could not be built; the API keeps running")
        app.state.pages = "failed"
        return
    async with AsyncExitStack() as stack:
        for gradio_app in gradio_apps:
            await stack.enter_async_context(gradio_app.router.lifespan_context(gradio_app))
            gradio_app.get_blocks().run_startup_events()
            await gradio_app.get_blocks().run_extra_startup_events()
        app.state.pages = "ready"
        log.info("pages ready", extra={"chat": "/", "console": "/console/"})
        await stopping.wait()


def create_app(assistant, settings: Settings | None = None,
               pages: Literal["now", "background", "none"] = "now") -> FastAPI:
    """The whole server around one Assistant (real or any object with the same methods).

    pages: "now" builds the chat page and the console before returning; "background" returns at
    once and mounts them when built (after the server has started); "none" serves the API only.
    """
    settings = settings or assistant.settings
    store = FeedbackStore.from_settings(settings)  # capped, pruned, never fatal
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_storage)  # API and pages
    gate = ApiGate(settings, limiter)
    lifespan = None
    if pages == "background":
        @asynccontextmanager
        async def lifespan(app: FastAPI):
            stopping = asyncio.Event()
            task = asyncio.create_task(_pages_later(app, assistant, settings, store, placeholder, stopping))
            yield
            stopping.set()
            try:
                await asyncio.wait_for(task, timeout=5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass

    app = FastAPIOffline(
        title="policyqa", version="0.1.0", docs_url="/docs", redoc_url="/redoc", lifespan=lifespan,
        static_url="/docs-assets",
        description="政策文件问答：每个回答都注明出处条款，数字取自所引条款原文。\n\n"
                    "鉴权：设置 POLICYQA_API_KEYS 后需 `Authorization: Bearer <密钥>`；"
                    "未设置时接口只对本机开放。")
    app.state.assistant, app.state.settings, app.state.feedback = assistant, settings, store
    app.state.pages = "starting" if pages == "background" else ("ready" if pages == "now" else "none")
    _add_error_handlers(app)
    app.include_router(api.build_router(assistant, settings, store, gate))
    app.include_router(openai_compat.build_router(assistant, settings, store, gate))

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def unknown_api_path(request: Request):
        """Unknown API paths answer like the API (JSON), not like the chat page mounted at /; a
        known path asked with the wrong method gets 405 and the methods it takes."""
        allowed = _allowed_methods(app, request)
        if allowed:
            methods = "、".join(sorted(allowed))
            raise api_error(405, "method_not_allowed",
                            f"{request.url.path} 只接受 {methods} 请求（收到的是 {request.method}）；{DOCS}",
                            headers={"Allow": ", ".join(sorted(allowed))})
        raise api_error(404, "not_found", f"没有这个接口；{DOCS}")

    @app.get("/console", include_in_schema=False)
    def console_slash(request: Request):
        return RedirectResponse(request.scope.get("root_path", "") + "/console/")

    # Our CORS policy applies to everything, gradio's pages included (gradio then adds none).
    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                       allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-End-User-ID"],
                       expose_headers=["X-Request-ID", "X-Answer-ID", "X-Policyqa-Citations", "Retry-After"],
                       max_age=600)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes,  # outermost
                       body_timeout_s=settings.body_timeout_s, limiter=limiter,
                       ui_per_minute=settings.ui_rate_limit_per_minute)  # the pages' actions, per IP

    if pages == "now":
        _mount_pages(app, settings, *_build_pages(assistant, settings, store))
    elif pages == "background":
        def starting_page():
            failed = app.state.pages == "failed"
            return HTMLResponse(FAILED_PAGE if failed else STARTING_PAGE, status_code=503,
                                headers={"Retry-After": "2", "Cache-Control": "no-store"})

        app.add_api_route("/{path:path}", starting_page, methods=["GET", "HEAD"], include_in_schema=False)
        placeholder = app.router.routes[-1]
    return app


def access_note(settings: Settings) -> str:
    """What start-up says about who may call the API."""
    if settings.api_keys:
        return f"API 鉴权已开启：{len(settings.api_keys)} 个密钥（Bearer），每个密钥和每个 IP 每分钟最多 " \
               f"{settings.rate_limit_per_minute} 次请求。"
    note = ("POLICYQA_API_KEYS 未设置：/api/v1 与 /v1 只接受本机（loopback）客户端，其他来源一律 403；"
            "聊天页与热线台不受此限制。")
    if not is_loopback(settings.host):
        note += f" 当前监听 {settings.host}，若要对外提供 API，请设置 POLICYQA_API_KEYS。"
    return note
