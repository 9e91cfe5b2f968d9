"""The corpus folder: notice files (.txt, .md, .pdf, .docx) with a ``<name>.meta.json`` beside each.

``load_corpus`` reads and parses every notice, or raises CorpusError naming the file and the fix;
nothing is indexed until the whole corpus reads cleanly.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .errors import CorpusError
from .parsing import parse_units
from .types import Notice, Unit

NOTICE_SUFFIXES = (".txt", ".md", ".pdf", ".docx")
META_SUFFIX = ".meta.json"
REQUIRED_META = ("title", "issuer", "region", "status")
CONTROL_CHARS = {chr(c) for c in range(32)} - {"\n", "\r", "\t"}


@dataclass(frozen=True)
class LoadedNotice:
    notice: Notice
    units: list[Unit]


def read_text(path: Path) -> str:
    """A notice file's text. PDF via pypdf, Word via python-docx, text files must be UTF-8."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            from pypdf import PdfReader

            return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
        if suffix == ".docx":
            import docx

            return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    except Exception as exc:  # pypdf / python-docx raise many kinds on a damaged file
        raise CorpusError(f"{path}: cannot read this {suffix} file ({exc}). "
                          "Re-export it, or save its text as UTF-8 .txt.") from exc
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CorpusError(f"{path}: not UTF-8 text. Convert it, e.g. "
                          f"`iconv -f GB18030 -t UTF-8 '{path.name}' > fixed.txt`, and ingest again.") from None
    if any(ch in CONTROL_CHARS for ch in text):
        raise CorpusError(f"{path}: contains control characters — is it really a text file? "
                          "Save the notice as plain UTF-8 text and ingest again.")
    return text


def _date(meta: dict, key: str, path: Path) -> date | None:
    raw = meta.get(key)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise CorpusError(f"{path}: {key}={raw!r} is not a date; write it as YYYY-MM-DD.") from None


def read_meta(notice_path: Path) -> Notice:
    meta_path = notice_path.with_name(notice_path.stem + META_SUFFIX)
    if not meta_path.exists():
        raise CorpusError(f"{notice_path}: no metadata file. Create {meta_path.name} beside it with "
                          f"{', '.join(REQUIRED_META)} (see corpus/README.md).")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{meta_path}: not valid UTF-8 JSON ({exc}); fix the file and ingest again.") from None
    missing = [k for k in REQUIRED_META if not str(meta.get(k) or "").strip()]
    if missing:
        raise CorpusError(f"{meta_path}: missing {', '.join(missing)}; add them and ingest again.")
    if meta["status"] not in ("final", "draft"):
        raise CorpusError(f"{meta_path}: status must be \"final\" or \"draft\" (公开征求意见稿), "
                          f"not {meta['status']!r}.")
    aliases = tuple(dict.fromkeys([meta["region"], *meta.get("region_aliases", [])]))
    return Notice(
        doc_id=notice_path.stem, title=meta["title"].strip("《》"), issuer=meta["issuer"],
        region=meta["region"], region_aliases=aliases, status=meta["status"],
        published=_date(meta, "published", meta_path),
        effective_from=_date(meta, "effective_from", meta_path),
        effective_to=_date(meta, "effective_to", meta_path),
        source=meta.get("source", ""), path=str(notice_path))


def notice_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist. Create it and put notices in it, "
                          "or point POLICYQA_CORPUS at the folder that holds them.")
    files = sorted(p for p in corpus_dir.iterdir()
                   if p.is_file() and p.suffix.lower() in NOTICE_SUFFIXES and not p.name.startswith(".")
                   and p.name.lower() != "readme.md")
    if not files:
        raise CorpusError(f"corpus folder {corpus_dir} holds no notices (.txt, .md, .pdf, .docx). "
                          "Add one with its .meta.json and run `policyqa ingest`.")
    return files


def load_notice(path: Path) -> LoadedNotice:
    notice = read_meta(path)
    units = parse_units(read_text(path), notice.doc_id, source=str(path))
    return LoadedNotice(notice, units)


def load_corpus(corpus_dir: Path) -> list[LoadedNotice]:
    """Every notice in the folder, parsed. Raises CorpusError on the first that cannot be used."""
    loaded = [load_notice(p) for p in notice_files(corpus_dir)]
    ids = [ln.notice.doc_id for ln in loaded]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise CorpusError(f"two notices share the name {', '.join(sorted(dupes))} (e.g. a .txt and a .pdf); "
                          "keep one file per notice.")
    return loaded
