"""Build the .docx and .pdf fixture notices in tests/fixtures/shapes/ from their text sources.

    .venv/bin/pip install -e '.[fixtures]'      # reportlab (python-docx is already a dependency)
    .venv/bin/python scripts/make_fixtures.py   # writes kuiwen-jiadian-2025.docx, dinghai-2025.pdf
    .venv/bin/python scripts/make_fixtures.py --out /tmp/x   # elsewhere, e.g. to compare

The sources are tests/fixtures/shapes/src/<name>.txt: one paragraph per line, with a few directives
at the start of a line:

    @title TEXT      the document title (centred, large)
    @center TEXT     a centred line (document number, 此件公开发布, a table's caption)
    @right TEXT      a right-aligned line (issuer, date)
    @heading1 TEXT   a paragraph in Word's "Heading 1" style (.docx); a title line in the PDF
    @heading2 TEXT   a paragraph in Word's "Heading 2" style (.docx); a plain line in the PDF
    @attach TEXT     an attachment label (附表1), flush left
    @table … @endtable   a table: one row per line, cells separated by "|", the first row the header

Anything else is a body paragraph (indented by two characters, as printed). The outputs are
byte-for-byte reproducible (fixed timestamps), and are committed so that tests need no generator.
The .pdf imitates the official-document print layout: 28 characters a line, 22 lines a page,
hard line breaks wherever the line is full (inside words and numbers), a page number under each
page written "—N—" on odd and "- N -" on even pages; the table comes out as lines of cells.
"""
from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

SHAPES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "shapes"
SOURCES = SHAPES / "src"
FIXED_TIME = datetime(2025, 4, 2, 9, 0, 0)


@dataclass
class Block:
    kind: str  # title | center | right | heading1 | heading2 | attach | para | table
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)


def read_source(path: Path) -> list[Block]:
    blocks: list[Block] = []
    table: Block | None = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if table is not None:
            if line == "@endtable":
                blocks.append(table)
                table = None
            elif line:
                table.rows.append([c.strip() for c in line.split("|")])
            continue
        if not line:
            continue
        if line == "@table":
            table = Block("table")
            continue
        if line.startswith("@"):
            kind, _, text = line[1:].partition(" ")
            if kind not in ("title", "center", "right", "heading1", "heading2", "attach"):
                sys.exit(f"{path.name}:{n}: unknown directive @{kind}")
            blocks.append(Block(kind, text.strip()))
        else:
            blocks.append(Block("para", line.strip()))
    if table is not None:
        sys.exit(f"{path.name}: @table without @endtable")
    return blocks


# ------------------------------------------------------------------ .docx --

def _east_asian(run, font: str) -> None:
    from docx.oxml.ns import qn

    run.font.name = font
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), font)


def write_docx(blocks: list[Block], out: Path) -> None:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = docx.Document()
    doc.core_properties.created = FIXED_TIME
    doc.core_properties.modified = FIXED_TIME
    doc.core_properties.last_modified_by = "policyqa fixtures"
    doc.core_properties.author = "policyqa fixtures"
    align = {"title": WD_ALIGN_PARAGRAPH.CENTER, "center": WD_ALIGN_PARAGRAPH.CENTER,
             "right": WD_ALIGN_PARAGRAPH.RIGHT, "heading1": WD_ALIGN_PARAGRAPH.CENTER}
    for b in blocks:
        if b.kind == "table":
            table = doc.add_table(rows=len(b.rows), cols=len(b.rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(b.rows):
                for c, value in enumerate(row):
                    cell = table.cell(r, c)
                    cell.text = ""
                    run = cell.paragraphs[0].add_run(value)
                    run.bold = r == 0
                    _east_asian(run, "仿宋_GB2312")
            continue
        if b.kind in ("heading1", "heading2"):
            p = doc.add_heading(level=1 if b.kind == "heading1" else 2)
            run = p.add_run(b.text)
            _east_asian(run, "黑体")
        else:
            p = doc.add_paragraph()
            run = p.add_run(b.text)
            _east_asian(run, "方正小标宋简体" if b.kind == "title" else "仿宋_GB2312")
            run.font.size = Pt(22 if b.kind == "title" else 16)
            run.bold = b.kind == "attach"
            if b.kind == "para":
                p.paragraph_format.first_line_indent = Pt(32)
        if b.kind in align:
            p.alignment = align[b.kind]
    buf = io.BytesIO()
    doc.save(buf)
    _write_reproducible_zip(buf.getvalue(), out)


def _write_reproducible_zip(data: bytes, out: Path) -> None:
    """The same zip with every entry's timestamp fixed, so a rebuild changes no byte."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    out.write_bytes(buf.getvalue())


# ------------------------------------------------------------------- .pdf --

CHARS_PER_LINE = 28
LINES_PER_PAGE = 22
FONT = "STSong-Light"  # reportlab's built-in CID font: no font file needed, text layer is Unicode


NO_LINE_START = "，。、；：？！）》”’"  # a typesetter hangs these on the line before (禁则)


def _width(text: str) -> float:
    """Width in character cells: a CJK or full-width character is 1, ASCII is 1/2."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def _wrap(text: str, first_indent: float, width: float = CHARS_PER_LINE) -> list[str]:
    """Hard-wrap at the line width wherever it falls, as a typesetter's fixed grid does (inside
    words and numbers too); closing punctuation hangs at the end of the line instead of opening one."""
    lines, line, used = [], "", first_indent
    for ch in text:
        w = _width(ch)
        if used + w > width and line and ch not in NO_LINE_START:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += w
    if line:
        lines.append(line)
    return lines


def write_pdf(blocks: list[Block], out: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    page_w, page_h = A4
    size = 15.0
    left = (page_w - CHARS_PER_LINE * size) / 2
    top = page_h - 90
    leading = (page_h - 180) / LINES_PER_PAGE

    c = canvas.Canvas(str(out), pagesize=A4, invariant=1)
    c.setTitle(out.stem)
    c.setAuthor("policyqa fixtures")
    c.setCreator("scripts/make_fixtures.py")
    state = {"page": 1, "line": 0}

    def footer() -> None:
        n = state["page"]
        mark = f"—{n}—" if n % 2 else f"- {n} -"
        c.setFont(FONT, 12)
        c.drawCentredString(page_w / 2, 50, mark)

    def new_page() -> None:
        footer()
        c.showPage()
        state["page"] += 1
        state["line"] = 0

    def y_now() -> float:
        return top - state["line"] * leading

    def put(text: str, how: str = "left", indent_cells: float = 0.0, font_size: float = size) -> None:
        if state["line"] >= LINES_PER_PAGE:
            new_page()
        c.setFont(FONT, font_size)
        y = y_now()
        if how == "center":
            c.drawCentredString(page_w / 2, y, text)
        elif how == "right":
            c.drawRightString(left + CHARS_PER_LINE * size, y, text)
        else:
            c.drawString(left + indent_cells * size, y, text)
        state["line"] += 1

    for b in blocks:
        if b.kind in ("title", "heading1"):
            for line in _wrap(b.text, 0, CHARS_PER_LINE * size / 20):
                put(line, "center", font_size=20)
        elif b.kind == "center":
            put(b.text, "center")
        elif b.kind == "right":
            put(b.text, "right")
        elif b.kind == "attach":
            put(b.text)
        elif b.kind == "table":
            _pdf_table(c, b.rows, put, state, new_page, y_now, left, size, leading)
        else:  # para, heading2: indented two characters, hard-wrapped
            indent = 2.0
            for i, line in enumerate(_wrap(b.text, indent)):
                put(line, indent_cells=indent if i == 0 else 0)
    footer()
    c.showPage()
    c.save()


def _pdf_table(c, rows, put, state, new_page, y_now, left, size, leading) -> None:
    """Draw a grid table; each cell's text is drawn on its own, so extraction gives lines of cells."""
    widths = [2.0, 7.0, 9.0, 10.0][: len(rows[0])]
    widths[-1] = 28.0 - sum(widths[:-1])
    cell_size = size * 0.8
    for r, row in enumerate(rows):
        if state["line"] >= LINES_PER_PAGE:
            new_page()
        y = y_now()
        x = left
        for w, value in zip(widths, row):
            c.setFont(FONT, cell_size)
            c.drawString(x + 3, y, value)
            c.rect(x, y - leading * 0.35, w * size, leading, stroke=1, fill=0)
            x += w * size
        state["line"] += 1


# ------------------------------------------------------------------- main --

TARGETS = {
    "kuiwen-jiadian-2025": write_docx,
    "dinghai-2025": write_pdf,
}


def build(out_dir: Path = SHAPES) -> list[Path]:
    """Write every generated fixture into out_dir; returns the paths written."""
    written = []
    for stem, writer in TARGETS.items():
        out = out_dir / f"{stem}{'.docx' if writer is write_docx else '.pdf'}"
        writer(read_source(SOURCES / f"{stem}.txt"), out)
        written.append(out)
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=SHAPES, help="folder to write into (default: the fixtures folder)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for out in build(args.out):
        print(f"{out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
