"""`sync`: make the index hold exactly the given notices, writing only what changed.

1. Under the ingest lock, read the current manifest and plan: a notice whose record id (its content
   hash) is unchanged is not touched; `keep` carries a notice's last indexed version over.
2. Note the notices about to change in the journal (a killed ingest's leftovers are swept by the next).
3. Write the vector records its units lack (a vector is reused whenever the same text was embedded
   before, in any notice) and the new notice records. Nothing current refers to them yet.
4. Save the new state's keyword index in the local cache (derived from the previous one), write its
   manifest, then move the `current` pointer: the one step that makes the new state visible.
5. Sweep the records only states retired longer than the grace period referred to.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Collection, Mapping
from dataclasses import replace

from .cache import LocalCache
from .lock import IngestLock
from .manifest import (Entry, Manifest, clear_journal, read_journal, read_manifest, write_journal,
                       write_manifest)
from .records import NoticeRecord, content_id, embed_text, encode, make_record
from .report import IngestReport, NoticeChange
from .snapshot import Snapshot, derive_keywords, fetch_records
from .store import Store

log = logging.getLogger(__name__)
EMBED_BATCH = 16
VECTOR_CHUNK = 64  # units embedded, then written, at a time


def _bar(total: int, desc: str, enabled: bool):
    if not enabled or total < EMBED_BATCH:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="unit", file=sys.stderr)


class Sync:
    def __init__(self, index, progress: bool):
        self.index = index
        self.store: Store = index.store
        self.cache: LocalCache = index.cache
        self.settings = index.settings
        self.progress = progress

    def run(self, loaded, keep: Collection[str], sources: Mapping[str, str] | None,
            previous: Snapshot | None) -> IngestReport:
        started = time.perf_counter()
        self.index.check_writable()
        with IngestLock(self.settings, self.store) as lock:
            self.lock = lock
            self.index.refresh_view()
            journal = read_journal(self.store)
            if journal:
                log.warning("an earlier ingest stopped before it finished; sweeping what it left (%d notices)",
                            len(journal))
                self.store.reopen()
            prev = read_manifest(self.store)
            entries, fresh, changes = self._plan(prev, loaded, keep, sources or {})
            manifest = Manifest.of(entries, prev, self.settings.index_grace_s)
            if manifest.state == prev.state:
                if entries != prev.notices:  # same content, new source keys: remember them
                    write_manifest(self.store, replace(prev, notices=dict(sorted(entries.items()))),
                                   switch=False)
                self._sweep(prev, journal, [])
                if journal:
                    clear_journal(self.store)
                units = sum(e.units for e in entries.values())
                return IngestReport(len(entries), units, 0, units, 0, True, time.perf_counter() - started,
                                    tuple(changes), prev.state)

            touched = sorted({c.doc_id for c in changes if c.action in ("added", "changed", "removed")})
            write_journal(self.store, sorted(set(touched) | set(journal)))
            embedded = self._write_vectors(list(fresh.values()))
            self.store.put("notices", list(fresh), [{"doc_id": r.doc_id, "body": encode(r)} for r in fresh.values()])
            for record in fresh.values():
                self.cache.save_record(record)
            self._save_keywords(manifest, prev, previous, fresh)
            write_manifest(self.store, manifest)  # the switch
            self.index.saw(manifest.state)
            clear_journal(self.store)
            expired = [s for s, _ in prev.retired if s not in {r for r, _ in manifest.retired}]
            self._sweep(manifest, journal, expired)
            self.cache.prune(manifest.state)
            if not prev.state:
                self.store.drop_legacy()

        changes = [replace(c, embedded=embedded.get(c.doc_id, 0)) for c in changes]
        units = sum(e.units for e in entries.values())
        total = sum(embedded.values())
        return IngestReport(len(entries), units, total, units - total, sum(c.removed for c in changes), False,
                            time.perf_counter() - started, tuple(changes), manifest.state)

    # -- planning ----------------------------------------------------------------------------------------
    def _plan(self, prev: Manifest, loaded, keep, sources):
        entries: dict[str, Entry] = {}
        fresh: dict[str, NoticeRecord] = {}
        changes: list[NoticeChange] = []
        for ln in loaded:
            doc = ln.notice.doc_id
            units = sorted(ln.units, key=lambda u: u.order)
            rid = content_id(ln.notice, units)
            old = prev.notices.get(doc)
            source = sources.get(doc, "")
            entries[doc] = Entry(rid, source or (old.source if old and old.record == rid else ""), len(units))
            if old and old.record == rid:
                changes.append(NoticeChange(doc, "unchanged", len(units)))
                continue
            fresh[rid] = make_record(ln.notice, units, rid)
            changes.append(NoticeChange(doc, "changed" if old else "added", len(units),
                                        removed=self._units_leaving(old, fresh[rid])))
        for doc in keep:
            if doc not in entries and doc in prev.notices:
                old = prev.notices[doc]
                same = bool(old.source) and sources.get(doc) == old.source  # its files did not change
                entries[doc] = old
                changes.append(NoticeChange(doc, "unchanged" if same else "kept", old.units))
        for doc, old in prev.notices.items():
            if doc not in entries:
                changes.append(NoticeChange(doc, "removed", 0, removed=old.units))
        return entries, fresh, changes

    def _units_leaving(self, old: Entry | None, new: NoticeRecord) -> int:
        if old is None:
            return 0
        before = fetch_records([old.record], self.store, self.cache)[old.record]
        return len({u.unit_id for u in before.units} - {u.unit_id for u in new.units})

    # -- vectors ---------------------------------------------------------------------------------------------
    def _write_vectors(self, records: list[NoticeRecord]) -> dict[str, int]:
        """Write the vector records the new notice records refer to; returns units embedded, per notice."""
        want = {vid: (r, i) for r in records for i, vid in enumerate(r.vector_ids)}
        have = set(self.store.get("vectors", ids=list(want))["ids"])
        missing = {vid: ri for vid, ri in want.items() if vid not in have}
        hashes = sorted({r.embed_hashes[i] for r, i in missing.values()})
        vectors = self._reusable(hashes)
        lacking = [h for h in hashes if h not in vectors]
        if lacking:
            vectors.update(self.store.legacy_vectors(lacking))
        texts: dict[str, str] = {}
        embedded: dict[str, int] = {}
        for r, i in missing.values():
            h = r.embed_hashes[i]
            if h not in vectors:
                texts.setdefault(h, embed_text(r.units[i]))
                embedded[r.doc_id] = embedded.get(r.doc_id, 0) + 1
        # Vectors at hand are written first; the rest chunk by chunk as they are embedded (a long
        # ingest shows its progress, and one that is stopped has kept what it embedded).
        ready = [v for v in missing if missing[v][0].embed_hashes[missing[v][1]] in vectors]
        todo = [v for v in missing if missing[v][0].embed_hashes[missing[v][1]] not in vectors]
        writing = _bar(len(ready), "writing index", self.progress and len(ready) >= 1000)
        self._put_vectors(ready, missing, vectors, writing)
        if writing:
            writing.close()
        bar = _bar(len(texts), "embedding", self.progress)
        for start in range(0, len(todo), VECTOR_CHUNK):
            chunk = todo[start:start + VECTOR_CHUNK]
            need = list(dict.fromkeys(h for h in (missing[v][0].embed_hashes[missing[v][1]] for v in chunk)
                                      if h not in vectors))
            for at in range(0, len(need), EMBED_BATCH):
                batch = need[at:at + EMBED_BATCH]
                vectors.update(zip(batch, self.index.embedding([texts[h] for h in batch])))
                self.lock.renew()
                if bar:
                    bar.update(len(batch))
            self._put_vectors(chunk, missing, vectors, None)
        if bar:
            bar.close()
        return embedded

    def _reusable(self, hashes: list[str]) -> dict[str, object]:
        """Vectors already in the index for these embedded-text hashes. A text may sit in hundreds of
        notices: find the records by id only (the id ends with the hash), then read one vector per hash."""
        by_prefix = {h[:16]: h for h in hashes}
        pick: dict[str, str] = {}
        for start in range(0, len(hashes), 500):
            got = self.store.get("vectors", where={"embed_hash": {"$in": hashes[start:start + 500]}})
            for vid in got["ids"]:
                h = by_prefix.get(vid.rsplit("@", 1)[-1])
                if h is not None:
                    pick.setdefault(h, vid)
        found = self.store.vectors(list(pick.values()))
        return {h: found[vid] for h, vid in pick.items() if vid in found}

    def _put_vectors(self, ids: list[str], missing: dict, vectors: dict, bar) -> None:
        hashes = [missing[v][0].embed_hashes[missing[v][1]] for v in ids]
        self.store.put("vectors", ids, [{"doc_id": missing[v][0].doc_id, "embed_hash": h} for v, h in zip(ids, hashes)],
                       embeddings=[vectors[h] for h in hashes],
                       on_batch=lambda n: (self.lock.renew(), bar and bar.update(n)))

    # -- the new state's keyword index, in the local cache ---------------------------------------------------
    def _save_keywords(self, manifest: Manifest, prev: Manifest, previous: Snapshot | None, fresh) -> None:
        if previous is not None and previous.state == prev.state:
            base = previous
        elif not prev.state:
            base = None
        else:
            saved = self.cache.keywords(prev.state)
            if saved is None:
                return  # this replica never loaded the previous state: the first reader builds it
            from .snapshot import cached_rows

            base = (cached_rows(saved[0]), saved[1])
        try:
            rows, table, keywords = derive_keywords(manifest, base, {rid: r.tokens for rid, r in fresh.items()})
        except KeyError:  # a notice kept from a state this cache lacks: the first reader builds it
            return
        self.cache.save_keywords(manifest.state, rows, table, keywords)

    # -- sweeping ------------------------------------------------------------------------------------------
    def _sweep(self, current: Manifest, journal: list[str], expired: list[str]) -> None:
        """Delete the records of notices that only expired states (or a dead ingest) refer to."""
        now, grace = time.time(), self.settings.index_grace_s
        expired = list(expired) + [s for s, t in current.retired if now - t >= grace]
        docs = set(journal)
        gone = []
        for state in dict.fromkeys(expired):
            old = read_manifest(self.store, state)
            if old.state:
                docs |= {d for d, e in old.notices.items() if current.notices.get(d, Entry("")).record != e.record}
                gone.append(f"manifest:{state}")
        if not docs and not gone:
            return
        live = [current] + [read_manifest(self.store, s) for s, t in current.retired if now - t < grace]
        for doc in sorted(docs):
            records = {m.notices[doc].record for m in live if doc in m.notices}
            held = fetch_records(sorted(records), self.store, self.cache) if records else {}
            vectors = {v for r in held.values() for v in r.vector_ids}
            stale_vectors = [v for v in self.store.get("vectors", where={"doc_id": doc})["ids"] if v not in vectors]
            self.store.delete("vectors", stale_vectors)
            stale = [r for r in self.store.get("notices", where={"doc_id": doc})["ids"] if r not in records]
            self.store.delete("notices", stale)
            self.lock.renew()
        self.store.delete("state", gone)
