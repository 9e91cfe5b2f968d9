"""The Chroma side of the index: three collections, reached in bounded batches.

- ``<name>-vectors``: one record per unit and embedded text (``<unit_id>@<text hash>``), with its
  vector and ``doc_id``/``embed_hash`` metadata — no documents (Chroma would full-text index them);
- ``<name>-notices``: one record per notice version (``<doc_id>@<content hash>``), its body packed
  in metadata (see records.py);
- ``<name>-state``: the manifests (``manifest:<state>``), the ``current`` pointer, the ingest
  ``journal`` and, with a Chroma server, the ingest ``lock``.
Embedded (``PersistentClient`` under the data dir) by default; ``POLICYQA_CHROMA_HOST`` uses a server.
"""
from __future__ import annotations

import atexit
import errno
import logging
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

from ..errors import IndexError_, IndexReadOnly
from ..settings import Settings

log = logging.getLogger(__name__)
GET_BATCH = 500  # ids per get/delete: far below SQLite's variable limit
PAGE = 10_000  # records per read that returns metadata (Chroma fails above 32,766)
PUT_BATCH = 256  # records per upsert
DUMMY = [1.0]  # notice and state records carry no meaning in their vector; Chroma needs one

# Processes that share one data dir see each other's writes only through a fresh Chroma "system":
# a change of `_epoch[path]` tells every ClauseIndex of this process to reopen (see Store.reopen).
_epoch: dict[str, int] = {}
_seen: dict[tuple[str, int], set[str]] = {}  # (path, epoch) -> index states that view holds
_epoch_lock = threading.Lock()


def seen_states(path: str) -> set[str]:
    return _seen.setdefault((path, _epoch.get(path, 0)), set())


def describe(exc: BaseException, where: str, server: bool) -> IndexError_:
    """A Chroma or OS failure as one line saying what to do (never: delete the index)."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]
    low = text.lower()
    if isinstance(exc, IndexError_):
        return exc
    if server:
        return IndexError_(f"无法连接索引服务 / cannot reach the {where} ({text}). "
                           "Start it (chroma run …), or unset POLICYQA_CHROMA_HOST to use the embedded index.")
    if "readonly" in low or "read-only" in low or getattr(exc, "errno", None) in (errno.EROFS, errno.EACCES,
                                                                                  errno.EPERM):
        return IndexReadOnly(f"索引目录 {where} 不可写 / the index at {where} is read-only ({text}). "
                             "Give the user running policyqa write permission on it (or point POLICYQA_DATA_DIR "
                             "at a writable folder) to ingest; questions are still answered.")
    if "disk is full" in low or "no space" in low or getattr(exc, "errno", None) == errno.ENOSPC:
        return IndexError_(f"磁盘已满 / the disk holding {where} is full ({text}). Free some space and run "
                           "`policyqa ingest` again; the previous index state keeps serving.")
    return IndexError_(f"索引无法打开 / the index at {where} cannot be opened ({text}). "
                       f"Move that folder aside (e.g. `mv {where} {where}.broken`) and run `policyqa ingest` "
                       "to rebuild it from the corpus.")


def writable(folder: Path) -> bool:
    """Whether files can be created in the folder (tried, not guessed from permission bits)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            return True
    except OSError:
        return False


class Store:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.prefix = settings.collection
        self.server = bool(settings.chroma_host)
        self._client = None
        self._collections: dict[str, object] = {}
        self._epoch = -1
        self.read_only = False  # the data dir cannot be written: serving from a private copy
        self._copy: Path | None = None

    @property
    def where(self) -> str:
        s = self.settings
        return f"Chroma server {s.chroma_host}:{s.chroma_port}" if self.server else str(s.index_dir)

    @property
    def path(self) -> str:
        return str(self._copy or self.settings.index_dir)

    # -- opening ----------------------------------------------------------------------------------
    @property
    def client(self):
        if self._client is not None and (self.server or self._epoch == _epoch.get(self.path, 0)):
            return self._client
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        self._collections = {}
        try:
            if self.server:
                self._client = chromadb.HttpClient(host=self.settings.chroma_host, port=self.settings.chroma_port,
                                                   settings=chroma_settings)
            else:
                index_dir = self.settings.index_dir
                if not self.read_only and not writable(index_dir):
                    self._serve_copy(index_dir)
                self._epoch = _epoch.setdefault(self.path, 0)
                self._client = chromadb.PersistentClient(path=self.path, settings=chroma_settings)
            self._client.heartbeat()
            if not self.server:
                self._note_opened()
        except Exception as exc:
            self._client = None
            raise describe(exc, self.where, self.server) from exc
        return self._client

    def _serve_copy(self, index_dir: Path) -> None:
        """Chroma cannot open a database it may not write: serve a private copy, read-only."""
        if not (index_dir / "chroma.sqlite3").exists():
            raise IndexReadOnly(f"索引目录 {index_dir} 不可写且没有索引 / {index_dir} is read-only and holds no index. "
                                "Give the user running policyqa write permission on the data dir, or point "
                                "POLICYQA_DATA_DIR at a writable folder, and run `policyqa ingest`.")
        copy = Path(tempfile.mkdtemp(prefix="policyqa-readonly-index-"))
        atexit.register(shutil.rmtree, copy, ignore_errors=True)
        shutil.copytree(index_dir, copy, dirs_exist_ok=True)
        for p in [copy, *copy.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
        self._copy, self.read_only = copy, True
        log.warning("the data dir %s is read-only: serving a read-only copy of its index (%s); "
                    "`policyqa ingest` needs write permission", index_dir, copy)

    def _note_opened(self) -> None:
        """A view opened now holds the state that is current now."""
        seen = seen_states(self.path)
        if not seen:
            try:
                col = self._client.get_collection(f"{self.prefix}-state", embedding_function=None)
                got = col.get(ids=["current"], include=["metadatas"])
                seen.update(m.get("state", "") for m in got["metadatas"])
            except Exception:  # no index yet
                seen.add("")

    def reopen(self) -> None:
        """After another process changed an embedded index: drop Chroma's cached view of it, for every
        ClauseIndex of this process (a server needs nothing)."""
        if self.server:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        with _epoch_lock:
            if self._epoch == _epoch.get(self.path, 0):
                # not stopped: questions in flight on the old view finish; it goes with its last user
                systems = getattr(SharedSystemClient, "_identifier_to_system", None)
                if isinstance(systems, dict):
                    systems.pop(self.path, None)
                else:  # another chromadb: drop every cached view (they are all reopened on next use)
                    SharedSystemClient.clear_system_cache()
                _epoch[self.path] = self._epoch + 1
        self._client = None

    def collection(self, kind: str, create: bool = False):
        """``vectors``, ``notices`` or ``state``; None when it does not exist and create is False."""
        client = self.client
        if kind in self._collections:
            return self._collections[kind]
        name = f"{self.prefix}-{kind}"
        try:
            if create:
                config = {"hnsw": {"space": "cosine"}} if kind == "vectors" else None
                col = client.get_or_create_collection(name, embedding_function=None, configuration=config)
            else:
                col = client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if not create and "does not exist" in str(exc).lower():
                return None
            raise describe(exc, self.where, self.server) from exc
        self._collections[kind] = col
        return col

    # -- batched access ----------------------------------------------------------------------------
    def get(self, kind: str, ids=None, where=None, include=()) -> dict:
        """Records by ids (any number) or by a metadata filter, read in bounded batches."""
        col = self.collection(kind)
        out = {"ids": [], "metadatas": [], "embeddings": []}
        if col is None:
            return out
        try:
            if ids is not None:
                ids = list(ids)
                for start in range(0, len(ids), GET_BATCH):
                    self._merge(out, col.get(ids=ids[start:start + GET_BATCH], include=list(include)))
            elif "metadatas" not in include:  # ids (and vectors) of any number of records: one read
                self._merge(out, col.get(where=where, include=list(include)))
            else:  # Chroma binds one SQL variable per record whose metadata it returns: pages
                offset = 0
                while True:
                    got = col.get(where=where, include=list(include), limit=PAGE, offset=offset)
                    self._merge(out, got)
                    if len(got["ids"]) < PAGE:
                        break
                    offset += PAGE
        except Exception as exc:
            raise describe(exc, self.where, self.server) from exc
        return out

    @staticmethod
    def _merge(out: dict, got: dict) -> None:
        out["ids"] += got["ids"]
        for key in ("metadatas", "embeddings"):
            value = got.get(key)
            if value is not None:
                out[key] += list(value)

    def put(self, kind: str, ids: list[str], metadatas: list[dict], embeddings=None, on_batch=None) -> None:
        col = self.collection(kind, create=True)
        try:
            for start in range(0, len(ids), PUT_BATCH):
                end = start + PUT_BATCH
                vectors = embeddings[start:end] if embeddings is not None else [DUMMY] * len(ids[start:end])
                col.upsert(ids=ids[start:end], metadatas=metadatas[start:end], embeddings=vectors)
                if on_batch:
                    on_batch(len(ids[start:end]))
        except Exception as exc:
            raise describe(exc, self.where, self.server) from exc

    def delete(self, kind: str, ids) -> None:
        col = self.collection(kind)
        ids = list(ids)
        if col is None or not ids:
            return
        try:
            for start in range(0, len(ids), GET_BATCH):
                col.delete(ids=ids[start:start + GET_BATCH])
        except Exception as exc:
            raise describe(exc, self.where, self.server) from exc

    def count(self, kind: str) -> int:
        col = self.collection(kind)
        try:
            return col.count() if col is not None else 0
        except Exception as exc:
            raise describe(exc, self.where, self.server) from exc

    def nearest(self, vector, n: int, doc_ids: tuple[str, ...] = ()) -> list[tuple[str, float]]:
        """(vector record id, cosine distance) of the n nearest records, optionally within some notices."""
        col = self.collection("vectors")
        if col is None or n <= 0:
            return []
        where = None
        if doc_ids:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        try:
            res = col.query(query_embeddings=[vector], n_results=n, where=where, include=["distances"])
        except Exception as exc:
            raise describe(exc, self.where, self.server) from exc
        return list(zip(res["ids"][0], res["distances"][0]))

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        got = self.get("vectors", ids=ids, include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}

    # -- the schema-1 index (one collection per generation), read once to reuse its vectors ---------
    def legacy_vectors(self, embed_hashes: list[str]) -> dict[str, list[float]]:
        try:
            client = self.client
            names = [c.name for c in client.list_collections()]
        except Exception:
            return {}
        out: dict[str, list[float]] = {}
        for name in names:
            if not name.startswith(f"{self.prefix}-g"):
                continue
            try:
                col = client.get_collection(name, embedding_function=None)
                for start in range(0, len(embed_hashes), GET_BATCH):
                    got = col.get(where={"embed_hash": {"$in": embed_hashes[start:start + GET_BATCH]}},
                                  include=["metadatas", "embeddings"])
                    for m, e in zip(got["metadatas"], got["embeddings"]):
                        out[m["embed_hash"]] = e
            except Exception as exc:  # a damaged old generation: its vectors are embedded again
                log.warning("old index generation %s unreadable (%s); its units are embedded again", name, exc)
        return out

    def drop_legacy(self) -> None:
        try:
            for c in self.client.list_collections():
                if c.name.startswith(f"{self.prefix}-g") or c.name == f"{self.prefix}-manifest":
                    self.client.delete_collection(c.name)
        except Exception as exc:  # harmless leftovers: say so and go on
            log.warning("could not drop the old index collections: %s", exc)
