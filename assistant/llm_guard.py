"""Checks an LLM answer against the clauses it was given, before anyone sees it as final.

An answer passes when it cites at least one clause, every clause it cites was given to the model,
and every figure it states is, as a value, in a clause it cites (`assistant.numbers`).

Citations are read in two forms: the tag the model was asked for, 【衢州市·（十四）】 (also
【衢州·（十四）、（十五）】, 【《…》·第十四条】, several separated by ；), and a plain （十四） or
第十四条 written right after a region or notice name ("衢州市（十四）规定…"). A bare （一） with no
name before it is taken as list numbering, not as a citation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbers import unsupported_amounts
from .parsing import CN_NUMERAL, clause_label, clause_number
from .types import Notice, Unit

TAG = re.compile(r"【([^【】\n]{1,120})】")
LABEL = re.compile(rf"(?:[{CN_NUMERAL}]+、)?[（(](?:[{CN_NUMERAL}]+|\d{{1,3}}|前言|总述|结语)[）)]"
                   rf"|第(?:[{CN_NUMERAL}]+|\d{{1,3}})条")
PLACE = re.compile(r"[\u4e00-\u9fff]{1,8}?(?:省|市|区|县)")
SEGMENT_SPLIT = re.compile(r"[；;|]")
NAME_STRIP = "·・•.．:：,，、 \t《》"
LOOKBACK = 16  # characters before a plain （十四） searched for a notice name
SENTENCE_END = re.compile(r"[。！？!?；;：:\n]")


@dataclass(frozen=True)
class Source:
    """A unit as it was given to the model, with its notice's header line."""

    notice: Notice
    unit: Unit
    text: str  # the unit's text as given (possibly truncated to the budget)
    header: str = ""  # the notice's header as given (title, status, period)


@dataclass(frozen=True)
class Problem:
    zh: str  # told to the model when it is asked to try again
    en: str  # the fallback reason


@dataclass
class Verdict:
    cited: list[Source] = field(default_factory=list)  # in order of first citation
    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return not self.problems

    def feedback(self) -> str:
        """The retry request, in Chinese, naming each problem."""
        lines = "\n".join(f"- {p.zh}" for p in self.problems)
        return (f"你的回答未通过核验：\n{lines}\n请只依据给出的条款重新回答：每句标注出处"
                f"（如【衢州市·（十四）】），只引用给出的条款，数字和单位必须与所引条款原文一致。")

    def reason(self) -> str:
        return "LLM answer failed the check: " + "; ".join(p.en for p in self.problems)


def check(answer: str, sources: list[Source], *, status: str = "answered") -> Verdict:
    """The verdict on `answer`, written from `sources` (the units given to the model)."""
    verdict = Verdict()
    spans = _read_citations(answer, sources, verdict)
    if status == "answered" and not verdict.cited and not verdict.problems:
        verdict.add(Problem(
            "回答没有标注任何出处。", "it cites no clause"))
    if verdict.cited:
        texts = [s.text for s in verdict.cited] + sorted({s.header for s in verdict.cited if s.header})
        for amount in unsupported_amounts(_blank(answer, spans), texts):
            verdict.add(Problem(
                f"数字“{amount.text}”在所引条款中没有出现。",
                f"the figure {amount.text!r} is in none of the clauses it cites"))
        if not verdict.problems:
            _check_each_sentence(answer, sources, verdict)
    return verdict


def _check_each_sentence(answer: str, sources: list[Source], verdict: Verdict) -> None:
    """A sentence that carries its own citation must take its figures from that citation, so two
    regions' figures cannot be swapped between sentences (衢州 13800元【金东·（四十八）】…)."""
    for sentence in re.findall(r"[^。；！？\n]+[。；！？]?", answer):
        own = Verdict()
        spans = _read_citations(sentence, sources, own)
        if not own.cited:
            continue
        texts = [s.text for s in own.cited] + sorted({s.header for s in own.cited if s.header})
        for amount in unsupported_amounts(_blank(sentence, spans), texts):
            where = "、".join(f"{s.notice.region}·{s.unit.label}" for s in own.cited)
            verdict.add(Problem(
                f"数字“{amount.text}”不在本句所引的【{where}】中。",
                f"the figure {amount.text!r} is not in {where}, which its sentence cites"))


def _read_citations(answer: str, sources: list[Source], verdict: Verdict) -> list[tuple[int, int]]:
    """Fill verdict.cited / problems from the citations in `answer`; returns their spans."""
    notices = list({s.notice.doc_id: s.notice for s in sources}.values())
    spans: list[tuple[int, int]] = []
    for tag in TAG.finditer(answer):
        name = ""
        for segment in SEGMENT_SPLIT.split(tag.group(1)):
            labels = list(LABEL.finditer(segment))
            if not labels:
                continue
            name = segment[: labels[0].start()].strip(NAME_STRIP) or name
            for label in labels:
                _cite(name, label.group(0), notices, sources, verdict)
        spans.append(tag.span())
    outside = _blank(answer, spans)
    for label in LABEL.finditer(outside):
        name = _name_before(outside, label.start(), notices)
        if name:
            _cite(name, label.group(0), notices, sources, verdict)
            spans.append(label.span())
    return spans


def _cite(name: str, raw_label: str, notices: list[Notice], sources: list[Source],
          verdict: Verdict) -> None:
    label = normalise_label(raw_label)
    notice = resolve_notice(name, notices)
    where = f"{name or '（未写文件名）'}·{label}"
    if notice is None:
        if not name and len(notices) > 1:
            verdict.add(Problem(f"出处{label}没有写明是哪个文件。",
                                            f"the citation {label} names no notice"))
        else:
            verdict.add(Problem(f"引用的【{where}】不是给出的条款。",
                                            f"it cites {where}, a notice it was not given"))
        return
    match = next((s for s in sources if s.notice.doc_id == notice.doc_id
                  and (s.unit.label == label or s.unit.label.endswith(label))), None)
    if match is None:
        verdict.add(Problem(
            f"引用的【{notice.region}·{label}】不在给出的条款中。",
            f"it cites {notice.region} {label}, which was not retrieved and given to it"))
    elif match not in verdict.cited:
        verdict.cited.append(match)


def normalise_label(raw: str) -> str:
    """（十四） / (14) / 第十四条 → （十四）; 三、（总述） stays as it is."""
    raw = raw.replace("(", "（").replace(")", "）")
    inner = raw[1:-1] if raw.startswith("第") else raw[raw.index("（") + 1: -1]
    number = clause_number(inner) if inner.isdigit() or raw.startswith("第") else None
    return clause_label(number) if number else raw


def resolve_notice(name: str, notices: list[Notice]) -> Notice | None:
    """The notice `name` refers to (region, alias, title or issuer), longest match first."""
    name = name.strip(NAME_STRIP)
    if not name:
        return notices[0] if len(notices) == 1 else None
    best: tuple[int, Notice] | None = None
    for notice in notices:
        for key in (notice.region, notice.title, notice.issuer, *notice.region_aliases):
            if key and (key in name or name in key) and (best is None or len(key) > best[0]):
                best = (len(key), notice)
    return best[1] if best else None


def _name_before(text: str, start: int, notices: list[Notice]) -> str:
    """A notice name or place written just before position `start` in the same clause of text."""
    window = text[max(0, start - LOOKBACK): start]
    window = SENTENCE_END.split(window)[-1]
    keys = {k for n in notices for k in (n.region, n.title, n.issuer, *n.region_aliases) if k}
    found = [(window.rfind(k) + len(k), len(k), k) for k in keys if k in window]
    if found:
        return max(found)[2]
    places = list(PLACE.finditer(window))
    return places[-1].group(0) if places else ""


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the given spans replaced by spaces (offsets kept)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
