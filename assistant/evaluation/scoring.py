"""Scoring one answer against its case, and summing the results into metrics.

Figures are compared as values (`numbers.extract_amounts` + `contains_amount`), never as strings:
1.5万元 in an answer matches the fact 15000 元.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field, replace

from ..numbers import UNITS, contains_amount, extract_amounts, format_amount, unsupported_amounts
from ..types import Amount, Answer, Notice, Unit
from .cases import Case

# Page markers (—3—) on their own line, and whitespace other than between two ASCII letters.
_PAGE_MARKER = re.compile(r"\n[ \t]*[—–\-－][ \t]*\d{1,3}[ \t]*[—–\-－][ \t]*(?=\n)")
_SPACE = re.compile(r"(?<=(.))\s+(?=(.))|^\s+|\s+$", re.S)


def normalize_text(text: str) -> str:
    """Undo PDF line breaks before reading figures: "15.48\\n\\n亿元" -> "15.48亿元"; page markers dropped.

    Whitespace is removed everywhere except between two ASCII letters ("ETC 卡" -> "ETC卡").
    """
    text = _PAGE_MARKER.sub("", "\n" + text)

    def repl(m: re.Match) -> str:
        a, b = m.group(1), m.group(2)
        return " " if a and b and a.isascii() and a.isalpha() and b.isascii() and b.isalpha() else ""

    return _SPACE.sub(repl, text)


def _per_parts(per: str) -> set[str]:
    return {p for p in re.split(r"[/·]", per) if p}


def _per_compatible(a: str, b: str) -> bool:
    """1000元/家 states 1000元/家·年 partly: per-units agree when one's parts include the other's."""
    pa, pb = _per_parts(a), _per_parts(b)
    return not pa or not pb or pa <= pb or pb <= pa


def base_unit(unit: str) -> str:
    """The base unit a compound unit starts with: 吨标准煤 -> 吨 (as extract_amounts reads 2万吨标准煤)."""
    if not unit or unit in UNITS:
        return UNITS.get(unit, unit)
    prefix = max((u for u in UNITS if unit.startswith(u)), key=len, default="")
    return UNITS[prefix] if prefix else unit


def fact_present(fact: Amount, text: str, amounts: list[Amount] | None = None) -> bool:
    """Whether text states the fact's figure: by value (numbers.contains_amount), else as written.

    The written form catches what extract_amounts deliberately skips: 2025年 (read as a date) and
    500吨级 (read as a label) still state the facts 2025 年 and 500 吨.
    """
    amounts = extract_amounts(text) if amounts is None else amounts
    bare = replace(fact, per="", unit=base_unit(fact.unit))
    if any(_per_compatible(fact.per, h.per) and contains_amount(bare, [h]) for h in amounts):
        return True
    written = format_amount(fact)  # 2025年 in a title's （2025年版） does not count
    return re.search(rf"(?<![\d.]){re.escape(written)}(?!版)", normalize_text(text)) is not None


def missing_facts(facts, text: str) -> list[Amount]:
    amounts = extract_amounts(text)
    return [f for f in facts if not fact_present(f, text, amounts)]


class RegionFigures:
    """The figures of each region's notices, to tell a figure borrowed from another region."""

    def __init__(self, units: list[Unit], notices: dict[str, Notice]):
        self.text_by_region: dict[str, list[str]] = {}
        for u in units:
            self.text_by_region.setdefault(notices[u.doc_id].region, []).append(u.text)
        self.amounts_by_region = {r: [a for t in texts for a in extract_amounts(t)]
                                  for r, texts in self.text_by_region.items()}

    def wrong_region(self, answer_text: str, region: str) -> list[Amount]:
        """Figures of the answer absent from the region's notices but stated in another region's."""
        if region not in self.text_by_region:  # both, or no region: any notice is fair
            return []
        foreign = [a for r, amounts in self.amounts_by_region.items() if r != region for a in amounts]
        return [a for a in unsupported_amounts(answer_text, self.text_by_region[region])
                if contains_amount(a, foreign)]


def gold_hit(gold, labels: list[tuple[str, str]], k: int) -> bool:
    """Every gold clause is among the top k hits; with more gold clauses than k, among the top len(gold)."""
    top = labels[:max(k, len(gold))]
    return all(g in top for g in gold)


@dataclass
class CaseResult:
    """How one case went; a metric is None where it does not apply to the case."""

    case: Case
    status: str
    answer: str
    citations: list[tuple[str, str]]
    hits: list[tuple[str, str]] = field(default_factory=list)
    latency_ms: float = 0.0
    error: str = ""
    fallback: str = ""  # why an LLM answer was replaced by the extractive one
    answer_ok: bool = False
    citation_ok: bool | None = None
    not_found_ok: bool | None = None
    false_not_found: bool | None = None
    must_mention_ok: bool | None = None
    missing: list[str] = field(default_factory=list)  # expected figures not in the answer
    missing_citations: list[tuple[str, str]] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # figures in no cited clause
    wrong_region: list[str] = field(default_factory=list)  # figures of another region's notice
    hit1: bool | None = None
    hit3: bool | None = None
    ctx_hit1: bool | None = None
    ctx_hit3: bool | None = None

    @property
    def wrong_figure(self) -> bool:
        return bool(self.unsupported or self.wrong_region)

    @property
    def problems(self) -> list[str]:
        """Failure categories, empty for a passing case (retrieval misses alone are not failures)."""
        out = []
        if self.error:
            out.append("error")
        if self.false_not_found:
            out.append("false not_found")
        if self.not_found_ok is False:
            out.append("missed not_found")
        if self.missing and self.status == "answered":
            out.append("missing figure")
        if not self.answer_ok and not out:
            out.append("wrong status")
        if self.citation_ok is False and self.status != "not_found":
            out.append("missing citation")
        if self.unsupported:
            out.append("figure not in cited clause")
        if self.wrong_region:
            out.append("wrong-region figure")
        if self.must_mention_ok is False:
            out.append("must_mention")
        return out

    @property
    def failed(self) -> bool:
        return bool(self.problems)


def context_hits(facts, texts: list[str]) -> tuple[bool | None, bool | None]:
    """Do the top-1 / top-3 texts (normalised) state every expected figure? None without facts."""
    if not facts:
        return None, None
    return (not missing_facts(facts, normalize_text("\n".join(texts[:1]))),
            not missing_facts(facts, normalize_text("\n".join(texts[:3]))))


def score(case: Case, answer: Answer, regions: RegionFigures, latency_ms: float = 0.0) -> CaseResult:
    """Score one answer (the reply to the case's last turn)."""
    cited = [(c.doc_id, c.clause) for c in answer.citations]
    r = CaseResult(case=case, status=answer.status, answer=answer.answer, citations=cited,
                   hits=[(h.unit.doc_id, h.unit.label) for h in answer.hits], latency_ms=latency_ms,
                   fallback=answer.fallback or "")
    expect_nf = case.expected_status == "not_found"
    missing = missing_facts(case.facts, answer.answer)
    r.missing = [format_amount(f, with_bound=True) for f in missing]
    r.answer_ok = answer.status == case.expected_status and not missing
    if case.gold:
        r.missing_citations = [g for g in case.gold if g not in cited]
        r.citation_ok = not r.missing_citations
        r.hit1, r.hit3 = gold_hit(case.gold, r.hits, 1), gold_hit(case.gold, r.hits, 3)
    if expect_nf:
        r.not_found_ok = answer.status == "not_found"
    else:
        r.false_not_found = answer.status == "not_found"
    if case.must_mention:
        r.must_mention_ok = all(m in answer.answer for m in case.must_mention)
    sources = [c.text for c in answer.citations] + [f"{c.doc_title}{c.clause}" for c in answer.citations]
    r.unsupported = [format_amount(a) for a in unsupported_amounts(answer.answer, sources)]
    r.wrong_region = [format_amount(a) for a in regions.wrong_region(answer.answer, case.region)]
    r.ctx_hit1, r.ctx_hit3 = context_hits(case.facts, [h.unit.text for h in answer.hits])
    return r


def failed_result(case: Case, error: str) -> CaseResult:
    """A case whose question raised: it fails every metric that applies to it."""
    r = CaseResult(case=case, status="error", answer="", citations=[], error=error)
    if case.gold:
        r.citation_ok, r.hit1, r.hit3, r.missing_citations = False, False, False, list(case.gold)
    if case.expected_status == "not_found":
        r.not_found_ok = False
    else:
        r.false_not_found = False
    if case.must_mention:
        r.must_mention_ok = False
    if case.facts:
        r.ctx_hit1 = r.ctx_hit3 = False
    return r


# ----------------------------------------------------------------------------------- metrics --

METRICS = ("answer_accuracy", "citation_accuracy", "not_found_accuracy", "false_not_found_rate",
           "wrong_figure_rate", "must_mention", "hit@1", "hit@3", "context_hit@1", "context_hit@3")


def rate(values) -> dict:
    values = [bool(v) for v in values if v is not None]
    return {"value": round(sum(values) / len(values), 4) if values else None, "n": len(values)}


def _percentile(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))], 1)


def summarize(results: list[CaseResult]) -> dict:
    """Each metric as {"value", "n"} (n: the cases it applies to), plus counts and latency."""
    out = {
        "answer_accuracy": rate(r.answer_ok for r in results),
        "citation_accuracy": rate(r.citation_ok for r in results),
        "not_found_accuracy": rate(r.not_found_ok for r in results),
        "false_not_found_rate": rate(r.false_not_found for r in results),
        "wrong_figure_rate": rate(r.wrong_figure for r in results),
        "must_mention": rate(r.must_mention_ok for r in results),
        "hit@1": rate(r.hit1 for r in results),
        "hit@3": rate(r.hit3 for r in results),
        "context_hit@1": rate(r.ctx_hit1 for r in results),
        "context_hit@3": rate(r.ctx_hit3 for r in results),
    }
    latencies = [r.latency_ms for r in results if not r.error]
    out["false_not_found"] = sum(1 for r in results if r.false_not_found)
    out["failed"] = sum(1 for r in results if r.failed)
    out["fallbacks"] = sum(1 for r in results if r.fallback)
    out["cases"] = len(results)
    out["latency_p50_ms"] = _percentile(latencies, 0.5)
    out["latency_p95_ms"] = _percentile(latencies, 0.95)
    out["mean_latency_ms"] = round(statistics.fmean(latencies), 1) if latencies else None
    return out


def by_kind(results: list[CaseResult]) -> dict[str, dict]:
    kinds = dict.fromkeys(r.case.kind for r in results)
    return {k: summarize([r for r in results if r.case.kind == k]) for k in kinds}


def check_thresholds(summary: dict, thresholds: dict) -> list[str]:
    """The thresholds a summary misses, as messages; `<metric>` is a floor, `<metric>_max` a ceiling."""
    failures = []
    for key, limit in thresholds.items():
        if key.startswith("_"):
            continue
        name, ceiling = (key[:-4], True) if key.endswith("_max") else (key, False)
        value = summary.get(name, {}).get("value") if isinstance(summary.get(name), dict) else summary.get(name)
        if value is None:
            continue
        if (value > limit) if ceiling else (value < limit):
            failures.append(f"{name} = {value} is {'above' if ceiling else 'below'} the threshold {limit}")
    return failures
