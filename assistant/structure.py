"""A notice's lines → a tree of numbered nodes, whatever numbering it uses.

Markers are read at the start of a line: 第一部分 / 第一章 / 第一节 / 第一条 / 一、 / （一） / 1. / （1） / ①,
and 附件1 for an attachment. Each kind has a fixed depth (a 第一条 never nests inside a 1.), and a
marker opens a node only in sequence: the next number after the last one of its kind (numbering may
run on across parents, as （九） after 二、 does), or 1 under a new parent. A line that starts like a
marker out of sequence (a wrapped line "（一级…", a repeated （五）) stays text, and the repeat or the
gap is noted for the ingest report. Which kinds are sections, clauses and items is decided later
(``parsing.py``), from the kinds the notice uses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import cn2an

from .cleaning import fold_width

CN_NUMERAL = "一二三四五六七八九十百零〇"
_N = rf"[{CN_NUMERAL}]+|\d{{1,3}}"


@dataclass(frozen=True)
class Table:
    """A table as it came: rows of cell texts (the first row is usually the header)."""

    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class MarkerKind:
    name: str
    depth: int
    pattern: re.Pattern
    arabic: bool = False  # the number is written in digits
    wraps: bool = False  # a header that may wrap over a second line (unbalanced brackets)


MARKER_KINDS = (
    MarkerKind("part", 0, re.compile(rf"^第({_N})部分\s*(.*)$"), wraps=True),
    MarkerKind("chapter", 1, re.compile(rf"^第({_N})章\s*(.*)$"), wraps=True),
    MarkerKind("jie", 2, re.compile(rf"^第({_N})节\s*(.*)$"), wraps=True),
    MarkerKind("article", 3, re.compile(rf"^第({_N})条(?![件例款])\s*(.*)$")),
    MarkerKind("cn", 4, re.compile(rf"^([{CN_NUMERAL}]+)、\s*(.*)$"), wraps=True),
    MarkerKind("paren_cn", 5, re.compile(rf"^[（(]([{CN_NUMERAL}]+)[）)]\s*(.*)$")),
    MarkerKind("arabic", 6, re.compile(r"^(\d{1,3})(?:[.](?![\d%])|、)\s*(.*)$"), arabic=True),
    MarkerKind("paren_arabic", 7, re.compile(r"^[（(](\d{1,3})[）)]\s*(.*)$"), arabic=True),
    MarkerKind("circled", 8, re.compile(r"^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])\s*(.*)$")),
)
KIND = {k.name: k for k in MARKER_KINDS}
# 附件 / 附件1 / 附件2：补贴标准 — an attachment's first line (short; a sentence is not one).
ATTACHMENT = re.compile(rf"^附\s*([件表])\s*({_N})?\s*(?:[:：]\s*)?(.{{0,40}})$")
HEADING_MAX = 40  # a new, shallower kind of marker mid-notice must look like a heading: this short


@lru_cache(maxsize=4096)
def to_int_safe(raw: str) -> int | None:
    """十四 → 14, 14 → 14, ② → 2; None for what is not a well-formed number (十十, 百)."""
    if len(raw) == 1 and "①" <= raw <= "⑳":
        return ord(raw) - ord("①") + 1
    if raw.isascii() and raw.isdigit():  # str.isdigit() is true for ① and ² too
        return int(raw) or None
    if not raw or any(ch not in CN_NUMERAL for ch in raw):
        return None
    try:
        n = int(cn2an.cn2an(raw, "smart"))
    except Exception:  # cn2an raises several kinds on malformed numerals
        return None
    return n if n > 0 and cn2an.an2cn(n) == raw else None


@dataclass(frozen=True)
class Marker:
    kind: str
    number: int
    label: str  # as printed, normalised: 三、 （十四） 第五条 1. （1）
    rest: str  # the line's text after the marker


def read_marker(line: str) -> Marker | None:
    """The numbering marker a line starts with, if any."""
    folded = fold_width(line).lstrip()
    for kind in MARKER_KINDS:
        m = kind.pattern.match(folded)
        if not m:
            continue
        n = to_int_safe(m.group(1))
        if n is None:
            return None
        raw = m.group(1)
        label = {"part": f"第{raw}部分", "chapter": f"第{raw}章", "jie": f"第{raw}节", "article": f"第{raw}条",
                 "cn": f"{raw}、", "paren_cn": f"（{raw}）", "paren_arabic": f"（{raw}）",
                 "circled": raw}.get(kind.name)
        if kind.name == "arabic":
            label = folded[: m.start(2)].strip()
        return Marker(kind.name, n, label, m.group(2))
    return None


def read_attachment(line: str) -> tuple[str, int, str, str] | None:
    """(附件 or 附表, number, label as printed, title) when the line opens an attachment or a table
    appendix: 附件, 附件1, 附件2：补贴标准表, 附表, 附表1 …."""
    m = ATTACHMENT.match(fold_width(line).strip())
    if not m or m.group(3).endswith(("。", "；", "，")) or re.match(r"\d+[.、]", m.group(3)):
        return None  # a sentence, or a covering letter's list of attachments (附件：1.…)
    n = to_int_safe(m.group(2)) if m.group(2) else 1
    word = f"附{m.group(1)}"
    return (word, n, f"{word}{m.group(2) or ''}", m.group(3).strip()) if n else None


@dataclass(eq=False)
class Node:
    """A numbered part of the notice: its header line(s), its own text, tables and sub-parts, in order."""

    kind: str  # root | attachment | a marker kind
    number: int = 0
    label: str = ""
    header: int = 0  # how many of the first lines are the header (marker line, a wrapped header line)
    content: list = field(default_factory=list)  # str lines, Table, Node — in reading order
    parent: Node | None = field(default=None, repr=False)

    @property
    def depth(self) -> int:
        return KIND[self.kind].depth if self.kind in KIND else -1

    @property
    def children(self) -> list[Node]:
        return [c for c in self.content if isinstance(c, Node)]

    def lines(self) -> list[str]:
        return [c for c in self.content if isinstance(c, str)]

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Numbering:
    """What the reader noticed about the numbering: repeats, gaps (for the ingest report)."""

    repeats: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


@dataclass
class Tree:
    body: Node
    attachments: list[Node]
    numbering: Numbering


def _unbalanced(text: str) -> bool:
    return text.count("（") + text.count("(") > text.count("）") + text.count(")")


class _Reader:
    """Reads one root (the body, or one attachment): markers in sequence build the tree."""

    def __init__(self, root: Node, numbering: Numbering):
        self.root = root
        self.stack = [root]
        self.last: dict[str, tuple[int, Node]] = {}  # kind -> (last number, its parent)
        self.numbering = numbering
        self.pending_header = 0  # lines still to absorb into the header just opened

    def feed(self, entry) -> None:
        if isinstance(entry, Table):
            self.stack[-1].content.append(entry)
            return
        line = entry
        if self.pending_header:
            node = self.stack[-1]
            node.content.append(line)
            node.header += 1
            self.pending_header -= 1
            if not _unbalanced("".join(node.lines()[: node.header])):
                self.pending_header = 0
            return
        marker = read_marker(line)
        if marker and self._accept(marker, line):
            return
        self.stack[-1].content.append(line)

    def _parent_for(self, depth: int) -> int:
        i = len(self.stack) - 1
        while i > 0 and self.stack[i].depth >= depth:
            i -= 1
        return i

    def _accept(self, marker: Marker, line: str) -> bool:
        kind = KIND[marker.kind]
        at = self._parent_for(kind.depth)
        parent = self.stack[at]
        n = marker.number
        seen = self.last.get(marker.kind)
        if seen is None:
            if n != 1:
                return False
            if self.last and kind.depth < max(KIND[k].depth for k in self.last) and self._within_body():
                # a new, shallower kind mid-notice: only a heading line opens it (not a wrapped sentence)
                if len(line.strip()) > HEADING_MAX:
                    return False
        else:
            last_n, last_parent = seen
            if parent is last_parent:
                if n == last_n + 1:
                    pass
                elif last_n + 1 < n <= last_n + 3 and marker.rest:
                    self.numbering.gaps.append(f"{_label_range(marker, last_n + 1, n - 1)}")
                else:
                    if n <= last_n:
                        self.numbering.repeats.append(marker.label)
                    return False
            elif not (n == 1 or (n == last_n + 1 and parent.kind == last_parent.kind)):
                return False
        self.last[marker.kind] = (n, parent)
        del self.stack[at + 1:]
        node = Node(marker.kind, n, marker.label, header=1, content=[line], parent=parent)
        parent.content.append(node)
        self.stack.append(node)
        if kind.wraps and _unbalanced(line):
            self.pending_header = 2
        return True

    def _within_body(self) -> bool:
        return len(self.stack) > 1 or bool(self.root.children)


def _label_range(marker: Marker, first: int, last: int) -> str:
    def label(n: int) -> str:
        raw = str(n) if KIND[marker.kind].arabic else cn2an.an2cn(n)
        return {"part": f"第{raw}部分", "chapter": f"第{raw}章", "jie": f"第{raw}节", "article": f"第{raw}条",
                "cn": f"{raw}、", "paren_cn": f"（{raw}）", "paren_arabic": f"（{raw}）", "arabic": f"{raw}.",
                "circled": chr(ord("①") + n - 1)}[marker.kind]

    return label(first) if first == last else f"{label(first)}–{label(last)}"


def read_tree(entries: list, plain: int = 0) -> Tree:
    """Lines (str) and tables in reading order → the body's tree and each attachment's tree.

    An attachment (附件1) opens only after the body has some numbered structure or text, and
    attachments number in sequence; inside one, numbering starts afresh. The first `plain` entries
    (a covering letter) are text: a list in the letter ("1. 电子邮件…") numbers nothing of the body.
    """
    numbering = Numbering()
    body = Node("root")
    reader = _Reader(body, numbering)
    attachments: list[Node] = []
    count = {"附件": 0, "附表": 0}
    body.content.extend(entries[:plain])
    for entry in entries[plain:]:
        if isinstance(entry, str):
            att = read_attachment(entry)
            if att and att[1] == count[att[0]] + 1 and (body.children or attachments
                                                        or len(body.content) >= 3 and not att[3]):
                count[att[0]] += 1
                node = Node("attachment", len(attachments) + 1, att[2], header=1, content=[entry])
                attachments.append(node)
                reader = _Reader(node, numbering)
                continue
        reader.feed(entry)
    return Tree(body, attachments, numbering)
