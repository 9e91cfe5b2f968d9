"""A clause that sends the reader to a table ("按附表1相应标准给予补贴") is answered with the table's rows,
and a row with the clause that points to it (its conditions and caps). A notice written for the purpose
(青禾县, made up; Markdown with 附表1 as a Markdown table), through the real Assistant (real parser, real
Chroma in a temp dir, real model).

Found by a fifth blind set (evals/holdout5.jsonl): "每档一辆分别补多少？" got the clause without the table;
"2台4.2吨的…3台9吨的" got neither of the two rows the asker's vehicles fall in; and "库容1.2万吨…有没有
封顶？" got the row without the clause's "单个项目补贴最高不超过200万元"."""
from __future__ import annotations

import pytest

from tests.written_notices import assistant_over, says

QINGHE_LENGLIAN = """# 青禾县支持冷链物流发展若干措施

**（一）支持冷库建设。** 对新建冷库且设备投资额达到100万元以上的项目，按项目总库容对应档次给予一次性补贴，补贴标准见附表1；单个项目补贴最高不超过80万元。

**（二）支持冷藏车更新。** 对在县内注册的企业新购置并在县内上牌的冷藏车，按附表1相应标准给予补贴，单个企业每年补贴车辆最多不超过10辆。

**（三）支持冷链人才引进。** 对冷链物流企业新引进的本科及以上学历人才，每人每月给予生活补贴800元，最长发放24个月。（责任单位：县人力资源和社会保障局）

### 附表1　青禾县冷链设施装备补贴标准

| 序号 | 补贴项目 | 规格条件 | 补贴标准 |
|---|---|---|---|
| 1 | 新建冷库 | 库容500吨（含）至2000吨 | 每吨120元 |
| 2 | 新建冷库 | 库容2000吨（含）以上 | 每吨160元 |
| 3 | 冷藏车 | 总质量3.5吨（含）以下 | 每辆8000元 |
| 4 | 冷藏车 | 总质量3.5吨以上至10吨（含） | 每辆1.6万元 |
| 5 | 冷藏车 | 总质量10吨以上 | 每辆2.5万元 |

青禾县人民政府办公室
2026年3月2日
"""


@pytest.fixture(scope="module")
def assistant(settings, tmp_path_factory):
    return assistant_over(settings, tmp_path_factory, "tablerefs", {"qinghe-lenglian-2026.md": QINGHE_LENGLIAN})


def test_each_tier_asked_gets_every_row_of_the_table_on_it(assistant):
    a = assistant.ask("青禾县买冷藏车的补贴是按吨位分档的吗？每档一辆分别补多少？")
    assert a.status == "answered", a.answer
    assert says(a, 8000) and says(a, 16000) and says(a, 25000), a.answer
    assert not says(a, 120) and not says(a, 160), a.answer  # the 冷库 rows are not about it


def test_the_askers_own_figures_pick_the_rows_they_fall_in(assistant):
    a = assistant.ask("我们公司在青禾县注册，今年买2台3吨的冷藏车，再买1台8吨的冷藏车，都在县里上牌，一共能补多少？")
    assert says(a, 8000) and says(a, 16000) and not says(a, 25000), a.answer


def test_a_row_comes_with_the_cap_of_the_clause_that_points_to_it(assistant):
    a = assistant.ask("我们在青禾县新建了一个冷库，库容3000吨，设备投了300万，按库容能补多少？有没有封顶？")
    assert says(a, 160) and says(a, 800000), a.answer
    assert {c.clause for c in a.citations} >= {"（一）"}, a.citations


def test_a_figure_and_whom_to_ask_in_one_question_get_both(assistant):
    """"最长发多久？这事归哪个部门？" is answered with the figure and the 责任单位, not the 责任单位 alone."""
    a = assistant.ask("青禾县冷链企业引进本科人才的生活补贴最长发多久？这事归哪个部门？")
    assert a.status == "answered", a.answer
    assert says(a, 24, "个月") and "县人力资源和社会保障局" in a.answer, a.answer
