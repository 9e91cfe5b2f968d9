"""The corpus folder: notice files (.txt, .md, .html, .pdf, .docx), each with an optional
``<name>.meta.json`` beside it whose fields override what is read from the text.

``load_corpus`` reads and parses every notice it can. A notice that cannot be used is a `Rejection`
(one line: the file and what to do) and the others load all the same; only an unusable folder raises
CorpusError. Nothing here raises a traceback for any file content.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import CorpusError
from .formats import DEFAULT_MAX_BYTES, NOTICE_SUFFIXES, Document, read_document
from .metadata import META_SUFFIX, build_notice, headed_by_period, load_meta_json
from .parsing import Parsed, parse_entries
from .types import Notice, ParseReport, Unit

log = logging.getLogger(__name__)
REQUIRED_META = ("title", "issuer", "region", "status")  # read from the text now; kept for callers


@dataclass(frozen=True)
class LoadedNotice:
    notice: Notice
    units: list[Unit]
    report: ParseReport | None = None


@dataclass(frozen=True)
class Rejection:
    path: str
    doc_id: str
    message: str  # one line: the file, what is wrong, what to do


@dataclass
class CorpusLoad:
    loaded: list[LoadedNotice] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def __iter__(self):  # iterating a load walks the notices that loaded
        return iter(self.loaded)

    def __len__(self) -> int:
        return len(self.loaded)


def notice_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist / 通知目录不存在。请创建它并放入通知，"
                          "或把 POLICYQA_CORPUS 指向存放通知的目录。")
    files = sorted(p for p in corpus_dir.iterdir()
                   if p.is_file() and p.suffix.lower() in NOTICE_SUFFIXES and not p.name.startswith((".", "~$"))
                   and p.name.lower() not in ("readme.md", "expected.md"))
    if not files:
        raise CorpusError(f"corpus folder {corpus_dir} holds no notices (.txt, .md, .html, .pdf, .docx) / "
                          "目录里没有通知文件。放入一份后运行 policyqa ingest。")
    return files


def _with_amounts(units: list[Unit]) -> list[Unit]:
    from .numbers import extract_amounts

    return [replace(u, amounts=tuple(extract_amounts(u.text))) for u in units]


def report_for(doc: Document, parsed: Parsed, sources: dict[str, str], notes: list[str]) -> ParseReport:
    kinds: dict[str, int] = {}
    for u in parsed.units:
        kinds[u.kind] = kinds.get(u.kind, 0) + 1
    return ParseReport(
        file=doc.path.name, format=doc.format, shape=parsed.shape.name, units_by_kind=kinds,
        clauses_found=kinds.get("clause", 0), clauses_expected=parsed.expected_clauses,
        items=sum(len(u.items) for u in parsed.units), gaps=tuple(parsed.gaps), repeats=tuple(parsed.repeats),
        tables=tuple(f"{t.label}{('（' + t.caption + '）') if t.caption else ''}: {len(t.units)} 行"
                     for t in parsed.tables),
        metadata_sources=dict(sources), notes=tuple(parsed.notes + notes))


def load_notice(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedNotice:
    """One notice: read, parsed, its metadata read from the text and its .meta.json. Raises CorpusError."""
    path = Path(path)
    doc_id = path.stem
    doc = read_document(path, max_bytes)
    parsed = parse_entries(list(doc.entries), doc_id, may_be_wrapped=doc.may_be_wrapped)
    if not parsed.units:
        raise CorpusError(f"{path}: 没有可收录的文字 / no text to index. 请放入通知全文后再运行 policyqa ingest。")
    meta_path = path.with_name(path.stem + META_SUFFIX)
    meta = load_meta_json(meta_path) if meta_path.exists() else None
    texts = [u.text for u in parsed.units if u.kind in ("preamble", "closing")]
    texts += [u.text for u in parsed.units if u.kind == "clause"][-3:]
    # a clause headed by the period (（二）实施时间。2026年1月1日至2026年12月31日。) states it too
    texts += [u.text.replace(f"{u.heading}。", f"{u.heading}：", 1) for u in parsed.units
              if headed_by_period(u)][:2]  # one sentence: heading + dates
    # a 附则 printed as a section of its own (三、附则 + its paragraph) states the period and repeals too
    texts += [u.text for u in parsed.units if u.kind == "section_intro"][-2:]
    notice, reading = build_notice(doc_id=doc_id, path=path, head=parsed.head, tail=parsed.tail, texts=texts,
                                   title_hint=doc.title_hint, meta=meta, meta_path=meta_path,
                                   has_letter=any(u.kind == "letter" for u in parsed.units))
    report = report_for(doc, parsed, reading.sources, reading.notes)
    return LoadedNotice(notice, _with_amounts(parsed.units), report)


def load_corpus(corpus_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES, progress=None) -> CorpusLoad:
    """Every notice in the folder that can be used; each one that cannot, as a Rejection.

    Raises CorpusError only when the folder itself is unusable (missing, no notice files).
    `progress`, if given, is called with (done, total, path) after each file.
    """
    files = notice_files(Path(corpus_dir))
    return load_files(files, files, max_bytes, progress)


def load_files(files: list[Path], folder: list[Path], max_bytes: int = DEFAULT_MAX_BYTES, progress=None) -> CorpusLoad:
    """These files of the folder (`folder`: all of its notice files, to tell two files of one notice)."""
    load = CorpusLoad()
    by_id: dict[str, list[Path]] = {}
    for p in folder:
        by_id.setdefault(p.stem, []).append(p)
    for i, path in enumerate(files, 1):
        doc_id = path.stem
        if len(by_id[doc_id]) > 1:
            others = "、".join(p.name for p in by_id[doc_id])
            load.rejected.append(Rejection(str(path), doc_id, f"{path}: 同名的通知有多份（{others}）/ two files share "
                                           f"the id {doc_id}; 请只保留一份（其余改名或移走）。"))
        else:
            try:
                load.loaded.append(load_notice(path, max_bytes))
            except CorpusError as exc:
                load.rejected.append(Rejection(str(path), doc_id, str(exc)))
            except Exception as exc:  # never a traceback for a file's content: say so, log the details
                log.debug("parsing %s failed", path, exc_info=True)
                load.rejected.append(Rejection(str(path), doc_id, f"{path}: 无法解析（{type(exc).__name__}）/ could "
                                               "not be parsed; 请另存为 UTF-8 的 .txt 再试，并把此文件报告给维护者。"))
        if progress:
            progress(i, len(files), path)
    return load
