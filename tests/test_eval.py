"""The eval scores what it claims to: wrong answers fail, right ones pass, on the real corpus.

The scorer's inputs (Answer objects) are built here from real corpus units; the end-to-end test runs
`run_eval` on five real cases through the real Assistant.
"""
from __future__ import annotations

import json

import pytest

from assistant.evaluation import EvalRun, check_thresholds, run_eval
from assistant.evaluation.baseline import ChunkBaseline, score_baseline
from assistant.evaluation.cases import CaseError, load_cases
from assistant.evaluation.report import format_table, write_report
from assistant.evaluation.scoring import RegionFigures, missing_facts, normalize_text, score
from assistant.notices import load_corpus
from assistant.types import Answer, Citation, Hit

from .conftest import CORPUS, ROOT

CASES = ROOT / "evals" / "cases.jsonl"


@pytest.fixture(scope="module")
def corpus():
    loaded = load_corpus(CORPUS)
    notices = {ln.notice.doc_id: ln.notice for ln in loaded}
    units = [u for ln in loaded for u in ln.units]
    return notices, units, RegionFigures(units, notices)


@pytest.fixture(scope="module")
def cases():
    return {c.id: c for c in load_cases(CASES)}


def reply(corpus, text: str, cited: list[tuple[str, str]], status: str = "answered") -> Answer:
    """An Answer citing real units (doc_id, label); the same units are its retrieval hits."""
    notices, units, _ = corpus
    chosen = [next(u for u in units if (u.doc_id, u.label) == key) for key in cited]
    return Answer(status, text, citations=[Citation.from_unit(u, notices[u.doc_id]) for u in chosen],
                  hits=[Hit(u, notices[u.doc_id], 1.0) for u in chosen])


def test_correct_answer_passes(corpus, cases):
    answer = reply(corpus, "衢州市新能源汽车以旧换新最高补贴1.5万元/辆。", [("quzhou-2025", "（十四）")])
    r = score(cases["qz-014-a"], answer, corpus[2])
    assert (r.answer_ok, r.citation_ok, r.hit1, r.hit3, r.ctx_hit1) == (True, True, True, True, True)
    assert not r.wrong_figure and not r.failed and r.problems == []


def test_same_figure_written_differently_passes(corpus, cases):
    answer = reply(corpus, "最高可补15000元/辆。", [("quzhou-2025", "（十四）")])
    assert not score(cases["qz-014-a"], answer, corpus[2]).failed


def test_wrong_figure_fails(corpus, cases):
    answer = reply(corpus, "衢州市新能源汽车以旧换新最高补贴2万元/辆。", [("quzhou-2025", "（十四）")])
    r = score(cases["qz-014-a"], answer, corpus[2])
    assert not r.answer_ok and r.missing == ["最高1.5万元/辆"]
    assert r.unsupported == ["2万元/辆"] and r.wrong_figure
    assert {"missing figure", "figure not in cited clause"} <= set(r.problems)


def test_figure_of_another_region_fails(corpus, cases):
    """fu-14 asks about 金东, whose notice names no car trade-in amount: borrowing 衢州's is wrong,
    even though the borrowed figure is in the (衢州) clause it cites."""
    answer = reply(corpus, "金东区汽车以旧换新最高补贴1.5万元/辆。", [("quzhou-2025", "（十四）")])
    r = score(cases["fu-14"], answer, corpus[2])
    assert r.unsupported == [] and r.wrong_region == ["1.5万元/辆"]
    assert r.wrong_figure and r.not_found_ok is False
    assert {"wrong-region figure", "missed not_found"} <= set(r.problems)


def test_missing_citation_fails(corpus, cases):
    answer = reply(corpus, "金东区低保标准为13800元以上。", [("jindong-2025-draft", "（四十五）")])
    r = score(cases["fu-03"], answer, corpus[2])
    assert r.answer_ok and r.citation_ok is False
    assert r.missing_citations == [("jindong-2025-draft", "（四十八）")]
    assert "missing citation" in r.problems and r.failed
    assert r.unsupported == ["1.38万元"]  # and the figure is not in the clause it cites


def test_expected_not_found_and_false_not_found(corpus, cases):
    ok = score(cases["nf-01"], Answer("not_found", "没有杭州的政策文件。"), corpus[2])
    assert ok.not_found_ok and not ok.failed
    wrong = score(cases["qz-014-a"], Answer("not_found", "没有找到。"), corpus[2])
    assert wrong.false_not_found and wrong.problems[0] == "false not_found"


def test_summary_and_thresholds(corpus, cases):
    good = score(cases["qz-014-a"], reply(corpus, "最高1.5万元/辆。", [("quzhou-2025", "（十四）")]), corpus[2])
    bad = score(cases["qz-014-a"], reply(corpus, "最高2万元/辆。", [("quzhou-2025", "（十四）")]), corpus[2])
    run = EvalRun(mode="extractive", set_path="t", today="2026-11-22", results=[good, bad])
    assert run.summary["answer_accuracy"] == {"value": 0.5, "n": 2}
    assert run.summary["wrong_figure_rate"]["value"] == 0.5
    failures = check_thresholds(run.summary, {"_comment": "x", "answer_accuracy": 0.95,
                                              "wrong_figure_rate_max": 0.0, "hit@3": 1.0})
    assert len(failures) == 2 and "answer_accuracy" in failures[0]


def test_every_fact_is_found_in_its_gold_clauses(corpus):
    """The scorer can see each expected figure in the clauses the case cites (no scorer blind spots)."""
    _, units, _ = corpus
    for case in load_cases(CASES):
        text = "\n".join(u.text for u in units if (u.doc_id, u.label) in case.gold)
        assert not missing_facts(case.facts, text), case.id


def test_normalize_text_joins_pdf_breaks():
    assert normalize_text("资金 15.48\n\n亿元，最高补贴1.3万元\n\n—3—\n\n/辆；ETC 卡") == "资金15.48亿元，最高补贴1.3万元/辆；ETC卡"
    assert normalize_text("Quzhou City") == "Quzhou City"


def test_malformed_case_names_the_line(tmp_path):
    case = json.loads(CASES.read_text(encoding="utf-8").splitlines()[0])
    bad = {**case, "id": "bad", "gold_citations": [{"doc_id": "quzhou-2025", "clause": "14"}]}
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in (case, bad)), encoding="utf-8")
    with pytest.raises(CaseError, match="bad.jsonl:2: gold citation"):
        load_cases(path)
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in (case, case)), encoding="utf-8")
    with pytest.raises(CaseError, match="duplicate id"):
        load_cases(path)


def test_baseline_on_a_small_corpus(tmp_path, cases):
    """Raw text with PDF line breaks, split and searched as the stacks do; figures read after joining."""
    (tmp_path / "quzhou-2025.txt").write_text(
        "（十四）更大力度支持消费品以旧换新。新能源汽车最高补贴 1.5\n\n万元/辆，燃油车最高补贴1.3万元\n\n/辆。\n\n"
        "（二十）全面提升衢州港能级，新增内河500吨级及以上泊位7个。\n\n"
        "（五十）低保年人均标准达到1.4万元以上。", encoding="utf-8")
    baseline = ChunkBaseline(tmp_path)
    try:
        found = baseline.search("衢州新能源车以旧换新最多补多少钱")
        assert set(found) == {"dense", "hybrid"} and len(found["dense"]) == 1  # one small chunk
        result = score_baseline(baseline, [cases["qz-014-a"]])
    finally:
        baseline.close()
    assert result["dense"]["context_hit@1"] == {"value": 1.0, "n": 1}
    assert result["hybrid"]["context_hit@3"]["value"] == 1.0


def test_run_eval_end_to_end(assistant, settings, cases, tmp_path):
    """Five real cases through the real Assistant (index in the session's temp data dir)."""
    ids = ["qz-014-a", "jd-001-a", "fu-03", "nf-01", "both-01"]
    subset = tmp_path / "five.jsonl"
    lines = {json.loads(line)["id"]: line for line in CASES.read_text(encoding="utf-8").splitlines() if line}
    subset.write_text("\n".join(lines[i] for i in ids) + "\n", encoding="utf-8")
    run = run_eval(subset, settings=settings, baseline=False)
    assert [r.case.id for r in run.results] == ids and run.today == "2026-11-22"
    assert run.summary["cases"] == 5 and run.summary["latency_p50_ms"] > 0
    assert all(not r.error for r in run.results)
    assert {r.case.id: r.status for r in run.results}["nf-01"] == "not_found"
    assert run.summary["wrong_figure_rate"]["value"] == 0.0
    table = format_table(run)
    assert "answer accuracy" in table and "both_regions" in table
    report_dir = tmp_path / "report"
    write_report(run, report_dir)
    paths = write_report(run, report_dir)  # the second run is compared with the first
    report = paths["report"].read_text(encoding="utf-8")
    assert "Previous run" in report and "## Failing cases" in report
    assert paths["chart"].read_bytes()[:4] == b"\x89PNG"
    assert json.loads(paths["summary"].read_text(encoding="utf-8"))["overall"]["cases"] == 5
    assert len(list((report_dir / "history").glob("*.json"))) >= 1
