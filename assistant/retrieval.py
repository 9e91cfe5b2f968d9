"""Hybrid retrieval: dense (Chroma + e5) and keyword (jieba + BM25) rankings fused by reciprocal rank
fusion, restricted to the notices of the regions a question names; explicit clause references
(第十四条) are looked up directly and ranked first.

A `Retriever` answers from one index state (its `Snapshot`): the keyword index, the units and the
dense candidates all belong to that state, so a question never mixes two. The work per question is
vectorised: its cost grows with the units that match, not with a Python loop over the corpus.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .index import ClauseIndex, Snapshot
from .index.snapshot import gc_paused
from .keywords import expand, tokenize
from .metadata import caps_several, headed_by_period
from .types import RESTART_BASE, Hit, Notice, Query, Unit

RRF_K = 60
DENSE_CANDIDATES = 40
KEYWORD_WEIGHT = 1.0


@lru_cache(maxsize=100_000)
def _alias_tokens(alias: str) -> tuple[str, ...]:
    return tuple(tokenize(alias))


@dataclass
class Retriever:
    index: ClauseIndex
    snapshot: Snapshot

    def __post_init__(self) -> None:
        with gc_paused():
            self._build()

    def _build(self) -> None:
        self.units = self.snapshot.units
        self.notices: dict[str, Notice] = self.snapshot.notices
        self.keywords = self.snapshot.keywords
        self.by_id: dict[str, Unit] = {u.unit_id: u for u in self.units}
        self.row: dict[str, int] = {u.unit_id: i for i, u in enumerate(self.units)}
        self._doc_index = {d: i for i, d in enumerate(self.notices)}
        self._unit_doc = np.asarray([self._doc_index[u.doc_id] for u in self.units], dtype=np.int32)
        self._by_doc: dict[str, list[Unit]] = {}
        for u in self.units:
            self._by_doc.setdefault(u.doc_id, []).append(u)
        self._clauses: dict[int, list[int]] = {}
        self._clause_of: dict[tuple[str, int], Unit] = {}
        for i, u in enumerate(self.units):
            if u.kind == "clause":
                self._clauses.setdefault(u.number, []).append(i)
                self._clause_of.setdefault((u.doc_id, u.number), u)
                if u.number >= RESTART_BASE:  # （四） of a section whose numbering restarts: also plain 4
                    self._clauses.setdefault(u.number % RESTART_BASE, []).append(i)
        self._alias_tokens = self.snapshot.alias_tokens(_alias_tokens)

    @property
    def state(self) -> str:
        return self.snapshot.state

    def units_of(self, doc_id: str) -> list[Unit]:
        """A notice's units, in order."""
        return self._by_doc.get(doc_id, [])

    def query_tokens(self, text: str) -> list[str]:
        """Keyword tokens of a question, without region names (the region is a filter, not a topic)."""
        return expand([t for t in tokenize(text) if t not in self._alias_tokens])

    def _beyond_titles(self, tokens: list[str], doc_ids: tuple[str, ...]) -> list[str]:
        """Inside the notices asked about, the words of their titles name the notice, not a clause
        (every row of 奎文区's 家电以旧换新 table repeats them): the other words rank, when there are any."""
        titles = [self.notices[d].title for d in doc_ids if d in self.notices]
        if not titles:
            return tokens
        beyond = [t for t in tokens if not all(t in title for title in titles)]
        return beyond or tokens

    def _allowed(self, doc_ids: tuple[str, ...]) -> np.ndarray | None:
        """Per unit: inside the question's notices (None: all are)."""
        if not doc_ids:
            return None
        docs = np.zeros(len(self._doc_index), dtype=bool)
        docs[[self._doc_index[d] for d in doc_ids if d in self._doc_index]] = True
        return docs[self._unit_doc]

    def search(self, query: Query, k: int = 5) -> list[Hit]:
        allowed = self._allowed(query.doc_ids)
        fused: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        keyword_rank: dict[str, int] = {}

        vector = self.index.embedding.embed_query([query.search_text])[0]
        dense = self.index.query(vector, DENSE_CANDIDATES, query.doc_ids, self.snapshot)
        for rank, (uid, _dist) in enumerate(dense, 1):
            dense_rank[uid] = rank
            fused[uid] = fused.get(uid, 0.0) + 1.0 / (RRF_K + rank)

        # Keyword ranks of every matching unit, in the order a full sort gives (ties included). Only
        # the best `k + len(dense)` can reach the top k on their keyword score alone; the dense
        # candidates and the clauses referred to get their keyword rank wherever it is.
        scores = self.keywords.scores(self._beyond_titles(self.query_tokens(query.search_text), query.doc_ids))
        order = scores.argsort()[::-1]
        keep = scores[order] > 0
        if allowed is not None:
            keep &= allowed[order]
        order = order[keep]
        rank_of = {int(i): r for r, i in enumerate(order[:k + len(dense)].tolist(), 1)}
        referred = [i for n in query.clause_numbers for i in self._clauses.get(n, ())]
        others = [self.row[uid] for uid in dense_rank if uid in self.row] + referred
        if others and len(order) > len(rank_of):
            position = np.zeros(len(self.units), dtype=np.int64)
            position[order] = np.arange(1, len(order) + 1)
            for i in others:
                if position[i]:
                    rank_of.setdefault(i, int(position[i]))
        for i, rank in sorted(rank_of.items(), key=lambda kv: kv[1]):
            uid = self.units[i].unit_id
            keyword_rank[uid] = rank
            fused[uid] = fused.get(uid, 0.0) + KEYWORD_WEIGHT / (RRF_K + rank)

        for n in query.clause_numbers:  # explicit references outrank everything
            for i in self._clauses.get(n, ()):
                if allowed is None or allowed[i]:
                    uid = self.units[i].unit_id
                    fused[uid] = fused.get(uid, 0.0) + 1.0

        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [Hit(unit=self.by_id[uid], notice=self.notices[self.by_id[uid].doc_id], score=score,
                    dense_rank=dense_rank.get(uid), keyword_rank=keyword_rank.get(uid))
                for uid, score in ranked if uid in self.by_id]

    def unit(self, doc_id: str, number: int) -> Unit | None:
        return self._clause_of.get((doc_id, number))


TABLE_ROWS_KEPT = 3  # rows of one table among a question's hits, so the rest of the notice is seen too


def diversify(hits: list[Hit], k: int) -> list[Hit]:
    """The first k hits with at most TABLE_ROWS_KEPT rows of any one table: every row repeats its
    table's caption (often the notice's own subject), so a table would otherwise crowd out the
    clauses that say how to apply, how long, how much in all."""
    kept, rows = [], {}
    for h in hits:
        if h.unit.kind == "table_row":
            table = (h.unit.doc_id, h.unit.label.split(" ")[0])
            rows[table] = rows.get(table, 0) + 1
            if rows[table] > TABLE_ROWS_KEPT:
                continue
        kept.append(h)
    return kept[:k]


# What an intent needs beside the units that match the topic: the paragraphs that state a notice's period
# (validity), who is responsible for it (who), how to apply under it (how_to_apply).
INTENT_EVIDENCE = {
    "validity": re.compile(r"有效期|实施有效|起施行|起实施|之日起|废止|截止|截至"),
    "who": re.compile(r"负责|主管部门|牵头|受理|责任单位"),
    "how_to_apply": re.compile(r"申请|申报|受理|材料|流程|办理|兑现"),
    "metadata": re.compile(r"〔\d{4}〕|\d{4}\s*年\s*\d{1,2}\s*月|[〇○零一二三四五六七八九]{4}年|废止|负责解释|印发|人民政府"),
}
EVIDENCE_KINDS = ("closing", "clause", "preamble", "letter")
# A section or heading on how to apply (四、申领流程, 申报程序, 办理方式)
PROCEDURE_PLACE = re.compile(r"申领|申报|申请|办理|兑现|兑付|领取|流程|程序")
EVIDENCE_MAX = 6


def _units_in_play(retriever: Retriever, query: Query, hits: list[Hit]) -> tuple[list[str], list[Unit]]:
    """The notices in play (those hit, else those in scope) and their units the topic search did not bring."""
    have = {h.unit.unit_id for h in hits}
    notices = list(dict.fromkeys(h.unit.doc_id for h in hits)) or list(query.doc_ids)
    scope = set(query.doc_ids or notices)
    return notices, [u for d in notices if d in scope for u in retriever.units_of(d) if u.unit_id not in have]


def _total_evidence(retriever: Retriever, query: Query, hits: list[Hit]) -> list[Hit]:
    notices, units = _units_in_play(retriever, query, hits)
    found = [u for u in units if caps_several(u.text)]
    return [Hit(unit=u, notice=retriever.notices[u.doc_id], score=0.0, evidence=True)
            for u in found[:EVIDENCE_MAX * max(1, len(notices))]]


def evidence_hits(retriever: Retriever, query: Query, hits: list[Hit]) -> list[Hit]:
    """Units of the notices in play that state what the intent asks (the period, the responsible
    department, how to apply) and that the topic search did not bring; validity evidence only from
    closing paragraphs and the articles that say so (附则)."""
    if query.asks_total and query.intent not in INTENT_EVIDENCE:  # "加起来有没有上限": the cap on them all
        return _total_evidence(retriever, query, hits)
    pattern = INTENT_EVIDENCE.get(query.intent)
    if pattern is None:
        return []
    notices, units = _units_in_play(retriever, query, hits)
    candidates = []
    for u in units:
        if u.kind not in EVIDENCE_KINDS:
            continue
        if query.intent == "validity" and headed_by_period(u):
            candidates.append(u)  # （三）实施时间: it states the period outright
            continue
        if query.intent == "validity" and u.kind == "clause" and not re.search(r"有效期|起施行|之日起|截止|截至", u.text):
            continue
        if query.intent == "metadata" and u.kind == "clause" and not re.search(r"废止|负责解释", u.text):
            continue
        if query.intent == "how_to_apply" and u.kind == "clause" and PROCEDURE_PLACE.search(f"{u.section}{u.heading}"):
            candidates.append(u)  # 四、申领流程 → （十）购新立减: the notice's own procedure
            continue
        if query.intent not in ("validity", "metadata") and u.kind == "clause" and not query.clause_numbers:
            continue  # a clause about another topic says nothing general about whom to ask or how
        if pattern.search(u.text):
            candidates.append(u)
    # the units that say it outright first: closing paragraphs and letters, then those stating a date
    candidates.sort(key=lambda u: (u.kind not in ("closing", "letter"), not re.search(r"\d{4}\s*年", u.text)))
    return [Hit(unit=u, notice=retriever.notices[u.doc_id], score=0.0, evidence=True)
            for u in candidates[:EVIDENCE_MAX * max(1, len(notices))]]
