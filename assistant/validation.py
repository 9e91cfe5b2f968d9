"""Input validation, done once at the Assistant: a question (or search text) is text policyqa can
work on, or BadQuestion says in Chinese what to change.

Every interface (CLI, chat page, console, HTTP API, OpenAI endpoint) reaches the pipeline through
`Assistant.ask` / `ask_stream` / `search`, which call `clean_question` first. It refuses:
- what is not text, or is empty;
- control characters, and lone UTF-16 surrogates (JSON allows "\\ud800"; UTF-8 cannot hold it);
- text longer than the limit, counted both as sent and after NFKC normalisation: NFKC (which
  retrieval's tokenizers apply) turns one character such as U+FDFA into 18, so a short question can
  be a long one by the time it is embedded.
"""
from __future__ import annotations

import re
import unicodedata

from .errors import BadQuestion
from .types import Message

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """True if the text holds a lone surrogate code point (not encodable as UTF-8)."""
    return SURROGATE.search(text) is not None


def clean_question(text: object, max_chars: int) -> str:
    """The question as text, or BadQuestion saying what is wrong (in Chinese and English)."""
    if not isinstance(text, str):
        raise BadQuestion("问题必须是文字 / the question must be text.")
    if CONTROL.search(text):
        raise BadQuestion("问题里有控制字符，请只输入文字 / the question contains control characters; "
                          "send plain text.")
    if has_lone_surrogate(text):
        raise BadQuestion("问题里有无法识别的字符（不成对的 UTF-16 代理码位），请删除后重新输入 / the question "
                          "contains a lone surrogate code point; send valid Unicode text.")
    text = " ".join(text.split())
    if not text:
        raise BadQuestion("问题是空的，请输入要咨询的内容 / the question is empty; type what you want to ask.")
    if len(text) > max_chars:
        raise BadQuestion(f"问题太长（{len(text)} 字），请精简到 {max_chars} 字以内 / the question is "
                          f"{len(text)} characters; shorten it to {max_chars} or fewer.")
    expanded = len(unicodedata.normalize("NFKC", text))
    if expanded > max_chars:
        raise BadQuestion(f"问题里的特殊字符展开后太长（{expanded} 字），请改用普通文字，精简到 {max_chars} 字以内 / "
                          f"the question is {expanded} characters once normalised (NFKC); use plain "
                          f"characters and shorten it to {max_chars} or fewer.")
    return text


def content_text(content) -> str:
    """Message content as text: a string, or OpenAI/gradio parts [{"type": "text", "text": …}]."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p["text"] for p in content if isinstance(p, dict) and p.get("type", "text") == "text"
                       and isinstance(p.get("text"), str))
    return ""


def to_messages(history) -> list[Message]:
    """Conversation turns from Message objects or OpenAI/gradio-style dicts; other roles dropped."""
    out = []
    for item in history or []:
        if isinstance(item, Message):
            out.append(item)
            continue
        if not isinstance(item, dict):
            raise BadQuestion("对话记录格式不对：每一项应为 {\"role\": …, \"content\": …} / each history item "
                              "must be an object with role and content.")
        role = item.get("role")
        if role in ("user", "assistant"):
            out.append(Message(role, content_text(item.get("content"))))
    return out
