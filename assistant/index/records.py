"""What the index stores, as data: one record per notice (the notice, its units with every field —
items and amounts included — and their keyword tokens) and one vector record per unit.

Record ids are content addresses, so two index states can share a collection without ever
overwriting each other:
- a notice record is ``<doc_id>@<hash of its content>``;
- a unit's vector record is ``<unit_id>@<hash of the text it embeds>`` (same id, same vector).
A notice record's body is JSON, zlib-compressed and base85-encoded: Chroma reads and writes short
ASCII strings fast, and long Chinese ones slowly.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import sys
import types
import typing
import zlib
from dataclasses import dataclass
from datetime import date
from functools import cache

from ..keywords import TokenTable, tokenizer_version, unit_tokens
from ..types import Notice, Unit

FORMAT = 2  # of the stored records; part of every notice record's hash


def embed_text(unit: Unit) -> str:
    """What the dense model reads for a unit: a clause is read with its section's title."""
    return unit.text if unit.kind != "clause" else f"{unit.section}\n{unit.text}"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vector_id(unit: Unit, embed_hash: str) -> str:
    return f"{unit.unit_id}@{embed_hash[:16]}"


def unit_id_of(record_id: str) -> str:
    return record_id.rsplit("@", 1)[0]


# -- dataclasses <-> JSON, driven by the type hints (a field added to types.py round-trips as is) ----
def to_data(value):
    if dataclasses.is_dataclass(value):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    return value


@cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _decode(hint, value):
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        args = typing.get_args(hint)
        return tuple(_decode(args[0], v) for v in value)
    if origin is list:
        return [_decode(typing.get_args(hint)[0], v) for v in value]
    if hint is date:
        return date.fromisoformat(value)
    if dataclasses.is_dataclass(hint):
        return from_data(hint, value)
    return value


def from_data(cls, data: dict):
    """`cls` from `to_data`'s output; fields the data lacks take their defaults, unknown keys are ignored."""
    hints = _hints(cls)
    return cls(**{f.name: _decode(hints[f.name], data[f.name]) for f in dataclasses.fields(cls) if f.name in data})


def notice_data(notice: Notice) -> dict:
    data = to_data(notice)
    data["path"] = ""  # where the corpus lives is not part of the index's content
    return data


# -- notice records -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoticeRecord:
    """One notice as the index holds it: its units in order, each with its vector record id and tokens."""

    record_id: str
    notice: Notice
    units: tuple[Unit, ...]
    vector_ids: tuple[str, ...]
    embed_hashes: tuple[str, ...]
    tokens: TokenTable  # one row per unit

    @property
    def doc_id(self) -> str:
        return self.notice.doc_id


def content_id(notice: Notice, units: list[Unit]) -> str:
    """The record id a notice with these units gets: equal ids mean equal content."""
    payload = json.dumps([FORMAT, tokenizer_version(), notice_data(notice), [to_data(u) for u in units]],
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"{notice.doc_id}@{sha(payload)[:16]}"


def make_record(notice: Notice, units: list[Unit], record_id: str | None = None) -> NoticeRecord:
    """Tokens and vector ids computed here: the one place a notice's text is tokenised."""
    units = sorted(units, key=lambda u: u.order)
    hashes = tuple(sha(embed_text(u)) for u in units)
    return NoticeRecord(record_id=record_id or content_id(notice, units), notice=notice, units=tuple(units),
                        vector_ids=tuple(vector_id(u, h) for u, h in zip(units, hashes)), embed_hashes=hashes,
                        tokens=TokenTable.from_lists([unit_tokens(u) for u in units]))


def encode(record: NoticeRecord) -> str:
    body = {"format": FORMAT, "notice": notice_data(record.notice),
            "units": [{**to_data(u), "_vector": v, "_embed": h, "_tokens": record.tokens.tokens(i)}
                      for i, (u, v, h) in enumerate(zip(record.units, record.vector_ids, record.embed_hashes))]}
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b85encode(zlib.compress(raw, 6)).decode("ascii")


def decode(record_id: str, text: str) -> NoticeRecord:
    body = json.loads(zlib.decompress(base64.b85decode(text)))
    rows = body["units"]
    return NoticeRecord(
        record_id=record_id, notice=from_data(Notice, body["notice"]),
        units=tuple(_interned(from_data(Unit, r)) for r in rows), vector_ids=tuple(r["_vector"] for r in rows),
        embed_hashes=tuple(r["_embed"] for r in rows), tokens=TokenTable.from_lists([r["_tokens"] for r in rows]))


_SHARED = ("doc_id", "kind", "section", "lead_department", "responsible")


def _interned(unit: Unit) -> Unit:
    """Strings many units repeat are kept once in memory (60,000 units hold a few hundred sections)."""
    for name in _SHARED:
        object.__setattr__(unit, name, sys.intern(getattr(unit, name)))
    return unit


def pack(data: dict) -> str:
    """Small JSON documents (the manifest) stored the same way."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b85encode(zlib.compress(raw, 6)).decode("ascii")


def unpack(text: str) -> dict:
    return json.loads(zlib.decompress(base64.b85decode(text)))
