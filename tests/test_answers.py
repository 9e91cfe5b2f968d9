"""Answers through the public Assistant: cited, figure-exact, honest about what is missing."""
from __future__ import annotations

import pytest

from assistant.answering import Answerer
from assistant.errors import BadQuestion
from assistant.numbers import extract_amounts, contains_amount
from assistant.types import Amount, Answer, Citation


def figures(text: str) -> list[Amount]:
    return extract_amounts(text)


def states(answer: Answer, value: float, unit: str = "元", per: str = "") -> bool:
    return contains_amount(Amount(value, unit, per=per), figures(answer.answer))


def cited(answer: Answer) -> set[tuple[str, str]]:
    return {(c.doc_id, c.clause) for c in answer.citations}


def test_core_question(assistant):
    a = assistant.ask("衢州市新能源汽车以旧换新最高补贴多少？")
    assert a.status == "answered" and a.mode == "extractive"
    assert states(a, 15000, per="辆")
    assert ("quzhou-2025", "（十四）") in cited(a)
    assert "1.5万元/辆" in a.answer
    contract = a.to_dict()
    assert set(contract) == {"status", "answer", "citations", "mode", "notes"}
    c = contract["citations"][0]
    assert c["doc_title"] == "《衢州市推动经济高质量发展若干政策举措（2025年版）》"
    assert c["status"] == "final" and c["text"].startswith("（十四）更大力度支持消费品以旧换新。")


def test_every_figure_is_in_a_cited_clause(assistant):
    from assistant.guard import figure_problems

    questions = ["衢州低保标准多少", "金东区研发费用补助最高多少", "金东科技保险补助比例",
                 "衢州家电以旧换新补贴比例", "金东区重点实验室奖励多少钱", "衢州物流企业营业收入奖励"]
    for q in questions:
        a = assistant.ask(q)
        assert a.status == "answered" and a.citations, q
        assert figure_problems(a) == [], q


class WrongFigureAnswerer(Answerer):
    """A real answerer that states a figure its citation does not contain (as a bad LLM might)."""

    def answer(self, query, history, hits, catalog=None):
        top = hits[0]
        return Answer("answered", f"根据{top.notice.quoted_title}{top.unit.label}：补贴10万元/辆。",
                      [Citation.from_unit(top.unit, top.notice)], mode="llm")


def test_answer_with_a_figure_absent_from_its_citations_is_never_returned(settings, assistant):
    from assistant import Assistant

    bad = Assistant(settings, answerer=WrongFigureAnswerer())
    a = bad.ask("衢州市新能源汽车以旧换新最高补贴多少？")
    assert not states(a, 100000, per="辆") and "10万元" not in a.answer
    assert a.fallback and a.mode == "extractive"
    assert states(a, 15000, per="辆")
    streamed = list(bad.ask_stream("衢州市新能源汽车以旧换新最高补贴多少？"))
    final = streamed[-1]
    assert isinstance(final, Answer) and "10万元" not in final.answer and final.fallback


@pytest.mark.parametrize("question", ["杭州市新能源汽车补贴多少？", "个税起征点是多少？", "上海的低保标准是多少"])
def test_not_found(assistant, question):
    a = assistant.ask(question)
    assert a.status == "not_found"
    assert not [x for x in figures(a.answer) if x.unit]


def test_region_without_an_amount_says_so(assistant):
    a = assistant.ask("金东区新能源汽车置换补贴多少？")
    assert a.status == "not_found"
    assert not states(a, 15000, per="辆") and not states(a, 13000, per="辆")
    assert all(c.doc_id == "jindong-2025-draft" for c in a.citations)


def test_both_regions_each_with_its_own_citation(assistant):
    a = assistant.ask("低保标准是多少？")
    assert a.status == "answered"
    assert ("quzhou-2025", "（五十）") in cited(a) and ("jindong-2025-draft", "（四十八）") in cited(a)
    assert states(a, 14000) and states(a, 13800)
    assert "衢州市" in a.answer and "金华市金东区" in a.answer


def test_region_restricts(assistant):
    a = assistant.ask("金东的低保标准是多少")
    assert {c.doc_id for c in a.citations} == {"jindong-2025-draft"} and states(a, 13800)
    b = assistant.ask("低保标准是多少", region="衢州")
    assert {c.doc_id for c in b.citations} == {"quzhou-2025"} and states(b, 14000)


def test_draft_and_expiry_notes(assistant):
    jd = assistant.ask("金东区研发费用补助每家企业最高多少？")
    assert "征求意见稿" in jd.answer and states(jd, 5_000_000)
    qz = assistant.ask("衢州市新能源汽车以旧换新最高补贴多少？")
    assert "实施期已于2025年12月31日结束" in qz.answer and "征求意见稿" not in qz.answer


def test_follow_up(assistant):
    history = [{"role": "user", "content": "衢州新能源汽车以旧换新最高补贴多少？"},
               {"role": "assistant", "content": assistant.ask("衢州新能源汽车以旧换新最高补贴多少？").answer}]
    a = assistant.ask("那燃油车呢？", history=history)
    assert a.status == "answered" and states(a, 13000, per="辆")
    assert ("quzhou-2025", "（十四）") in cited(a)


def test_explicit_clause_reference(assistant):
    for q in ("衢州第十四条讲了什么", "衢州（十四）", "衢州十四条"):
        a = assistant.ask(q)
        assert ("quzhou-2025", "（十四）") in cited(a), q


def test_chinese_numerals_in_questions(assistant):
    a = assistant.ask("衢州新能源车补贴能拿到一万五吗")
    assert ("quzhou-2025", "（十四）") in cited(a) and states(a, 15000, per="辆")


@pytest.mark.parametrize("bad,match", [("", "空"), ("   \n ", "空"), ("问" * 10001, "太长"),
                                       ("补贴\x00多少", "控制字符"), (None, "文字")])
def test_bad_questions(assistant, bad, match):
    with pytest.raises(BadQuestion, match=match):
        assistant.ask(bad)


def test_clause_number_without_region_asks_which(assistant):
    a = assistant.ask("第十四条讲了什么？")
    assert a.status == "clarify"
    assert cited(a) == {("quzhou-2025", "（十四）"), ("jindong-2025-draft", "（十四）")}
    assert "衢州市" in a.answer and "金华市金东区" in a.answer


CAR = "衢州新能源汽车以旧换新最高补贴多少？"


def after_car(assistant):
    return [{"role": "user", "content": CAR}, {"role": "assistant", "content": assistant.ask(CAR).answer}]


@pytest.mark.parametrize("question", ["个税起征点？", "房贷利率多少"])
def test_an_unrelated_short_question_is_not_a_follow_up(assistant, question):
    a = assistant.ask(question, history=after_car(assistant))
    assert a.status == "not_found" and not a.citations


def test_a_follow_up_about_another_place_is_not_answered_with_this_one(assistant):
    a = assistant.ask("那杭州呢？", history=after_car(assistant))
    assert a.status == "not_found" and "杭州" in a.answer and not states(a, 15000, per="辆")
    both = assistant.ask("衢州和杭州新能源汽车补贴多少？")
    assert "没有杭州的政策文件" in both.answer and {c.doc_id for c in both.citations} == {"quzhou-2025"}


def test_replying_with_a_region_to_clarify(assistant):
    first = assistant.ask("第十四条讲了什么？")
    assert first.status == "clarify"
    history = [{"role": "user", "content": "第十四条讲了什么？"}, {"role": "assistant", "content": first.answer}]
    a = assistant.ask("衢州", history=history)
    assert a.status == "answered" and cited(a) == {("quzhou-2025", "（十四）")}


@pytest.mark.parametrize("question,status", [("衢州", "clarify"), ("How much is the car subsidy?", "not_found"),
                                             ("？？？", "not_found")])
def test_questions_without_a_topic(assistant, question, status):
    a = assistant.ask(question)
    assert a.status == status and not [x for x in figures(a.answer) if x.unit]


def test_another_district_of_a_known_city_is_not_covered(assistant):
    for q in ("金华婺城区人才购房补贴多少", "金华市兰溪市研发费用补助多少"):
        assert assistant.ask(q).status == "not_found", q


def test_a_follow_up_that_names_no_topic(assistant):
    first = "金东稻渔综合种养有补贴吗"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": assistant.ask(first).answer}]
    a = assistant.ask("最多能拿多少", history=history)
    assert a.status == "answered" and ("jindong-2025-draft", "（三十五）") in cited(a)
    assert states(a, 500000)
