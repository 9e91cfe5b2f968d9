"""OpenAI-compatible /v1/chat/completions (plain and streamed) and /v1/models, as the official
`openai` client and LangChain's `ChatOpenAI` use them.

- The message content is the answer followed by its sources ("出处：…"). The citations are also in
  a top-level `citations` field and the whole contract in `policyqa` (in the last chunk when
  streaming; the SDK shows them in `model_extra`), and in the `X-Policyqa-Citations` response
  header (JSON, without the clause texts), which LangChain keeps in `response_metadata["headers"]`
  when `ChatOpenAI(include_response_headers=True)`. Streams carry the header when the answer is
  known before the first byte: always in extractive mode, never in LLM mode.
- `usage` counts tokens with tiktoken's cl100k encoding (offline); with
  `stream_options={"include_usage": true}` a stream ends with a chunk that has no choices and the
  usage, as OpenAI's does.
- `max_tokens` / `max_completion_tokens` are honoured by ending the reply after the last whole
  sentence that fits (`finish_reason: "length"`): a figure or a citation is never cut in half.
  When not even the first sentence fits, 400.
- Refused with 400 rather than ignored: `n` > 1, `tools` / `functions`, a `response_format` other
  than text, `stop`, `logprobs`. An unknown `model` is 404 `model_not_found`, as OpenAI answers.
  Sampling settings (`temperature`, `top_p`, `seed`, …) are accepted and have no effect.
- Optional extra body field: `region` (`extra_body={"region": "衢州市"}` in the Python SDK).
"""
from __future__ import annotations

import json
import logging
import re
import time
from typing import Any, Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from ..errors import PolicyQAError
from ..token_budget import count_tokens, message_tokens
from ..types import Answer
from .api import Turn, check_question, check_region, primed, split_messages, text_of
from .feedback import FeedbackStore, new_answer_id
from .security import ApiGate, api_error, error_body

log = logging.getLogger("policyqa.web.openai")
MODEL = "policyqa"
CITATIONS_HEADER = "X-Policyqa-Citations"
HEADER_BUDGET = 8000  # bytes: HTTP clients refuse very large header blocks
SENTENCE_END = re.compile(r"(?<=[。；！？!?\n])")


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatBody(BaseModel):
    model: str = MODEL
    messages: list[Turn] = Field(..., min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1, description="回答的最多 token 数：超出时在最后一个完整的句子处结束")
    max_completion_tokens: int | None = Field(None, ge=1, description="同 max_tokens（新名称）")
    n: int | None = Field(None, ge=1, description="只能为 1")
    tools: list[Any] | None = Field(None, description="不支持")
    tool_choice: Any = None
    functions: list[Any] | None = Field(None, description="不支持")
    function_call: Any = None
    response_format: dict[str, Any] | None = Field(None, description="只能为 {\"type\": \"text\"}")
    stop: str | list[str] | None = Field(None, description="不支持")
    logprobs: bool | None = Field(None, description="不支持")
    top_logprobs: int | None = None
    region: str | None = Field(None, description="policyqa 扩展：只在该地区的文件中查找")
    user: str | None = Field(None, max_length=256, description="终端用户标识（按用户限流；也可用 X-End-User-ID 头）")

    model_config = {"extra": "ignore", "json_schema_extra": {"examples": [
        {"model": MODEL, "messages": [{"role": "user", "content": "衢州买新能源汽车以旧换新能补贴多少？"}]}]}}


def refuse_unsupported(body: ChatBody) -> None:
    """400 for what policyqa cannot do, naming the parameter; 404 for another model's name."""
    if body.model != MODEL:
        raise api_error(404, "model_not_found", f"模型“{body.model}”不存在：请使用 model=\"{MODEL}\"（见 GET /v1/models）。")

    def refuse(param: str, message: str):
        raise api_error(400, "unsupported_parameter", f"不支持参数 {param}：{message}")

    if body.n not in (None, 1):
        refuse("n", "每次只生成一个回答，请去掉 n 或设为 1。")
    if body.tools or body.functions or body.tool_choice not in (None, "none") or body.function_call not in (None, "none"):
        refuse("tools", "policyqa 不调用工具，请去掉 tools / functions / tool_choice。")
    if body.response_format and body.response_format.get("type", "text") != "text":
        refuse("response_format", "只返回文字回答；要结构化的结果（条款、数字）请用 POST /api/v1/ask。")
    if body.stop:
        refuse("stop", "在停止词处截断会截掉数字或出处，请去掉 stop；要限制长度请用 max_tokens。")
    if body.logprobs or body.top_logprobs:
        refuse("logprobs", "回答摘自政策原文，没有逐词概率，请去掉 logprobs。")


def sources_text(answer: Answer) -> str:
    """The citations as plain text, appended to the message content."""
    if not answer.citations:
        return ""
    lines = [f"{i}. {c.doc_title}{c.where}{c.heading}（{c.issuer}"
             f"{'，征求意见稿' if c.status == 'draft' else ''}）"
             for i, c in enumerate(answer.citations, 1)]
    return "\n\n出处：\n" + "\n".join(lines)


def citations_header(answer: Answer) -> str:
    """The citations without their texts, as ASCII JSON (a header value must be ASCII)."""
    items = []
    for c in answer.citations:
        d = c.to_dict()
        d.pop("text", None)
        items.append(d)
        if len(json.dumps(items)) > HEADER_BUDGET:
            items.pop()
            break
    return json.dumps(items)


def fit(text: str, limit: int | None) -> tuple[str, bool]:
    """The longest run of whole sentences of `text` within `limit` tokens, and whether it was cut."""
    if limit is None or count_tokens(text) <= limit:
        return text, False
    kept = ""
    for sentence in SENTENCE_END.split(text):
        if count_tokens(kept + sentence) > limit:
            break
        kept += sentence
    return kept.rstrip("\n"), True


def usage(body: ChatBody, completion: str) -> dict:
    prompt = message_tokens([text_of(t.content) for t in body.messages])
    done = count_tokens(completion)
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def _data(body: dict) -> str:
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


class _Chunks:
    """The chunk envelope of one streamed reply."""

    def __init__(self, cid: str, with_usage: bool):
        self.cid, self.created, self.with_usage = cid, int(time.time()), with_usage

    def chunk(self, delta: dict, finish: str | None = None, **extra: Any) -> str:
        out = {"id": self.cid, "object": "chat.completion.chunk", "created": self.created, "model": MODEL,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        if self.with_usage:
            out["usage"] = None
        return _data(out)

    def usage_chunk(self, counts: dict) -> str:
        return _data({"id": self.cid, "object": "chat.completion.chunk", "created": self.created,
                      "model": MODEL, "choices": [], "usage": counts})


class _Budget:
    """Streams text up to a token limit, in whole sentences (a limit holds text back until its
    sentence is complete)."""

    def __init__(self, limit: int | None):
        self.limit, self.sent, self.pending, self.held, self.cut = limit, "", "", "", False

    def take(self, text: str) -> str:
        if self.cut:
            return ""
        if self.limit is None:
            self.sent += text
            return text
        self.pending += text
        *whole, self.pending = SENTENCE_END.split(self.pending)
        return self._admit("".join(whole))

    def finish(self) -> str:
        out = self._admit(self.pending) if self.limit is not None and not self.cut else ""
        self.pending = ""
        return out

    def _admit(self, text: str) -> str:
        out = ""
        for sentence in SENTENCE_END.split(text):
            if not sentence.strip():  # a line break waits for the sentence after it
                self.held += sentence
                continue
            if count_tokens(self.sent + out + self.held + sentence) > self.limit:
                self.cut = True
                break
            out += self.held + sentence
            self.held = ""
        self.sent += out
        return out


def build_router(assistant, settings, store: FeedbackStore, gate: ApiGate) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], dependencies=[Depends(gate)])

    def prepare(body: ChatBody) -> tuple[str, list[dict], str | None]:
        refuse_unsupported(body)
        question, history = split_messages(body.messages)
        return (check_question(question, settings.max_question_chars), history,
                check_region(assistant, body.region))

    def stream(body: ChatBody, parts, question, region, answer_id) -> Iterator[str]:
        out = _Chunks(f"chatcmpl-{answer_id}", bool(body.stream_options and body.stream_options.include_usage))
        budget = _Budget(body.max_completion_tokens or body.max_tokens)
        yield out.chunk({"role": "assistant", "content": ""})
        try:
            for part in parts:
                if isinstance(part, Answer):
                    store.log_answer(part.to_dict(), question, channel="openai", region=region,
                                     answer_id=answer_id)
                    tail = budget.take(sources_text(part)) + budget.finish()
                    if tail:
                        yield out.chunk({"content": tail})
                    contract = part.to_dict()
                    yield out.chunk({}, "length" if budget.cut else "stop", citations=contract["citations"],
                                    policyqa=contract)
                    if out.with_usage:
                        yield out.usage_chunk(usage(body, budget.sent))
                elif part and (text := budget.take(part)):
                    yield out.chunk({"content": text})
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
        limit = body.max_completion_tokens or body.max_tokens
        if body.stream:
            parts = primed(assistant.ask_stream(question, history=history, region=region))
            if not settings.llm_enabled:  # extractive: the answer is complete before the first byte
                parts = list(parts)
                if parts and isinstance(parts[-1], Answer):
                    headers[CITATIONS_HEADER] = citations_header(parts[-1])
            return StreamingResponse(stream(body, iter(parts), question, region, answer_id),
                                     media_type="text/event-stream",
                                     headers={**headers, "Cache-Control": "no-cache",
                                              "X-Accel-Buffering": "no"})
        answer = assistant.ask(question, history=history, region=region)
        store.log_answer(answer.to_dict(), question, channel="openai", region=region, answer_id=answer_id)
        content, cut = fit(answer.answer + sources_text(answer), limit)
        if not content:
            raise api_error(400, "max_tokens_too_small",
                            f"max_tokens={limit} 太小，放不下回答的第一句；请调大 max_tokens 或不设置。")
        contract = answer.to_dict()
        return JSONResponse({
            "id": f"chatcmpl-{answer_id}", "object": "chat.completion", "created": int(time.time()),
            "model": MODEL,
            "choices": [{"index": 0, "finish_reason": "length" if cut else "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": None}}],
            "usage": usage(body, content),
            "citations": contract["citations"], "policyqa": contract},
            headers={**headers, CITATIONS_HEADER: citations_header(answer)})

    @router.get("/models", summary="可用模型（只有 policyqa）")
    def models():
        return {"object": "list", "data": [_model()]}

    @router.get("/models/{model}", summary="一个模型的信息")
    def model(model: str):
        if model != MODEL:
            raise api_error(404, "model_not_found", f"模型“{model}”不存在：可用的只有 {MODEL}。")
        return _model()

    return router


def _model() -> dict:
    return {"id": MODEL, "object": "model", "created": 0, "owned_by": "policyqa"}
