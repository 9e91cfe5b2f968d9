"""HTTP API under /api/v1: ask (JSON or server-sent events), search, notices, clauses, feedback, health.

Every answer is `Answer.to_dict()` (the public JSON contract); its log id comes back in the
X-Answer-ID header (and as the `id:` of the final SSE event) for POST /feedback.
"""
from __future__ import annotations

import itertools
import json
import logging
from typing import Any, Iterator, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from ..errors import NotFound, PolicyQAError
from ..numbers import extract_amounts
from ..types import Answer, Citation, Notice, Unit
from ..validation import content_text
from .feedback import FeedbackStore, new_answer_id
from .security import ApiGate, api_error, error_body

log = logging.getLogger("policyqa.web.api")

ALL_REGIONS = ("", "全部", "all")


class Turn(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = ""


class AskBody(BaseModel):
    question: str | None = Field(None, description="问题；或用 messages 传多轮对话")
    messages: list[Turn] | None = Field(None, description="多轮对话，最后一条须为 user")
    region: str | None = Field(None, description="只在该地区的文件中查找，如 衢州市；省略或“全部”为不限")
    stream: bool = Field(False, description="true：以 server-sent events 逐段返回，最后一个事件为完整结果")

    model_config = {"json_schema_extra": {"examples": [
        {"question": "衢州买新能源汽车以旧换新能补贴多少？"},
        {"messages": [{"role": "user", "content": "金东区新认定的省级重点实验室奖励多少？"}],
         "region": "金华市金东区", "stream": False}]}}


class FeedbackBody(BaseModel):
    answer_id: str | None = Field(None, max_length=64, description="/ask 返回的 X-Answer-ID")
    rating: Literal["up", "down"]
    comment: str = Field("", max_length=1000)
    question: str | None = Field(None, description="没有 answer_id 时：被评价的问题")
    answer: str | None = Field(None, description="没有 answer_id 时：被评价的回答")
    citations: list[dict[str, Any]] = Field(default_factory=list)


# ---------------------------------------------------------------- helpers shared with /v1


def text_of(content) -> str:
    """OpenAI / gradio message content: a string or a list of {"type": "text", "text": …} parts."""
    return content_text(content)


def split_messages(messages: list[Turn]) -> tuple[str, list[dict]]:
    """The last user turn is the question; earlier user/assistant turns are the history."""
    turns = [t for t in messages if t.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise api_error(422, "bad_messages", "messages 的最后一条必须是用户（user）的问题。")
    history = [{"role": t.role, "content": text_of(t.content)} for t in turns[:-1]]
    return text_of(turns[-1].content), history


def check_question(question: str, max_chars: int) -> str:
    question = (question or "").strip()
    if not question:
        raise api_error(422, "empty_question", "问题不能为空。")
    if len(question) > max_chars:
        raise api_error(422, "question_too_long", f"问题过长：最多 {max_chars} 个字，当前 {len(question)} 个字。")
    return question


def check_region(assistant, region: str | None) -> str | None:
    if region is None or region.strip() in ALL_REGIONS:
        return None
    region = region.strip()
    try:
        found = assistant.resolve_notices(region)  # 衢州, 衢州市, a notice id …
    except NotFound:
        regions = assistant.regions()
        raise api_error(422, "unknown_region", f"未知地区“{region}”。可选：{'、'.join(regions)}，或省略表示全部。") from None
    return found[0].region


def figures(unit: Unit) -> list[dict]:
    """The unit's figures with their offsets in its text: the amounts read at ingest, else read now."""
    amounts = unit.amounts or extract_amounts(unit.text)
    return [{"text": unit.text[a.start:a.end] or a.text, "start": a.start, "end": a.end, "value": a.value,
             "unit": a.unit, "per": a.per, "bound": a.bound, "high": a.high} for a in amounts]


def notice_dict(n: Notice, today) -> dict:
    return {"doc_id": n.doc_id, "title": n.quoted_title, "issuer": n.issuer, "region": n.region,
            "status": n.status, "published": n.published, "effective_from": n.effective_from,
            "effective_to": n.effective_to, "expired": n.expired_on(today), "source": n.source}


def unit_dict(u: Unit, n: Notice) -> dict:
    return {**Citation.from_unit(u, n).to_dict(), "kind": u.kind, "section": u.section,
            "lead_department": u.lead_department, "responsible": u.responsible,
            "figures": figures(u)}


def primed(parts: Iterator) -> Iterator:
    """Run a stream to its first item now, so a bad question raises (→ 422) before the response
    starts; then the rest follows as it is produced."""
    try:
        first = next(parts)
    except StopIteration:
        return iter(())
    return itertools.chain([first], parts)


def sse(event: str, data: dict, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


# ---------------------------------------------------------------- routes


def build_router(assistant, settings, store: FeedbackStore, gate: ApiGate) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["policyqa API"])
    guarded = [Depends(gate)]

    def log_answer(answer: Answer, question: str, region: str | None, answer_id: str, channel: str = "api") -> None:
        store.log_answer(answer.to_dict(), question, channel=channel, region=region, answer_id=answer_id)

    def stream_events(parts, question, region, answer_id) -> Iterator[str]:
        try:
            for part in parts:
                if isinstance(part, Answer):
                    log_answer(part, question, region, answer_id)
                    yield sse("answer", part.to_dict(), answer_id)
                else:
                    yield sse("delta", {"text": part})
        except PolicyQAError as exc:
            yield sse("error", error_body(type(exc).__name__, str(exc)))
        except Exception:
            log.exception("stream failed")
            yield sse("error", error_body("internal_error", "服务器内部错误，请稍后重试。"))

    @router.post("/ask", dependencies=guarded, summary="提问（JSON 或 SSE 流）",
                 responses={200: {"description": "Answer.to_dict()；stream=true 时为 text/event-stream："
                                                 "若干 `delta` 事件，最后一个 `answer` 事件为完整结果"}})
    def ask(body: AskBody, request: Request):
        if body.messages:
            question, history = split_messages(body.messages)
            if body.question:
                question = body.question
        else:
            question, history = body.question or "", []
        question = check_question(question, settings.max_question_chars)
        region = check_region(assistant, body.region)
        answer_id = new_answer_id()
        headers = {"X-Answer-ID": answer_id}
        if body.stream:
            parts = primed(assistant.ask_stream(question, history=history, region=region))
            return StreamingResponse(stream_events(parts, question, region, answer_id),
                                     media_type="text/event-stream",
                                     headers={**headers, "Cache-Control": "no-cache",
                                              "X-Accel-Buffering": "no"})
        answer = assistant.ask(question, history=history, region=region)
        channel = "cli" if request.headers.get("x-policyqa-client") == "cli" else "api"  # `policyqa ask`
        log_answer(answer, question, region, answer_id, channel)
        return JSONResponse(answer.to_dict(), headers=headers)

    @router.get("/search", dependencies=guarded, summary="按关键词或问题检索条款")
    def search(q: str = Query(..., description="关键词或问题"), region: str | None = None,
               k: int = Query(5, ge=1, le=20)):
        query = check_question(q, settings.max_question_chars)
        region = check_region(assistant, region)
        hits = assistant.search(query, region=region, k=k)
        return {"query": query, "region": region,
                "hits": [{**unit_dict(h.unit, h.notice), "score": round(h.score, 6)} for h in hits]}

    @router.get("/notices", dependencies=guarded, summary="已收录的政策文件")
    def notices():
        return {"notices": [{**notice_dict(n, settings.today), "units": len(assistant.units(n.doc_id))}
                            for n in assistant.notices()]}

    @router.get("/notices/{doc_id}", dependencies=guarded, summary="一份文件的全部条款（按顺序）")
    def notice(doc_id: str):
        found = next((n for n in assistant.notices() if n.doc_id == doc_id), None)
        if found is None:
            raise api_error(404, "not_found", f"没有编号为“{doc_id}”的文件；可用的编号见 GET /api/v1/notices。")
        return {"notice": notice_dict(found, settings.today),
                "units": [unit_dict(u, found) for u in assistant.units(doc_id)]}

    @router.get("/notices/{doc_id}/clauses/{clause}", dependencies=guarded, summary="一条条款的全文",
                description="clause 可写 十四、（十四）或 14；doc_id 也可以是地区名（如 衢州）。")
    def clause(doc_id: str, clause: str):
        unit, found = assistant.clause(doc_id, clause)
        return {**unit_dict(unit, found), "notice": notice_dict(found, settings.today)}

    @router.post("/feedback", dependencies=guarded, summary="对回答点赞或点踩")
    def feedback(body: FeedbackBody):
        if body.answer_id:
            if not store.rate(body.answer_id, body.rating, body.comment):
                raise api_error(404, "not_found", f"没有编号为“{body.answer_id}”的回答。")
            return {"ok": True, "answer_id": body.answer_id}
        if not body.question:
            raise api_error(422, "bad_feedback", "请提供 answer_id，或提供被评价的 question 和 answer。")
        answer_id = store.log_answer({"answer": body.answer or "", "citations": body.citations},
                                     body.question, channel="api")
        store.rate(answer_id, body.rating, body.comment)
        return {"ok": True, "answer_id": answer_id}

    @router.get("/healthz", dependencies=[Depends(gate.ip_only)], summary="健康检查（无需密钥）")
    def healthz(request: Request):
        return {"status": "ok", "notices": len(assistant.notices()), "regions": assistant.regions(),
                "mode": "llm" if settings.llm_enabled else "extractive",
                "auth": "api_keys" if settings.api_keys else "loopback_only",
                "pages": getattr(request.app.state, "pages", "ready")}

    return router
