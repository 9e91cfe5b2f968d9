"""A `Snapshot` is one index state loaded for answering: its notices, their units in order, each unit's
vector record id, and the state's keyword index. Readers pin one; a question never sees two.

Building one reuses whatever is at hand, in this order: the previous snapshot in memory (notices whose
record did not change), the local cache (notice files, the state's saved keyword index), and Chroma
(the notice records). So a replica that sees a new state loads only the notices that changed.
"""
from __future__ import annotations

import gc
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import IndexError_
from ..keywords import KeywordIndex, TokenTable
from ..types import Notice, Unit
from .cache import LocalCache
from .manifest import Manifest
from .records import NoticeRecord, decode
from .store import Store

log = logging.getLogger(__name__)
FETCH_BATCH = 50  # notice records per Chroma read (each is tens of kB)
COMPACT_BELOW = 0.7  # rebuild the vocabulary when less than this share of it is in use


@dataclass
class Snapshot:
    state: str
    notices: dict[str, Notice]
    units: list[Unit]
    vector_ids: list[str]  # aligned with units
    keywords: KeywordIndex  # aligned with units
    tokens: TokenTable  # aligned with units; the next state's keyword index starts from it
    rows: dict[str, tuple[str, int, int]]  # doc_id -> (notice record id, first unit, end)
    garbage: int = 0  # vector records Chroma holds beyond this state's (dense search fetches that many more)
    loaded_at: float = field(default_factory=time.time)
    cache: LocalCache | None = field(default=None, repr=False)

    def alias_tokens(self, tokenize_alias) -> set[str]:
        """The keyword tokens of every region alias of the state's notices (a question's region is a
        filter, not a topic). Saved with the state: tokenising thousands of aliases takes a while."""
        saved = self.cache.aliases(self.state) if self.cache else None
        aliases = sorted({a for n in self.notices.values() for a in n.region_aliases})
        if saved is None or set(saved) != set(aliases):
            saved = {a: list(tokenize_alias(a)) for a in aliases}
            if self.cache:
                self.cache.save_aliases(self.state, saved)
        return {t for tokens in saved.values() for t in tokens}

    @cached_property
    def members(self) -> frozenset[str]:
        return frozenset(self.vector_ids)


@contextmanager
def gc_paused():
    """Build many long-lived objects without the cyclic GC scanning them again and again (a third of
    the load time at 60,000 units), then move them out of its sight for good (`gc.freeze`): they are
    freed by reference counting when the state is dropped, and questions no longer pay for scanning them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def fetch_records(record_ids: list[str], store: Store, cache: LocalCache) -> dict[str, NoticeRecord]:
    """Notice records from the local cache, else from Chroma (then cached). Raises if one is gone."""
    out: dict[str, NoticeRecord] = {}
    missing = []
    for rid in record_ids:
        record = cache.record(rid)
        if record is None:
            missing.append(rid)
        else:
            out[rid] = record
    if missing:
        started = time.perf_counter()
        for start in range(0, len(missing), FETCH_BATCH):
            got = store.get("notices", ids=missing[start:start + FETCH_BATCH], include=["metadatas"])
            for rid, meta in zip(got["ids"], got["metadatas"]):
                out[rid] = record = decode(rid, meta["body"])
                cache.save_record(record)
        log.info("read %d notice records from the index in %.1f s", len(missing), time.perf_counter() - started)
    gone = [rid for rid in record_ids if rid not in out]
    if gone:
        raise IndexError_(f"索引状态不完整 / the index state lists {len(gone)} notice records it does not hold "
                          f"(e.g. {gone[0]}). Run `policyqa ingest` to write a complete state.")
    return out


def derive_keywords(manifest: Manifest, base: Snapshot | tuple[dict, TokenTable] | None,
                    fresh: dict[str, TokenTable]) -> tuple[list[list], TokenTable, KeywordIndex]:
    """The keyword index of `manifest`'s state: rows of unchanged notices are taken from `base` (a
    snapshot, or the (rows, tokens) of a cached state), the others from `fresh` (record id -> tokens)."""
    if isinstance(base, Snapshot):
        base_rows, base_table = base.rows, base.tokens
    else:
        base_rows, base_table = base if base else ({}, None)
    parts, rows = [], []
    for doc, entry in manifest.notices.items():
        old = base_rows.get(doc)
        if old and old[0] == entry.record:
            parts.append(base_table.rows(old[1], old[2]))
            rows.append([doc, entry.record, old[2] - old[1]])
        else:
            table = fresh[entry.record]
            parts.append(table)
            rows.append([doc, entry.record, len(table)])
    table = TokenTable.concat(parts)
    if _in_use(table) < COMPACT_BELOW:  # notices left: drop their words from the vocabulary
        table = table.compacted()
    return rows, table, KeywordIndex.build(table)


def _in_use(table: TokenTable) -> float:
    return float((np.bincount(table.ids, minlength=len(table.vocab)) > 0).mean()) if table.vocab else 1.0


def cached_rows(rows: list[list]) -> dict[str, tuple[str, int, int]]:
    out, at = {}, 0
    for doc, rid, n in rows:
        out[doc] = (rid, at, at + n)
        at += n
    return out


def load_snapshot(manifest: Manifest, store: Store, cache: LocalCache, previous: Snapshot | None = None,
                  fresh: dict[str, NoticeRecord] | None = None) -> Snapshot:
    """The snapshot of `manifest`'s state (see the module docstring for what is reused)."""
    with gc_paused():
        return _load(manifest, store, cache, previous, fresh or {})


def _load(manifest, store, cache, previous, fresh) -> Snapshot:
    started = time.perf_counter()
    reuse = previous.rows if previous is not None else {}
    need = [e.record for d, e in manifest.notices.items()
            if not (d in reuse and reuse[d][0] == e.record) and e.record not in fresh]
    records = {**fresh, **fetch_records(need, store, cache)}

    notices: dict[str, Notice] = {}
    units: list[Unit] = []
    vector_ids: list[str] = []
    for doc, entry in manifest.notices.items():
        old = reuse.get(doc)
        if old and old[0] == entry.record:
            notices[doc] = previous.notices[doc]
            units += previous.units[old[1]:old[2]]
            vector_ids += previous.vector_ids[old[1]:old[2]]
        else:
            record = records[entry.record]
            notices[doc] = record.notice
            units += record.units
            vector_ids += record.vector_ids

    saved = cache.keywords(manifest.state)
    if saved and [r[:2] for r in saved[0]] == [[d, e.record] for d, e in manifest.notices.items()]:
        rows, table, keywords = saved
    else:
        rows, table, keywords = derive_keywords(manifest, previous, {rid: r.tokens for rid, r in records.items()})
        cache.save_keywords(manifest.state, rows, table, keywords)
    log.info("index state %s loaded: %d notices, %d units (%d notices read) in %.2f s", manifest.state,
             len(notices), len(units), len(need), time.perf_counter() - started)
    return Snapshot(state=manifest.state, notices=notices, units=units, vector_ids=vector_ids,
                    keywords=keywords, tokens=table, rows=cached_rows(rows), cache=cache)
