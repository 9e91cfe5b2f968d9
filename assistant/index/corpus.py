"""`ingest_corpus`: the corpus folder -> the index, parsing only the files that changed.

Kept apart from `Assistant` so that `policyqa ingest` loads the index and the parser, not the
answering stack (it starts in about a second when nothing changed).

A file that cannot be used is reported (one line: the file and what to do) and does not stop the
others; its previously indexed version, if any, stays served, and it is read again next time.
"""
from __future__ import annotations

import logging

from ..ingest_report import IngestOutcome, file_progress, nothing_indexed
from ..notices import load_files, notice_files
from ..settings import Settings
from . import ClauseIndex
from .snapshot import Snapshot
from .sources import source_keys

log = logging.getLogger(__name__)


def ingest_corpus(settings: Settings, index: ClauseIndex | None = None, previous: Snapshot | None = None,
                  progress: bool = True, reread: bool = False) -> IngestOutcome:
    """Parse the notices whose files changed since the last ingest (every file with `reread`), then
    sync the index: unchanged notices keep their indexed version, and so does a file rejected this time.
    The index writes only what changed either way."""
    index = index or ClauseIndex(settings)
    index.check_writable()
    files = notice_files(settings.corpus_dir)
    keys = source_keys(files)
    known = index.sources()
    shared = {p.stem for p in files if sum(q.stem == p.stem for q in files) > 1}  # two files, one notice
    changed = [p for p in files if reread or p.stem in shared or known.get(p.stem) != keys[p]]
    with file_progress(progress) as on_file:
        load = load_files(changed, files, max_bytes=settings.max_notice_bytes, progress=on_file)
    for r in load.rejected:
        log.info("notice rejected: %s", r.message)
    rejected = {r.doc_id for r in load.rejected}
    keep = [p.stem for p in files if p not in changed] + sorted(rejected)
    if not load.loaded and not index.exists():  # nothing usable and nothing to keep: no empty index
        return IngestOutcome(nothing_indexed(), load.loaded, load.rejected)
    sources = {p.stem: keys[p] for p in files if p.stem not in rejected and p.stem not in shared}
    report = index.sync(load.loaded, keep=keep, progress=progress, sources=sources, previous=previous)
    return IngestOutcome(report, load.loaded, load.rejected)
