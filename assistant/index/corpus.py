"""`ingest_corpus`: the corpus folder -> the index, parsing only the files that changed.

Kept apart from `Assistant` so that `policyqa ingest` loads the index and the parser, not the
answering stack (it starts in about a second when nothing changed).
"""
from __future__ import annotations

from ..notices import load_corpus, load_notice, notice_files
from ..settings import Settings
from . import ClauseIndex
from .report import IngestReport
from .snapshot import Snapshot
from .sources import source_keys


def ingest_corpus(settings: Settings, index: ClauseIndex | None = None, previous: Snapshot | None = None,
                  progress: bool = True) -> IngestReport:
    """Parse the notices whose files changed since the last ingest (all of them, or fail without
    touching the index), then sync the index: unchanged files keep their indexed version."""
    index = index or ClauseIndex(settings)
    index.check_writable()
    files = notice_files(settings.corpus_dir)
    if len({p.stem for p in files}) < len(files):  # two files, one notice: the loader says what to do
        loaded, keep, sources = load_corpus(settings.corpus_dir), (), None
    else:
        keys = source_keys(files)
        known = index.sources()
        loaded = [load_notice(p) for p in files if known.get(p.stem) != keys[p]]
        keep = [p.stem for p in files if known.get(p.stem) == keys[p]]
        sources = {p.stem: keys[p] for p in files}
    return index.sync(loaded, keep=keep, progress=progress, sources=sources, previous=previous)
