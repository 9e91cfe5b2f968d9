"""Reading a notice file into lines of text and tables, in reading order.

.txt and .md must be UTF-8; .md and .html lose their markup here (``markup.py``); .pdf is read with
pypdf (its text layer); .docx with python-docx, paragraphs AND tables in document order. A file that
cannot be read raises `NoticeRejected` with one line saying what to do.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .structure import Table

NOTICE_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CONTROL_CHARS = frozenset(chr(c) for c in range(32)) - {"\n", "\r", "\t", "\f", "\v"}


class NoticeRejected(CorpusError):
    """This notice file cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class Document:
    """A notice file's content: str lines and `Table`s in reading order."""

    path: Path
    format: str  # txt | md | html | pdf | docx
    entries: tuple
    title_hint: str = ""  # a title the markup marks as one (# heading, <title>, Word's Title style)
    may_be_wrapped: bool = True  # plain text and PDF may be hard-wrapped; docx / HTML paragraphs are real

    @property
    def text(self) -> str:
        return "\n".join(e if isinstance(e, str) else "\n".join("\t".join(r) for r in e.rows)
                         for e in self.entries)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def read_document(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one notice file. Raises NoticeRejected (one line: the file, what is wrong, what to do)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NoticeRejected(f"{path}: 无法读取（{exc.strerror}）/ cannot be read; check the file's permissions.") from None
    if size > max_bytes:
        raise NoticeRejected(
            f"{path}: 文件过大（{_mb(size)}，上限 {_mb(max_bytes)}）/ file too large. 请确认这是一份通知；"
            "确需收录请拆分文件，或调高 POLICYQA_MAX_NOTICE_MB。")
    if size == 0:
        raise NoticeRejected(f"{path}: 文件是空的 / empty file. 请放入通知全文后再运行 policyqa ingest。")
    try:
        if suffix == ".pdf":
            doc = _read_pdf(path)
        elif suffix == ".docx":
            doc = _read_docx(path)
        else:
            text = _decode(path)
            if suffix == ".md":
                from .markup import markdown_entries

                entries, title = markdown_entries(text)
                doc = Document(path, "md", tuple(entries), title)
            elif suffix in (".html", ".htm"):
                from .markup import html_entries

                entries, title = html_entries(text)
                doc = Document(path, "html", tuple(entries), title, may_be_wrapped=False)
            else:
                doc = Document(path, "txt", tuple(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")))
    except NoticeRejected:
        raise
    except RecursionError:
        raise NoticeRejected(f"{path}: 标记嵌套过深，无法读取 / markup nested too deeply. "
                             "请另存为 UTF-8 的 .txt 后再运行 policyqa ingest。") from None
    if not any(e.strip() if isinstance(e, str) else e.rows for e in doc.entries):
        raise NoticeRejected(f"{path}: 没有文字内容 / no text in this file. "
                             + ("PDF 可能是扫描件：请先做文字识别（OCR）或另存为文字版。" if suffix == ".pdf"
                                else "请放入通知全文后再运行 policyqa ingest。"))
    return doc


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:65536]:
        raise NoticeRejected(f"{path}: 这是二进制文件，不是文字 / binary, not text. "
                             "请把通知另存为 UTF-8 文本（.txt）、.docx 或 .pdf 后再运行 policyqa ingest。")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NoticeRejected(f"{path}: 不是 UTF-8 编码 / not UTF-8 text. 请转换编码后再运行 policyqa ingest，例如 "
                             f"`iconv -f GB18030 -t UTF-8 '{path.name}' > fixed{path.suffix}`。") from None
    if not CONTROL_CHARS.isdisjoint(text):
        bad = sum(1 for ch in text if ch in CONTROL_CHARS)
        raise NoticeRejected(f"{path}: 含 {bad} 个控制字符，不像文字文件 / contains control characters. "
                             "请把通知另存为纯文本（UTF-8）后再运行 policyqa ingest。")
    return text


def _read_pdf(path: Path) -> Document:
    try:
        from pypdf import PdfReader

        text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    except Exception as exc:  # pypdf raises many kinds on a damaged or encrypted file
        raise NoticeRejected(f"{path}: 无法读取这个 PDF（{type(exc).__name__}）/ cannot read this PDF. "
                             "请重新导出，或把正文另存为 UTF-8 的 .txt。") from None
    return Document(path, "pdf", tuple(text.split("\n")))


def _read_docx(path: Path) -> Document:
    try:
        import docx
        from docx.table import Table as DocxTable

        document = docx.Document(str(path))
        numbering = WordNumbering(document)
        entries: list = []
        title = ""
        for block in document.iter_inner_content():
            if isinstance(block, DocxTable):
                entries.append(_docx_table(block))
                continue
            style = (block.style.name if block.style is not None else "") or ""
            text = block.text
            label = numbering.label(block)
            if label and text.strip() and not text.lstrip().startswith(label):
                text = label + text.lstrip()  # Word's automatic numbering: 一、 （一） 1. are not in the text
            if style.lower() in ("title", "标题") and text.strip() and not title:
                title = text.strip()
            entries.extend(text.split("\n"))
    except Exception as exc:  # python-docx / zipfile / lxml raise many kinds on a damaged file
        raise NoticeRejected(f"{path}: 无法读取这个 Word 文件（{type(exc).__name__}）/ cannot read this .docx. "
                             "请用 Word 或 WPS 重新另存为 .docx，或把正文另存为 UTF-8 的 .txt。") from None
    return Document(path, "docx", tuple(entries), title, may_be_wrapped=False)


def _docx_table(table) -> Table:
    rows = []
    for row in table.rows:
        cells, seen = [], []
        for cell in row.cells:  # a merged cell is returned once per grid column it spans
            if any(cell._tc is s for s in seen):
                cells.append(cells[-1] if cells else "")
                continue
            seen.append(cell._tc)
            cells.append(" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
        rows.append(tuple(cells))
    return Table(tuple(rows))


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class WordNumbering:
    """The numbers Word draws in front of auto-numbered paragraphs (list styles, 一、/（一）/1. levels):
    they are not in the paragraph's text, so they are computed from numbering.xml as Word counts them."""

    def __init__(self, document):
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId -> ilvl -> (start, fmt, text)
        self.counts: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except Exception:  # no numbering part: nothing is auto-numbered
            return
        abstract = {}
        for an in root.iter(f"{_W}abstractNum"):
            abstract[an.get(f"{_W}abstractNumId")] = {
                int(lvl.get(f"{_W}ilvl", "0")): self._level(lvl) for lvl in an.iter(f"{_W}lvl")}
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            levels = dict(abstract.get(ref.get(f"{_W}val") if ref is not None else "", {}))
            for override in num.iter(f"{_W}lvlOverride"):
                ilvl = int(override.get(f"{_W}ilvl", "0"))
                start = override.find(f"{_W}startOverride")
                if start is not None and ilvl in levels:
                    levels[ilvl] = (int(start.get(f"{_W}val", "1")), *levels[ilvl][1:])
            self.levels[num.get(f"{_W}numId")] = levels

    @staticmethod
    def _level(lvl) -> tuple[int, str, str]:
        def val(tag: str, default: str) -> str:
            el = lvl.find(f"{_W}{tag}")
            return el.get(f"{_W}val", default) if el is not None else default

        return int(val("start", "1") or 1), val("numFmt", "decimal"), val("lvlText", "")

    def _num_pr(self, paragraph) -> tuple[str, int] | None:
        p_pr = paragraph._p.pPr
        num_pr = p_pr.numPr if p_pr is not None else None
        style = paragraph.style
        while num_pr is None and style is not None:  # numbering that comes with the paragraph's style
            s_pr = style.element.pPr
            num_pr = s_pr.numPr if s_pr is not None else None
            style = style.base_style
        if num_pr is None or num_pr.numId is None:
            return None
        ilvl = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        return str(num_pr.numId.val), int(ilvl)

    def label(self, paragraph) -> str:
        if not self.levels:
            return ""
        found = self._num_pr(paragraph)
        if not found or found[0] not in self.levels or not paragraph.text.strip():
            return ""
        num_id, ilvl = found
        levels = self.levels[num_id]
        if ilvl not in levels:
            return ""
        counts = self.counts.setdefault(num_id, [0] * 9)
        ilvl = min(ilvl, 8)
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        counts[ilvl] = counts[ilvl] + 1 if counts[ilvl] else levels[ilvl][0]
        text = levels[ilvl][2]
        if levels[ilvl][1] in ("bullet", "none") or not text:
            return ""
        for k in range(ilvl + 1):
            if f"%{k + 1}" in text and k in levels:
                n = counts[k] or levels[k][0]
                text = text.replace(f"%{k + 1}", _format_number(n, levels[k][1]))
        return text


def _format_number(n: int, fmt: str) -> str:
    if fmt.startswith(("chineseCounting", "japaneseCounting", "taiwaneseCounting", "ideographDigital")):
        import cn2an

        return cn2an.an2cn(n)
    if fmt == "decimalEnclosedCircle" and 1 <= n <= 20:
        return chr(ord("①") + n - 1)
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return "甲乙丙丁戊己庚辛壬癸"[n - 1]
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    return str(n)
