"""Markdown and HTML → lines of plain text and tables, in reading order, before structure is read.

Headings lose their ``##``, bold clause headings their ``**``, links keep their text, an ordered
list item gets its number back (``1. …``), and tables come out as `Table` rows. Markdown is read
with markdown-it-py (CommonMark + tables); HTML with lxml.
"""
from __future__ import annotations

import re

from .structure import Table

# CommonMark leaves ** around CJK punctuation as literal text (**（一）支持。**内容): drop it.
_EMPHASIS_LEFTOVER = re.compile(r"\*\*|__|~~")
_HTML_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAGS = {"p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote",
               "pre", "header", "footer", "main", "center", "dd", "dt", "address", "figcaption", "caption",
               "ul", "ol", "dl", "body", "hr", "tr"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "svg", "button", "select", "iframe"}


def _plain(text: str) -> str:
    return _EMPHASIS_LEFTOVER.sub("", text)


def _inline_text(token) -> list[str]:
    """An inline token's plain text, split at line breaks."""
    parts: list[str] = [""]
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts[-1] += child.content
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("")
        elif child.type == "image":
            parts[-1] += child.content
        elif child.type == "html_inline":
            if re.match(r"<br\s*/?>", child.content, re.I):
                parts.append("")
    return [_plain(p) for p in parts]


def markdown_entries(text: str) -> tuple[list, str]:
    """Markdown → (lines and tables in reading order, the first level-1 heading as a title hint)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    out: list = []
    title = ""
    ordinals: list[int] = []  # open ordered lists: next number of each
    row: list[str] | None = None
    rows: list[tuple[str, ...]] = []
    heading = ""
    pending_item = ""
    for tok in tokens:
        t = tok.type
        if t == "heading_open":
            heading = tok.tag
        elif t == "heading_close":
            heading = ""
        elif t == "ordered_list_open":
            ordinals.append(int(tok.attrGet("start") or 1))
        elif t == "ordered_list_close":
            ordinals.pop()
        elif t == "bullet_list_open":
            ordinals.append(0)
        elif t == "bullet_list_close":
            ordinals.pop()
        elif t == "list_item_open":
            if ordinals and ordinals[-1]:
                pending_item = f"{tok.info or ordinals[-1]}{tok.markup or '.'}"
                ordinals[-1] = int(tok.info or ordinals[-1]) + 1
        elif t == "table_open":
            rows = []
        elif t == "tr_open":
            row = []
        elif t == "tr_close":
            rows.append(tuple(row or ()))
            row = None
        elif t == "table_close":
            out.append(Table(tuple(rows)))
        elif t == "inline":
            lines = _inline_text(tok)
            if row is not None:
                row.append("".join(lines).strip())
                continue
            if pending_item:
                lines[0] = f"{pending_item}{lines[0]}"
                pending_item = ""
            if heading == "h1" and not title:
                title = "".join(lines).strip()
            out.extend(lines)
        elif t in ("fence", "code_block"):
            out.extend(_plain(tok.content).splitlines())
        elif t == "html_block":
            entries, _ = html_entries(tok.content)
            out.extend(entries)
    return out, title


def html_entries(text: str) -> tuple[list, str]:
    """HTML → (lines and tables in reading order, the page title or first <h1> as a title hint)."""
    import lxml.html

    if not text.strip():
        return [], ""
    try:
        root = lxml.html.document_fromstring(text)
    except Exception:  # lxml refuses some fragments (e.g. only a comment): read as text without tags
        return [_HTML_TAG.sub("", line) for line in text.splitlines()], ""
    title = ""
    found = root.find(".//title")
    if found is not None and (found.text_content() or "").strip():
        title = found.text_content().strip()
    h1 = root.find(".//h1")
    if h1 is not None and h1.text_content().strip():
        title = h1.text_content().strip()
    out: list = []
    line: list[str] = []

    def flush() -> None:
        if line:
            out.append("".join(line))
            line.clear()

    def walk(el, ol_counter: list[int] | None = None) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in _SKIP_TAGS:
            if el.tail:
                line.append(el.tail)
            return
        tag = tag.lower()
        if tag == "table":
            flush()
            out.append(_html_table(el))
            if el.tail and el.tail.strip():
                line.append(el.tail)
            return
        if tag == "br":
            flush()
        elif tag in _BLOCK_TAGS:
            flush()
        if tag == "li" and ol_counter is not None:
            line.append(f"{ol_counter[0]}. ")
            ol_counter[0] += 1
        if el.text:
            line.append(el.text)
        counter = [int(el.get("start") or 1)] if tag == "ol" else (None if tag == "ul" else ol_counter)
        for child in el:
            walk(child, counter)
        if tag in _BLOCK_TAGS:
            flush()
        if el.tail:
            line.append(el.tail)

    body = root.find("body")
    walk(main_content(body if body is not None else root))
    flush()
    return [_plain(x) if isinstance(x, str) else x for x in out if not isinstance(x, str) or x.strip()], title


_TEXT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "td", "th")


def _cjk(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def main_content(body):
    """The element that holds the article on a saved web page (navigation, footers and info boxes
    left out): the one under which most paragraph text sits, scored as readability tools do —
    each paragraph counts fully for its parent and half for its grandparent."""
    scores: dict = {}
    for el in body.iter(*_TEXT_BLOCKS):
        if el.tag in ("td", "th") and el.find(".//p") is not None:
            continue
        n = _cjk(el.text_content() or "")
        if n < 10:
            continue
        parent = el.getparent()
        if el.tag in ("td", "th"):  # a table's cells count for the element that holds the table
            while parent is not None and parent.tag != "table":
                parent = parent.getparent()
            parent = parent.getparent() if parent is not None else None
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + n
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + n / 2
    if not scores:
        return body
    best = max(scores, key=scores.get)
    total = _cjk(body.text_content() or "")
    return best if total and _cjk(best.text_content() or "") >= 0.5 * total else body


def _html_table(table) -> Table:
    rows = []
    for tr in table.iter("tr"):
        if tr.getparent() is not None and _nearest_table(tr) is not table:
            continue  # a row of a table nested inside a cell
        cells = []
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            text = " ".join(t.strip() for t in cell.itertext() if t.strip())
            cells.extend([text] * max(1, min(int(cell.get("colspan") or 1) if str(cell.get("colspan") or "1")
                                            .isdigit() else 1, 50)))
        if cells:
            rows.append(tuple(cells))
    caption = table.find("caption")
    return Table(tuple(rows), caption=caption.text_content().strip() if caption is not None else "")


def _nearest_table(el):
    el = el.getparent()
    while el is not None and (not isinstance(el.tag, str) or el.tag.lower() != "table"):
        el = el.getparent()
    return el
