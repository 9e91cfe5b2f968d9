"""One server for all three audiences: `create_app(assistant, settings)` → FastAPI with

- `/`            residents' chat page (gradio)
- `/console`     hotline console (gradio)
- `/api/v1/...`  HTTP API, `/v1/...` OpenAI-compatible API, `/docs` OpenAPI docs
"""
from __future__ import annotations

import logging

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import errors
from ..settings import Settings
from . import api, openai_compat
from .chat_ui import CSS, HEAD, build_chat_ui
from .console_ui import CONSOLE_CSS, CONSOLE_HEAD, build_console_ui
from .feedback import FeedbackStore
from .security import ApiGate, RateLimiter, RequestGuard, api_error, error_body, is_loopback

log = logging.getLogger("policyqa.web")

STATUS_OF = {errors.BadQuestion: 422, errors.NotFound: 404, errors.SettingsError: 500,
             errors.CorpusError: 500, errors.IndexError_: 503, errors.LLMError: 502}
GENERIC = {400: "请求无效。", 401: "需要 API 密钥。", 403: "无权访问。", 404: "没有这个地址。",
           405: "不支持该请求方法。", 413: "请求体过大。", 429: "请求过于频繁。"}
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
        return _json_error(status, "not_found" if status == 404 else "bad_question", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if isinstance(exc.detail, dict):
            return _json_error(exc.status_code, exc.detail["code"], exc.detail["message"], exc.headers)
        return _json_error(exc.status_code, f"http_{exc.status_code}",
                           GENERIC.get(exc.status_code, "请求失败。"), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return _json_error(400, "bad_json", "请求体不是有效的 JSON。")
        parts = []
        for p in problems[:5]:
            where = ".".join(str(x) for x in p.get("loc", ()) if x != "body") or "请求体"
            parts.append(f"{where}：{FIELD_ERRORS.get(p.get('type', ''), '格式不正确')}")
        return _json_error(422, "invalid_request", "请求参数不正确（" + "；".join(parts) + "）。")


def create_app(assistant, settings: Settings | None = None) -> FastAPI:
    """The whole server around one Assistant (real or any object with the same methods)."""
    settings = settings or assistant.settings
    store = FeedbackStore.from_settings(settings)  # capped, pruned, never fatal
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_storage)  # API and pages
    gate = ApiGate(settings, limiter)
    app = FastAPI(
        title="policyqa", version="0.1.0", docs_url="/docs", redoc_url=None,
        description="政策文件问答：每个回答都注明出处条款，数字取自所引条款原文。\n\n"
                    "鉴权：设置 POLICYQA_API_KEYS 后需 `Authorization: Bearer <密钥>`；"
                    "未设置时接口只对本机开放。")
    app.state.assistant, app.state.settings, app.state.feedback = assistant, settings, store
    _add_error_handlers(app)
    app.include_router(api.build_router(assistant, settings, store, gate))
    app.include_router(openai_compat.build_router(assistant, settings, store, gate))

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def unknown_api_path(rest: str):
        """Unknown API paths answer like the API (JSON), not like the chat page mounted at /."""
        raise api_error(404, "not_found", "没有这个接口；接口列表见 /docs。")

    @app.get("/console", include_in_schema=False)
    def console_slash(request: Request):
        return RedirectResponse(request.scope.get("root_path", "") + "/console/")

    # Our CORS policy applies to everything, gradio's pages included (gradio then adds none).
    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                       allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-End-User-ID"],
                       expose_headers=["X-Request-ID", "X-Answer-ID", "Retry-After"], max_age=600)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes,  # outermost
                       body_timeout_s=settings.body_timeout_s, limiter=limiter,
                       ui_per_minute=settings.ui_rate_limit_per_minute)  # the pages' actions, per IP

    common = dict(footer_links=[], run_history=False, show_error=False, ssr_mode=False,
                  server_name=settings.host, server_port=settings.port)
    queue = dict(default_concurrency_limit=4, max_size=settings.ui_queue_size)  # bounded
    console = build_console_ui(assistant, settings, store).queue(**queue)
    gr.mount_gradio_app(app, console, path="/console", css=CSS + CONSOLE_CSS, head=HEAD + CONSOLE_HEAD,
                        **common)
    chat = build_chat_ui(assistant, settings, store).queue(**queue)
    gr.mount_gradio_app(app, chat, path="/", css=CSS, head=HEAD, **common)
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
