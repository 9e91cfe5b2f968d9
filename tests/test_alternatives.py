"""The asker's alternative, not its siblings: a notice written for the purpose (临安区, made up) whose
clauses list several things side by side, each with its own figure, through the real Assistant (real
parser, real Chroma in a temp dir, real model).

Found by a blind set (evals/holdout.jsonl, written from notices the answerer was never tuned on):
answers quoted every alternative (本科 800元, 硕士 1200元, 博士 2000元) to someone who named one, so
the reply stated figures that are not the asker's.
"""
from __future__ import annotations

import pytest

from tests.written_notices import assistant_over, says

NOTICE = """临安区支持青年就业创业若干措施

为促进青年就业创业，结合我区实际，制定以下措施。

一、支持青年就业
（一）青年人才生活补贴。对新引进到我区企业工作的青年人才，按月发放生活补贴：大专每人每月500元，本科每人每月1000元，硕士研究生每人每月2000元，补贴期限最长24个月。
（二）稳岗返还。对上年度不裁员的参保企业，大型企业按实际缴纳失业保险费的40%返还，中小微企业按90%返还。
（三）技能提升补贴。对取得职业技能等级证书的劳动者，按初级工800元、中级工1200元、高级工1800元给予补贴。

二、支持创业和民生
（四）众创空间奖励。对首次认定的市级众创空间，给予30万元奖励；重新认定的，给予15万元奖励。
（五）长期护理补贴。对居家的失能老年人每人每月发放400元护理补贴，半失能老年人每人每月发放200元护理补贴。
（六）育儿补贴。二孩每年发放2000元，三孩及以上每年发放4000元，发放至孩子年满3周岁。

（七）技能人才租房补贴。在本区无自有住房的技能人才，按以下标准发放租房补贴：
1.取得高级技师职业资格的，每人每月900元；
2.取得技师职业资格的，每人每月600元。
在本区重点产业企业工作的技能人才，按上述标准的1.2倍发放。
（八）残疾人就业补贴。对安置残疾人就业的用人单位，按每安置1名残疾人每年4000元给予补贴；安置人数不少于8人的，另给予一次性奖励5万元。
（九）人才购房补贴。高层次人才在本区首次购买商品住房的，A类人才补贴100万元，B类人才补贴60万元。购房补贴分4年发放，每年发放25%。
（十）高龄津贴。对具有本区户籍的80至89周岁、90至99周岁、100周岁及以上老年人，分别按每人每月80元、150元、400元发放高龄津贴。
（十一）受理时间。青年人才生活补贴每年6月、12月集中受理。
（十二）申请方式。申请人通过“临安人才”小程序提交申请，经所在单位初审后报区人力社保局审核。
（十三）认证奖励。对新获得绿色食品认证的，每个产品奖励8000元，新获得有机产品认证的，每个产品奖励1.5万元，新获得地理标志登记的，每个奖励6万元。

本措施（二）、（三）、（八）项补贴，单个用人单位每年累计不超过50万元。
本措施自2026年1月1日起施行，有效期至2027年12月31日。
"""

# A web page with a table whose rows hold the figures its clauses send the reader to.
TABLE_NOTICE = """# 富阳区支持托育服务发展若干措施

为发展普惠托育服务，制定以下措施。

## 一、发展普惠托育（区卫生健康局牵头）

**（一）托育机构建设补贴。** 对新增普惠性托位的托育机构，按附表标准给予一次性建设补贴，单个机构最高不超过40万元。

**（二）用人单位办托。** 鼓励企事业单位为职工提供福利性托育服务，符合条件的按附表标准给予补贴。

**（三）托育机构运营补贴。** 对收费不高于每月2000元的普惠托育机构，按附表标准给予运营补贴，每个托位每年最多补贴11个月。

### 附表 富阳区托育服务补贴标准

| 序号 | 补贴项目 | 补贴条件 | 补贴标准 |
| --- | --- | --- | --- |
| 1 | 普惠托育机构建设补贴 | 新增普惠性托位 | 每个托位8000元 |
| 2 | 普惠托育机构运营补贴 | 普惠性托位实际收托 | 每个托位每月250元 |
| 3 | 用人单位办托补贴 | 提供福利性托育服务且托位15个以上 | 一次性8万元 |
"""


@pytest.fixture(scope="module")
def linan(settings, tmp_path_factory):
    return assistant_over(settings, tmp_path_factory, "linan",
                          {"linan-qingnian-2026.txt": NOTICE, "fuyang-tuoyu-2026.md": TABLE_NOTICE})


@pytest.mark.parametrize("question, given, siblings", [
    ("我是本科，在临安上班，生活补贴每个月多少？", (1000, "元"), [(500, "元"), (2000, "元")]),
    ("我是硕士研究生，在临安企业上班，生活补贴每个月多少？", (2000, "元"), [(500, "元"), (1000, "元")]),
    ("临安的中小企业稳岗返还按多少比例？", (90, "%"), [(40, "%")]),
    ("临安高级工的技能提升补贴多少？", (1800, "元"), [(800, "元"), (1200, "元")]),
    ("临安半失能老人护理补贴每月多少？", (200, "元"), [(400, "元")]),
    ("临安失能老人护理补贴每月多少？", (400, "元"), [(200, "元")]),
    ("在临安生了二胎，育儿补贴一年多少钱？发到孩子几岁？", (2000, "元"), [(4000, "元")]),
    # items of a clause: 技师 is not 高级技师, though the one word holds the other
    ("拿了技师证在临安工作，没房子，租房补贴一个月多少？", (600, "元"), [(900, "元")]),
    ("临安高级技师租房补贴一个月多少？", (900, "元"), [(600, "元")]),
    # cases side by side, each "…的，" with its figure; 认证 is said of two, 有机 of one
    ("临安这边新拿到有机产品认证，一个产品奖多少钱？", (15000, "元"), [(8000, "元"), (60000, "元")]),
])
def test_the_alternative_the_asker_names_is_answered_without_its_siblings(linan, question, given, siblings):
    a = linan.ask(question)
    assert a.status == "answered" and says(a, *given), a.answer
    assert not any(says(a, *s) for s in siblings), a.answer


def test_what_every_alternative_shares_stays_with_the_one_kept(linan):
    a = linan.ask("我是本科，在临安上班，生活补贴每个月多少？")
    assert "对新引进到我区企业工作的青年人才" in a.answer and "补贴期限最长24个月" in a.answer
    child = linan.ask("在临安生了二胎，育儿补贴一年多少钱？发到孩子几岁？")
    assert "年满3周岁" in child.answer


def test_a_question_naming_no_alternative_gets_them_all(linan):
    a = linan.ask("临安技能提升补贴标准是多少？")
    assert all(says(a, v) for v in (800, 1200, 1800)), a.answer


def test_an_elided_case_is_read_with_the_thing_it_continues(linan):
    """"重新认定的，给予15万元奖励" has no thing of its own: it is the 众创空间 of the case before it."""
    again = linan.ask("临安的市级众创空间重新认定，奖励多少？")
    assert says(again, 15 * 10**4) and not says(again, 30 * 10**4), again.answer
    first = linan.ask("临安的市级众创空间首次认定奖励多少？")
    assert says(first, 30 * 10**4) and not says(first, 15 * 10**4), first.answer
    both = linan.ask("临安的市级众创空间奖励多少？")
    assert says(both, 30 * 10**4) and says(both, 15 * 10**4), both.answer


def test_the_askers_situation_is_not_a_question_of_its_own(linan):
    """"我是本科，在临安上班，" asks nothing: it is read with the question that follows, not answered
    as a second question (which quoted the first alternative as its answer)."""
    from assistant.understanding import understand

    q = understand("我是本科，在临安上班，生活补贴每个月多少？", [], linan.catalog)
    assert len(q.parts) == 1 and "本科" in q.parts[0]
    two = understand("临安众创空间奖励多少，育儿补贴发到几岁？", [], linan.catalog)
    assert len(two.parts) == 2


def test_an_amount_asked_beside_a_duration_is_an_amount(linan):
    from assistant.understanding import understand

    q = understand("临安生活补贴最高多少，能领几年？", [], linan.catalog)
    assert "元" in q.units and "年" in q.units


def test_an_increment_whose_condition_the_asker_misses_is_not_offered(linan):
    """"安置人数不少于8人的，另给予…5万元": 3个残疾人 (个 counts people here) do not reach it; 9 do."""
    few = linan.ask("我们公司在临安，招了3个残疾人，有啥补贴？")
    assert few.status == "answered" and says(few, 4000) and not says(few, 5 * 10**4), few.answer
    many = linan.ask("我们公司在临安，安置了9个残疾人，有啥补贴？")
    assert says(many, 4000) and says(many, 5 * 10**4), many.answer


@pytest.mark.parametrize("question, row, figure", [
    ("富阳托育机构新增一个普惠托位，建设补贴多少？", "附表 第1行", (8000, "元")),
    ("富阳普惠托育机构运营补贴每个托位每月多少？", "附表 第2行", (250, "元")),
    ("我们公司在富阳给员工办了个托儿所，有20个托位，能拿什么补贴？", "附表 第3行", (8 * 10**4, "元")),
])
def test_a_clause_that_sends_the_reader_to_its_table_is_answered_with_the_row(linan, question, row, figure):
    a = linan.ask(question)
    assert a.status == "answered" and says(a, *figure), a.answer
    assert any(c.doc_id == "fuyang-tuoyu-2026" and c.clause == row for c in a.citations), a.citations


def test_a_follow_up_that_names_no_thing_of_its_own_keeps_the_topic(linan):
    """"最多能领几年？" and "是一次性发吗？" name nothing: they ask about what the conversation was about."""
    first = "我是硕士研究生，在临安企业上班，生活补贴每个月多少？"
    years = linan.ask("最多能领几年？", history=[{"role": "user", "content": first},
                                           {"role": "assistant", "content": linan.ask(first).answer}])
    assert years.status == "answered" and says(years, 24, unit="个月"), years.answer
    turns = ["临安高层次人才首次买房补贴多少？", "B类呢？"]
    history = []
    for t in turns:
        history += [{"role": "user", "content": t}, {"role": "assistant", "content": linan.ask(t, history=history).answer}]
    paid = linan.ask("是一次性发吗？", history=history)
    assert paid.status == "answered" and says(paid, 4, unit="年") and says(paid, 25, unit="%"), paid.answer


def test_an_age_picks_its_range_among_respective_figures(linan):
    a = linan.ask("我爷爷今年95岁，户口在临安，高龄津贴每月多少？")
    assert a.status == "answered" and says(a, 150), a.answer
    assert not says(a, 80) and not says(a, 400), a.answer


def test_a_multiple_of_the_standard_goes_with_it_for_the_asker_it_names(linan):
    """"在本区重点产业企业工作的技能人才，按上述标准的1.2倍发放": said to someone working in one, not to others."""
    there = linan.ask("我是技师，在临安一家重点产业企业上班，没房子，租房补贴每月多少？")
    assert says(there, 600) and says(there, 1.2, unit="倍"), there.answer
    elsewhere = linan.ask("我是技师，在临安上班，没房子，租房补贴每月多少？")
    assert says(elsewhere, 600) and not says(elsewhere, 1.2, unit="倍"), elsewhere.answer


def test_whom_to_ask_about_a_table_row_is_its_sections_lead(linan):
    a = linan.ask("富阳的托育补贴找哪个部门问？")
    assert a.status == "answered" and "区卫生健康局" in a.answer, a.answer
    assert all(c.clause != "附表 第1行" for c in a.citations)


def test_where_to_apply_is_answered_by_the_channel(linan):
    """"在哪里申请" asks for a place or a channel: the notice's clause naming one answers, though it
    does not repeat the subsidy's name; the clause number is said once."""
    a = linan.ask("临安青年人才生活补贴在哪里申请？")
    assert a.status == "answered" and "“临安人才”小程序" in a.answer, a.answer
    assert [c.clause for c in a.citations] == ["（十二）"] and "（十二）（十二）" not in a.answer


def test_several_benefits_together_are_answered_by_the_cap_on_them_all(linan):
    """"加起来有没有上限" is about the closing's cap on several clauses, which names none of them;
    a clause's own cap on one subsidy is not it."""
    a = linan.ask("临安一家企业拿稳岗返还、残疾人就业补贴，加起来有没有上限？")
    assert a.status == "answered" and says(a, 50 * 10**4), a.answer
    assert [c.clause for c in a.citations] == ["（结语）"], a.citations
    one = linan.ask("临安的中小企业稳岗返还按多少比例？")
    assert says(one, 90, unit="%") and not says(one, 50 * 10**4), one.answer


@pytest.mark.parametrize("asked,terms,expected", [
    ("恶性肿瘤门诊一年最多能报多少", ("恶性", "肿瘤", "门诊", "一年", "报"), "恶性肿瘤门诊年度支付限额为8万元。"),
    ("高血压门诊一年最多能报多少", ("高血压", "门诊", "一年", "报"), "高血压、糖尿病门诊年度支付限额为4000元。"),
])
def test_a_list_that_runs_into_the_first_alternative_is_that_alternatives(asked, terms, expected):
    """"高血压、糖尿病门诊…4000元，恶性肿瘤门诊…8万元": 高血压 is listed with 糖尿病, so the 恶性肿瘤 one is
    quoted without it (it read "高血压、恶性肿瘤门诊…8万元", a figure the clause does not give 高血压)."""
    from assistant.extractive import _alternatives

    sentence = "高血压、糖尿病门诊年度支付限额为4000元，恶性肿瘤门诊年度支付限额为8万元。"
    assert _alternatives(sentence, asked, terms) == expected
