"""A rate is quoted with the cap that bounds what it comes to: "每平方米补助50元" with the clause's closing
"单个主体累计最高不超过60万元", but not with a sibling item's own cap. A notice written for the purpose
(青禾县, made up), through the real Assistant (real parser, real Chroma in a temp dir, real model).

Found by a fifth blind set (evals/holdout5.jsonl): "8栋春秋大棚…能拿多少补贴？" got 每平方米20元 without
the 第九条's closing "单个申请主体…累计最高不超过100万元"."""
from __future__ import annotations

import pytest

from tests.written_notices import assistant_over, says

QINGHE_SHESHI = """青禾县设施农业奖补办法

第一条　本办法适用于在本县从事农业生产经营的农户、家庭农场、农民合作社和农业企业（以下统称申请主体）。
第二条　新建设施农业项目，按照以下标准给予一次性奖补：
（一）新建日光温室的，按占地面积每平方米补助50元；
（二）新建钢架大棚的，按占地面积每平方米补助15元。单栋大棚最高补助2万元。
单个主体累计最高不超过60万元。
第三条　对购置水肥一体化设备的，按购置价格的30%给予补助。
第四条　购置下列机具并享受国家农机购置补贴的，县级再给予累加补贴：
（一）150马力以上的拖拉机，每台累加补贴1.2万元；
（二）80马力（含）至150马力（含）的拖拉机，每台累加补贴6000元。
累加补贴与国家补贴合计不得超过该机具实际购置价格的40%。
第五条　单个主体每年享受累加补贴金额累计不超过8万元。
农民合作社每年享受累加补贴金额累计可放宽至15万元。
第六条　本办法自2026年5月1日起施行，有效期3年。

青禾县人民政府办公室
2026年4月20日
"""


@pytest.fixture(scope="module")
def assistant(settings, tmp_path_factory):
    return assistant_over(settings, tmp_path_factory, "caps", {"qinghe-sheshi-2026.txt": QINGHE_SHESHI})


def test_a_rate_comes_with_the_clauses_closing_cap(assistant):
    a = assistant.ask("我们在青禾县新建了6亩日光温室，能补多少？")
    assert a.status == "answered", a.answer
    assert says(a, 50) and says(a, 600000), a.answer
    assert not says(a, 20000), a.answer  # the 大棚's own cap is not the 温室's


def test_a_rate_whose_item_caps_it_keeps_that_cap(assistant):
    a = assistant.ask("青禾县新建钢架大棚每平方米补多少？")
    assert says(a, 15) and says(a, 20000), a.answer


def test_a_yes_no_question_with_the_askers_figures_gets_the_cap_that_decides_it(assistant):
    """160马力 picks （一） (马力 is a unit; "不是" would be wrong: 已经拿了9万 is told, not a premise),
    and the closing 40% cap on the two subsidies together is what answers "能拿全吗"."""
    a = assistant.ask("我在青禾县买了台160马力的拖拉机，实际花了25万，国家补贴已经拿了9万，县里的累加补贴能拿全吗？")
    assert a.status == "answered", a.answer
    assert says(a, 12000) and says(a, 40, "%") and not says(a, 6000), a.answer
    assert not a.answer.startswith(("是的", "不是")), a.answer


def test_whether_the_figure_just_given_holds_for_the_asker_is_a_follow_up_asking_their_figure(assistant):
    first = assistant.ask("青禾县农机累加补贴，一个主体一年最多能拿多少钱？")
    assert says(first, 80000), first.answer
    history = [{"role": "user", "content": "青禾县农机累加补贴，一个主体一年最多能拿多少钱？"},
               {"role": "assistant", "content": first.answer}]
    a = assistant.ask("我们是农民合作社，也是这个数吗？", history=history)
    assert a.status == "answered" and says(a, 150000), a.answer
