"""The eval scores what it claims to: wrong answers fail, right ones pass, on the real corpus.

The scorer's inputs (Answer objects) are built here from real corpus units; the end-to-end test runs
`run_eval` on five real cases through the real Assistant.
"""
from __future__ import annotations

import json

import pytest

from dataclasses import replace

from assistant.evaluation import EvalRun, check_thresholds, corpus_settings, run_eval, thresholds_path
from assistant.evaluation.baseline import ChunkBaseline, score_baseline
from assistant.evaluation.cases import CaseError, label_path, load_cases, parse_case, paths_match
from assistant.evaluation.report import format_table, write_report
from assistant.evaluation.scoring import RegionFigures, mentions, missing_facts, normalize_text, score
from assistant.errors import CorpusError
from assistant.notices import load_corpus
from assistant.types import Answer, Citation, Hit

from .conftest import CORPUS, ROOT

CASES = ROOT / "evals" / "cases.jsonl"
CONVERSATIONS = ROOT / "evals" / "conversations.jsonl"
SEED_SETS = [CASES, CONVERSATIONS]  # the sets written on corpus/


@pytest.fixture(scope="module")
def corpus():
    loaded = load_corpus(CORPUS)
    notices = {ln.notice.doc_id: ln.notice for ln in loaded}
    units = [u for ln in loaded for u in ln.units]
    return notices, units, RegionFigures(units, notices)


@pytest.fixture(scope="module")
def cases():
    return {c.id: c for c in load_cases(CASES)} | {c.id: c for c in load_cases(CONVERSATIONS)}


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


def test_the_count_of_the_librarys_regions_is_a_known_figure(corpus, cases):
    regions = len({n.region for n in corpus[2].notices.values()})  # 2 in the seed corpus
    right = score(cases["nf-01"], Answer("not_found", f"没有杭州的政策文件。已收录衢州市等{regions}个地区。"), corpus[2])
    assert right.unsupported == [] and not right.failed
    wrong = score(cases["nf-01"], Answer("not_found", f"没有杭州的政策文件。已收录衢州市等{regions + 5}个地区。"), corpus[2])
    assert wrong.unsupported == [f"{regions + 5}个"] and wrong.failed


def test_summary_and_thresholds(corpus, cases):
    good = score(cases["qz-014-a"], reply(corpus, "最高1.5万元/辆。", [("quzhou-2025", "（十四）")]), corpus[2])
    bad = score(cases["qz-014-a"], reply(corpus, "最高2万元/辆。", [("quzhou-2025", "（十四）")]), corpus[2])
    run = EvalRun(mode="extractive", set_path="t", today="2026-11-22", results=[good, bad])
    assert run.summary["answer_accuracy"] == {"value": 0.5, "n": 2}
    assert run.summary["wrong_figure_rate"]["value"] == 0.5
    failures = check_thresholds(run.summary, {"_comment": "x", "answer_accuracy": 0.95,
                                              "wrong_figure_rate_max": 0.0, "hit@3": 1.0})
    assert len(failures) == 2 and "answer_accuracy" in failures[0]


def _gold_units(units, case):
    return [u for u in units for doc_id, label in case.gold
            if u.doc_id == doc_id and paths_match(label_path(u.label), label_path(label))]


@pytest.mark.parametrize("cases_file", SEED_SETS, ids=lambda p: p.name)
def test_every_fact_is_found_in_its_gold_clauses(corpus, cases_file):
    """The scorer can see each expected figure in the clauses the case cites (no scorer blind spots),
    every gold label is a unit of the notice, and every expected department is the gold unit's."""
    _, units, _ = corpus
    for case in load_cases(cases_file):
        gold_units = _gold_units(units, case)
        for doc_id, label in case.gold:
            assert any(u.doc_id == doc_id and paths_match(label_path(u.label), label_path(label))
                       for u in gold_units), (case.id, label)
        text = "\n".join(u.text for u in gold_units)
        assert not missing_facts(case.facts, text), case.id
        for dep in case.expected_departments:
            assert any(dep in u.departments for u in gold_units), (case.id, dep)


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


# ------------------------------------------------------- the checks of the extended schema --
# Each check: a wrong answer fails it (and the case, and answer accuracy), a right one passes.

QZ, JD = "quzhou-2025", "jindong-2025-draft"


def test_labels_of_every_printed_form_are_read_as_paths():
    assert label_path("（十四）") == ("（十四）",)
    assert label_path("第六条第（一）项") == ("第六条", "（一）") == label_path("第六条第一项")
    assert label_path("（五）2.（1）") == ("（五）", "2.", "（1）") == label_path("（五）第2项第（1）目")
    assert label_path("附表1 第3行") == ("附表1", "第3行") == label_path("附表一第三行")
    for label in ("三、", "（结语）", "（前言）", "（通知）", "第五条", "三、（一）", "第五条第二款", "（五）２．（１）"):
        assert label_path(label), label
    for bad in ("14", "第十四", "clause 14", ""):
        assert label_path(bad) is None, bad
    p = label_path
    assert paths_match(p("第六条"), p("第六条第（一）项")) and paths_match(p("第六条第（一）项"), p("第六条"))
    assert not paths_match(p("（十）"), p("（十四）")) and not paths_match(p("第六条"), p("第六十条"))
    assert not paths_match(p("第六条第（一）项"), p("第六条第（二）项"))
    assert not paths_match(p("附表1 第3行"), p("附表1 第30行"))
    assert paths_match(p("附表 第3行"), p("附表1 第3行"))  # a notice's only table, cited without its number


def test_loader_takes_new_kinds_statuses_labels_and_fields():
    case = parse_case({"id": "x", "kind": "item", "turns": ["第六条一级能效补多少"], "region": "",
                       "expected_facts": [{"value": 20, "unit": "%"}],
                       "gold_citations": [{"doc_id": "banfa", "clause": "第六条第（一）项"},
                                          {"doc_id": "table", "clause": "附表1 第3行"},
                                          {"doc_id": "gbt", "clause": "（五）2.（1）"}],
                       "expected_status": "clarify", "forbidden_facts": [{"value": 15, "unit": "%"}],
                       "must_mention_any": ["12345", "政务服务"], "must_not_mention": ["是的"],
                       "expected_departments": ["区商务局"], "version": "2025年版"}, "t:1")
    assert case.expected_status == "clarify" and case.kind == "item" and case.version == "2025年版"
    assert case.forbidden_facts[0].value == 15 and case.must_mention_any == ("12345", "政务服务")
    assert case.gold_notices == ("banfa", "table", "gbt")
    base = {"id": "y", "kind": "who", "turns": ["找谁"], "region": "", "expected_facts": [],
            "gold_citations": [], "expected_status": "answered"}
    for bad, message in (({"kind": "two words"}, "kind"), ({"expected_status": "maybe"}, "expected_status"),
                         ({"forbidden_facts": [{"value": "2万"}]}, "forbidden fact"),
                         ({"must_mention_any": "12345"}, "must_mention_any"),
                         ({"expected_departments": [""]}, "expected_departments")):
        with pytest.raises(CaseError, match=f"t:2: .*{message}"):
            parse_case({**base, **bad}, "t:2")


def test_citing_a_finer_path_satisfies_the_gold_clause(corpus):
    notices, units, regions = corpus
    unit = next(u for u in units if (u.doc_id, u.label) == (QZ, "（十四）"))
    item = replace(Citation.from_unit(unit, notices[QZ]), path="（十四）第1项")
    case = parse_case({"id": "p", "kind": "item", "turns": ["衢州新能源车补多少"], "region": "衢州市",
                       "expected_facts": [{"value": 15000, "unit": "元", "per": "辆"}],
                       "gold_citations": [{"doc_id": QZ, "clause": "（十四）"}], "expected_status": "answered"}, "t")
    r = score(case, Answer("answered", "最高1.5万元/辆。", citations=[item]), regions)
    assert r.citation_ok and r.citations == [(QZ, "（十四）第1项")] and not r.failed
    finer = replace(case, gold=((QZ, "（十四）2."),))  # gold finer than the citation: still cited
    assert score(finer, Answer("answered", "最高1.5万元/辆。", citations=[Citation.from_unit(unit, notices[QZ])]),
                 regions).citation_ok


def test_all_expected_notices_cited(corpus, cases):
    """A no-region list must cite every notice in scope, the final one too (not only the draft)."""
    case = cases["cv-la-01"]
    text = "金东区（征求意见稿）：存量部分2%和增量部分5%补助，每家企业最高补助500万元。"
    draft_only = score(case, reply(corpus, text, [(JD, "（七）")]), corpus[2])
    assert draft_only.notices_ok is False and draft_only.missing_notices == [QZ]
    assert "notice not cited" in draft_only.problems and not draft_only.answer_ok
    both = score(case, reply(corpus, "衢州市：对企业研发投入给予分档补助。" + text,
                             [(QZ, "（十）"), (JD, "（七）")]), corpus[2])
    assert both.notices_ok and both.citation_ok and both.answer_ok and not both.failed


def test_department_named(corpus, cases):
    case = cases["cv-wh-01"]
    clause_only = score(case, reply(corpus, "（二十四）落实国家消费品以旧换新补助政策。", [(JD, "（二十四）")]), corpus[2])
    assert clause_only.departments_ok is False and not clause_only.answer_ok
    assert "department not named" in clause_only.problems and len(clause_only.missing_departments) == 5
    named = score(case, reply(corpus, "可咨询（二十四）的责任单位：区发改局、区商务局、区民政局、区财政局、区住建局。",
                              [(JD, "（二十四）")]), corpus[2])
    assert named.departments_ok and named.answer_ok and not named.failed


def test_next_step_given_and_regions_named(corpus, cases):
    case = cases["cv-rf-01"]
    dead_end = score(case, Answer("not_found", "目前收录的政策文件只涵盖衢州市、金华市金东区，没有杭州市的政策文件。"), corpus[2])
    assert dead_end.not_found_ok and dead_end.mention_any_ok is False and not dead_end.answer_ok
    assert "none of must_mention_any" in dead_end.problems
    helped = score(case, Answer("not_found", "目前收录的政策文件只涵盖衢州市、金华市金东区，没有杭州市的。"
                                             "可拨打12345政务服务便民热线，或到当地政务服务中心咨询。"), corpus[2])
    assert helped.mention_any_ok and helped.must_mention_ok and helped.answer_ok and not helped.failed
    assert not helped.wrong_figure  # the hotline number 12345 is not a figure
    invented = score(case, Answer("not_found", "没有杭州市的政策文件，可参考衢州市、金东区：补贴12345元。"
                                               "请拨打12345咨询。"), corpus[2])
    assert invented.unsupported == ["1.2345万元"] and invented.wrong_figure
    unnamed = score(case, Answer("not_found", "没有杭州市的政策文件，请拨打12345咨询。"), corpus[2])
    assert unnamed.must_mention_ok is False and unnamed.failed  # the regions policyqa has are not named


def test_forbidden_figure_of_a_neighbouring_condition(corpus, cases):
    """360批次 is in the 350 tier: 3万元; the 2.5万 and 3.5万 tiers are neighbours' figures."""
    case = cases["cv-cd-02"]
    whole_clause = score(case, reply(corpus, "年快速检测达到300批次补助2.5万元、350批次3万元、400批次以上3.5万元。",
                                     [(JD, "（三十五）")]), corpus[2])
    assert whole_clause.forbidden == ["2.5万元", "3.5万元"] and whole_clause.forbidden_ok is False
    assert whole_clause.wrong_figure and not whole_clause.answer_ok and "forbidden figure" in whole_clause.problems
    assert not whole_clause.unsupported  # every figure is in the cited clause: only the case knows they are wrong
    focused = score(case, reply(corpus, "年快速检测达到350批次的，补助3万元。", [(JD, "（三十五）")]), corpus[2])
    assert focused.forbidden_ok and not focused.wrong_figure and focused.answer_ok and not focused.failed
    echoed = score(case, reply(corpus, "您的360批次达到350批次，补助3万元。", [(JD, "（三十五）")]), corpus[2])
    assert echoed.unsupported == ["360批次"]  # as the answer guard does: the user's own figure is not in the clause


def test_false_premise_not_confirmed(corpus, cases):
    case = cases["cv-pf-01"]
    confirmed = score(case, reply(corpus, "是的，衢州新能源汽车以旧换新补贴2万元，最高1.5万元/辆。",
                                  [(QZ, "（十四）")]), corpus[2])
    assert confirmed.said == ["是的"] and confirmed.not_mention_ok is False
    assert confirmed.forbidden == ["2万元"] and not confirmed.answer_ok
    assert {"must_not_mention said", "forbidden figure"} <= set(confirmed.problems)
    corrected = score(case, reply(corpus, "不是的，新能源汽车最高补贴1.5万元/辆。", [(QZ, "（十四）")]), corpus[2])
    assert corrected.not_mention_ok and corrected.forbidden_ok and corrected.answer_ok and not corrected.failed


def test_true_premise_confirmed(corpus, cases):
    case = cases["cv-pf-09"]
    bare = score(case, reply(corpus, "新能源汽车最高补贴1.5万元/辆。", [(QZ, "（十四）")]), corpus[2])
    assert bare.mention_any_ok is False and bare.failed
    yes = score(case, reply(corpus, "是的，新能源汽车最高补贴1.5万元/辆。", [(QZ, "（十四）")]), corpus[2])
    assert yes.mention_any_ok and yes.answer_ok and not yes.failed
    assert mentions("是的，1.5万元", "是的") and not mentions("不是的，1.5万元", "是的")
    assert not mentions("这个说法不正确", "正确") and mentions("正确。", "正确")


def test_clarify_expected(corpus, cases):
    case = cases["cv-am-01"]
    asked = score(case, Answer("clarify", "您想了解哪一项补贴、哪个地区的？"), corpus[2])
    assert asked.clarify_ok and asked.answer_ok and not asked.failed and asked.false_not_found is None
    guessed = score(case, reply(corpus, "最高补贴1.5万元/辆。", [(QZ, "（十四）")]), corpus[2])
    assert guessed.clarify_ok is False and "missed clarify" in guessed.problems and not guessed.answer_ok


def test_not_found_that_must_cite_the_clause(corpus, cases):
    """A clause that covers the topic without a figure: not_found, citing it (cv-rs-01: 金东（二十四）)."""
    case = cases["cv-rs-01"]
    bare = score(case, Answer("not_found", "没有在金华市金东区的政策文件中找到相关规定。"), corpus[2])
    assert bare.not_found_ok and bare.citation_ok is False and bare.notices_ok is False
    assert {"missing citation", "notice not cited", "none of must_mention_any"} <= set(bare.problems)
    borrowed = score(case, reply(corpus, "金东区汽车以旧换新最高补贴1.5万元/辆。", [(QZ, "（十四）")], "not_found"), corpus[2])
    assert borrowed.forbidden and borrowed.wrong_region and borrowed.failed
    cited = score(case, reply(corpus, "金东（二十四）写了开展汽车以旧换新，但没有写明具体金额。",
                              [(JD, "（二十四）")], "not_found"), corpus[2])
    assert cited.citation_ok and cited.mention_any_ok and cited.answer_ok and not cited.failed


def test_versions_named_and_kept(corpus, cases):
    """Two versions of one series (the seed notice and a 2024 copy of it): an answer citing both must
    name each version; a case asking for one version fails an answer citing the other."""
    notices, units, _ = corpus
    v2025 = replace(notices[QZ], series="衢州市推动经济高质量发展若干政策举措", version="2025年版")
    v2024 = replace(v2025, doc_id="quzhou-2024", title=v2025.title.replace("2025", "2024"), version="2024年版")
    unit25 = next(u for u in units if (u.doc_id, u.label) == (QZ, "（十四）"))
    unit24 = replace(unit25, doc_id="quzhou-2024")
    regions = RegionFigures([*units, unit24], {**notices, QZ: v2025, "quzhou-2024": v2024})
    both = [Citation.from_unit(unit25, v2025), Citation.from_unit(unit24, v2024)]
    case = cases["qz-014-a"]
    unlabelled = score(case, Answer("answered", "新能源汽车最高补贴1.5万元/辆。", citations=both), regions)
    assert unlabelled.version_ok is False and "version" in unlabelled.problems and not unlabelled.answer_ok
    labelled = score(case, Answer("answered", "2025年版：新能源汽车最高补贴1.5万元/辆；2024年版同为1.5万元/辆。",
                                  citations=both), regions)
    assert labelled.version_ok and labelled.answer_ok and not labelled.failed
    asked = replace(case, version="2025年版")
    other = score(asked, Answer("answered", "2024年版：最高1.5万元/辆。", citations=both[1:]), regions)
    assert other.version_ok is False and other.version_issues == ["asked for 2025年版, cites 2024年版"]
    right = score(asked, Answer("answered", "2025年版：最高1.5万元/辆。", citations=both[:1]), regions)
    assert right.version_ok and not right.failed
    assert score(case, Answer("answered", "最高1.5万元/辆。", citations=both[:1]), regions).version_ok is None


def test_new_metrics_summed_per_kind(corpus, cases):
    good = score(cases["cv-wh-01"], reply(corpus, "责任单位：区发改局、区商务局、区民政局、区财政局、区住建局。",
                                          [(JD, "（二十四）")]), corpus[2])
    bad = score(cases["cv-rf-01"], Answer("not_found", "没有杭州的文件。"), corpus[2])
    run = EvalRun(mode="extractive", set_path="t", today="2026-11-22", results=[good, bad])
    assert run.summary["departments_named"] == {"value": 1.0, "n": 1}
    assert run.summary["must_mention_any"] == {"value": 0.0, "n": 1}
    assert run.summary["answer_accuracy"] == {"value": 0.5, "n": 2}
    assert run.by_kind["who"]["answer_accuracy"]["value"] == 1.0 and run.by_kind["refusal"]["failed"] == 1
    table = format_table(run)
    assert "department named" in table and "one of must_mention_any" in table and "clarify" not in table
    assert check_thresholds(run.summary, {"departments_named": 1.0, "must_mention_any": 0.9})[0].startswith(
        "must_mention_any = 0.0 is below")
    assert "no such metric" in check_thresholds(run.summary, {"answer_acuracy": 0.9})[0]


def test_thresholds_and_index_per_set_and_corpus(settings, tmp_path):
    assert thresholds_path(ROOT / "evals" / "cases.jsonl") == ROOT / "evals" / "thresholds.json"
    assert thresholds_path(CONVERSATIONS) == ROOT / "evals" / "conversations.thresholds.json"
    assert thresholds_path(tmp_path / "mine.jsonl") == tmp_path / "mine.thresholds.json"
    assert corpus_settings(settings, None) is settings and corpus_settings(settings, settings.corpus_dir) is settings
    other = corpus_settings(settings, tmp_path)
    assert other.corpus_dir == tmp_path.resolve() and other.index_dir.is_relative_to(settings.data_dir / "eval")
    assert corpus_settings(settings, tmp_path).index_dir == other.index_dir  # stable: no re-embedding next time
    with pytest.raises(CorpusError, match="--corpus .*no such folder"):
        corpus_settings(settings, tmp_path / "missing")


TINY_NOTICE = """丽水市莲都区促进消费若干措施（2025年版）
一、支持消费升级（由区商务局牵头）
（一）支持汽车消费。购买新能源汽车并报废旧车的，每辆补贴3000元。（责任单位：区商务局）
（二）支持家电消费。购买一级能效家电的，按售价10%补贴，最高补贴1000元/件。（责任单位：区商务局、区财政局）
（三）支持餐饮消费。全年发放餐饮消费券500万元。（责任单位：区商务局、区文旅局）
本措施自2025年1月1日起施行，有效期至2025年12月31日。
"""


def test_cli_two_sets_on_another_corpus(settings, tmp_path, capsys):
    """`policyqa eval --set A --set B --corpus DIR --check`: each set is run on the folder's own index,
    reported in its own folder and held to its own thresholds."""
    from assistant.cli import main

    corpus = tmp_path / "notices"
    corpus.mkdir()
    (corpus / "liandu-2025.txt").write_text(TINY_NOTICE, encoding="utf-8")
    (corpus / "liandu-2025.meta.json").write_text(json.dumps(
        {"title": "丽水市莲都区促进消费若干措施（2025年版）", "issuer": "丽水市莲都区人民政府", "region": "丽水市莲都区",
         "region_aliases": ["莲都", "莲都区"], "status": "final", "effective_from": "2025-01-01",
         "effective_to": "2025-12-31"}, ensure_ascii=False), encoding="utf-8")
    sets = tmp_path / "sets"
    sets.mkdir()
    one = {"id": "ld-1", "kind": "numeric", "turns": ["莲都区新能源汽车补多少？"], "region": "丽水市莲都区",
           "expected_facts": [{"value": 3000, "unit": "元"}], "gold_citations": [{"doc_id": "liandu-2025",
                                                                                 "clause": "（一）"}],
           "expected_status": "answered"}
    two = {"id": "ld-2", "kind": "who", "turns": ["莲都区家电补贴找哪个部门？"], "region": "丽水市莲都区",
           "expected_facts": [], "gold_citations": [{"doc_id": "liandu-2025", "clause": "（二）"}],
           "expected_status": "answered", "expected_departments": ["区商务局", "区财政局"]}
    (sets / "a.jsonl").write_text(json.dumps(one, ensure_ascii=False) + "\n", encoding="utf-8")
    (sets / "b.jsonl").write_text(json.dumps(two, ensure_ascii=False) + "\n", encoding="utf-8")
    (sets / "a.thresholds.json").write_text('{"wrong_figure_rate_max": 0.0}', encoding="utf-8")
    (sets / "b.thresholds.json").write_text('{"departments_named": 1.01}', encoding="utf-8")  # cannot be met
    report = tmp_path / "report"
    code = main(["eval", "--set", str(sets / "a.jsonl"), "--set", str(sets / "b.jsonl"), "--corpus", str(corpus),
                 "--report", str(report), "--check"])
    out, err = capsys.readouterr()
    assert code == 1 and "FAIL b.jsonl: departments_named" in err and "a.jsonl: all thresholds" in err
    assert out.count("1 cases from") == 2 and "department named" in out
    assert (report / "a" / "report.md").exists() and (report / "b" / "last.json").exists()
    summary = json.loads((report / "a" / "last.json").read_text(encoding="utf-8"))
    assert summary["corpus"] == str(corpus.resolve()) and summary["overall"]["cases"] == 1
    assert summary["baseline"] is None  # off by default on another corpus than the settings' own
    assert summary["overall"]["wrong_figure_rate"]["value"] == 0.0
    index = corpus_settings(settings, corpus).index_dir
    assert index.is_dir() and index != settings.index_dir  # the folder got its own index
    (sets / "c.jsonl").write_text(json.dumps(one, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["eval", "--set", str(sets / "c.jsonl"), "--corpus", str(corpus), "--check"]) == 1
    assert "c.thresholds.json: no thresholds for this set" in capsys.readouterr().err  # before any case runs
