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
        entries: list = []
        title = ""
        for block in document.iter_inner_content():
            if isinstance(block, DocxTable):
                entries.append(_docx_table(block))
                continue
            style = (block.style.name if block.style is not None else "") or ""
            text = block.text
            if style.lower() == "title" and text.strip() and not title:
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
