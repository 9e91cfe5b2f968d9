"""A notice's text → its tree of units: preamble, sections (with lead department and preamble),
numbered clauses （一）（二）… (heading, 责任单位), closing paragraphs.

Markers are recognised at the start of a line and only in sequence (after （十三） only （十四） opens a
clause), so a wrapped line that happens to start with "（一级…" or "一、" inside a clause is text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import cn2an

from .cleaning import Layout, clean_inline, join_paragraphs, layout
from .errors import CorpusError
from .types import Unit

CN_NUMERAL = "一二三四五六七八九十百零〇"
SECTION_MARK = re.compile(rf"^([{CN_NUMERAL}]+)、(.*)$")
CLAUSE_MARK = re.compile(rf"^[（(]([{CN_NUMERAL}]+)[）)](.*)$")
LEAD = re.compile(r"[（(](?:由)?([^（）()]+?)牵头[）)]\s*$")
RESPONSIBLE = re.compile(r"[（(]责任单位[:：]([^（）()]+)[）)]\s*$")
# A paragraph after the last clause that opens like this starts the closing part of the notice.
CLOSING_OPENERS = ("上述", "本通知", "本文件", "本政策", "本措施", "本意见", "本办法", "文件明确",
                   "以上", "各地", "抄送", "如遇", "附件", "本举措")


def to_int(numeral: str) -> int:
    """十四 → 14."""
    return int(cn2an.cn2an(numeral, "smart"))


def to_numeral(n: int) -> str:
    """14 → 十四."""
    return cn2an.an2cn(n)


def clause_number(raw: str) -> int | None:
    """A clause number as people write it — 十四, （十四）, 第十四条, 14 — or None if it is not one
    (一四 and 十十 are refused: a Chinese numeral must read back as itself)."""
    raw = str(raw).strip().strip("（）() ")
    raw = raw.removeprefix("第").removesuffix("条").strip()
    if len(raw) > 8:  # no clause number is this long (and int() of 4,300+ digits raises)
        return None
    if raw.isdecimal():  # not isdigit(): that admits ² and ①, which int() rejects
        return int(raw) or None
    if not raw or any(ch not in CN_NUMERAL for ch in raw):
        return None
    try:
        n = to_int(raw)
    except Exception:  # cn2an raises several kinds on malformed numerals
        return None
    return n if n > 0 and to_numeral(n) == raw else None


def clause_label(n: int) -> str:
    return f"（{to_numeral(n)}）"


@dataclass
class _Block:
    kind: str  # preamble | section | clause
    number: int = 0
    lines: list[str] = field(default_factory=list)


def _unbalanced(text: str) -> bool:
    return text.count("（") + text.count("(") > text.count("）") + text.count(")")


def _split_blocks(lay: Layout) -> list[_Block]:
    blocks = [_Block("preamble")]
    next_section, next_clause = 1, 1
    lines = lay.lines
    i = 0
    while i < len(lines):
        line = lines[i]
        sec = SECTION_MARK.match(line)
        cla = CLAUSE_MARK.match(line)
        if sec and to_int(sec.group(1)) == next_section:
            header = [line]
            while _unbalanced("".join(header)) and i + 1 < len(lines) and len(header) < 3:
                i += 1
                header.append(lines[i])
            blocks.append(_Block("section", next_section, header))
            next_section += 1
        elif cla and to_int(cla.group(1)) == next_clause:
            blocks.append(_Block("clause", next_clause, [line]))
            next_clause += 1
        else:
            blocks[-1].lines.append(line)
        i += 1
    return blocks


def _heading(body: str) -> str:
    """The clause's heading sentence: its text up to the first 。 (without the marker)."""
    first = re.split(r"[。；]", body, maxsplit=1)[0]
    return first if len(first) <= 60 else first[:60]


def parse_units(raw: str, doc_id: str, *, source: str = "") -> list[Unit]:
    """Parse a notice into units. Raises CorpusError when no numbered clauses are found."""
    lay = layout(raw)
    blocks = _split_blocks(lay)
    clauses = [b for b in blocks if b.kind == "clause"]
    if not clauses:
        raise CorpusError(
            f"{source or doc_id}: no numbered clauses （一）（二）… found. Check that the file holds the "
            "notice's full text, one clause per paragraph starting with （一）, （二）, …")
    units: list[Unit] = []
    section, section_no, lead = "", 0, ""
    order = 0

    def add(**kw) -> None:
        nonlocal order
        order += 1
        units.append(Unit(doc_id=doc_id, section=section, section_number=section_no,
                          lead_department=lead, order=order, **kw))

    for block in blocks:
        if block.kind == "preamble":
            text = "\n".join(join_paragraphs(block.lines, lay))
            if text:
                add(kind="preamble", number=0, text=text)
        elif block.kind == "section":
            header = clean_inline("".join(block.lines[:_header_len(block.lines)]))
            body = block.lines[_header_len(block.lines):]
            m = LEAD.search(header)
            lead = m.group(1).strip() if m else ""
            section = LEAD.sub("", header).strip()
            section_no = block.number
            intro = "\n".join(join_paragraphs(body, lay))
            if intro:
                add(kind="section_intro", number=section_no, text=f"{section}\n{intro}",
                    heading=section.split("、", 1)[-1])
        else:
            paras = join_paragraphs(block.lines, lay)
            closing: list[str] = []
            if block is clauses[-1]:
                for j, para in enumerate(paras[1:], start=1):
                    if para.startswith(CLOSING_OPENERS):
                        paras, closing = paras[:j], paras[j:]
                        break
            text = "\n".join(paras)
            body = CLAUSE_MARK.match(text).group(2)
            resp = RESPONSIBLE.search(text)
            add(kind="clause", number=block.number, clause=clause_label(block.number), text=text,
                heading=_heading(body), responsible=resp.group(1).strip() if resp else "")
            for k, para in enumerate(_closing_paragraphs(closing), start=1):
                add(kind="closing", number=k, text=para)
    return units


def _header_len(lines: list[str]) -> int:
    """How many of a section block's first lines form its header (a header may wrap once)."""
    n = 1
    while n < len(lines) and _unbalanced("".join(lines[:n])) and n < 3:
        n += 1
    return n


def _closing_paragraphs(paras: list[str]) -> list[str]:
    """Closing paragraphs, split again where a sentence opens a new topic (a PDF may hide the break)."""
    opener = "|".join(re.escape(o) for o in CLOSING_OPENERS)
    out: list[str] = []
    for para in paras:
        out.extend(p for p in re.split(rf"(?<=[。；])(?=(?:{opener}))", para) if p)
    return out
