"""What a clause says now, where it also says what it replaced.

An adjustment notice states each change with the figure it replaces: "最高贷款额度由40万元调整为50万元",
"每户每月可提取1200元（原为800元）", "（原分别为65周岁、60周岁）". The old figure is history: an answer
that quotes it hands the asker a figure that no longer applies ("最高还是只能贷40万吧？" must not read 40万元
back). `current_wording` gives the sentence as it applies now — "最高贷款额度调整为50万元", "每户每月可提取
1200元" — and the answerer quotes that, unless the question asks about the change itself ("原来是多少",
"按新的额度贷吗"), when the sentence is quoted whole.

Only a span with a figure in it is dropped: "由县财政局调整为…" and "从2026年1月1日起提高到…" are kept.
"""
from __future__ import annotations

import re

_VERB = r"(?:调整|提高|上调|下调|降低|下降|增加|减少|缩短|延长|放宽|提升|扩大|压缩|调增|调减|放开)"
# 由40万元调整为50万元 · 从20%下调至15% · 由原来的12个月缩短为6个月 (the span replaced: a figure, no clause break,
# not a start date "从2026年1月1日起")
_REPLACED = re.compile(rf"[由从](?:原来的|原先的|原)?(?P<old>[^，。；：,;:由从起]{{0,24}}?\d[^，。；：,;:由从起]{{0,24}}?)"
                       rf"(?={_VERB}(?:为|到|至))")
# 1200元（原为800元） · （原分别为65周岁、60周岁） · （调整前为10倍） · （原标准每人每月500元）
_WAS = re.compile(r"[（(](?:原|调整前|此前|以前|之前)(?:标准|额度|规定|比例)?(?:分别)?(?:为|是)?[^（）()]{0,30}?\d"
                  r"[^（）()]{0,30}[）)]")


def current_wording(sentence: str) -> str:
    """The sentence without the figures it says were replaced."""
    return _WAS.sub("", _REPLACED.sub(_per, sentence))


def _per(m: re.Match) -> str:
    """What the replaced figure was counted per stays: 从每人每月500元提高至800元 → 每人每月提高至800元."""
    lead = re.match(r"\D*", m.group("old")).group(0)
    return lead if lead.startswith("每") else ""


def states_a_change(sentence: str) -> bool:
    """Whether the sentence gives a figure it replaced."""
    return current_wording(sentence) != sentence


__all__ = ["current_wording", "states_a_change"]
