"""An adjustment notice says each new figure with the one it replaces ("由3000元调整为4000元", "75%（原为65%）"):
the answer gives the figure that applies now, and the old one only when the question asks about the change.
A notice written for the purpose (青禾县医疗保障局, made up; a 文件 under its red header, numbered 1.…5.,
no .meta.json), through the real Assistant (real parser, real Chroma in a temp dir, real model).

Found by a fifth blind set (evals/holdout5.jsonl): "最高还是只能贷40万吧？" was answered by quoting
"由40万元调整为50万元" — the asker's own outdated figure read back to them; the notice was titled by its
red header (「…管理中心文件」); "首套和二套最低首付分别是几成？" got only the 首套 sentence; and an asker
with 3.2万 was told "不符合" for the rule's "不足2万元的，按2万元计算" beside the 15倍 that applies to them.
"""
from __future__ import annotations

import pytest

from assistant.amendments import current_wording
from tests.written_notices import assistant_over, says

QINGHE_YIBAO = """青禾县医疗保障局文件

青医保发〔2026〕3号

青禾县医疗保障局
关于调整城乡居民医疗保障待遇的通知

各乡镇医保所、各定点医疗机构：

为减轻参保群众医疗费用负担，现就调整我县城乡居民医疗保障待遇有关事项通知如下：

1. 提高门诊慢特病年度支付限额。高血压、糖尿病门诊年度支付限额由3000元调整为4000元，恶性肿瘤门诊年度支付限额由5万元提高到8万元。

2. 提高住院报销比例。在县内定点医院住院的，政策范围内费用报销比例为75%（原为65%）；转诊到县外住院的，政策范围内费用报销比例为55%（原为50%）。

3. 降低大病保险起付线。大病保险起付线从每人每年1.5万元下调为1.2万元，起付线以上部分按60%报销。

4. 缩短新参保等待期。新参保居民的待遇等待期由6个月缩短为3个月。

5. 调整医疗救助计算方式。医疗救助按救助对象年度个人负担费用的70%计算；年度个人负担费用不足1000元的，按1000元计算。

6. 实施阶段性参保缴费补助。2026年1月1日至2026年6月30日期间首次参保的城乡居民，个人缴费部分每人补助100元。本条到期自动终止。

本通知自2026年4月1日起执行，有效期至2028年3月31日。本通知执行前已发生的医疗费用，仍按原规定执行。

青禾县医疗保障局
2026年3月2日
"""


QINGHE_NONGJI = """青禾县农机作业补贴办法

第一条　对开展秸秆还田作业的，按每亩25元给予补贴。
第二条　对开展免耕播种作业的，按每亩30元给予补贴。
第三条　本办法自2026年5月1日起施行，有效期3年。《青禾县农机购置补贴办法》（青政办规〔2022〕1号）同时废止。

青禾县人民政府办公室
2026年4月20日
"""


@pytest.fixture(scope="module")
def assistant(settings, tmp_path_factory):
    return assistant_over(settings, tmp_path_factory, "amendments", {"qinghe-yibao-2026.txt": QINGHE_YIBAO,
                                                                     "qinghe-nongji-2026.txt": QINGHE_NONGJI})


def test_the_current_wording_drops_only_the_replaced_figures():
    assert current_wording("恶性肿瘤门诊年度支付限额由5万元提高到8万元。") == "恶性肿瘤门诊年度支付限额提高到8万元。"
    assert current_wording("报销比例为75%（原为65%）；") == "报销比例为75%；"
    assert current_wording("男性不超过68周岁、女性不超过63周岁（原分别为65周岁、60周岁）。") == "男性不超过68周岁、女性不超过63周岁。"
    # what the old figure was counted per stays with the new one
    assert current_wording("起付线从每人每年1.5万元下调为1.2万元。") == "起付线每人每年下调为1.2万元。"
    # no figure replaced: a start date, an office
    assert current_wording("从2026年1月1日起提高到每人每月800元。") == "从2026年1月1日起提高到每人每月800元。"
    assert current_wording("由县财政局调整为每人每月800元。") == "由县财政局调整为每人每月800元。"


def test_the_notice_is_titled_by_its_title_not_its_red_header(assistant):
    a = assistant.ask("青禾县恶性肿瘤门诊一年最多能报多少？")
    assert "《青禾县医疗保障局关于调整城乡居民医疗保障待遇的通知》" in a.answer, a.answer


@pytest.mark.parametrize("question,now,old,unit", [
    ("青禾县恶性肿瘤门诊一年最多能报多少？", 80000, 50000, "元"),
    ("青禾县新参保的居民要等几个月才能享受待遇？", 3, 6, "个月"),
    ("青禾县大病保险起付线是多少？", 12000, 15000, "元"),
])
def test_the_answer_gives_the_figure_that_applies_now(assistant, question, now, old, unit):
    a = assistant.ask(question)
    assert a.status == "answered", a.answer
    assert says(a, now, unit) and not says(a, old, unit), a.answer


def test_an_outdated_premise_is_corrected_without_reading_it_back(assistant):
    a = assistant.ask("青禾县医保在县内住院，报销比例还是65%吧？")
    assert says(a, 75, "%") and not says(a, 65, "%"), a.answer
    assert not a.answer.startswith("是的"), a.answer


def test_a_question_about_the_change_gets_both_figures(assistant):
    a = assistant.ask("青禾县大病保险起付线原来是多少？现在降到多少了？")
    assert says(a, 15000) and says(a, 12000), a.answer


def test_each_of_two_things_asked_is_answered(assistant):
    a = assistant.ask("青禾县住院，县内和县外的报销比例分别是多少？")
    assert says(a, 75, "%") and says(a, 55, "%"), a.answer


def test_a_special_case_the_asker_is_not_in_does_not_disqualify_them(assistant):
    a = assistant.ask("我在青禾县是医疗救助对象，今年自己负担了3000元，医疗救助怎么算？")
    assert a.status == "answered", a.answer
    assert says(a, 70, "%") and "不符合" not in a.answer, a.answer


def test_a_clause_whose_own_period_has_ended_says_so(assistant):
    """The notice is in force, but its 6. ran 2026-01-01 to 2026-06-30 (the tests' today is 2026-11-22)."""
    a = assistant.ask("青禾县首次参保的居民，个人缴费有补助吗？")
    assert a.status == "answered" and says(a, 100), a.answer
    assert any(n.kind == "ended" and "2026年6月30日" in n.text and "已经结束" in n.text for n in a.notes), a.answer
    other = assistant.ask("青禾县恶性肿瘤门诊一年最多能报多少？")
    assert not any(n.kind == "ended" for n in other.notes), other.answer


def test_a_validity_question_naming_the_repealed_one_gets_the_period_too(assistant):
    """The clause that repeals the old 办法 also states the period: both are quoted, not the repeal alone."""
    a = assistant.ask("青禾县农机作业补贴办法有效期几年？2022年那个农机购置补贴办法还执行吗？")
    assert "有效期3年" in a.answer and "废止" in a.answer, a.answer
