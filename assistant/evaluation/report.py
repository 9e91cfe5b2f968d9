"""What a run prints and leaves behind: the table, report.md with every failing case, a chart
comparing the run with the previous one and with the baseline, and each run's summary as JSON."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..numbers import format_amount
from ..settings import PROJECT_ROOT
from .scoring import METRICS, CaseResult

DEFAULT_REPORT_DIR = PROJECT_ROOT / "reports" / "eval"
LABELS = {
    "answer_accuracy": "answer accuracy", "citation_accuracy": "citation accuracy",
    "notices_cited": "all expected notices cited",
    "not_found_accuracy": "not_found accuracy", "clarify_accuracy": "clarify accuracy",
    "false_not_found_rate": "false not_found (answerable)",
    "wrong_figure_rate": "wrong-figure rate", "must_mention": "must_mention compliance",
    "departments_named": "department named", "must_mention_any": "one of must_mention_any (next step …)",
    "no_forbidden_figure": "no forbidden figure", "must_not_mention": "premise not confirmed (must_not_mention)",
    "version_ok": "versions labelled / kept",
    "hit@1": "gold clause hit@1", "hit@3": "gold clause hit@3",
    "context_hit@1": "context hit@1 (figures)", "context_hit@3": "context hit@3 (figures)",
}
NORMALISATION_NOTE = (
    "Context hit: the top-1 / top-3 retrieved texts (policyqa: clause units; baseline: raw chunks) must "
    "state every expected figure, compared by value (numbers.extract_amounts + contains_amount). Before "
    "extraction both are normalised for PDF line breaks: page-marker lines (—3—) are dropped and all "
    "whitespace is removed except between two ASCII letters, so `15.48\\n\\n亿元` reads as 15.48亿元. "
    "Only cases with expected facts count.")


def _fmt(m: dict | None) -> str:
    if not m or m.get("value") is None:
        return "–"
    return f"{m['value']:.3f} ({m['n']})"


def _rows(summary: dict, baseline: dict | None) -> list[list[str]]:
    base = baseline or {}
    rows = []
    for key in METRICS:
        row = [LABELS[key], _fmt(summary[key]), _fmt(base.get("dense", {}).get(key)),
               _fmt(base.get("hybrid", {}).get(key))]
        if any(cell != "–" for cell in row[1:]):  # a metric that applies to no case of the set is left out
            rows.append(row)
    rows.append(["false not_found (count)", str(summary["false_not_found"]), "–", "–"])
    rows.append(["failing cases", f"{summary['failed']} / {summary['cases']}", "–", "–"])
    if summary.get("fallbacks"):
        rows.append(["answers replaced by the fallback", str(summary["fallbacks"]), "–", "–"])
    rows.append(["latency p50 / p95 (ms)", f"{summary['latency_p50_ms']} / {summary['latency_p95_ms']}", "–", "–"])
    return rows


KIND_COLUMNS = ("answer_accuracy", "citation_accuracy", "notices_cited", "not_found_accuracy", "clarify_accuracy",
                "wrong_figure_rate", "must_mention", "departments_named", "must_mention_any", "no_forbidden_figure",
                "must_not_mention", "version_ok", "hit@1", "hit@3", "context_hit@1", "context_hit@3")
KIND_HEADERS = ["kind", "n", "answer", "citation", "notices", "not_found", "clarify", "wrong fig", "must_mention",
                "dept", "any (next step)", "no forbidden", "not confirmed", "version", "hit@1", "hit@3", "ctx@1",
                "ctx@3", "base ctx@1", "base ctx@3", "hybrid ctx@1", "hybrid ctx@3", "p50 ms"]


def _kind_table(run) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the by-kind table; a column that applies to no case is left out."""
    def v(m):
        return "–" if not m or m.get("value") is None else f"{m['value']:.2f}"

    base = (run.baseline or {}).get("by_kind", {})
    rows = []
    for kind, s in [("all", run.summary), *run.by_kind.items()]:
        b = run.baseline if kind == "all" else base.get(kind, {})
        b = b or {}
        rows.append([kind, str(s["cases"]), *[v(s[c]) for c in KIND_COLUMNS],
                     v(b.get("dense", {}).get("context_hit@1")), v(b.get("dense", {}).get("context_hit@3")),
                     v(b.get("hybrid", {}).get("context_hit@1")), v(b.get("hybrid", {}).get("context_hit@3")),
                     str(s["latency_p50_ms"])])
    keep = [i for i in range(len(KIND_HEADERS)) if i < 2 or any(row[i] != "–" for row in rows)]
    return [KIND_HEADERS[i] for i in keep], [[row[i] for i in keep] for row in rows]


def _text_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(x) for x in col) for col in zip(headers, *rows)]

    def line(cells):
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])


SUMMARY_HEADERS = ["metric", "policyqa", "baseline (dense)", "baseline (BM25 hybrid)"]


def format_table(run) -> str:
    """The table `policyqa eval` prints: overall (policyqa vs baseline), then by kind."""
    head = f"policyqa eval: {run.summary['cases']} cases from {run.set_path}, mode {run.mode}, date {run.today}"
    if run.seconds:
        head += "\nwall time (s): " + ", ".join(f"{k} {v}" for k, v in run.seconds.items())
    cats = [f"  {name}: {len(ids)} ({', '.join(ids[:6])}{', …' if len(ids) > 6 else ''})"
            for name, ids in categories(run.results).items()]
    return "\n\n".join([head, _text_table(SUMMARY_HEADERS, _rows(run.summary, run.baseline)),
                        "By kind (value; n in the overall table):",
                        _text_table(*_kind_table(run)),
                        "Failure categories (a case can be in several):\n" + ("\n".join(cats) or "  none")])


def categories(results: list[CaseResult]) -> dict[str, list[str]]:
    """Failure category -> ids of the cases in it, most frequent first."""
    ids: dict[str, list[str]] = {}
    for r in results:
        for p in r.problems:
            ids.setdefault(p, []).append(r.case.id)
    return dict(sorted(ids.items(), key=lambda kv: -len(kv[1])))


def changes(results: list[CaseResult], previous: dict | None) -> list[str]:
    """Cases that fail now but passed in the previous run, and the reverse."""
    if not previous or "failing" not in previous:
        return []
    before = set(previous["failing"])
    now = {r.case.id for r in results if r.failed}
    known = set(previous.get("per_case", {})) or {r.case.id for r in results}
    newly = sorted((now - before) & known)
    fixed = sorted(before - now)
    return [f"- newly failing ({len(newly)}): {', '.join(newly) or '–'}",
            f"- fixed ({len(fixed)}): {', '.join(fixed) or '–'}"]


def _case_md(r: CaseResult) -> str:
    c = r.case
    facts = "、".join(format_amount(f, with_bound=True) for f in c.facts) or "（none）"
    gold = "、".join(f"{d}{cl}" for d, cl in c.gold) or "（none）"
    lines = [f"### {c.id} ({c.kind}) — {', '.join(r.problems)}", ""]
    for i, turn in enumerate(c.turns, 1):
        lines.append(f"- turn {i}: {turn}" if len(c.turns) > 1 else f"- question: {turn}")
    lines += [f"- expected: {c.expected_status}; figures {facts}; citations {gold}"
              + (f"; must mention {'、'.join(c.must_mention)}" if c.must_mention else "")
              + (f"; one of {' / '.join(c.must_mention_any)}" if c.must_mention_any else "")
              + (f"; departments {'、'.join(c.expected_departments)}" if c.expected_departments else "")
              + (f"; not {'、'.join(format_amount(f, with_bound=True) for f in c.forbidden_facts)}"
                 if c.forbidden_facts else "")
              + (f"; never say {' / '.join(c.must_not_mention)}" if c.must_not_mention else "")
              + (f"; version {c.version}" if c.version else ""),
              f"- notes: {c.notes}" if c.notes else "",
              f"- got: {r.status}; citations {'、'.join(d + cl for d, cl in r.citations) or '（none）'}; "
              f"top-3 hits {'、'.join(d + cl for d, cl in r.hits[:3]) or '（none）'}"]
    if r.missing:
        lines.append(f"- missing figures: {'、'.join(r.missing)}")
    if r.missing_citations:
        lines.append(f"- missing citations: {'、'.join(d + cl for d, cl in r.missing_citations)}")
    if r.missing_notices:
        lines.append(f"- notices not cited: {'、'.join(r.missing_notices)}")
    if r.missing_departments:
        lines.append(f"- departments not named: {'、'.join(r.missing_departments)}")
    if r.mention_any_ok is False:
        lines.append(f"- says none of: {' / '.join(c.must_mention_any)}")
    if r.forbidden:
        lines.append(f"- forbidden figures stated: {'、'.join(r.forbidden)}")
    if r.said:
        lines.append(f"- says: {' / '.join(r.said)}")
    if r.version_issues:
        lines.append(f"- versions: {'; '.join(r.version_issues)}")
    if r.unsupported:
        lines.append(f"- figures in no cited clause: {'、'.join(r.unsupported)}")
    if r.wrong_region:
        lines.append(f"- figures from another region's notice: {'、'.join(r.wrong_region)}")
    if r.error:
        lines.append(f"- error: {r.error}")
    if r.fallback:
        lines.append(f"- fallback: {r.fallback}")
    quoted = "\n".join("> " + ln for ln in (r.answer or "（empty）").splitlines())
    return "\n".join([ln for ln in lines if ln] + ["", quoted, ""])


def markdown(run, chart_name: str | None, previous: dict | None) -> str:
    failing = [r for r in run.results if r.failed]
    cats = categories(run.results)
    parts = [f"# policyqa eval report — {run.timestamp}", "",
             f"{run.summary['cases']} cases from `{run.set_path}`, mode `{run.mode}`, evaluation date {run.today}.",
             "", _md_table(SUMMARY_HEADERS, _rows(run.summary, run.baseline)), "",
             _md_table(*_kind_table(run)), "", NORMALISATION_NOTE, ""]
    if run.baseline:
        parts += [run.baseline["description"], ""]
    if previous:
        parts += [f"Previous run: {previous.get('timestamp')} (answer accuracy "
                  f"{_fmt(previous['overall'].get('answer_accuracy'))})." , ""]
    if chart_name:
        parts += [f"![this run vs previous and baseline]({chart_name})", ""]
    parts += ["## Failure categories", "", "A case can be in several categories.", ""]
    parts += [f"- {name}: {len(ids)} — {', '.join(ids)}" for name, ids in cats.items()] or ["- none"]
    if previous:
        parts += ["", f"## Changes since the previous run ({previous.get('timestamp')})", ""]
        parts += changes(run.results, previous)
    parts += ["", f"## Failing cases ({len(failing)})", ""]
    parts += [_case_md(r) for r in failing]
    return "\n".join(parts)


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if "Noto Sans CJK" in f.name:
            return f.name
    return None


CHART_LABELS = {"answer_accuracy": "answer", "citation_accuracy": "citation", "notices_cited": "notices",
                "not_found_accuracy": "not_found", "clarify_accuracy": "clarify", "must_mention": "must_mention",
                "departments_named": "dept", "must_mention_any": "next step", "no_forbidden_figure": "no forbidden",
                "must_not_mention": "not confirmed", "version_ok": "version", "hit@1": "hit@1", "hit@3": "hit@3"}


def chart(run, previous: dict | None, path: Path) -> None:
    """Bars: this run vs the previous run (left); context hit, policyqa vs baseline (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _cjk_font()
    if font:
        plt.rcParams["font.family"] = [font]
    metrics = [k for k in CHART_LABELS if (run.summary.get(k) or {}).get("value") is not None]

    def values(overall: dict, keys) -> list[float]:
        return [(overall.get(k) or {}).get("value") or 0.0 for k in keys]

    def quality(overall: dict) -> list[float]:
        return values(overall, metrics) + [1 - values(overall, ["wrong_figure_rate"])[0]]

    fig, (left, right) = plt.subplots(1, 2, figsize=(6 + len(metrics), 4.8),
                                      gridspec_kw={"width_ratios": [len(metrics) + 1, 3]})
    names = [CHART_LABELS[k] for k in metrics] + ["no wrong fig"]
    series = [("this run", quality(run.summary))]
    if previous:
        series.append((f"previous ({previous.get('timestamp', '?')})", quality(previous["overall"])))
    _bars(left, names, series)
    left.set_title("policyqa 本次 vs 上次" if font else "policyqa: this run vs previous")
    ctx = ["context_hit@1", "context_hit@3"]
    series = [("policyqa", values(run.summary, ctx))]
    if previous:
        series.append(("policyqa previous", values(previous["overall"], ctx)))
    if run.baseline:
        series += [("baseline dense", values(run.baseline["dense"], ctx)),
                   ("baseline hybrid", values(run.baseline["hybrid"], ctx))]
    _bars(right, ["ctx hit@1", "ctx hit@3"], series)
    right.set_title("上下文命中 vs 基线" if font else "context hit vs baseline")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bars(ax, names: list[str], series: list[tuple[str, list[float]]]) -> None:
    width = 0.8 / len(series)
    for i, (label, vals) in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(names))]
        bars = ax.bar(xs, vals, width, label=label)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in vals], fontsize=7)
    ax.set_xticks(range(len(names)), names, fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=7, loc="lower left")


def write_report(run, report_dir: Path) -> dict[str, Path]:
    """report.md, chart.png, history/<timestamp>.json and last.json (read first: the previous run)."""
    report_dir = Path(report_dir)
    (report_dir / "history").mkdir(parents=True, exist_ok=True)
    last = report_dir / "last.json"
    previous = json.loads(last.read_text(encoding="utf-8")) if last.exists() else None
    data = json.dumps(run.to_json(), ensure_ascii=False, indent=2)
    (report_dir / "history" / f"{run.timestamp}.json").write_text(data, encoding="utf-8")
    last.write_text(data, encoding="utf-8")
    chart(run, previous, report_dir / "chart.png")
    (report_dir / "report.md").write_text(markdown(run, "chart.png", previous), encoding="utf-8")
    return {"report": report_dir / "report.md", "chart": report_dir / "chart.png", "summary": last}


def timestamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")
