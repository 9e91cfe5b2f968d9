"""Understanding a question before retrieval: validation, the regions it names, explicit clause
references, numerals, and follow-ups resolved against the conversation.
"""
from __future__ import annotations

import re
from functools import lru_cache

import jieba.posseg
from pypinyin import lazy_pinyin

from .keywords import tokenize
from .numbers import extract_amounts, normalize_numerals
from .parsing import CN_NUMERAL, clause_number
from .types import Message, Notice, Query

# 第十四条 / 第14条 / 十四条 / （十四） / (14) / 第十四项
CLAUSE_REF = re.compile(rf"第\s*([{CN_NUMERAL}\d]+)\s*[条项款]|(?<![{CN_NUMERAL}\d])([{CN_NUMERAL}\d]+)\s*条"
                        rf"|[（(]\s*([{CN_NUMERAL}\d]+)\s*[）)]")
# Places that name no single notice's region and need no refusal.
GENERIC_PLACES = frozenset({"中国", "全国", "国家", "浙江", "浙江省", "省", "市", "区", "县", "本地", "当地",
                            "国内", "长三角", "四省边际", "华东"})
# Development zones and ports inside a region (金义新区) are not other regions.
AREA_SUFFIXES = ("新区", "园区", "片区", "开发区", "港区", "产业园")
# A follow-up leans on the previous question: "那燃油车呢？", "还有呢", "如果是二手车".
FOLLOW_UP = re.compile(r"^(那|那么|那要是|还有|另外|再问|如果是|要是|换成|同样|这个|那个)|呢[？?。！!]*$")


def clause_numbers(text: str) -> tuple[int, ...]:
    out = []
    for m in CLAUSE_REF.finditer(text):
        raw = next(g for g in m.groups() if g)
        if m.group(2) and raw in ("一", "1"):  # "一条政策" is not a reference to clause (一)
            continue
        n = clause_number(raw)
        if n and n < 1000 and n not in out:
            out.append(n)
    return tuple(out)


def regions_named(text: str, notices: list[Notice]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(doc_ids, region names) of the notices whose region the text names; longest alias wins."""
    doc_ids, names = [], []
    for n in notices:
        if any(alias in text for alias in n.region_aliases):
            doc_ids.append(n.doc_id)
            if n.region not in names:
                names.append(n.region)
    return tuple(doc_ids), tuple(names)


@lru_cache(maxsize=65536)  # every alias of every notice is compared on each question naming a place
def _pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text))


def sounds_like_region(word: str, notices: list[Notice]) -> Notice | None:
    """A place name that is a homophone slip for a corpus region: 渠州 → 衢州."""
    key = _pinyin(word)
    return next((n for n in notices for a in n.region_aliases if len(a) >= 2 and key.startswith(_pinyin(a))
                 and len(a) == len(word)), None)


def unknown_places(text: str, notices: list[Notice]) -> tuple[str, ...]:
    """Places the text names (jieba's ns tag) that no notice in the corpus covers."""
    aliases = [a for n in notices for a in n.region_aliases]
    out = []
    for word, flag in jieba.posseg.lcut(text):
        if not flag.startswith("ns") or word in GENERIC_PLACES or len(word) < 2 or word.endswith(AREA_SUFFIXES):
            continue
        if any(word in a or a in word for a in aliases):
            continue
        out.append(word)
    return tuple(dict.fromkeys(out))


def only_regions(question: str, notices: list[Notice]) -> bool:
    """The question is just a region name ("衢州", "金东区的"): an answer to "哪个地区？"."""
    rest = question
    for alias in sorted({a for n in notices for a in n.region_aliases}, key=len, reverse=True):
        rest = rest.replace(alias, "")
    return rest != question and not re.sub(r"[\W_的呢吧啊呀是]", "", rest)


def is_follow_up(question: str, history: list[Message], notices: list[Notice] = ()) -> bool:
    """A question that leans on the previous one: "那燃油车呢？", or just a region after "哪个地区？"."""
    if not any(m.role == "user" for m in history):
        return False
    return bool(FOLLOW_UP.search(question)) or only_regions(question, list(notices)) or topicless(question)


# Words that ask about "it" without naming a topic: "最多能拿多少", "补贴标准呢", "怎么申请".
ASKING_WORDS = frozenset("拿 领 补 给 奖 发 享受 申请 补贴 补助 奖励 标准 金额 条件 要求 办理 能拿 能领 最高 上限 "
                         "怎么办 多久 期限 时间 流程 最多能 最高能 一共 总共".split())


def topicless(question: str) -> bool:
    """The question names no topic of its own (only asking words): it must lean on the last one."""
    return all(t in ASKING_WORDS for t in tokenize(question))


def _district_elsewhere(question: str, notices: list[Notice], doc_ids, places) -> tuple[str, ...]:
    """金华婺城区 / 金华市兰溪市: a city that a notice's region belongs to is named (金华 → 金东区's
    notice), but with another district or county in it. Returns those places."""
    districts = [p for p in places if p.endswith(("区", "县", "市")) and len(p) >= 3]
    by_parent = [n for n in notices if n.doc_id in doc_ids and n.region.endswith(("区", "县"))
                 and not any(a in question for a in n.region_aliases
                             if a.endswith(("区", "县")) or len(a) == 2 and a not in n.region[:3])]
    return tuple(districts) if districts and len(by_parent) == len(doc_ids) else ()


def understand(question: str, history: list[Message], notices: list[Notice], *,
               max_chars: int = 2000, search_text: str | None = None) -> Query:
    """Build the Query for a cleaned question. ``search_text`` overrides the follow-up merge
    (an LLM may condense the conversation into a standalone question)."""
    normalised = normalize_numerals(question)
    doc_ids, names = regions_named(question, notices)
    places = unknown_places(question, notices)  # always from this question, never from the history
    slips = {p: sounds_like_region(p, notices) for p in places}
    if any(slips.values()):  # 渠州 is read as 衢州
        found = [n for n in slips.values() if n]
        doc_ids = tuple(dict.fromkeys([*doc_ids, *(n.doc_id for n in found)]))
        names = tuple(dict.fromkeys([*names, *(n.region for n in found)]))
        places = tuple(p for p, n in slips.items() if not n)
    elsewhere = _district_elsewhere(question, notices, doc_ids, places) if doc_ids else ()
    if elsewhere:
        doc_ids, names, places = (), (), elsewhere
    follow_up = search_text is None and is_follow_up(question, history, notices)
    text = search_text or normalised
    if follow_up:
        previous = [m.content for m in history if m.role == "user"][-1]
        text = f"{normalize_numerals(previous)} {normalised}"
        if not doc_ids and not places:  # the region carries over from the conversation
            for m in reversed([m for m in history if m.role == "user"]):
                doc_ids, names = regions_named(m.content, notices)
                if doc_ids:
                    break
    elif search_text and not doc_ids and not places:
        # A rewritten question may name a region; trust it only if the conversation named it.
        said = " ".join(m.content for m in history if m.role == "user")
        named = [n for n in notices if any(a in search_text for a in n.region_aliases)
                 and any(a in said for a in n.region_aliases)]
        doc_ids = tuple(n.doc_id for n in named)
        names = tuple(dict.fromkeys(n.region for n in named))
    clauses = clause_numbers(question) or (clause_numbers(text) if follow_up else ())
    return Query(question=question, search_text=text, doc_ids=doc_ids, regions_named=names,
                 unknown_places=places, clause_numbers=clauses,
                 amounts=tuple(extract_amounts(normalised)), follow_up=follow_up)
