"""The parser pins each notice's exact structure, and the cleaning of PDF artefacts."""
from __future__ import annotations

import re

import pytest

from assistant.cleaning import clean_inline, fold_width, layout, join_paragraphs
from assistant.notices import load_corpus
from assistant.parsing import clause_label, parse_units

from .conftest import CORPUS


@pytest.fixture(scope="module")
def parsed():
    return {ln.notice.doc_id: ln for ln in load_corpus(CORPUS).loaded}


def clauses(ln):
    return [u for u in ln.units if u.kind == "clause"]


@pytest.mark.parametrize("doc_id,n_clauses", [("quzhou-2025", 50), ("jindong-2025-draft", 48)])
def test_sections_and_clauses_complete_and_in_order(parsed, doc_id, n_clauses):
    ln = parsed[doc_id]
    cs = clauses(ln)
    assert [u.number for u in cs] == list(range(1, n_clauses + 1))
    assert [u.clause for u in cs] == [clause_label(n) for n in range(1, n_clauses + 1)]
    assert all(u.text.startswith(u.clause) for u in cs)
    intros = [u for u in ln.units if u.kind == "section_intro"]
    assert [u.section_number for u in intros] == list(range(1, 9))
    assert len({u.section for u in ln.units if u.section}) == 8
    assert [u.order for u in ln.units] == list(range(1, len(ln.units) + 1))
    assert ln.units[0].kind in ("letter", "preamble") and ln.units[-1].kind == "closing"
    assert [u.kind for u in ln.units].count("preamble") == 1


def test_quzhou_clause_14_verbatim_after_cleaning(parsed):
    unit = clauses(parsed["quzhou-2025"])[13]
    assert unit.clause == "（十四）"
    assert unit.heading == "更大力度支持消费品以旧换新"
    assert unit.section == "三、推进服务业高质量发展" and unit.lead_department == "市发改委"
    # The source wraps 1.3万元 / /辆 over two lines and puts spaces before numbers.
    assert "新能源汽车最高补贴1.5万元/辆、燃油车最高补贴1.3万元/辆。" in unit.text
    raw = (CORPUS / "quzhou-2025.txt").read_text(encoding="utf-8")
    start = raw.index("（十四）")
    end = raw.index("（十五）")
    expected = re.sub(r"\s+", "", raw[start:end])
    assert re.sub(r"\s+", "", unit.text) == expected


def test_jindong_clause_and_responsible_units(parsed):
    cs = clauses(parsed["jindong-2025-draft"])
    first, last = cs[0], cs[-1]
    assert first.heading == "加强科创平台效能建设"
    assert first.responsible == "区科技局、区经信局"
    assert first.lead_department == "区科技局"
    assert last.clause == "（四十八）" and "13800元以上" in last.text
    raw = (CORPUS / "jindong-2025-draft.txt").read_text(encoding="utf-8")
    line = next(l.strip() for l in raw.splitlines() if l.strip().startswith("（四十八）"))
    assert last.text == line


def test_cleaning_removes_pdf_artefacts(parsed):
    quzhou = parsed["quzhou-2025"]
    everything = "\n".join(u.text for u in quzhou.units)
    assert "—3—" not in everything and "—4—" not in everything
    assert "％" not in everything and "85%" in everything
    assert "８米" not in everything and "8米以下" in everything
    assert "不低于8000万元" in everything  # "不低于 8000万元" in the source
    assert "1.4万元以上" in everything  # "1.4" / "万元以上" across lines
    sec4 = next(u for u in quzhou.units if u.kind == "section_intro" and u.section_number == 4)
    assert sec4.section == "四、推进陆港城市和综合交通枢纽建设" and sec4.lead_department == "市交通运输局"
    assert "全市财政预算安排资金9.07亿元" in sec4.text
    # A page marker inside a clause disappears and the clause reads on.
    c2 = clauses(quzhou)[1]
    assert "优势企业等创新主体" in c2.text and "单个项目最高可给予300万元资助" in c2.text


def test_closing_paragraphs_are_units(parsed):
    closing = [u for u in parsed["quzhou-2025"].units if u.kind == "closing"]
    assert any("支持总额为156.97亿元" in u.text for u in closing)
    assert any("均为2025年全年实施有效" in u.text for u in closing)
    assert "156.97" not in clauses(parsed["quzhou-2025"])[-1].text
    jd_closing = [u for u in parsed["jindong-2025-draft"].units if u.kind == "closing"]
    assert any("10.7亿元" in u.text for u in jd_closing)


def test_cleaning_functions():
    assert fold_width("85％，８米（一）") == "85%，8米（一）"
    assert clean_inline("达到 1.4万元， ETC 记账卡 Quzhou City") == "达到1.4万元，ETC记账卡Quzhou City"
    lines = ["补贴 1.3万元" + "字" * 24] * 5 + ["/辆。"] + ["下一段" + "字" * 25] * 6
    lay = layout("\n\n".join(lines))
    assert lay.hard_wrapped
    paras = join_paragraphs(lay.lines, lay)
    assert paras[0].endswith("字/辆。") and len(paras) == 2


def test_quzhou_covering_letter_is_its_own_unit(parsed):
    letter, preamble = parsed["quzhou-2025"].units[:2]
    assert letter.kind == "letter" and letter.label == "（通知）"
    assert "印发给你们" in letter.text and letter.text.endswith("（此件公开发布）")
    assert preamble.kind == "preamble" and preamble.text.startswith("为深入贯彻落实") and "印发给你们" not in preamble.text


def test_text_without_numbering_is_indexed_by_paragraph():
    units = parse_units("为规范管理，制定本细则。\n对新建项目给予补助，每个最高10万元。\n补助资金当年拨付。", "x")
    assert [(u.kind, u.label) for u in units] == [("preamble", "（前言）"), ("clause", "第1段"), ("clause", "第2段")]
    assert units[1].text == "对新建项目给予补助，每个最高10万元。"


def test_clause_number_refuses_what_only_looks_like_digits():
    from assistant.parsing import clause_number

    assert [clause_number(x) for x in ("十四", "（十四）", "第十四条", "14", "①", "²", "一四", "")] == [
        14, 14, 14, 14, None, None, None, None]


CONSULTATION_WITH_A_LIST = """祁门县农业农村局关于公开征求《祁门县茶产业高质量发展扶持办法（征求意见稿）》意见的公告
为提高政策制定的公众参与度，现将《祁门县茶产业高质量发展扶持办法（征求意见稿）》向社会公开征求意见。征求意见时间为2026年5月6日至2026年6月5日，社会各界可通过以下方式提出意见：
1. 电子邮件：qmnyj@example.cn；
2. 书面信函：寄至祁门县农业农村局产业科；
3. 联系电话：0559-4511234。
祁门县农业农村局
2026年5月6日
祁门县茶产业高质量发展扶持办法（征求意见稿）
为推动茶产业高质量发展，制定本办法。
一、茶园提升。对新建标准化生态茶园，每亩补助800元。
二、加工升级。对购置清洁化加工设备的，按设备投资额的30%给予补助，最高20万元。
三、品牌建设。对新获得国家地理标志认证的，一次性奖励10万元。
本办法自发布之日起施行。"""


def test_a_numbered_list_in_the_covering_letter_numbers_nothing_of_the_body():
    """The letter's "1. 电子邮件… 2. 书面信函…" were taken for the notice's clauses, and its 一、二、三、
    (a shallower kind after them, each a long line) for text of the last one."""
    units = parse_units(CONSULTATION_WITH_A_LIST, "qimen-cha-draft")
    assert [(u.kind, u.label) for u in units if u.kind in ("letter", "clause")] == [
        ("letter", "（通知）"), ("clause", "一、"), ("clause", "二、"), ("clause", "三、")]
    letter = units[0]
    assert "书面信函" in letter.text and letter.text.endswith("2026年5月6日")
    assert units[2].heading == "茶园提升" or "每亩补助800元" in units[2].text
