"""Hybrid retrieval: dense (Chroma + e5) and keyword (jieba + BM25) rankings fused by reciprocal rank
fusion, restricted to the notices of the regions a question names; explicit clause references
(第十四条) are looked up directly and ranked first.
"""
from __future__ import annotations

from dataclasses import dataclass

from .index import ClauseIndex, Snapshot
from .keywords import KeywordIndex, expand, tokenize
from .types import Hit, Notice, Query, Unit

RRF_K = 60
DENSE_CANDIDATES = 40
KEYWORD_WEIGHT = 1.0


@dataclass
class Retriever:
    index: ClauseIndex
    snapshot: Snapshot

    def __post_init__(self) -> None:
        self.units = self.snapshot.units
        self.notices: dict[str, Notice] = self.snapshot.notices
        self.by_id: dict[str, Unit] = {u.unit_id: u for u in self.units}
        self.keywords = KeywordIndex(self.units)
        self._alias_tokens = {t for n in self.notices.values() for a in n.region_aliases for t in tokenize(a)}

    def query_tokens(self, text: str) -> list[str]:
        """Keyword tokens of a question, without region names (the region is a filter, not a topic)."""
        return expand([t for t in tokenize(text) if t not in self._alias_tokens])

    def search(self, query: Query, k: int = 5) -> list[Hit]:
        allowed = set(query.doc_ids or self.notices)
        fused: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        keyword_rank: dict[str, int] = {}

        vector = self.index.embedding.embed_query([query.search_text])[0]
        for rank, (uid, _dist) in enumerate(self.index.query(vector, DENSE_CANDIDATES, query.doc_ids), 1):
            dense_rank[uid] = rank
            fused[uid] = fused.get(uid, 0.0) + 1.0 / (RRF_K + rank)

        scores = self.keywords.scores(self.query_tokens(query.search_text))
        order = [i for i in scores.argsort()[::-1] if scores[i] > 0 and self.units[i].doc_id in allowed]
        for rank, i in enumerate(order, 1):
            uid = self.units[i].unit_id
            keyword_rank[uid] = rank
            fused[uid] = fused.get(uid, 0.0) + KEYWORD_WEIGHT / (RRF_K + rank)

        for n in query.clause_numbers:  # explicit references outrank everything
            for u in self.units:
                if u.kind == "clause" and u.number == n and u.doc_id in allowed:
                    fused[u.unit_id] = fused.get(u.unit_id, 0.0) + 1.0

        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [Hit(unit=self.by_id[uid], notice=self.notices[self.by_id[uid].doc_id], score=score,
                    dense_rank=dense_rank.get(uid), keyword_rank=keyword_rank.get(uid))
                for uid, score in ranked if uid in self.by_id]

    def unit(self, doc_id: str, number: int) -> Unit | None:
        return next((u for u in self.units if u.doc_id == doc_id and u.kind == "clause" and u.number == number), None)
