"""Input validation, done once at the Assistant: a question (or search text) is text policyqa can
work on, or BadQuestion says in Chinese what to change."""
from __future__ import annotations

import re

from .errors import BadQuestion

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_question(text: object, max_chars: int) -> str:
    """The question as text, or BadQuestion saying what is wrong (in Chinese and English)."""
    if not isinstance(text, str):
        raise BadQuestion("问题必须是文字 / the question must be text.")
    if CONTROL.search(text):
        raise BadQuestion("问题里有控制字符，请只输入文字 / the question contains control characters; "
                          "send plain text.")
    text = " ".join(text.split())
    if not text:
        raise BadQuestion("问题是空的，请输入要咨询的内容 / the question is empty; type what you want to ask.")
    if len(text) > max_chars:
        raise BadQuestion(f"问题太长（{len(text)} 字），请精简到 {max_chars} 字以内 / the question is "
                          f"{len(text)} characters; shorten it to {max_chars} or fewer.")
    return text
