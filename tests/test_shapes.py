"""Every shape a notice comes in parses to the tree tests/fixtures/shapes/EXPECTED.md states: every
clause, article, item and table row, with its label as printed; and no input raises a traceback."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.notices import load_notice

SHAPES = Path(__file__).resolve().parent / "fixtures" / "shapes"
CN = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五", "十六",
      "十七", "十八", "十九", "二十", "二十一", "二十二", "二十三", "二十四", "二十五", "二十六"]


def paren(n: int) -> list[str]:
    return [f"（{c}）" for c in CN[:n]]


# EXPECTED.md's counts. Closing paragraphs: the parser splits a closing paragraph again before a
# sentence that opens a new topic (本政策由…, as the seed notices need for a PDF's hidden breaks),
# which EXPECTED.md allows; their joined text is pinned below.
COUNTS = {
    "yinzhou-2025.txt": dict(letter=1, preamble=1, section_intro=6, clause=24, closing=5, items=33),
    "feixi-2025.txt": dict(letter=1, preamble=1, clause=20, closing=4, items=3),
    "keqiao-yijiuhuanxin-banfa.txt": dict(letter=1, clause=26, items=33),
    "nanhai-rencai.md": dict(letter=1, preamble=1, clause=16, closing=3, table_row=5, items=3),
    "wuhou-fuwuye.html": dict(letter=1, preamble=1, clause=18, closing=2, table_row=7),
    "kuiwen-jiadian-2025.docx": dict(letter=1, preamble=1, clause=15, closing=3, table_row=12, attachment=1),
    "dinghai-2025.pdf": dict(letter=1, preamble=1, section_intro=3, clause=18, closing=3, table_row=6),
    "wujiang-2024.txt": dict(letter=1, preamble=1, section_intro=4, clause=20, closing=5),
    "wujiang-2025.txt": dict(letter=1, preamble=1, section_intro=4, clause=22, closing=5),
    "qingshanhu-nev-draft.txt": dict(letter=1, preamble=1, clause=15, closing=3, items=3),
}
CLAUSES = {
    "yinzhou-2025.txt": paren(24),
    "feixi-2025.txt": [f"{s}（{c}）" for s, n in (("一、", 4), ("二、", 5), ("三、", 4), ("四、", 3), ("五、", 4))
                       for c in CN[:n]],
    "keqiao-yijiuhuanxin-banfa.txt": [f"第{c}条" for c in CN[:26]],
    "nanhai-rencai.md": paren(16),
    "wuhou-fuwuye.html": paren(18),
    "kuiwen-jiadian-2025.docx": paren(15),
    "dinghai-2025.pdf": paren(18),
    "wujiang-2024.txt": paren(20),
    "wujiang-2025.txt": paren(22),
    "qingshanhu-nev-draft.txt": paren(15),
}
ITEMS = {
    "yinzhou-2025.txt": ["（一）1.", "（一）2.", "（三）1.", "（三）2.", "（三）3.", "（五）1.", "（五）2.", "（五）3.",
                         "（六）1.", "（六）2.", "（六）3.", "（六）3.（1）", "（六）3.（2）", "（八）1.", "（八）2.", "（八）3.",
                         "（十一）1.", "（十一）2.", "（十一）2.（1）", "（十一）2.（2）", "（十一）2.（3）", "（十一）3.",
                         "（十四）1.", "（十四）2.", "（十六）1.", "（十六）2.", "（十六）3.", "（十八）1.", "（十八）2.",
                         "（十九）1.", "（十九）2.", "（十九）2.（1）", "（十九）2.（2）"],
    "feixi-2025.txt": ["二、（二）1.", "二、（二）2.", "二、（二）3."],
    "keqiao-yijiuhuanxin-banfa.txt": [
        "第二条第一款", "第二条第二款", *[f"第四条第（{c}）项" for c in CN[:4]], "第五条第一款", "第五条第二款",
        "第六条第一款", "第六条第二款", *[f"第六条第（{c}）项" for c in CN[:3]], *[f"第七条第（{c}）项" for c in CN[:3]],
        "第十条第一款", "第十条第二款", "第十条第（一）项", "第十条第（一）项第1目", "第十条第（一）项第2目",
        "第十条第（二）项", "第十条第（二）项第1目", "第十条第（二）项第2目",
        "第十四条第一款", "第十四条第二款", "第十四条第（一）项", "第十四条第（二）项",
        "第二十二条第一款", "第二十二条第二款", *[f"第二十二条第（{c}）项" for c in CN[:3]]],
    "nanhai-rencai.md": ["（五）1.", "（五）2.", "（五）3."],
    "qingshanhu-nev-draft.txt": ["（一）1.", "（一）2.", "（一）3."],
}
TABLES = {
    "nanhai-rencai.md": [f"附表1 第{i}行" for i in range(1, 6)],
    "wuhou-fuwuye.html": [f"附表 第{i}行" for i in range(1, 8)],
    "kuiwen-jiadian-2025.docx": [f"附表1 第{i}行" for i in range(1, 10)] + [f"附表2 第{i}行" for i in range(1, 4)],
    "dinghai-2025.pdf": [f"附表 第{i}行" for i in range(1, 7)],
}


@pytest.fixture(scope="module")
def loaded():
    return {name: load_notice(SHAPES / name) for name in COUNTS}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", list(COUNTS))
def test_every_unit_found(loaded, name):
    ln = loaded[name]
    expected = dict(COUNTS[name])
    items = expected.pop("items", 0)
    kinds: dict[str, int] = {}
    for u in ln.units:
        kinds[u.kind] = kinds.get(u.kind, 0) + 1
    assert kinds == expected
    assert sum(len(u.items) for u in ln.units) == items
    assert [u.label for u in ln.units if u.kind == "clause"] == CLAUSES[name]
    assert [i.path for u in ln.units for i in u.items] == ITEMS.get(name, [])
    assert [u.label for u in ln.units if u.kind == "table_row"] == TABLES.get(name, [])
    assert [u.order for u in ln.units] == list(range(1, len(ln.units) + 1))
    for kind in kinds:  # number is unique per (doc, kind)
        numbers = [u.number for u in ln.units if u.kind == kind]
        assert len(set(numbers)) == len(numbers)
    for u in ln.units:
        if u.kind in ("clause", "table_row"):
            assert u.text.startswith(u.label.split("、", 1)[-1] if "、（" in u.label else u.label), u.label
        for item in u.items:
            assert 0 <= item.start < item.end <= len(u.text)
            assert u.text[item.start:item.end].startswith(item.label) or "款" in item.label
    report = ln.report
    assert report.clauses_found == report.clauses_expected == len(CLAUSES[name])
    assert not report.gaps and not report.repeats


def test_gb_nested_items_and_departments(loaded):
    ln = loaded["yinzhou-2025.txt"]
    units = {u.label: u for u in ln.units}
    c6 = units["（六）"]
    assert c6.heading == "支持技术改造和设备更新" and c6.section == "二、推动制造业高质量发展"
    assert c6.lead_department == "区经信局" and c6.responsible == "区经信局、区财政局、区金融办"
    items = {i.path: c6.text[i.start:i.end] for i in c6.items}
    assert items["（六）3."].startswith("3.") and "（1）" in items["（六）3."]
    assert items["（六）3.（1）"].startswith("（1）") and "（2）" not in items["（六）3.（1）"]
    assert not any("责任单位" in t for t in items.values())  # the 责任单位 line belongs to the clause
    assert units["（二）"].text.count("\n") == 1  # a clause over two paragraphs is one unit
    intro = next(u for u in ln.units if u.kind == "section_intro" and u.section_number == 1)
    assert intro.label == "一、" and "3.2亿元" in intro.text and intro.lead_department == "区科技局"
    closing = "".join(u.text for u in ln.units if u.kind == "closing")
    assert squeeze(closing).startswith("上述政策2025年区财政预算安排资金合计12.6亿元")
    assert "同时废止" in closing and squeeze(closing).endswith("2025年3月18日印发")


def test_restarting_numbers_carry_their_section(loaded):
    ln = loaded["feixi-2025.txt"]
    c = next(u for u in ln.units if u.label == "三、（四）")
    assert c.text.startswith("（四）汽车消费") and c.section == "三、支持市场开拓" and c.lead_department == "县商务局"
    assert len({u.number for u in ln.units if u.kind == "clause"}) == 20
    closing = [u.text for u in ln.units if u.kind == "closing"]
    assert squeeze("".join(closing)) == squeeze(
        "本措施与上级政策或本县其他政策有重叠的，按照从高、不重复的原则执行。本措施所需资金由县财政统筹安排，2025年预计"
        "安排资金3.5亿元。本措施自印发之日起施行，有效期3年。本措施由县发展改革委会同各牵头单位负责解释。")


def test_articles_items_and_chapters(loaded):
    ln = loaded["keqiao-yijiuhuanxin-banfa.txt"]
    arts = {u.label: u for u in ln.units if u.kind == "clause"}
    a6 = arts["第六条"]
    assert a6.section == "第二章 汽车以旧换新补贴" and a6.heading == ""
    spans = {i.path: a6.text[i.start:i.end] for i in a6.items}
    assert spans["第六条第二款"] == "购买新能源乘用车的，在上述标准基础上每辆再增加2000元。"
    assert spans["第六条第（三）项"] == "（三）新车销售价格在25万元（含）以上的，每辆补贴1.2万元。"
    assert "（一）" in spans["第六条第一款"] and "再增加2000元" not in spans["第六条第一款"]
    a10 = arts["第十条"]
    sub = {i.path: a10.text[i.start:i.end] for i in a10.items}
    assert sub["第十条第（一）项第2目"].startswith("2.") and sub["第十条第（一）项"].startswith("（一）")
    assert arts["第八条"].text.count("第五条") == 1  # a reference inside an article is not an article
    assert arts["第二十六条"].section == "第八章 附则" and not any(u.kind == "closing" for u in ln.units)


def test_table_rows_carry_their_header(loaded):
    rows = {u.label: u for u in loaded["kuiwen-jiadian-2025.docx"].units if u.kind == "table_row"}
    r3 = rows["附表1 第3行"]
    assert "产品类别：洗衣机" in r3.text and "单件最高补贴：1800元" in r3.text and "补贴比例：20%" in r3.text
    assert "补贴上限（元/件）：500" in rows["附表2 第1行"].text
    kuiwen = loaded["kuiwen-jiadian-2025.docx"].units
    note = next(u for u in kuiwen if u.kind == "attachment")
    assert note.label == "附表1" and "吸油烟机" in note.text  # the 注 after table 1 belongs to 附表1
    assert not any("洗碗机按热水器标准执行" in u.text for u in kuiwen if u.kind in ("closing", "clause"))
    # the order of the document: the tables come after the closing paragraph, 附表1 before 附表2
    kinds = [u.kind for u in kuiwen]
    assert kinds.index("closing") < kinds.index("table_row")
    dinghai = {u.label: u.text for u in loaded["dinghai-2025.pdf"].units if u.kind == "table_row"}
    assert "船型：玻璃钢捕捞渔船" in dinghai["附表 第4行"] and "每艘30万元" in dinghai["附表 第4行"]
    wuhou = {u.label: u.text for u in loaded["wuhou-fuwuye.html"].units if u.kind == "table_row"}
    assert "行业类别：卫生和社会工作" in wuhou["附表 第7行"] and "奖励金额：5万元" in wuhou["附表 第7行"]


def test_pdf_artefacts_cleaned(loaded):
    units = {u.label: u.text for u in loaded["dinghai-2025.pdf"].units}
    assert "每辆补贴1.3万元" in units["（九）"] and "每辆补贴6000元" in units["（九）"]
    assert "最高150万元" in units["（十三）"] and "100元/标箱" in units["（十三）"]
    assert "1500亩" in units["（十七）"] and "20万元" in units["（八）"]
    everything = "\n".join(units.values())
    assert "—3—" not in everything and "- 4 -" not in everything and "％" not in everything
    assert "8.9亿元" in "".join(u.text for u in loaded["dinghai-2025.pdf"].units if u.kind == "closing")


def test_markup_removed(loaded):
    md = {u.label: u for u in loaded["nanhai-rencai.md"].units}
    assert md["（一）"].text.startswith("（一）支持顶尖人才团队落户。") and "**" not in md["（一）"].text
    assert md["（一）"].heading == "支持顶尖人才团队落户"
    assert "南海人才服务平台" in md["（十六）"].text and "/rcfw/" not in md["（十六）"].text
    assert md["（四）"].items == ()  # bullets are not items
    html = loaded["wuhou-fuwuye.html"].units
    everything = "\n".join(u.text for u in html)
    for chrome in ("无障碍浏览", "请输入关键词", "索引号", "ICP", "当前位置"):
        assert chrome not in everything
    assert "\xa0" not in everything and not any("信息公开选项" in u.text for u in html if u.kind == "table_row")


def test_parse_report_shapes(loaded):
    assert loaded["keqiao-yijiuhuanxin-banfa.txt"].report.shape == "第N章→第N条"
    assert loaded["yinzhou-2025.txt"].report.shape == "一、→（一）"
    assert loaded["kuiwen-jiadian-2025.docx"].report.tables == (
        "附表1（奎文区2025年家电以旧换新补贴标准表）: 9 行", "附表2（奎文区2025年数码产品购新补贴标准表）: 3 行")


def test_word_automatic_numbering_is_read(tmp_path):
    """一、 and （一） drawn by Word's list numbering are not in the paragraphs' text: they are computed."""
    import docx
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    document = docx.Document()
    numbering = document.part.numbering_part.element
    abstract = etree.Element(f"{w}abstractNum", {f"{w}abstractNumId": "90"})
    for ilvl, text in ((0, "%1、"), (1, "（%2）")):
        lvl = etree.SubElement(abstract, f"{w}lvl", {f"{w}ilvl": str(ilvl)})
        for tag, value in (("start", "1"), ("numFmt", "chineseCounting"), ("lvlText", text)):
            etree.SubElement(lvl, f"{w}{tag}", {f"{w}val": value})
    numbering.insert(0, abstract)
    num = etree.SubElement(numbering, f"{w}num", {f"{w}numId": "90"})
    etree.SubElement(num, f"{w}abstractNumId", {f"{w}val": "90"})

    def numbered(text: str, ilvl: int) -> None:
        num_pr = document.add_paragraph(text)._p.get_or_add_pPr()._add_numPr()
        num_pr._add_ilvl().val = ilvl
        num_pr._add_numId().val = 90

    document.add_paragraph("为支持企业发展，制定本措施。")
    numbered("支持科技创新", 0)
    numbered("研发补助。最高补助100万元。", 1)
    numbered("平台奖励。奖励50万元。", 1)
    numbered("支持消费", 0)
    numbered("汽车补贴。每辆补贴5000元。", 1)
    document.save(str(tmp_path / "auto.docx"))
    units = load_notice(tmp_path / "auto.docx").units
    assert [(u.kind, u.label) for u in units] == [("preamble", "（前言）"), ("clause", "一、（一）"),
                                                  ("clause", "一、（二）"), ("clause", "二、（一）")]
    assert units[3].text == "（一）汽车补贴。每辆补贴5000元。" and units[3].section == "二、支持消费"
