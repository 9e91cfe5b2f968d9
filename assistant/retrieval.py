"""Hybrid retrieval: dense (Chroma + e5) and keyword (jieba + BM25) rankings fused by reciprocal rank
fusion, restricted to the notices of the regions a question names; explicit clause references
(第十四条) are looked up directly and ranked first.

A `Retriever` answers from one index state (its `Snapshot`): the keyword index, the units and the
dense candidates all belong to that state, so a question never mixes two. The work per question is
vectorised: its cost grows with the units that match, not with a Python loop over the corpus.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .index import ClauseIndex, Snapshot
from .index.snapshot import gc_paused
from .keywords import expand, tokenize
from .types import Hit, Notice, Query, Unit

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
        self._clauses: dict[int, list[int]] = {}
        self._clause_of: dict[tuple[str, int], Unit] = {}
        for i, u in enumerate(self.units):
            if u.kind == "clause":
                self._clauses.setdefault(u.number, []).append(i)
                self._clause_of.setdefault((u.doc_id, u.number), u)
        self._alias_tokens = self.snapshot.alias_tokens(_alias_tokens)

    @property
    def state(self) -> str:
        return self.snapshot.state

    def query_tokens(self, text: str) -> list[str]:
        """Keyword tokens of a question, without region names (the region is a filter, not a topic)."""
        return expand([t for t in tokenize(text) if t not in self._alias_tokens])

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
        scores = self.keywords.scores(self.query_tokens(query.search_text))
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
