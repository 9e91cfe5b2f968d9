"""Answer plans on notices written for the purpose (tests/fixtures/answers: a 2024/2025 series of 丽水,
a 松阳 draft), through the real Assistant: real parser, real Chroma in a temp dir, real model.

Each behaviour of the understanding and the answerer is checked on text the seed notices do not
contain: versions, conditions and tiers, 分别-lists, premises, whom to ask, how to apply, a clause
with no figure, a rate asked of a notice that gives none, lists across notices, refusals, and
conversations that switch region or topic.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from assistant.numbers import contains_amount, extract_amounts

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "answers"


@pytest.fixture(scope="module")
def plans(settings, tmp_path_factory):
    from assistant import Assistant

    data = tmp_path_factory.mktemp("plans-data")
    a = Assistant(replace(settings, corpus_dir=FIXTURES, data_dir=data, fixed_today=date(2026, 11, 22)))
    a.ingest(progress=False)
    return a


def states(answer, value, unit="元", per=""):
    """Whether the answer's text states this figure, compared as a value."""
    from assistant.types import Amount

    return contains_amount(Amount(value=value, unit=unit, per=per), extract_amounts(answer.answer))


def cited(answer):
    return {(c.doc_id, c.clause) for c in answer.citations}


def converse(a, *turns):
    history, answer = [], None
    for turn in turns:
        answer = a.ask(turn, history=history)
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": answer.answer}]
    return answer


def test_the_version_in_force_answers_unasked(plans):
    a = plans.ask("丽水新能源汽车以旧换新最高补贴多少？")
    assert a.status == "answered" and cited(a) == {("lishui-2025", "（一）")}
    assert states(a, 12000, per="辆") and not states(a, 10000, per="辆")
    assert any(n.kind == "version" and "2024年版" in n.text for n in a.notes)


def test_a_version_asked_for_answers_and_says_it_was_repealed(plans):
    a = plans.ask("丽水2024年版新能源汽车补贴多少？")
    assert cited(a) == {("lishui-2024", "（一）")} and states(a, 10000, per="辆")
    assert not states(a, 12000, per="辆")
    assert {"repealed", "version"} <= {n.kind for n in a.notes}
    last_year = plans.ask("丽水去年的家电以旧换新补贴标准是多少？")  # 2025 seen from 2026-11-22
    assert {c.doc_id for c in last_year.citations} == {"lishui-2025"}


def test_a_version_that_does_not_exist_is_said_so(plans):
    a = plans.ask("丽水2023年版新能源汽车补贴多少？")  # not found; the version in force is offered, labelled
    assert a.status == "not_found" and {c.doc_id for c in a.citations} == {"lishui-2025"}
    assert a.answer.startswith("没有找到2023年版") and "2025年版" in a.answer


def test_the_askers_condition_picks_the_figure(plans):
    a = plans.ask("丽水新开了一家3.5万平方米的商业综合体，奖励多少？")
    assert states(a, 400000) and not states(a, 800000)
    tier = plans.ask("我们乡镇一年快检了350批次，丽水能补多少？")
    assert states(tier, 20000) and not states(tier, 10000) and not states(tier, 30000)


def test_an_askers_figure_below_the_rule_is_told_it_does_not_qualify(plans):
    a = plans.ask("我们企业技改设备投资了300万元，丽水能拿补助吗？")
    assert a.status == "answered" and "不符合" in a.answer
    assert states(a, 5000000)  # the threshold it misses, quoted


def test_respectively_gives_the_named_thing_its_own_figure(plans):
    a = plans.ask("丽水买二级能效的冰箱补贴多少？")
    assert states(a, 10, unit="%") and not states(a, 20, unit="%")
    assert states(a, 1500)


def test_premises_are_checked_as_values(plans):
    wrong = plans.ask("丽水燃油车以旧换新补贴是1万元吧？")
    assert wrong.answer.startswith("不是") and states(wrong, 8000, per="辆")
    assert not states(wrong, 10000)
    right = plans.ask("丽水新能源汽车最高补贴1.2万元一辆，对吗？")
    assert right.answer.startswith("是的") and states(right, 12000, per="辆")


def test_whom_to_ask(plans):
    a = plans.ask("松阳茶园提升补助找哪个部门？")
    assert a.status == "answered" and "县农业农村局" in a.answer and "县财政局" in a.answer
    assert a.citations[0].departments == ("县农业农村局", "县财政局")
    lead = plans.ask("丽水消费券的事找哪个部门？")
    assert "市商务局" in lead.answer and lead.citations[0].departments == ("市商务局",)


def test_how_to_apply(plans):
    a = plans.ask("丽水技术改造补助怎么申请？")
    assert a.status == "answered" and "浙里办" in a.answer
    none = plans.ask("丽水消费券怎么申请？")
    assert none.status == "not_found" and "12345" in none.answer


def test_a_clause_without_a_figure_says_so(plans):
    a = plans.ask("丽水低空经济企业能补多少钱？")
    assert a.status == "not_found" and cited(a) == {("lishui-2025", "（七）")}
    assert "没有写明" in a.answer


def test_a_rate_asked_of_a_clause_that_gives_an_amount(plans):
    a = plans.ask("丽水住房公积金贷款利率是多少？")  # the clause gives a loan cap, not a rate
    assert a.status == "not_found" and "没有写明利率" in a.answer


def test_a_list_covers_every_notice_in_force_final_first(plans):
    a = plans.ask("购买一级能效家电有哪些补贴？")
    docs = [c.doc_id for c in a.citations]
    assert "lishui-2025" in docs and "songyang-draft" in docs and "lishui-2024" not in docs
    assert docs.index("lishui-2025") < docs.index("songyang-draft")
    assert any(n.kind == "draft" for n in a.notes)


def test_a_place_with_no_notice_is_refused_with_a_next_step(plans):
    a = plans.ask("杭州的人才购房补贴多少？")
    assert a.status == "not_found" and "12345" in a.answer
    assert "丽水市" in a.answer and "松阳县" in a.answer


def test_a_conversation_keeps_topic_and_region(plans):
    fuel = converse(plans, "丽水新能源汽车以旧换新补贴多少？", "那燃油车呢？")
    assert states(fuel, 8000, per="辆") and not states(fuel, 12000, per="辆")
    elsewhere = converse(plans, "丽水新能源汽车以旧换新补贴多少？", "那松阳呢？")
    assert elsewhere.status == "not_found" and not states(elsewhere, 12000, per="辆")
    topic = converse(plans, "丽水新能源汽车以旧换新补贴多少？", "技术改造呢？")
    assert {c.doc_id for c in topic.citations} == {"lishui-2025"} and states(topic, 3000000)


# -- an article-style 办法 (tests/fixtures/answers/haiyan-banfa.txt): items, 款, increments, limits --
def paths(answer):
    return {c.path or c.clause for c in answer.citations}


def test_an_item_named_inside_an_article_is_answered_by_that_item(plans):
    a = plans.ask("海盐县补贴办法第四条第（三）项补贴多少？")
    assert paths(a) == {"第四条第（三）项"} and states(a, 8000, per="台") and not states(a, 6000, per="台")
    short = plans.ask("海盐县补贴办法（四）第3项是多少？")  # the same item, written loosely
    assert paths(short) == {"第四条第（三）项"}
    kuan = plans.ask("海盐县补贴办法第四条第二款是怎么规定的？")
    assert paths(kuan) == {"第四条第二款"} and states(kuan, 1000, per="台")
    article = plans.ask("海盐县补贴办法第三条是怎么规定的？")  # 怎么规定: the article itself
    assert cited(article) == {("haiyan-banfa", "第三条")} and "限享受1次" in article.answer


def test_an_increment_is_read_with_its_base(plans):
    a = plans.ask("海盐县交售铅酸电池电动自行车，换购锂电池新车，一共补多少？")
    assert states(a, 500, per="辆") and states(a, 200, per="辆")
    assert a.answer.index("500元") < a.answer.index("再增加200元")


def test_an_increment_whose_condition_is_the_askers_is_added(plans):
    new_energy = plans.ask("海盐县买一台新能源拖拉机能补多少？")
    assert states(new_energy, 6000, per="台") and states(new_energy, 1000, per="台")
    plain = plans.ask("海盐县买一台拖拉机能补多少？")
    assert states(plain, 6000, per="台") and not states(plain, 1000, per="台")


def test_a_count_is_answered_in_the_kind_asked(plans):
    a = plans.ask("海盐县植保无人机每年最多能补几台？")
    assert cited(a) == {("haiyan-banfa", "第四条")} and states(a, 2, unit="台")
    assert "9类" not in a.answer


def test_a_lead_gives_its_items_its_figure(plans):
    a = plans.ask("海盐县倒卖农机补贴机具的，几年内不能再享受补贴？")
    assert a.status == "answered" and states(a, 5, unit="年") and "倒卖补贴机具" in a.answer
    last = plans.ask("海盐县电动自行车以旧换新补贴会超过新车价格的40%吗？")  # a 款 after the list
    assert paths(last) == {"第二条第二款"} and "补贴标准如下" not in last.answer


def test_a_contrasting_follow_up_asks_for_the_other_figure(plans):
    first = converse(plans, "海盐县报废木质渔船，新建钢质渔船补贴多少？")
    assert states(first, 100000, per="艘")
    other = converse(plans, "海盐县报废木质渔船，新建钢质渔船补贴多少？", "那新建木质渔船呢？")
    assert states(other, 30000, per="艘") and not states(other, 100000, per="艘")


# -- a draft 实施方案 with a consultation letter and a table (tests/fixtures/answers/jiashan-jiadian-draft.md) --
def test_words_of_the_title_do_not_let_a_table_crowd_out_the_notice(plans):
    a = plans.ask("嘉善县家电以旧换新补贴资金总额是多少？")  # every table row repeats 家电以旧换新补贴
    assert cited(a) == {("jiashan-jiadian-draft", "（结语）")} and states(a, 8000000)
    hit = plans.search("嘉善县家电以旧换新补贴资金总额是多少？", k=1)[0]  # found first, not after the rows
    assert hit.unit.kind == "closing" and hit.keyword_rank == 1


def test_a_question_naming_only_the_notice_gets_its_own_procedure(plans):
    a = plans.ask("嘉善县家电以旧换新补贴怎么领？")
    assert a.status == "answered" and cited(a) == {("jiashan-jiadian-draft", "（五）")} and "浙里办" in a.answer


def test_a_clause_headed_by_the_period_states_it(plans):
    a = plans.ask("嘉善县家电以旧换新补贴活动到什么时候结束？")
    assert ("jiashan-jiadian-draft", "（二）") in cited(a) and "2026年12月31日" in a.answer
    notice = plans.catalog.notices["jiashan-jiadian-draft"]  # and the notice's period is read from it
    assert (notice.effective_from, notice.effective_to) == (date(2026, 1, 1), date(2026, 12, 31))


def test_a_drafts_consultation_answers_whether_it_is_final(plans):
    final = plans.ask("嘉善县家电以旧换新补贴实施方案正式出台了吗？")
    assert ("jiashan-jiadian-draft", "（通知）") in cited(final) and "征求意见稿" in final.answer
    closes = plans.ask("嘉善县家电以旧换新方案征求意见到哪天截止？")
    assert ("jiashan-jiadian-draft", "（通知）") in cited(closes) and "2026年11月30日" in closes.answer


def test_a_topic_whose_words_stand_apart_in_a_notice_is_not_in_it(plans):
    # 海盐's 办法 has 实验室 and 重点 in its first article, far apart, and a 新认定…奖励 clause on
    # another thing: it has no 重点实验室 reward, and 丽水's 100万元 must not carry over
    a = converse(plans, "丽水新认定的省级重点实验室奖励多少？", "海盐县呢？")
    assert a.status == "not_found" and not states(a, 1000000) and not states(a, 200000)
    assert "丽水市" in a.answer  # where there is one


def test_a_refusal_that_counts_the_librarys_regions_passes_the_figure_check(settings, tmp_path):
    """With more regions than a reply lists, it says how many (…等9个地区): a figure about the library
    itself, not from a clause; the answer goes out as written, not replaced by the fallback."""
    from assistant import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    places = ["安吉县", "德清县", "长兴县", "桐乡市", "海宁市", "平湖市", "嵊州市", "新昌县", "诸暨市"]
    for n, place in enumerate(places, 1):
        (corpus / f"n{n}.txt").write_text(f"{place}关于支持茶产业发展的若干政策\n为发展茶产业，制定以下政策。\n"
                                          f"（一）支持茶园提升。每亩补助{100 * n}元。\n", encoding="utf-8")
    a = Assistant(replace(settings, corpus_dir=corpus, data_dir=tmp_path / "data", fixed_today=date(2026, 11, 22)))
    a.ingest(progress=False)
    refusal = a.ask("杭州的茶园补贴多少？")
    assert refusal.status == "not_found" and refusal.fallback is None
    assert "等9个地区" in refusal.answer and "12345" in refusal.answer


def test_an_abbreviation_finds_the_words_it_shortens(plans):
    # the question says 农机, the article 农业机械 / 机具; 合作社 is the asker's word for 经营主体
    a = plans.ask("海盐县一个合作社一年最多能补几台农机？")
    assert a.status == "answered" and paths(a) == {"第四条第三款"} and states(a, 5, unit="台")


def test_a_table_rows_figures_are_its_own(plans):
    # the row's caption matches the question and its figures sit several cells later: still its figures
    a = plans.ask("嘉善县家电以旧换新补多少？")
    assert a.status == "answered" and "没有写明" not in a.answer
    assert states(a, 2000) or states(a, 1500)


def test_an_items_header_is_quoted_once(settings, tmp_path):
    """"（一）一级能效产品：" is both the lead its 目 hang from and their item's header: said once."""
    from assistant import Assistant

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tongxiang.txt").write_text(
        "桐乡市家电购新补贴办法\n第一条　个人消费者购买家电产品的，补贴标准如下：\n（一）一级能效产品：\n"
        "1. 按售价的20%给予补贴；\n2. 每件最高补贴2000元。\n（二）二级能效产品：\n1. 按售价的15%给予补贴；\n"
        "2. 每件最高补贴1500元。\n第二条　本办法自2026年1月1日起施行。\n", encoding="utf-8")
    a = Assistant(replace(settings, corpus_dir=corpus, data_dir=tmp_path / "data", fixed_today=date(2026, 11, 22)))
    a.ingest(progress=False)
    answer = a.ask("桐乡市一级能效家电每件最高补多少？")
    assert states(answer, 2000) and not states(answer, 1500)
    assert answer.answer.count("一级能效产品：") == 1


def test_whom_to_ask_names_each_clause_once(plans):
    # 海盐's 办法 has no 责任单位: its 第八条 says who interprets it
    a = plans.ask("海盐县的农机补贴找哪个部门？")
    assert "县农业农村局" in a.answer and a.answer.count("第八条") == 1 and "（（" not in a.answer
    assert len(a.citations) == len({(c.doc_id, c.clause) for c in a.citations})
