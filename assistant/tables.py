"""Tables (附表): each row becomes a citable unit that carries its header.

A row unit reads ``附表1 第3行（家电补贴标准表）：品类：冰箱，能效等级：一级，补贴标准：售价的20%。`` and is
cited ``附表1 第3行``. The table's name comes from its caption (附表1 …), else the attachment it sits
in (附件2), else 附表. Rows are counted after the header row. A row whose cells are all one merged
value (一、家电类) is a group heading: it is not a row of its own, the rows under it carry it.
In plain text and PDF text a table arrives as lines of cells separated by tabs or runs of spaces;
`find_text_tables` turns such a run of lines back into a table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .cleaning import clean_inline
from .structure import Table
from .types import Unit

CAPTION = re.compile(r"^(附表\s*\d*|表\s*\d+)")
CAPTION_WORDS = ("标准表", "明细表", "一览表", "清单", "目录", "汇总表", "对照表", "统计表")
_CELL_SPLIT = re.compile(r"\t+|[ \u3000]{2,}")


@dataclass(frozen=True)
class TableRows:
    label: str  # 附表1, 附件2, 附表
    caption: str
    header: tuple[str, ...]
    units: list[Unit]
    skipped: int  # header repeats and empty rows


def is_caption(text: str) -> bool:
    text = text.strip()
    return bool(text) and len(text) <= 60 and (bool(CAPTION.match(text)) or text.endswith("表")
                                               or any(w in text for w in CAPTION_WORDS))


def table_label(caption: str, attachment: str, ordinal: int, used: set[str]) -> str:
    m = CAPTION.match(caption.strip()) if caption else None
    if m:
        label = re.sub(r"\s+", "", m.group(1))
    elif attachment:
        label = attachment
    else:
        label = "附表"
    if label in used:
        label = f"{label} 表{ordinal}"
    used.add(label)
    return label


def table_units(table: Table, *, doc_id: str, caption: str, attachment: str, ordinal: int, used: set[str],
                first_number: int, section: str, section_number: int, lead: str, order_start: int) -> TableRows:
    caption = clean_inline(caption) if caption and is_caption(caption) else ""
    label = table_label(caption, attachment, ordinal, used)
    name = CAPTION.sub("", caption).strip(" ：:　") if caption else ""
    rows = [tuple(clean_inline(c.replace("\n", "")) for c in row) for row in table.rows]
    rows = [r for r in rows if any(r)]
    header: tuple[str, ...] = ()
    if len(rows) >= 2:
        header, rows = rows[0], rows[1:]
    units: list[Unit] = []
    skipped = 0
    group = ""
    for row in rows:
        if header and row == header:
            skipped += 1
            continue
        values = [c for c in row if c]
        if len(row) > 1 and values and len(set(values)) == 1 and len(values) >= len(row) - 1 and len(row) > 2:
            group = values[0]  # a merged row across the table: a group heading
            continue
        cells = []
        for i, value in enumerate(row):
            if not value:
                continue
            head = header[i] if i < len(header) else ""
            cells.append(f"{head}：{value}" if head and head != value else value)
        if group:
            cells.insert(0, group)
        r = len(units) + 1
        cite = f"{label} 第{r}行"
        text = f"{cite}（{name}）：" if name else f"{cite}："
        # one sentence per row (cells joined by ，) so that an answer quoting the row keeps its figure
        units.append(Unit(doc_id=doc_id, kind="table_row", number=first_number + len(units), clause=cite,
                          text=text + "，".join(c.rstrip("。；，") for c in cells) + "。", heading=name or label,
                          section=section,
                          section_number=section_number, lead_department=lead,
                          order=order_start + len(units)))
    return TableRows(label, name, header, units, skipped)


def find_text_tables(entries: list) -> list:
    """Runs of three or more lines with the same number (≥2) of tab- or space-separated cells → Table."""
    out: list = []
    run: list[tuple[str, ...]] = []
    raw: list[str] = []

    def close() -> None:
        out.extend([Table(tuple(run))] if len(run) >= 3 else raw)
        run.clear()
        raw.clear()

    for entry in entries:
        cells = _cells(entry) if isinstance(entry, str) else None
        if run and not (cells and len(cells) == len(run[0])):
            close()
        if cells:
            run.append(cells)
            raw.append(entry)
        else:
            out.append(entry)
    if run:
        close()
    return out


def _cells(line: str) -> tuple[str, ...] | None:
    from .structure import read_marker

    stripped = line.strip()
    if "\t" not in stripped and "  " not in stripped and "\u3000\u3000" not in stripped:
        return None
    marker = read_marker(stripped)
    if marker and marker.kind not in ("arabic", "paren_arabic"):
        return None  # 第五条  购买… / 一、  总体要求: a numbered line with wide spacing, not a row
    cells = tuple(c.strip() for c in _CELL_SPLIT.split(stripped) if c.strip())
    return cells if len(cells) >= 2 else None


def rebuild_cell_lines(content: list) -> list:
    """A table a PDF gave one cell per line (序号 / 船型 / 船长 / 补助标准 / 1 / 钢质捕捞渔船 / …) → Table.

    The rows are found by their 序号: 1, 2, 3 … each opening a row of as many cells as lie between
    "1" and "2"; the header is that many lines before "1". Anything else is left as it was.
    """
    lines = [e for e in content if isinstance(e, str)]
    if len(lines) != len(content):
        return content
    stripped = [line.strip() for line in lines]
    try:
        one = stripped.index("1")
        two = stripped.index("2", one + 1)
    except ValueError:
        return content
    width = two - one
    if width < 2 or one < width:
        return content
    header = stripped[one - width:one]
    if any(len(h) > 16 or re.search(r"[。；，]", h) for h in header):
        return content
    rows = [tuple(header)]
    i, n = one, 1
    while i + width <= len(stripped) and stripped[i] == str(n):
        rows.append(tuple(stripped[i:i + width]))
        i += width
        n += 1
    if len(rows) < 3:
        return content
    return [*lines[: one - width], Table(tuple(rows)), *lines[i:]]
