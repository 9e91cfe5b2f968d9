"""A notice's lines → its units: covering letter, preamble, sections, clauses or articles (with their
items), closing paragraphs, attachments and table rows.

``structure.py`` reads the numbering into a tree. Here the tree's kinds get their roles:
- 第一条 articles are the clauses when a notice has them (第一章 chapters are its sections; （一） 项,
  1. 目 and unnumbered 款 are items of an article, not clauses);
- otherwise the outermost numbering (一、) is a section level when its entries are short headings over
  numbered parts, and the next level （一） holds the clauses; deeper levels 1. （1） are items;
- a notice with no numbering at all is indexed paragraph by paragraph (第3段).
Citations keep the notice's own numbering: （十四） stays （十四）, 第五条 stays 第五条; where numbers
restart in each section the label carries the section: 三、（一）.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import cn2an

from .cleaning import Layout, clean_inline, join_paragraphs, layout_lines
from .structure import CN_NUMERAL, KIND, Node, Table, Tree, read_tree, to_int_safe
from .tables import TableRows, find_text_tables, rebuild_cell_lines, table_units
from .types import Item, Unit

LEAD = re.compile(r"[（(](?:由)?([^（）()：:]+?)牵头[）)]\s*$|[（(]牵头单位[:：]([^（）()]+)[）)]\s*$")
RESPONSIBLE = re.compile(r"[（(]责任单位[:：]([^（）()]+)[）)]\s*$", re.M)
RESPONSIBLE_LINE = re.compile(r"^[（(]责任单位[:：][^（）()]+[）)]$")
# A paragraph after the last clause that opens like this starts the closing part of the notice.
CLOSING_OPENERS = ("上述", "本通知", "本文件", "本政策", "本措施", "本意见", "本办法", "文件明确",
                   "以上", "各地", "抄送", "如遇", "附件", "本举措")
# 本方案… / 本细则… : the notice speaking of itself (its period, who interprets it, its budget)
CLOSING_THIS = re.compile(r"^本(?:实施)?(?:方案|细则|规定|计划|决定|公告|政策措施|若干措施|若干政策)")
# A signature, date or print line after the last clause is closing too.
SIGNATURE = re.compile(r"^(?:[\u4e00-\u9fff（）()]{2,30}(?:人民政府|政府|办公室|办公厅|委员会|局|厅|委|中心|公司|管委会)"
                       r"(?:办公室)?|\d{4}年\d{1,2}月\d{1,2}日(?:印发)?|[（(]此件[^）)]*[）)])$")
PUBLICATION_NOTE = re.compile(r"^[（(](?:信息公开选项|公开方式|此件)[^）)]*[）)]$")
SECTION_KINDS = ("part", "chapter", "jie")
NUMBERED_KINDS = ("cn", "paren_cn", "arabic", "paren_arabic", "circled")
HEADING_CHARS = 40  # a section header longer than this reads as a clause, not a heading
SPACED_LABELS = ("part", "chapter", "jie")  # 第二章 消费补贴: one space after the marker


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
    return to_int_safe(raw)


def clause_label(n: int) -> str:
    return f"（{to_numeral(n)}）"


@dataclass(frozen=True)
class Shape:
    """Which marker kinds are sections, which are the clauses; the rest are items."""

    section_kinds: frozenset[str]
    clause_kind: str | None
    name: str  # for the report: 一、→（一）, 第N章→第N条, 段落 …


@dataclass
class Parsed:
    """A notice parsed: its units, and what the ingest report and the metadata reader need."""

    units: list[Unit]
    shape: Shape
    head: list[str]  # the paragraphs before the numbered body (letter, title, preamble), cleaned
    tail: list[str]  # the closing paragraphs
    tables: list[TableRows]
    repeats: list[str]
    gaps: list[str]
    expected_clauses: int  # how many clauses the numbering implies (the highest number of each run)
    notes: list[str] = field(default_factory=list)


def _heading(body: str) -> str:
    """The clause's heading sentence: its text up to the first 。 (without the marker)."""
    first = re.split(r"[。；]", body, maxsplit=1)[0]
    return first if len(first) <= 60 else first[:60]


def decide_shape(body: Node) -> Shape:
    kinds = [n.kind for n in body.walk() if n.kind in KIND]
    present = set(kinds)
    sections = {k for k in SECTION_KINDS if k in present}
    if "article" in present:
        return Shape(frozenset(sections), "article", "→".join([*_names(sections), "第N条"]))
    numbered = [k for k in NUMBERED_KINDS if k in present]
    if not numbered:
        return Shape(frozenset(sections), None, "→".join(_names(sections)) or "段落")
    top = numbered[0]
    if len(numbered) >= 2 and _heading_level(body, top):
        sections.add(top)
        clause = numbered[1]
    else:
        clause = top
    return Shape(frozenset(sections), clause, "→".join([*_names(sections), _name(clause)]))


def _names(kinds) -> list[str]:
    return [_name(k) for k in sorted(kinds, key=lambda k: KIND[k].depth)]


def _name(kind: str) -> str:
    return {"part": "第N部分", "chapter": "第N章", "jie": "第N节", "article": "第N条", "cn": "一、",
            "paren_cn": "（一）", "arabic": "1.", "paren_arabic": "（1）", "circled": "①"}[kind]


def _heading_level(body: Node, kind: str) -> bool:
    """Are the `kind` entries section headings (short headers over numbered parts) or clauses?"""
    nodes = [n for n in body.walk() if n.kind == kind]
    with_parts = sum(1 for n in nodes if n.children)
    headers = sorted(len(clean_inline("".join(n.lines()[: n.header]))) for n in nodes)
    return with_parts * 2 >= len(nodes) and headers[len(headers) // 2] <= HEADING_CHARS


class _Text:
    """A unit's paragraphs joined by newlines, with the offset of each added paragraph."""

    def __init__(self) -> None:
        self.paras: list[str] = []
        self.length = 0

    def add(self, para: str) -> tuple[int, int]:
        start = self.length + (1 if self.paras else 0)
        self.paras.append(para)
        self.length = start + len(para)
        return start, self.length

    @property
    def text(self) -> str:
        return "\n".join(self.paras)


class _Builder:
    def __init__(self, doc_id: str, lay: Layout, shape: Shape, tree: Tree):
        self.doc_id = doc_id
        self.lay = lay
        self.shape = shape
        self.tree = tree
        self.units: list[dict] = []
        self.pending_tables: list[tuple] = []  # (table, caption, section context, attachment)
        self.head: list[str] = []
        self.tail: list[str] = []
        self.section_ctx = {"section": "", "section_number": 0, "lead_department": "", "section_label": "",
                            "section_chain": "", "section_ordinal": 0}
        self.section_ordinal = 0

    # -- paragraphs ------------------------------------------------------------------------------
    def paragraphs(self, lines: list[str]) -> list[str]:
        return join_paragraphs(lines, self.lay) if lines else []

    def add(self, **kw) -> None:
        self.units.append({**{k: v for k, v in self.section_ctx.items()
                              if k in ("section", "section_number", "lead_department")}, **kw,
                           "_ctx": dict(self.section_ctx)})

    # -- the body ----------------------------------------------------------------------------------
    def build(self) -> None:
        body = self.tree.body
        lead_lines, rest = _split_leading(body)
        head = self.paragraphs([x for x in lead_lines if isinstance(x, str)])
        self.head = head
        letter, preamble = split_letter(head)
        paragraph_mode = self.shape.clause_kind is None and not self.shape.section_kinds
        body_paras: list[str] = []
        if paragraph_mode:  # no numbering: the preamble is the opening 为…/根据… paragraph, if any
            opener = next((i for i, p in enumerate(preamble[:3]) if p.startswith(PREAMBLE_OPENERS)), None)
            cut = 0 if opener is None else opener + 1
            preamble, body_paras = preamble[:cut], preamble[cut:]
        if letter:
            self.add(kind="letter", text="\n".join(letter))
        if preamble:
            self.add(kind="preamble", text="\n".join(preamble))
        if not paragraph_mode:
            for t in (x for x in lead_lines if isinstance(x, Table)):
                self._table(t, caption="")
        if paragraph_mode:
            self._paragraph_mode(body_paras, [t for t in lead_lines if isinstance(t, Table)])
        else:
            for entry in rest:
                self._node(entry)
        self._closing()
        for att in self.tree.attachments:
            self._attachment(att)

    def _paragraph_mode(self, paras: list[str], tables: list[Table]) -> None:
        """No numbering: each paragraph is a unit, cited as 第N段."""
        for n, para in enumerate(paras, start=1):
            self.add(kind="clause", number=n, clause=f"第{n}段", text=para, heading=_heading(para), _para=True)
        for t in tables:
            self._table(t, caption="")

    def _node(self, node: Node) -> None:
        if node.kind in self.shape.section_kinds:
            self._section(node)
        elif node.kind == self.shape.clause_kind:
            self._clause(node)
        else:  # an item-kind node outside any clause (a list right under a section): a section paragraph
            self._loose(node)

    def _section(self, node: Node) -> None:
        self.section_ordinal += 1
        header_lines = node.lines()[: node.header]
        header = clean_inline("".join(header_lines))
        m = LEAD.search(header)
        lead = (m.group(1) or m.group(2)).strip() if m else ""
        title = LEAD.sub("", header).strip()
        if node.kind in SPACED_LABELS:
            rest_title = title[len(node.label):].strip() if title.startswith(node.label) else title
            title = f"{node.label} {rest_title}".strip()
        parent_chain = self.section_ctx["section_chain"] if self._inside_section(node) else ""
        saved = dict(self.section_ctx)
        self.section_ctx = {"section": title, "section_number": node.number, "lead_department": lead,
                            "section_label": node.label, "section_chain": parent_chain + node.label,
                            "section_ordinal": self.section_ordinal}
        text = _Text()
        items: list[Item] = []
        own: list[str] = []
        started = False
        for entry in node.content[node.header:]:
            if isinstance(entry, str):
                own.append(entry)
                continue
            if isinstance(entry, Table):
                self._flush(own, text)
                self._table(entry, caption=text.paras[-1] if text.paras else "")
                continue
            if entry.kind in self.shape.section_kinds or entry.kind == self.shape.clause_kind:
                if not started:
                    self._flush(own, text)
                    self._intro(node, title, text, items)
                    started = True
                self._node(entry)
            else:
                self._flush(own, text)
                items += self._items(entry, text, node.label, article=False)
        if not started:
            self._flush(own, text)
            self._intro(node, title, text, items)
        elif own:  # text after the parts (cannot happen: it belongs to the last part) — kept anyway
            self._flush(own, text)
        self.section_ctx = saved

    def _inside_section(self, node: Node) -> bool:
        p = node.parent
        while p is not None:
            if p.kind in self.shape.section_kinds:
                return True
            p = p.parent
        return False

    def _intro(self, node: Node, title: str, text: _Text, items: list[Item]) -> None:
        if text.paras:
            shift = len(title) + 1
            items = [Item(i.label, i.path, i.start + shift, i.end + shift) for i in items]
            self.add(kind="section_intro", number=node.number, text=f"{title}\n{text.text}",
                     heading=title[len(node.label):].strip() if title.startswith(node.label) else title,
                     items=tuple(items))
            text.paras.clear()
            text.length = 0

    def _flush(self, lines: list[str], text: _Text) -> None:
        for para in self.paragraphs(lines):
            text.add(para)
        lines.clear()

    def _loose(self, node: Node) -> None:
        """An item-kind list with no clause above it: kept as a section paragraph with its items."""
        text = _Text()
        items = self._items(node, text, self.section_ctx["section_label"], article=False)
        title = self.section_ctx["section"]
        if self.units and self.units[-1]["kind"] == "section_intro" and \
                self.units[-1]["_ctx"]["section_ordinal"] == self.section_ctx["section_ordinal"]:
            prev = self.units[-1]
            shift = len(prev["text"]) + 1
            prev["text"] = f"{prev['text']}\n{text.text}"
            prev["items"] = tuple(prev.get("items", ())) + tuple(
                Item(i.label, i.path, i.start + shift, i.end + shift) for i in items)
        else:
            shift = len(title) + 1 if title else 0
            self.add(kind="section_intro", number=self.section_ctx["section_number"],
                     text=f"{title}\n{text.text}" if title else text.text, heading=title,
                     items=tuple(Item(i.label, i.path, i.start + shift, i.end + shift) for i in items))

    def _clause(self, node: Node) -> None:
        article = node.kind == "article"
        text = _Text()
        items: list[Item] = []
        kuan: list[int] = []  # where each 款 (an article's unnumbered paragraph) starts
        own: list[str] = []
        self._leaf_paras: list[int] = []
        last_was_item = False
        for entry in node.content:
            if isinstance(entry, str):
                own.append(entry)
            elif isinstance(entry, Table):
                self._flush_kuan(own, text, kuan, article)
                self._table(entry, caption=text.paras[-1] if text.paras else "")
            else:
                self._flush_kuan(own, text, kuan, article)
                items += self._items(entry, text, node.label, article=article, kuan=kuan)
                last_was_item = True
        self._flush_kuan(own, text, kuan, article)
        body = text.text
        if article and last_was_item and len(self._leaf_paras) > 1:
            # 单件最高补贴2000元。 after the last 项: a 款 of the article, not part of the item
            cut = self._leaf_paras[1]
            items = [Item(i.label, i.path, i.start, min(i.end, cut - 1)) for i in items]
            kuan += self._leaf_paras[1:]
        heading_src = body[len(node.label):] if body.startswith(node.label) else body
        resp = [m.group(1).strip() for m in RESPONSIBLE.finditer(body)]
        if article and len(kuan) >= 2:
            bounds = kuan + [len(body) + 1]
            items = [Item(f"第{to_numeral(k + 1)}款", f"{node.label}第{to_numeral(k + 1)}款", bounds[k],
                          bounds[k + 1] - 1) for k in range(len(kuan))] + items
        if items and RESPONSIBLE_LINE.match(text.paras[-1]):  # （责任单位：…） belongs to the clause
            last = len(body) - len(text.paras[-1]) - 1
            items = [Item(i.label, i.path, i.start, min(i.end, last)) for i in items]
        self.add(kind="clause", number=node.number, clause=node.label, text=body,
                 heading="" if article else _heading(heading_src), responsible=resp[-1] if resp else "",
                 items=tuple(items))

    def _flush_kuan(self, lines: list[str], text: _Text, kuan: list[int], article: bool) -> None:
        for para in self.paragraphs(lines):
            start, _ = text.add(para)
            if article:
                kuan.append(start)
        lines.clear()

    def _items(self, node: Node, text: _Text, prefix: str, *, article: bool, kuan: list[int] | None = None,
               level: int = 1, path: str = "") -> list[Item]:
        """The node as an item of its clause (and its sub-items), its paragraphs appended to `text`.

        Article items are cited 第六条第（一）项 / 第（一）项第1目 (with 第二款 when the 项 is not in the
        first 款); other items by their printed labels: （五）2.（1）.
        """
        if article:
            word = "项" if level == 1 else "目" if level == 2 else ""
            part = f"第{node.label.rstrip('.、')}{word}" if word else node.label
        else:
            part = node.label
        path = (path or prefix) + part
        out: list[Item] = []
        own: list[str] = []
        start: int | None = None
        for entry in node.content:
            if isinstance(entry, str):
                own.append(entry)
                continue
            starts = self._add_paras(own, text)
            start = starts[0] if start is None and starts else start
            if isinstance(entry, Table):
                self._table(entry, caption=text.paras[-1] if text.paras else "")
            else:
                out += self._items(entry, text, prefix, article=article, kuan=kuan, level=level + 1, path=path)
        starts = self._add_paras(own, text)
        start = starts[0] if start is None and starts else start
        if not node.children:
            self._leaf_paras = starts
        out.insert(0, Item(node.label, path, start if start is not None else text.length, text.length))
        return out

    def _add_paras(self, lines: list[str], text: _Text) -> list[int]:
        starts = [text.add(para)[0] for para in self.paragraphs(lines)]
        lines.clear()
        return starts

    # -- closing, attachments, tables ------------------------------------------------------------
    def _closing(self) -> None:
        """Paragraphs after the last clause that open like a closing (上述…, 本通知…) or sign it off."""
        idx = next((i for i in range(len(self.units) - 1, -1, -1)
                    if self.units[i]["kind"] in ("clause", "section_intro")), None)
        if idx is None or any(u["kind"] != "_table" for u in self.units[idx + 1:]):
            return
        unit = self.units[idx]
        paras = unit["text"].split("\n")
        first = 2 if unit["kind"] == "section_intro" else 1
        if self.lay.hard_wrapped and not unit.get("items"):
            # a PDF may hide the break before the closing inside a full last line: split at the sentence
            paras = paras[:first - 1] + [p for para in paras[first - 1:] for p in _closing_paragraphs([para])]
        cut = next((j for j in range(first, len(paras))
                    if _opens_closing(paras[j]) or SIGNATURE.match(paras[j])), None)
        if cut is None:
            return
        keep = "\n".join(paras[:cut])
        unit["text"] = keep
        unit["items"] = tuple(Item(i.label, i.path, i.start, min(i.end, len(keep)))
                              for i in unit.get("items", ()) if i.start < len(keep))
        # a PDF may hide a paragraph break: there, split again where a sentence opens a new topic
        closing = _closing_paragraphs(paras[cut:])
        self.tail = closing
        saved = self.section_ctx
        self.section_ctx = {**saved, "section": "", "section_number": 0, "lead_department": ""}
        new = []
        for k, para in enumerate(closing, start=1):
            self.add(kind="closing", number=k, text=para)
            new.append(self.units.pop())
        self.units[idx + 1:idx + 1] = new
        self.section_ctx = saved

    def _attachment(self, att: Node) -> None:
        """An attachment (附件1) or table appendix (附表1): its tables become rows, the lines before a
        table are its caption, other text is cited by the attachment's label."""
        label = att.label
        text = _Text()
        own: list[str] = []
        self.section_ctx = {"section": "", "section_number": 0, "lead_department": "", "section_label": label,
                            "section_chain": label, "section_ordinal": 0}
        content = att.content
        if not any(isinstance(e, Table) for e in content):
            content = rebuild_cell_lines(content)
        for entry in content:
            if isinstance(entry, str):
                if not PUBLICATION_NOTE.match(entry.strip()):
                    own.append(entry)
            elif isinstance(entry, Table):
                self._flush(own, text)
                caption = "".join(text.paras[-2:]) if len(text.paras) > 1 and text.paras[-2] == label else (
                    text.paras[-1] if text.paras else "")
                self._table(entry, caption=caption, attachment=label)
                text.paras.clear()  # the caption lines: the table's name, not text of their own
                text.length = 0
            else:
                self._flush(own, text)
                if text.paras:
                    self._attachment_unit(label, text)
                self._attachment_node(entry, label)
        self._flush(own, text)
        if text.paras and text.text.strip() != label:
            self._attachment_unit(label, text)

    def _attachment_unit(self, label: str, text: _Text) -> None:
        body = text.text
        if not body.startswith(label):
            body = f"{label} {body}"
        self.add(kind="attachment", clause=label, text=body, heading=_heading(body[len(label):].strip()))
        text.paras.clear()
        text.length = 0

    def _attachment_node(self, node: Node, label: str) -> None:
        """A numbered part of an attachment: one unit with its items, cited 附件1 一、."""
        text = _Text()
        items = self._items(node, text, "", article=False)
        first = items[0]
        cite = f"{label} {first.path}"
        shift = len(label) + 1
        self.add(kind="attachment", clause=cite, text=f"{label} {text.text}", heading=_heading(
            text.text[len(node.label):]), items=tuple(Item(i.label, f"{label} {i.path}", i.start + shift,
                                                          i.end + shift) for i in items[1:]))

    def _table(self, table: Table, *, caption: str, attachment: str = "") -> None:
        """A table in place: its rows become units at this point of the notice (see _finish)."""
        self.pending_tables.append((table, caption or table.caption, dict(self.section_ctx), attachment))
        self.units.append({"kind": "_table", "_index": len(self.pending_tables) - 1})


def _split_leading(body: Node) -> tuple[list, list]:
    """The body's content before its first numbered part, and the rest."""
    for i, entry in enumerate(body.content):
        if isinstance(entry, Node):
            return body.content[:i], body.content[i:]
    return body.content, []


LETTER_SIGNAL = re.compile(r"印发给你们|现将.{0,80}(?:印发|公布|发布)|现予印发|现印发|请认真贯彻|请结合实际|请遵照执行"
                           r"|请认真组织实施|征求意见的(?:公告|通知)|向社会公开征求意见|此件公开发布|此件主动公开"
                           r"|此件依申请公开|此件不公开")
_DATE = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
LETTER_END = re.compile(rf"^(?:.{{0,40}}?{_DATE}(?:\s*[（(]此件[^）)]*[）)])?|[（(]此件[^）)]*[）)])$")
PREAMBLE_OPENERS = ("为", "根据", "按照", "为了", "依据", "近年来")
LETTER_WINDOW = 40  # lines read for a covering letter before the body


def split_letter(paras: list[str]) -> tuple[list[str], list[str]]:
    """The covering letter (通知 / 公告: title, 文号, addressees, 现将《…》印发给你们, issuer, date,
    （此件公开发布）) and what follows it (the measures' title and preamble). The letter ends at its
    date or 此件 line; a title left alone after it (no preamble sentence) goes with the letter."""
    window = paras[:16]
    signal = next((i for i, p in enumerate(window) if LETTER_SIGNAL.search(p)), None)
    if signal is None:
        return [], paras
    end = listed = signal
    for i in range(signal, len(window)):
        p = window[i]
        if LETTER_END.match(p) and not p.startswith(PREAMBLE_OPENERS):
            end = i
        elif _letter_list_item(p):  # "1. 电子邮件…": the ways to send comments, still the letter
            listed = i
        elif i > max(end, listed) + 1:
            break
    letter, rest = paras[: end + 1], paras[end + 1:]
    if rest and not any(p.endswith(("。", "；", "：")) or p.startswith(PREAMBLE_OPENERS) for p in rest):
        return paras, []  # only the measures' title follows: it goes with the letter
    return letter, rest


def _letter_list_item(para: str) -> bool:
    from .structure import read_marker

    marker = read_marker(para)
    return marker is not None and KIND[marker.kind].arabic and len(para) <= 80


def _numbered_letter(entries: list) -> int:
    """How many leading entries are a covering letter that numbers a list of its own ("社会各界可通过以下
    方式提出意见：1. 电子邮件… 2. 书面信函…"), ended by its date or 此件 line; 0 when there is none."""
    from .structure import read_marker

    lead: list[str] = []
    for entry in entries[:LETTER_WINDOW]:
        if not isinstance(entry, str):
            break
        lead.append(entry)
    letter, rest = split_letter(lead)
    if not letter or not rest or not LETTER_END.match(letter[-1]):
        return 0
    if not any(read_marker(p) for p in letter[1:]) or not any(read_marker(p) for p in rest):
        return 0
    return len(letter)


def _opens_closing(para: str) -> bool:
    return para.startswith(CLOSING_OPENERS) or bool(CLOSING_THIS.match(para))


def _closing_paragraphs(paras: list[str]) -> list[str]:
    """Closing paragraphs, split again where a sentence opens a new topic (a PDF may hide the break)."""
    opener = "|".join([*(re.escape(o) for o in CLOSING_OPENERS), CLOSING_THIS.pattern.lstrip("^")])
    out: list[str] = []
    for para in paras:
        out.extend(p for p in re.split(rf"(?<=[。；])(?=(?:{opener}))", para) if p)
    return out


def _finish(builder: _Builder, doc_id: str) -> tuple[list[Unit], list[TableRows]]:
    """Number the units (unique per kind, printed numbers where they are unique), tables in place."""
    raw = builder.units
    clauses = [u for u in raw if u["kind"] == "clause"]
    labels = [u["clause"] for u in clauses]
    if len(set(labels)) != len(labels):  # numbering restarts: the section's label makes it unique
        for u in clauses:
            if not u.get("_para"):
                prefix = u["_ctx"]["section_label"]
                u["clause"] = f"{prefix}{u['clause']}"
                u["number"] = u["_ctx"]["section_ordinal"] * 1000 + u["number"]
                u["items"] = tuple(Item(i.label, f"{prefix}{i.path}", i.start, i.end) for i in u.get("items", ()))
        labels = [u["clause"] for u in clauses]
        if len(set(labels)) != len(labels):
            for u in clauses:
                chain = u["_ctx"]["section_chain"]
                bare = u["clause"][len(u["_ctx"]["section_label"]):]
                u["clause"] = f"{chain}{bare}"
    intros = [u for u in raw if u["kind"] == "section_intro"]
    if len({u["number"] for u in intros}) != len(intros):
        for u in intros:
            u["number"] = u["_ctx"]["section_ordinal"]
            chain = u["_ctx"]["section_chain"]
            if chain:
                u["clause"] = chain
    units: list[Unit] = []
    tables: list[TableRows] = []
    counters: dict[str, int] = {}
    used_table_labels: set[str] = set()
    for u in raw:
        if u["kind"] == "_table":
            table, caption, ctx, attachment = builder.pending_tables[u["_index"]]
            rows = table_units(table, doc_id=doc_id, caption=caption, attachment=attachment,
                               ordinal=len(tables) + 1, used=used_table_labels, first_number=counters.get(
                                   "table_row", 0) + 1, section=ctx["section"] or attachment,
                               section_number=ctx["section_number"], lead=ctx["lead_department"],
                               order_start=len(units) + 1)
            tables.append(rows)
            counters["table_row"] = counters.get("table_row", 0) + len(rows.units)
            units.extend(rows.units)
            continue
        kind = u["kind"]
        if kind in ("letter", "preamble", "attachment"):
            counters[kind] = counters.get(kind, 0) + 1
            number = counters[kind] - (1 if kind == "preamble" else 0)
        else:
            number = u["number"]
        units.append(Unit(doc_id=doc_id, kind=kind, number=number, text=u["text"], clause=u.get("clause", ""),
                          heading=u.get("heading", ""), section=u.get("section", ""),
                          section_number=u.get("section_number", 0),
                          lead_department=u.get("lead_department", ""), responsible=u.get("responsible", ""),
                          order=len(units) + 1, items=tuple(u.get("items", ()))))
    return units, tables


def _expected(units: list[Unit], shape: Shape, body: Node) -> int:
    """How many clauses the printed numbering implies: the highest number of each run of numbers."""
    if shape.clause_kind is None:
        return sum(1 for u in units if u.kind == "clause")
    total, run_max, last = 0, 0, 0
    for node in body.walk():
        if node.kind != shape.clause_kind:
            continue
        if node.number <= last:  # a restart under a new section
            total += run_max
            run_max = 0
        run_max = max(run_max, node.number)
        last = node.number
    return total + run_max


def parse_entries(entries: list, doc_id: str, *, may_be_wrapped: bool = True) -> Parsed:
    """Lines and tables in reading order → the notice's units and what was noticed on the way."""
    entries = find_text_tables(list(entries)) if may_be_wrapped else list(entries)
    texts = [e for e in entries if isinstance(e, str)]
    lay = layout_lines(texts, may_be_wrapped=may_be_wrapped)
    cleaned = _strip_lines(entries)
    tree = read_tree(cleaned, plain=_numbered_letter(cleaned))
    shape = decide_shape(tree.body)
    builder = _Builder(doc_id, lay, shape, tree)
    builder.build()
    units, tables = _finish(builder, doc_id)
    notes = []
    restarted = [u.label for u in units if u.kind == "clause" and u.number >= 1000]
    if restarted:
        notes.append(f"条款编号在每个章节重新开始：引用时带章节号，如 {restarted[0]} / clause numbers restart in "
                     "each section")
    if shape.clause_kind is None and not shape.section_kinds:
        n = sum(1 for u in units if u.kind == "clause")
        notes.append(f"没有编号条款：按段落收录 {n} 段（引用为“第N段”）/ no numbered clauses: "
                     f"indexed {n} paragraphs")
    return Parsed(units=units, shape=shape, head=builder.head, tail=builder.tail, tables=tables,
                  repeats=tree.numbering.repeats, gaps=tree.numbering.gaps,
                  expected_clauses=_expected(units, shape, tree.body), notes=notes)


def _strip_lines(entries: list) -> list:
    """Entries with lines stripped and empty lines and page markers dropped (as `layout` did)."""
    from .cleaning import PAGE_MARKER

    out = []
    for e in entries:
        if isinstance(e, Table):
            if e.rows:
                out.append(e)
            continue
        s = e.strip()
        if s and not PAGE_MARKER.match(s):
            out.append(s)
    return out


def parse_units(raw: str, doc_id: str, *, source: str = "") -> list[Unit]:
    """Parse a notice's plain text into units (any shape; unnumbered text is indexed by paragraph)."""
    return parse_entries(raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"), doc_id).units
