"""Hybrid retrieval: dense (Chroma + e5) and keyword (jieba + BM25) rankings fused by reciprocal rank
fusion, restricted to the notices of the regions a question names; explicit clause references
(第十四条) are looked up directly and ranked first.
"""
from __future__ import annotations

import re
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
                if u.doc_id in allowed and u.answers_to(n):
                    fused[u.unit_id] = fused.get(u.unit_id, 0.0) + 1.0

        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [Hit(unit=self.by_id[uid], notice=self.notices[self.by_id[uid].doc_id], score=score,
                    dense_rank=dense_rank.get(uid), keyword_rank=keyword_rank.get(uid))
                for uid, score in ranked if uid in self.by_id]

    def unit(self, doc_id: str, number: int) -> Unit | None:
        return next((u for u in self.units if u.doc_id == doc_id and u.kind == "clause" and u.number == number), None)


# What an intent needs beside the units that match the topic: the paragraphs that state a notice's period
# (validity), who is responsible for it (who), how to apply under it (how_to_apply).
INTENT_EVIDENCE = {
    "validity": re.compile(r"有效期|实施有效|起施行|起实施|之日起|废止|截止|截至"),
    "who": re.compile(r"负责|主管部门|牵头|受理|责任单位"),
    "how_to_apply": re.compile(r"申请|申报|受理|材料|流程|办理|兑现"),
    "metadata": re.compile(r"〔\d{4}〕|\d{4}\s*年\s*\d{1,2}\s*月|[〇○零一二三四五六七八九]{4}年|废止|负责解释|印发|人民政府"),
}
EVIDENCE_KINDS = ("closing", "clause", "preamble", "letter")
EVIDENCE_MAX = 6


def evidence_hits(retriever: Retriever, query: Query, hits: list[Hit]) -> list[Hit]:
    """Units of the notices in play that state what the intent asks (the period, the responsible
    department, how to apply) and that the topic search did not bring; validity evidence only from
    closing paragraphs and the articles that say so (附则)."""
    pattern = INTENT_EVIDENCE.get(query.intent)
    if pattern is None:
        return []
    have = {h.unit.unit_id for h in hits}
    notices = list(dict.fromkeys(h.unit.doc_id for h in hits)) or list(query.doc_ids)
    scope = set(query.doc_ids or notices)
    candidates = []
    for u in retriever.units:
        if u.doc_id not in scope or u.doc_id not in notices or u.unit_id in have or u.kind not in EVIDENCE_KINDS:
            continue
        if query.intent == "validity" and u.kind == "clause" and not re.search(r"有效期|起施行|之日起|截止|截至", u.text):
            continue
        if query.intent == "metadata" and u.kind == "clause" and not re.search(r"废止|负责解释", u.text):
            continue
        if query.intent not in ("validity", "metadata") and u.kind == "clause" and not query.clause_numbers:
            continue  # a clause about another topic says nothing general about whom to ask or how
        if pattern.search(u.text):
            candidates.append(u)
    # the units that say it outright first: closing paragraphs and letters, then those stating a date
    candidates.sort(key=lambda u: (u.kind not in ("closing", "letter"), not re.search(r"\d{4}\s*年", u.text)))
    return [Hit(unit=u, notice=retriever.notices[u.doc_id], score=0.0, evidence=True)
            for u in candidates[:EVIDENCE_MAX * max(1, len(notices))]]
