"""Index states. A state is the set of notice records the index serves; its id is a hash of them.

Each state has an immutable manifest record (``manifest:<state>``: every notice's record id, the source
key it was parsed from, and the recently retired states); the ``current`` record points at one of them.
An ingest writes its new records first, then the manifest, then moves the pointer — one upsert, so a
reader sees the old state or the new one, never half of one. Retired states stay readable for a grace
period (readers pinned to one finish their questions), then their records are swept.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

from .records import pack, unpack
from .store import Store

SCHEMA = 2  # of manifests and records; another schema is rebuilt by the next ingest
CURRENT, JOURNAL, LOCK = "current", "journal", "lock"


def state_id(records: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(records.values())).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Entry:
    record: str  # notice record id
    source: str = ""  # key of the files it was parsed from ("" = unknown: parse again)
    units: int = 0


@dataclass(frozen=True)
class Manifest:
    state: str
    notices: dict[str, Entry]  # doc_id -> entry, sorted by doc_id
    retired: tuple[tuple[str, float], ...] = ()  # (state, when it stopped being current)
    generation: int = 0
    created: float = field(default_factory=time.time)

    @classmethod
    def empty(cls) -> "Manifest":
        return cls(state="", notices={})

    @classmethod
    def of(cls, notices: dict[str, Entry], previous: "Manifest", grace_s: float) -> "Manifest":
        now = time.time()
        retired = [(s, t) for s, t in previous.retired if now - t < grace_s]
        if previous.state:
            retired.insert(0, (previous.state, now))
        records = {d: e.record for d, e in notices.items()}
        return cls(state=state_id(records), notices=dict(sorted(notices.items())), retired=tuple(retired),
                   generation=previous.generation + 1, created=now)

    @property
    def records(self) -> dict[str, str]:
        return {d: e.record for d, e in self.notices.items()}

    def to_meta(self) -> dict:
        body = {"state": self.state, "generation": self.generation, "created": self.created,
                "retired": [list(r) for r in self.retired],
                "notices": {d: [e.record, e.source, e.units] for d, e in self.notices.items()}}
        return {"schema": SCHEMA, "state": self.state, "body": pack(body)}

    @classmethod
    def from_meta(cls, meta: dict) -> "Manifest":
        body = unpack(meta["body"])
        return cls(state=body["state"], generation=body["generation"], created=body["created"],
                   retired=tuple((s, t) for s, t in body["retired"]),
                   notices={d: Entry(*v) for d, v in body["notices"].items()})


def current_state(store: Store) -> str:
    """The current state id ("" = no index yet): one small read, cheap enough to poll."""
    got = store.get("state", ids=[CURRENT], include=["metadatas"])
    if not got["ids"]:
        return ""
    meta = got["metadatas"][0]
    return meta["state"] if meta.get("schema") == SCHEMA else ""


def read_manifest(store: Store, state: str | None = None) -> Manifest:
    """The manifest of a state (the current one by default); empty when there is none."""
    state = current_state(store) if state is None else state
    if not state:
        return Manifest.empty()
    got = store.get("state", ids=[f"manifest:{state}"], include=["metadatas"])
    if not got["ids"]:
        return Manifest.empty()
    return Manifest.from_meta(got["metadatas"][0])


def write_manifest(store: Store, manifest: Manifest, switch: bool = True) -> None:
    store.put("state", [f"manifest:{manifest.state}"], [manifest.to_meta()])
    if switch:
        store.put("state", [CURRENT], [{"schema": SCHEMA, "state": manifest.state,
                                        "generation": manifest.generation}])


def read_journal(store: Store) -> list[str]:
    got = store.get("state", ids=[JOURNAL], include=["metadatas"])
    return unpack(got["metadatas"][0]["body"])["docs"] if got["ids"] else []


def write_journal(store: Store, docs: list[str]) -> None:
    """The notices an ingest is about to write: if it dies, the next one sweeps what it left."""
    store.put("state", [JOURNAL], [{"body": pack({"docs": sorted(docs), "at": time.time()})}])


def clear_journal(store: Store) -> None:
    store.delete("state", [JOURNAL])
