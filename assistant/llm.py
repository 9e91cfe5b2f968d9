"""LLM answers: written by any OpenAI-compatible endpoint from the retrieved clauses, then checked.

`LLMAnswerer` wraps the extractive answerer. It asks the model (langchain-openai's ChatOpenAI)
to answer from the clauses that fit the token budget, checks the answer with `llm_guard`, asks
once more naming the problems, and otherwise returns the extractive answer flagged with
`fallback` (why). Endpoint failures — timeout, refused key, unreachable, bad reply — also give
the extractive answer, and pause the LLM for `PAUSE_S` so that a dead endpoint costs one wait,
not one per question. The LLM can make an answer better written, never less exact.

`max_context_tokens` bounds the first request (prompts, recent conversation, clauses); a retry
adds the rejected answer and the list of its problems.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from .answering import Answerer
from .errors import LLMError, SettingsError
from .notes import notes_for_all
from .llm_guard import Source, Verdict, check
from .prompts import Prompts, load_prompts
from .settings import Settings
from .token_budget import MESSAGE_OVERHEAD, Budget, count_tokens, message_tokens, truncate
from .types import Answer, Citation, Hit, Message, Notice, Query

log = logging.getLogger(__name__)

PAUSE_S = 30.0  # after an endpoint failure, answer extractively this long before trying again
BLOCK_OVERHEAD = 2  # the blank line between blocks of the context
MIN_CONTEXT_TOKENS = 300  # what max_context_tokens must leave for clauses after the prompts
RETRYING = "\n\n⚠️ 上述回答未通过引用/数字核验，正在重新生成：\n\n"
REPLACED = "\n\n⚠️ 上述回答未通过引用/数字核验，已替换为原文摘录：\n"
INTERRUPTED = "\n\n⚠️ 大模型服务中断，已改用原文摘录：\n"


class EndpointError(LLMError):
    """The endpoint failed; `pause` when it is likely to keep failing for a while."""

    def __init__(self, message: str, pause: bool = True):
        super().__init__(message)
        self.pause = pause


def chat_model(settings: Settings) -> ChatOpenAI:
    return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url,
                      api_key=settings.llm_api_key, timeout=settings.llm_timeout_s,
                      max_retries=settings.llm_max_retries, temperature=0)


class LLMAnswerer(Answerer):
    mode = "llm"

    def __init__(self, settings: Settings, fallback: Answerer, prompts: Prompts | None = None):
        self.settings = settings
        self.fallback = fallback
        self.prompts = prompts or load_prompts()
        self.chat = chat_model(settings)
        self._paused_until = 0.0
        self._pause_reason = ""
        fixed = message_tokens([self.prompts.system, self.prompts.render_answer(
            today="", context="", question="")])
        if settings.max_context_tokens - fixed < MIN_CONTEXT_TOKENS:
            raise SettingsError(
                f"POLICYQA_MAX_CONTEXT_TOKENS={settings.max_context_tokens} leaves no room for clauses: "
                f"the prompts alone take {fixed} tokens; set it to at least {fixed + MIN_CONTEXT_TOKENS}.")

    # ------------------------------------------------------------------ public --

    def answer(self, query: Query, history: list[Message], hits: list[Hit], catalog=None) -> Answer:
        *_, final = self._run(query, history, hits, streaming=False, catalog=catalog)
        return final

    def stream(self, query: Query, history: list[Message], hits: list[Hit], catalog=None) -> Iterator[str | Answer]:
        return self._run(query, history, hits, streaming=True, catalog=catalog)

    def condense(self, question: str, history: list[Message]) -> str | None:
        """The follow-up `question` rewritten to stand alone, for retrieval; None if that fails."""
        if not history or self._paused():
            return None
        budget = Budget(self.settings.max_context_tokens // 2)
        lines = _recent(history, budget)
        prompt = self.prompts.render_condense(
            history="\n".join(f"{'用户' if m.role == 'user' else '助手'}：{m.content}" for m in lines),
            question=question)
        try:
            text = "".join(_visible(self._complete([HumanMessage(prompt)], streaming=False)))
        except EndpointError as exc:
            self._pause(exc)
            return None
        text = text.strip().splitlines()
        standalone = re.sub(r"^(?:改写后的问题|完整问题|问题)[:：]\s*", "", text[0] if text else "")
        standalone = standalone.strip(" \"“”'")
        if not standalone or len(standalone) > self.settings.max_question_chars:
            return None
        return standalone

    # ------------------------------------------------------------------ answer flow --

    def _run(self, query: Query, history: list[Message], hits: list[Hit],
             streaming: bool, catalog=None) -> Iterator[str | Answer]:
        base = replace(self.fallback.answer(query, history, hits, catalog), mode="extractive")
        if base.status != "answered" or not hits:  # nothing for the model to write from
            yield from _whole(base, streaming)
            return
        if self._paused():
            yield from _whole(replace(base, fallback=self._pause_reason), streaming)
            return
        turns = _recent(history, Budget(self.settings.max_context_tokens // 4))
        messages = self._messages(query, turns, [])
        room = self.settings.max_context_tokens - message_tokens([m.content for m in messages])
        sources = select_sources(hits, first={(c.doc_id, c.clause) for c in base.citations},
                                 tokens=room, today=self.settings.today)
        messages = self._messages(query, turns, sources)
        shown = False
        verdict = Verdict()
        for attempt in (1, 2):
            parts: list[str] = []
            try:
                for delta in _visible(self._complete(messages, streaming)):
                    parts.append(delta)
                    if streaming:
                        shown = True
                        yield delta
            except EndpointError as exc:
                self._pause(exc)
                if streaming:
                    yield (INTERRUPTED if shown else "") + base.answer
                yield replace(base, fallback=str(exc))
                return
            text = "".join(parts).strip()
            verdict = check(text, sources, status=base.status)
            if verdict.ok:
                cited = dict.fromkeys(s.notice for s in verdict.cited)
                notes = catalog.notes_for_all(cited) if catalog else notes_for_all(cited, self.settings.today)
                if streaming and notes:
                    yield "\n\n" + "\n".join(n.text for n in notes)
                yield Answer(status=base.status, body=text, mode="llm", hits=hits, notes=notes,
                             citations=[Citation.from_unit(s.unit, s.notice) for s in verdict.cited])
                return
            log.warning("LLM answer (try %d of 2): %s", attempt, verdict.reason())
            messages = [*messages, AIMessage(text), HumanMessage(verdict.feedback())]
            if streaming and attempt == 1:
                yield RETRYING
        if streaming:
            yield REPLACED + base.answer
        yield replace(base, fallback=verdict.reason())

    def _messages(self, query: Query, turns: list[Message], sources: list[Source]) -> list[BaseMessage]:
        return [SystemMessage(self.prompts.system),
                *(HumanMessage(m.content) if m.role == "user" else AIMessage(m.content) for m in turns),
                HumanMessage(self.prompts.render_answer(
                    today=_cn_date(self.settings.today), context=render_context(sources),
                    question=query.question))]

    # ------------------------------------------------------------------ endpoint --

    def _complete(self, messages: list[BaseMessage], streaming: bool) -> Iterator[str]:
        """The reply's text (in deltas when streaming); endpoint failures as EndpointError."""
        try:
            if streaming:
                for chunk in self.chat.stream(messages):
                    if isinstance(chunk.content, str) and chunk.content:
                        yield chunk.content
            else:
                content = self.chat.invoke(messages).content
                text = content if isinstance(content, str) else ""
                if not text.strip():
                    raise EndpointError("The LLM endpoint sent an empty answer.", pause=False)
                yield text
        except EndpointError:
            raise
        except Exception as exc:  # the client raises many kinds; each one means "no usable reply"
            raise endpoint_error(exc, self.settings) from exc

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def _pause(self, exc: EndpointError) -> None:
        log.warning("%s", exc)
        if exc.pause:
            self._paused_until = time.monotonic() + PAUSE_S
            self._pause_reason = f"{exc} The LLM is paused for {PAUSE_S:g} s; answering from the clauses."


def endpoint_error(exc: Exception, settings: Settings) -> EndpointError:
    """A message the user can act on, for an exception raised by the OpenAI client."""
    url, n = settings.llm_base_url, settings.llm_max_retries + 1
    tries = f"{n} {'try' if n == 1 else 'tries'}"
    if isinstance(exc, openai.AuthenticationError):
        return EndpointError(f"The LLM endpoint at {url} refused the API key (HTTP 401). "
                             "Check OPENAI_API_KEY; answering from the clauses meanwhile.")
    if isinstance(exc, openai.PermissionDeniedError):
        return EndpointError(f"The LLM endpoint at {url} refused access (HTTP 403): the key may not "
                             f"use model {settings.llm_model!r}. Check OPENAI_API_KEY and POLICYQA_LLM_MODEL.")
    if isinstance(exc, openai.NotFoundError):
        return EndpointError(f"The LLM endpoint at {url} answered HTTP 404: check that OPENAI_BASE_URL "
                             f"ends in /v1 and that it serves model {settings.llm_model!r} (POLICYQA_LLM_MODEL).")
    if isinstance(exc, openai.APITimeoutError):
        return EndpointError(f"The LLM endpoint at {url} did not answer within {settings.llm_timeout_s:g} s "
                             f"({tries}). Check the server, or raise POLICYQA_LLM_TIMEOUT.")
    if isinstance(exc, openai.APIConnectionError):
        return EndpointError(f"Cannot reach the LLM endpoint at {url} ({tries}: {_root(exc)}). "
                             "Check OPENAI_BASE_URL and that the server is running.")
    if isinstance(exc, openai.APIStatusError):
        return EndpointError(f"The LLM endpoint at {url} answered HTTP {exc.status_code} "
                             f"({tries}): {exc.message}")
    return EndpointError(f"The LLM endpoint at {url} sent a reply policyqa cannot read "
                         f"({type(exc).__name__}: {exc}).", pause=False)


def _root(exc: BaseException) -> BaseException:
    """The innermost cause: [Errno 111] Connection refused rather than 'Connection error.'"""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__
    return exc


# ---------------------------------------------------------------------- context --

def select_sources(hits: list[Hit], first: set[tuple[str, str]], tokens: int, today: date) -> list[Source]:
    """The units given to the model, within `tokens`: those in `first` ((doc_id, label): what the
    extractive answer cites), then the other hits by rank. If not even the first fits, it is cut."""
    budget = Budget(tokens)
    ordered = sorted(hits, key=lambda h: (h.unit.doc_id, h.unit.label) not in first)  # stable
    sources: list[Source] = []
    for hit in ordered:
        notice, unit = hit.notice, hit.unit
        if any(s.unit.unit_id == unit.unit_id for s in sources):
            continue
        header = notice_header(notice, today)
        new_notice = all(s.notice.doc_id != notice.doc_id for s in sources)
        overhead = BLOCK_OVERHEAD + (count_tokens(header) + BLOCK_OVERHEAD if new_notice else 0)
        text = unit.text
        if not budget.take(_block(notice, unit.label, text), overhead):
            if sources:
                continue  # a later, shorter unit may still fit
            text = truncate(text, budget.left - overhead - count_tokens(_block(notice, unit.label, "")))
            if not text or not budget.take(_block(notice, unit.label, text), overhead):
                continue
        sources.append(Source(notice, unit, text, header))
    return sources


def render_context(sources: list[Source]) -> str:
    """The clauses as the model sees them, grouped by notice, each notice under its header."""
    by_notice: dict[str, list[Source]] = {}
    for s in sources:
        by_notice.setdefault(s.notice.doc_id, []).append(s)
    return "\n\n".join(
        group[0].header + "\n\n" + "\n\n".join(_block(s.notice, s.unit.label, s.text) for s in group)
        for group in by_notice.values())


def notice_header(notice: Notice, today: date) -> str:
    status = "公开征求意见稿（尚未正式发布）" if notice.status == "draft" else "正式发布"
    if notice.effective_from or notice.effective_to:
        period = f"{_cn_date(notice.effective_from) if notice.effective_from else ''}至" \
                 f"{_cn_date(notice.effective_to) if notice.effective_to else ''}"
        period += "（有效期已结束）" if notice.expired_on(today) else ""
    else:
        period = "文件未写明"
    return (f"文件：{notice.quoted_title}\n发文：{notice.issuer}；地区：{notice.region}；"
            f"状态：{status}；有效期：{period}")


def _whole(answer: Answer, streaming: bool) -> Iterator[str | Answer]:
    if streaming:
        yield answer.answer
    yield answer


def _block(notice: Notice, label: str, text: str) -> str:
    return f"【{notice.region}·{label}】{text}"


def _recent(history: list[Message], budget: Budget) -> list[Message]:
    """The latest messages that fit in `budget`, oldest first."""
    kept: list[Message] = []
    for message in reversed(history):
        if not budget.take(message.content, overhead=MESSAGE_OVERHEAD):
            break
        kept.append(message)
    return kept[::-1]


def _cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def _visible(deltas: Iterator[str]) -> Iterator[str]:
    """The deltas without a <think>…</think> block (reasoning models put one before the answer)."""
    buffer, thinking = "", False
    for delta in deltas:
        buffer += delta
        while True:
            if thinking:
                end = buffer.find("</think>")
                if end < 0:
                    buffer = buffer[-len("</think>"):]
                    break
                buffer, thinking = buffer[end + len("</think>"):].lstrip(), False
            else:
                start = buffer.find("<think>")
                if start >= 0:
                    if buffer[:start]:
                        yield buffer[:start]
                    buffer, thinking = buffer[start + len("<think>"):], True
                    continue
                keep = _partial_tag(buffer, "<think>")
                if buffer[: len(buffer) - keep]:
                    yield buffer[: len(buffer) - keep]
                buffer = buffer[len(buffer) - keep:]
                break
    if buffer and not thinking:
        yield buffer


def _partial_tag(text: str, tag: str) -> int:
    """Length of the longest end of `text` that could begin `tag`."""
    return next((n for n in range(min(len(tag) - 1, len(text)), 0, -1) if tag.startswith(text[-n:])), 0)
