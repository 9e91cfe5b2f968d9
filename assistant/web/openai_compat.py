"""OpenAI-compatible /v1/chat/completions (plain and streamed) and /v1/models.

Any OpenAI client can talk to policyqa. The message content is the answer followed by its
sources ("出处：…"); the full citations ride along in an extra top-level `citations` field and
the whole contract in `policyqa` (in the last chunk when streaming). Optional extra body field:
`region` (e.g. `extra_body={"region": "衢州市"}` in the Python SDK).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from ..errors import PolicyQAError
from ..types import Answer
from .api import Turn, check_question, check_region, primed, split_messages
from .feedback import FeedbackStore, new_answer_id
from .security import ApiGate, error_body

log = logging.getLogger("policyqa.web.openai")
MODEL = "policyqa"


class ChatBody(BaseModel):
    model: str = MODEL
    messages: list[Turn] = Field(..., min_length=1)
    stream: bool = False
    region: str | None = Field(None, description="policyqa 扩展：只在该地区的文件中查找")
    user: str | None = Field(None, max_length=256, description="终端用户标识（按用户限流；也可用 X-End-User-ID 头）")

    model_config = {"extra": "ignore", "json_schema_extra": {"examples": [
        {"model": MODEL, "messages": [{"role": "user", "content": "衢州买新能源汽车以旧换新能补贴多少？"}]}]}}


def sources_text(answer: Answer) -> str:
    """The citations as plain text, appended to the message content."""
    if not answer.citations:
        return ""
    lines = [f"{i}. {c.doc_title}{c.clause}{c.heading}（{c.issuer}"
             f"{'，征求意见稿' if c.status == 'draft' else ''}）"
             for i, c in enumerate(answer.citations, 1)]
    return "\n\n出处：\n" + "\n".join(lines)


def _data(body: dict) -> str:
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _chunk(cid: str, model: str, created: int, delta: dict, finish: str | None = None,
           **extra: Any) -> str:
    return _data({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                  "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})


def build_router(assistant, settings, store: FeedbackStore, gate: ApiGate) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], dependencies=[Depends(gate)])

    def prepare(body: ChatBody) -> tuple[str, list[dict], str | None]:
        question, history = split_messages(body.messages)
        return (check_question(question, settings.max_question_chars), history,
                check_region(assistant, body.region))

    def stream(body: ChatBody, parts, question, region, answer_id) -> Iterator[str]:
        cid, created, model = f"chatcmpl-{answer_id}", int(time.time()), body.model or MODEL
        yield _chunk(cid, model, created, {"role": "assistant", "content": ""})
        try:
            for part in parts:
                if isinstance(part, Answer):
                    store.log_answer(part.to_dict(), question, channel="openai", region=region,
                                     answer_id=answer_id)
                    tail = sources_text(part)
                    if tail:
                        yield _chunk(cid, model, created, {"content": tail})
                    contract = part.to_dict()
                    yield _chunk(cid, model, created, {}, "stop", citations=contract["citations"],
                                 policyqa=contract)
                elif part:
                    yield _chunk(cid, model, created, {"content": part})
        except PolicyQAError as exc:
            yield _data(error_body(type(exc).__name__, str(exc)))
        except Exception:
            log.exception("stream failed")
            yield _data(error_body("internal_error", "服务器内部错误，请稍后重试。"))
        yield "data: [DONE]\n\n"

    @router.post("/chat/completions", summary="OpenAI 兼容的对话接口")
    def chat_completions(body: ChatBody, request: Request):
        gate.limit_user(request, body.user)
        question, history, region = prepare(body)
        answer_id = new_answer_id()
        headers = {"X-Answer-ID": answer_id}
        if body.stream:
            parts = primed(assistant.ask_stream(question, history=history, region=region))
            return StreamingResponse(stream(body, parts, question, region, answer_id),
                                     media_type="text/event-stream",
                                     headers={**headers, "Cache-Control": "no-cache",
                                              "X-Accel-Buffering": "no"})
        answer = assistant.ask(question, history=history, region=region)
        store.log_answer(answer.to_dict(), question, channel="openai", region=region, answer_id=answer_id)
        contract = answer.to_dict()
        return JSONResponse({
            "id": f"chatcmpl-{answer_id}", "object": "chat.completion", "created": int(time.time()),
            "model": body.model or MODEL,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer.answer + sources_text(answer)}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": contract["citations"], "policyqa": contract}, headers=headers)

    @router.get("/models", summary="可用模型（只有 policyqa）")
    def models():
        return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0,
                                            "owned_by": "policyqa"}]}

    return router
