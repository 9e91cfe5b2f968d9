"""The notices policyqa holds, as a catalogue: regions and the names a question may use for them,
series of versions (2024年版, 2025年版 of one policy), the version in force, and the notes a reader must
see beside an answer from a notice (draft, ended, repealed, which version).

Built once per index state from the notices; every stage reads it, none re-derives it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .notes import notes_for
from .types import Note, Notice

# Marks that tell versions of one policy apart; removed to find the series a title belongs to.
_VERSION_MARKS = re.compile(r"[（(]\s*(?:\d{4}\s*年?\s*(?:修订)?版?|(?:公开)?征求意见稿|草案|送审稿|修订稿?)\s*[）)]"
                            r"|\d{4}\s*年(?:版|度)?")
_SPACE = re.compile(r"\s+")
REGION_LIST_MAX = 8  # a refusal names at most this many regions, then says how many more


def series_key(notice: Notice) -> str:
    """The policy a notice is a version of: its series field, else region + title without its
    version, year and draft marks."""
    if notice.series:
        return notice.series
    title = _SPACE.sub("", _VERSION_MARKS.sub("", notice.title))
    return f"{notice.region}|{title}"


def _version_rank(n: Notice) -> tuple:
    """Later versions first; at the same version a final notice before its draft; then the later date."""
    return (n.version_year or 0, n.status == "final", n.published or date.min)


@dataclass
class Catalog:
    notices: dict[str, Notice]
    today: date
    texts: dict[str, str] = field(default_factory=dict)  # each notice's units, joined: what it talks about
    series: dict[str, list[Notice]] = field(init=False)  # newest version first
    aliases: list[tuple[str, str]] = field(init=False)  # (alias, doc_id), longest alias first

    def __post_init__(self) -> None:
        groups: dict[str, list[Notice]] = {}
        for n in self.notices.values():
            groups.setdefault(series_key(n), []).append(n)
        self.series = {k: sorted(v, key=_version_rank, reverse=True) for k, v in groups.items()}
        self._series_of = {n.doc_id: k for k, v in self.series.items() for n in v}
        pairs = {(a, n.doc_id) for n in self.notices.values() for a in (n.region, *n.region_aliases) if a}
        self.aliases = sorted(pairs, key=lambda p: (-len(p[0]), p[0], p[1]))
        titles = {n.title: n.doc_id for n in self.notices.values()}
        self._repealed_by: dict[str, str] = {}
        for n in self.notices.values():
            for t in n.repeals:
                old = titles.get(t.strip("《》"))
                if old and old != n.doc_id:
                    self._repealed_by[old] = n.doc_id

    # -- regions ------------------------------------------------------------------------------------
    def regions(self) -> list[str]:
        return list(dict.fromkeys(n.region for n in sorted(self.notices.values(), key=lambda n: n.doc_id)))

    def regions_text(self) -> str:
        """The corpus's regions for a reply: 衢州市、金华市金东区 (or the first few, and how many more)."""
        regions = self.regions()
        shown = "、".join(regions[:REGION_LIST_MAX])
        return shown + (f"等{len(regions)}个地区" if len(regions) > REGION_LIST_MAX else "")

    def all_aliases(self) -> set[str]:
        return {a for a, _ in self.aliases}

    def named_in(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(doc_ids, regions) of the notices whose region the text names. A name inside a longer one
        already matched (金东 inside 金东区) does not count again; every notice of a named region
        is in (all versions: the caller picks the version)."""
        doc_ids: list[str] = []
        taken: list[tuple[int, int]] = []
        for alias, doc_id in self.aliases:
            start = text.find(alias)
            while start >= 0:
                span = (start, start + len(alias))
                if not any(s <= span[0] and span[1] <= e and (s, e) != span for s, e in taken):
                    taken.append(span)
                    if doc_id not in doc_ids:
                        doc_ids.append(doc_id)
                    break
                start = text.find(alias, start + 1)
        regions = tuple(dict.fromkeys(self.notices[d].region for d in doc_ids))
        return tuple(doc_ids), regions

    # -- words ------------------------------------------------------------------------------------------
    def mentions(self, term: str, doc_ids=None) -> bool:
        """Whether any of these notices (all by default) uses the term."""
        ids = self.texts if doc_ids is None else doc_ids
        return any(term in self.texts.get(d, "") for d in ids)

    def together(self, word: str, parts: list[str], doc_ids) -> bool:
        """Whether the pieces of a word stand together in one of these notices, as a way of saying it
        (外贸进出口企业 for 外贸企业), not each somewhere of its own (重点 … 实验室 far apart)."""
        placed = sorted((word.find(p), p) for p in parts if p in word)
        if len(placed) < 2:
            return True
        first = placed[0][1]
        last = max(placed, key=lambda x: x[0] + len(x[1]))[1]
        if first == last:
            return True
        pattern = re.compile(re.escape(first) + r"[\s\S]{0,%d}" % (len(word) + 4) + re.escape(last))
        return any(pattern.search(self.texts.get(d, "")) for d in doc_ids)

    # -- versions -----------------------------------------------------------------------------------
    def versions(self, doc_id: str) -> list[Notice]:
        """Every version of the notice's series, newest first (the notice alone if it has none)."""
        return self.series.get(self._series_of.get(doc_id, ""), [self.notices[doc_id]])

    def repealed_by(self, doc_id: str) -> Notice | None:
        other = self._repealed_by.get(doc_id)
        return self.notices.get(other) if other else None

    def in_force(self, doc_id: str) -> bool:
        """Whether this notice is the version that answers by default: the newest of its series
        that no other notice repeals."""
        return self.current(doc_id).doc_id == doc_id

    def current(self, doc_id: str) -> Notice:
        live = [n for n in self.versions(doc_id) if n.doc_id not in self._repealed_by]
        return (live or self.versions(doc_id))[0]

    def scope(self, doc_ids: tuple[str, ...] = (), years=None) -> tuple[tuple[str, ...], bool]:
        """The notices a question is answered from: within `doc_ids` (or all), the versions of the
        years asked for (`years`: a year or several — "2024年版和2025年版"), else the version in force
        of each series. Returns (doc_ids, whether every year asked exists in the series in scope)."""
        years = () if years is None else (years,) if isinstance(years, int) else tuple(years)
        pool = doc_ids or tuple(self.notices)
        chosen: list[str] = []
        seen: set[int] = set()
        for key in dict.fromkeys(self._series_of.get(d, d) for d in pool):
            members = [n for n in self.series.get(key, [self.notices[key]] if key in self.notices else [])
                       if n.doc_id in pool]
            if not members:
                continue
            wanted = [n for n in members if years and n.version_year in years]
            if wanted:
                chosen += [n.doc_id for n in wanted]
                seen.update(n.version_year for n in wanted)
                continue
            live = [n for n in members if n.doc_id not in self._repealed_by]
            chosen.append((live or members)[0].doc_id)
        return tuple(chosen), set(years) <= seen

    def superseded(self, doc_ids: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The older versions of the series these notices (all by default) belong to."""
        pool = doc_ids or tuple(self.notices)
        out = [n.doc_id for d in pool for n in self.versions(d) if n.doc_id != d and not self.in_force(n.doc_id)]
        return tuple(dict.fromkeys(out))

    def has_versions(self, doc_id: str) -> bool:
        return len(self.versions(doc_id)) > 1

    # -- notes --------------------------------------------------------------------------------------
    def notes(self, notice: Notice) -> list[Note]:
        """What a reader must know beside an answer from this notice."""
        notes = notes_for(notice, self.today)
        newer = self.repealed_by(notice.doc_id)
        if newer:
            notes.append(Note("repealed", f"提示：{notice.quoted_title}已被{newer.quoted_title}废止，"
                                          "以上为旧版规定。", notice.doc_id))
        if self.has_versions(notice.doc_id):
            others = [n for n in self.versions(notice.doc_id) if n.doc_id != notice.doc_id]
            other_text = "、".join(n.version or n.quoted_title for n in others)
            which = "现行版本" if self.in_force(notice.doc_id) else "非现行版本"
            notes.append(Note("version", f"版本：以上依据{notice.quoted_title}（{which}）；"
                                         f"另有{other_text}。", notice.doc_id))
        return notes

    def notes_for_all(self, notices) -> list[Note]:
        out: list[Note] = []
        for notice in notices:
            out += [n for n in self.notes(notice) if n not in out]
        return out

    def order_key(self, notice: Notice) -> tuple:
        """Final before draft, in force before ended: the order several notices are answered in."""
        return (notice.status != "final", not self.in_force(notice.doc_id), notice.expired_on(self.today))
