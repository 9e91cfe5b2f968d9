"""The shape fixtures (tests/fixtures/shapes) are what EXPECTED.md says, and the shapes eval set is
consistent with them: the generated .pdf/.docx hold their sources' text with the artefacts they are
meant to show, and every expected figure of evals/shapes.jsonl is in the text of its gold unit.

No policyqa parsing here: these tests guard the test material itself (scripts/check_shapes.py).
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHAPES = ROOT / "tests" / "fixtures" / "shapes"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def check():
    return _script("check_shapes")


def test_every_notice_in_expected_md_is_a_file():
    listed = ["yinzhou-2025.txt", "feixi-2025.txt", "keqiao-yijiuhuanxin-banfa.txt", "nanhai-rencai.md",
              "wuhou-fuwuye.html", "kuiwen-jiadian-2025.docx", "dinghai-2025.pdf", "wujiang-2024.txt",
              "wujiang-2025.txt", "qingshanhu-nev-draft.txt"]
    expected_md = (SHAPES / "EXPECTED.md").read_text(encoding="utf-8")
    for name in listed:
        assert (SHAPES / name).is_file(), name
        assert f"## {name} —" in expected_md, name
    assert sorted(p.name for p in SHAPES.glob("*.meta.json")) == ["nanhai-rencai.meta.json"]


def test_pdf_text_layer_holds_chinese_text_with_print_artefacts():
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(SHAPES / "dinghai-2025.pdf").pages]
    text = "\n".join(pages)
    assert len(pages) == 5
    assert "舟山市定海区人民政府" in pages[0] and "定政发〔2025〕4号" in pages[0]
    for marker in ("—1—", "- 2 -", "—3—", "- 4 -", "—5—"):
        assert marker in text
    assert "最高 8\n00万元" in text  # a number broken across lines
    assert "600\n0元" in text
    assert "８％" in text and "５万人次" in text  # full-width digits
    assert "1.3 万元" in text and "100 元/标箱" in text  # spaces between number and unit
    assert "序号\n船型\n船长\n补助标准\n1\n钢质捕捞渔船" in pages[4]  # the table as lines of cells


def test_docx_tables_sit_between_paragraphs_in_document_order():
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    d = docx.Document(str(SHAPES / "kuiwen-jiadian-2025.docx"))
    body = [Paragraph(el, d) if el.tag.endswith("}p") else Table(el, d)
            for el in d.element.body.iterchildren() if el.tag.endswith(("}p", "}tbl"))]
    tables = [i for i, b in enumerate(body) if isinstance(b, Table)]
    assert len(tables) == 2
    first, second = (body[i] for i in tables)
    assert len(first.rows) == 10 and len(second.rows) == 4  # header + 9, header + 3
    assert [c.text for c in first.rows[3].cells] == ["3", "洗衣机", "一级", "20%", "1800元"]
    assert body[tables[0] - 1].text.endswith("补贴标准表") and body[tables[0] - 2].text == "附表1"
    assert body[tables[0] + 1].text.startswith("注：")  # the note follows its table
    assert body[tables[1] - 2].text == "附表2"
    styles = {b.text: b.style.name for b in body if isinstance(b, Paragraph)}
    assert styles["奎文区2025年家电以旧换新补贴实施方案"] == "Heading 1"
    assert styles["二、补贴标准"] == "Heading 2"


def test_generated_files_hold_their_sources_text(check):
    assert check.check_generated() == []


def test_rebuilding_the_generated_files_changes_no_byte(tmp_path):
    pytest.importorskip("reportlab", reason="pip install -e '.[fixtures]' to rebuild the PDF fixture")
    make = _script("make_fixtures")
    for out in make.build(tmp_path):
        assert out.read_bytes() == (SHAPES / out.name).read_bytes(), out.name


def test_reference_tree_counts_match_expected_md(check):
    units = {d: check.read_tree(d) for d in check.NOTICES}
    clauses = {d: [p.label for p in parts if p.kind == "clause"] for d, parts in units.items()}
    assert {d: len(c) for d, c in clauses.items()} == {
        "yinzhou-2025": 24, "feixi-2025": 20, "keqiao-yijiuhuanxin-banfa": 26, "nanhai-rencai": 16,
        "wuhou-fuwuye": 18, "kuiwen-jiadian-2025": 15, "dinghai-2025": 18, "wujiang-2024": 20,
        "wujiang-2025": 22, "qingshanhu-nev-draft": 15}
    assert clauses["feixi-2025"][4] == "二、（一）"
    rows = [p.label for p in units["kuiwen-jiadian-2025"] if p.kind == "table_row"]
    assert rows[0] == "附表1 第1行" and rows[-1] == "附表2 第3行" and len(rows) == 12
    items = [i.label for p in units["keqiao-yijiuhuanxin-banfa"] for i in p.children]
    assert "第十条第（一）项第2目" in items and "第六条第二款" in items and len(items) == 33


def test_shapes_eval_set_is_consistent_with_the_fixtures(check):
    path = ROOT / "evals" / "shapes.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(cases) >= 80
    assert check.check_cases(path) == []


def test_the_checker_catches_a_figure_that_is_not_in_its_gold_unit(check, tmp_path):
    bad = {"id": "x", "kind": "numeric", "turns": ["鄞州区省级重点实验室奖励多少？"], "region": "宁波市鄞州区",
           "expected_facts": [{"value": 3000000, "unit": "元"}],
           "gold_citations": [{"doc_id": "yinzhou-2025", "clause": "（三）"}], "expected_status": "answered"}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = check.check_cases(path)
    assert len(problems) == 1 and "in none of its gold units" in problems[0]
