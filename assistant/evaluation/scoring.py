"""Scoring one answer against its case, and summing the results into metrics.

Figures are compared as values (`numbers.extract_amounts` + `contains_amount`), never as strings:
1.5万元 in an answer matches the fact 15000 元. Clause labels are compared as paths, one a prefix of
the other (`cases.label_path`): citing 第六条第（一）项 satisfies gold 第六条 and the reverse.

Each check that applies to a case (evals/README.md, "What is measured") is a field of `CaseResult`;
a failed check makes the case fail and counts against answer accuracy.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field, replace

from ..numbers import UNITS, contains_amount, extract_amounts, format_amount, unsupported_amounts
from ..types import Amount, Answer, Citation, Notice, Unit
from .cases import Case, label_path, paths_match

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


# A phone or hotline number (拨打12345, 12345热线, 电话0570-1234567) is not a figure the answer states.
_PHONE = re.compile(r"(?<=拨打|致电|电话|热线)[：:\s]*\d[\d\-]{4,}|\d[\d\-]{4,}(?=\s*(?:热线|便民|政务服务|服务热线|电话))")


def without_phone_numbers(text: str) -> str:
    """The text with hotline and phone numbers blanked, so that the figure checks skip them."""
    return _PHONE.sub(lambda m: " " * len(m.group(0)), text)


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
        self.notices = notices  # for the version checks (Notice.series, Notice.version)
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


def _path(label: str) -> tuple[str, ...]:
    return label_path(label) or (label,)


def citation_path(c: Citation) -> tuple[str, ...]:
    """Where a citation points, as a label path: its path (第六条第（一）项) when it has one, else its clause."""
    clause = _path(c.clause)
    if not c.path:
        return clause
    path = _path(c.path)
    return path if paths_match(clause, path) else clause + path  # a path written relative to its clause


def cited(gold: tuple[str, str], cited_paths: list[tuple[str, tuple[str, ...]]]) -> bool:
    """A gold (doc_id, label) is cited when a citation of that notice matches it as a path prefix."""
    doc_id, path = gold[0], _path(gold[1])
    return any(d == doc_id and paths_match(path, p) for d, p in cited_paths)


def gold_hit(gold, labels: list[tuple[str, str]], k: int) -> bool:
    """Every gold clause is among the top k hits; with more gold clauses than k, among the top len(gold)."""
    top = [(d, _path(label)) for d, label in labels[:max(k, len(gold))]]
    return all(cited(g, top) for g in gold)


NEGATIONS = "不没未非无"


def mentions(text: str, phrase: str) -> bool:
    """Whether text says the phrase: an occurrence right after a negation (不是的, 不正确) does not count."""
    return any(m.start() == 0 or text[m.start() - 1] not in NEGATIONS
               for m in re.finditer(re.escape(phrase), text))


def _versions_by_series(citations: list[Citation], notices: dict[str, Notice]) -> dict[str, set[str]]:
    series: dict[str, set[str]] = {}
    for c in citations:
        n = notices.get(c.doc_id)
        if n and n.series:
            series.setdefault(n.series, set()).add(n.version or n.doc_id)
    return series


def version_problems(case: Case, citations: list[Citation], text: str, notices: dict[str, Notice]) -> list[str]:
    """Versions mixed or wrong: an answer citing two versions of one series must name each version in
    its text; a case with `version` set must cite no other version of that series."""
    out = []
    for name, versions in _versions_by_series(citations, notices).items():
        unnamed = sorted(v for v in versions if v not in text)
        if len(versions) > 1 and unnamed:
            out.append(f"cites {len(versions)} versions of {name} without naming {'、'.join(unnamed)}")
    if case.version:
        wanted = {n.series for n in notices.values() if n.series and n.version == case.version}
        wrong = sorted({notices[c.doc_id].version or c.doc_id for c in citations if c.doc_id in notices
                        and notices[c.doc_id].series in wanted and notices[c.doc_id].version != case.version})
        if wrong:
            out.append(f"asked for {case.version}, cites {'、'.join(wrong)}")
    return out


@dataclass
class CaseResult:
    """How one case went; a check or metric is None where it does not apply to the case."""

    case: Case
    status: str
    answer: str
    citations: list[tuple[str, str]]  # (doc_id, where: path or clause)
    hits: list[tuple[str, str]] = field(default_factory=list)
    latency_ms: float = 0.0
    error: str = ""
    fallback: str = ""  # why an LLM answer was replaced by the extractive one
    answer_ok: bool = False  # right status, every expected figure, and no failed check below
    citation_ok: bool | None = None
    not_found_ok: bool | None = None
    clarify_ok: bool | None = None
    false_not_found: bool | None = None
    must_mention_ok: bool | None = None
    notices_ok: bool | None = None  # every notice of the gold citations is cited
    departments_ok: bool | None = None  # every expected department is named
    mention_any_ok: bool | None = None  # one of must_mention_any is said (a next step …)
    forbidden_ok: bool | None = None  # no forbidden figure is stated
    not_mention_ok: bool | None = None  # none of must_not_mention is said
    version_ok: bool | None = None  # versions named and the asked version kept
    missing: list[str] = field(default_factory=list)  # expected figures not in the answer
    missing_citations: list[tuple[str, str]] = field(default_factory=list)
    missing_notices: list[str] = field(default_factory=list)
    missing_departments: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)  # forbidden figures the answer states
    said: list[str] = field(default_factory=list)  # must_not_mention strings the answer says
    version_issues: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # figures in no cited clause
    wrong_region: list[str] = field(default_factory=list)  # figures of another region's notice
    hit1: bool | None = None
    hit3: bool | None = None
    ctx_hit1: bool | None = None
    ctx_hit3: bool | None = None

    @property
    def wrong_figure(self) -> bool:
        """A figure that is not the case's: in no cited clause, another region's, or a forbidden one."""
        return bool(self.unsupported or self.wrong_region or self.forbidden)

    @property
    def checks_ok(self) -> bool:
        """No check that applies to the case failed (None = does not apply)."""
        return all(v is not False for v in (self.must_mention_ok, self.notices_ok, self.departments_ok,
                                             self.mention_any_ok, self.forbidden_ok, self.not_mention_ok,
                                             self.version_ok))

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
        if self.clarify_ok is False:
            out.append("missed clarify")
        if self.missing and self.status == "answered":
            out.append("missing figure")
        if self.status != self.case.expected_status and not out:
            out.append("wrong status")
        if self.citation_ok is False and (self.status != "not_found" or self.case.expected_status == "not_found"):
            out.append("missing citation")  # a not_found answer is not asked to cite, unless the case says so
        if self.notices_ok is False:
            out.append("notice not cited")
        if self.unsupported:
            out.append("figure not in cited clause")
        if self.wrong_region:
            out.append("wrong-region figure")
        if self.forbidden:
            out.append("forbidden figure")
        if self.must_mention_ok is False:
            out.append("must_mention")
        if self.departments_ok is False:
            out.append("department not named")
        if self.mention_any_ok is False:
            out.append("none of must_mention_any")
        if self.not_mention_ok is False:
            out.append("must_not_mention said")
        if self.version_ok is False:
            out.append("version")
        if not self.answer_ok and not out:
            out.append("wrong answer")
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
    text = answer.answer
    paths = [(c.doc_id, citation_path(c)) for c in answer.citations]
    r = CaseResult(case=case, status=answer.status, answer=text,
                   citations=[(c.doc_id, c.where) for c in answer.citations],
                   hits=[(h.unit.doc_id, h.unit.label) for h in answer.hits], latency_ms=latency_ms,
                   fallback=answer.fallback or "")
    missing = missing_facts(case.facts, text)
    r.missing = [format_amount(f, with_bound=True) for f in missing]
    if case.gold:
        r.missing_citations = [g for g in case.gold if not cited(g, paths)]
        r.citation_ok = not r.missing_citations
        r.missing_notices = [d for d in case.gold_notices if d not in {c.doc_id for c in answer.citations}]
        r.notices_ok = not r.missing_notices
        r.hit1, r.hit3 = gold_hit(case.gold, r.hits, 1), gold_hit(case.gold, r.hits, 3)
    if case.expected_status == "not_found":
        r.not_found_ok = answer.status == "not_found"
    elif case.expected_status == "clarify":
        r.clarify_ok = answer.status == "clarify"
    else:
        r.false_not_found = answer.status == "not_found"
    if case.must_mention:
        r.must_mention_ok = all(m in text for m in case.must_mention)
    if case.expected_departments:
        r.missing_departments = [d for d in case.expected_departments if d not in text]
        r.departments_ok = not r.missing_departments
    if case.must_mention_any:
        r.mention_any_ok = any(mentions(text, m) for m in case.must_mention_any)
    if case.forbidden_facts:
        amounts = extract_amounts(text)
        r.forbidden = [format_amount(f, with_bound=True) for f in case.forbidden_facts
                       if fact_present(f, text, amounts)]
        r.forbidden_ok = not r.forbidden
    if case.must_not_mention:
        r.said = [m for m in case.must_not_mention if mentions(text, m)]
        r.not_mention_ok = not r.said
    r.version_issues = version_problems(case, answer.citations, text, regions.notices)
    mixed = any(len(v) > 1 for v in _versions_by_series(answer.citations, regions.notices).values())
    if case.version or mixed:
        r.version_ok = not r.version_issues
    sources = [c.text for c in answer.citations] + [f"{c.doc_title}{c.clause}" for c in answer.citations]
    # a figure about the library itself, counted here from the notices: "…等9个地区"
    sources.append(f"{len({n.region for n in regions.notices.values()})}个地区")
    figures_text = without_phone_numbers(text)
    r.unsupported = [format_amount(a) for a in unsupported_amounts(figures_text, sources)]
    r.wrong_region = [format_amount(a) for a in regions.wrong_region(figures_text, case.region)]
    r.answer_ok = answer.status == case.expected_status and not missing and r.checks_ok
    r.ctx_hit1, r.ctx_hit3 = context_hits(case.facts, [h.unit.text for h in answer.hits])
    return r


def failed_result(case: Case, error: str) -> CaseResult:
    """A case whose question raised: it fails every metric that applies to it."""
    r = CaseResult(case=case, status="error", answer="", citations=[], error=error)
    if case.gold:
        r.citation_ok, r.hit1, r.hit3, r.missing_citations = False, False, False, list(case.gold)
        r.notices_ok, r.missing_notices = False, list(case.gold_notices)
    if case.expected_status == "not_found":
        r.not_found_ok = False
    elif case.expected_status == "clarify":
        r.clarify_ok = False
    else:
        r.false_not_found = False
    for name, applies in (("must_mention_ok", case.must_mention), ("departments_ok", case.expected_departments),
                          ("mention_any_ok", case.must_mention_any), ("version_ok", case.version)):
        if applies:
            setattr(r, name, False)
    # an empty answer states no forbidden figure and no forbidden word
    r.forbidden_ok = True if case.forbidden_facts else None
    r.not_mention_ok = True if case.must_not_mention else None
    if case.facts:
        r.ctx_hit1 = r.ctx_hit3 = False
    return r


# ----------------------------------------------------------------------------------- metrics --

METRICS = ("answer_accuracy", "citation_accuracy", "notices_cited", "not_found_accuracy", "clarify_accuracy",
           "false_not_found_rate", "wrong_figure_rate", "must_mention", "departments_named", "must_mention_any",
           "no_forbidden_figure", "must_not_mention", "version_ok", "hit@1", "hit@3", "context_hit@1",
           "context_hit@3")


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
        "notices_cited": rate(r.notices_ok for r in results),
        "not_found_accuracy": rate(r.not_found_ok for r in results),
        "clarify_accuracy": rate(r.clarify_ok for r in results),
        "false_not_found_rate": rate(r.false_not_found for r in results),
        "wrong_figure_rate": rate(r.wrong_figure for r in results),
        "must_mention": rate(r.must_mention_ok for r in results),
        "departments_named": rate(r.departments_ok for r in results),
        "must_mention_any": rate(r.mention_any_ok for r in results),
        "no_forbidden_figure": rate(r.forbidden_ok for r in results),
        "must_not_mention": rate(r.not_mention_ok for r in results),
        "version_ok": rate(r.version_ok for r in results),
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
        if name not in summary:
            failures.append(f"{key}: no such metric; use one of {', '.join(METRICS)} (add _max for a ceiling)")
            continue
        value = summary[name].get("value") if isinstance(summary[name], dict) else summary[name]
        if value is None:
            continue
        if (value > limit) if ceiling else (value < limit):
            failures.append(f"{name} = {value} is {'above' if ceiling else 'below'} the threshold {limit}")
    return failures
