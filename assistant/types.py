"""Data shapes shared by every stage of the pipeline, in one place.

Notice -> Unit (a clause, a section preamble, the notice preamble or a closing paragraph)
-> Hit (a unit found for a question) -> Citation / Answer (the public JSON contract).
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Literal

UnitKind = Literal["preamble", "section_intro", "clause", "closing"]
AnswerStatus = Literal["answered", "not_found", "clarify"]
AnswerMode = Literal["extractive", "llm"]
NoticeStatus = Literal["final", "draft"]


@dataclass(frozen=True)
class Notice:
    """One policy notice and the metadata recorded beside its file."""

    doc_id: str
    title: str  # without 《》
    issuer: str
    region: str  # e.g. 衢州市, 金华市金东区
    region_aliases: tuple[str, ...]  # names a question may use: 衢州, 金东, 金华…
    status: NoticeStatus
    published: date | None
    effective_from: date | None
    effective_to: date | None
    source: str
    path: str = ""

    @property
    def quoted_title(self) -> str:
        return f"《{self.title}》"

    @property
    def short_region(self) -> str:
        """The shortest alias, for compact citations such as 【衢州·（十四）】."""
        return min(self.region_aliases or (self.region,), key=len)

    def expired_on(self, today: date) -> bool:
        return self.effective_to is not None and today > self.effective_to


@dataclass(frozen=True)
class Unit:
    """An indexable piece of a notice: one clause, or a preamble/closing paragraph."""

    doc_id: str
    kind: UnitKind
    number: int  # clause number (14 for （十四）); section number for section_intro; order otherwise
    text: str  # the whole unit, cleaned (for a clause: starts with （十四）)
    clause: str = ""  # as printed: （十四）; "" for non-clauses
    heading: str = ""  # the clause's heading sentence, e.g. 更大力度支持消费品以旧换新
    section: str = ""  # e.g. 三、推进服务业高质量发展
    section_number: int = 0
    lead_department: str = ""  # 市发改委 (from （由市发改委牵头）)
    responsible: str = ""  # 责任单位, where given
    order: int = 0  # position in the notice

    @property
    def unit_id(self) -> str:
        return f"{self.doc_id}:{self.kind}:{self.number}"

    @property
    def label(self) -> str:
        """How the unit is cited: （十四） for a clause, a description otherwise."""
        if self.kind == "clause":
            return self.clause
        if self.kind == "section_intro":  # a section's own paragraph: cited by its number, 三、
            return f"{self.section.split('、')[0]}、" if self.section else "（总述）"
        return {"preamble": "（前言）", "closing": "（结语）"}[self.kind]

    @property
    def content_hash(self) -> str:
        payload = "\x1f".join([self.doc_id, self.kind, str(self.number), self.clause,
                               self.heading, self.section, self.text])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Hit:
    """A unit retrieved for a question, with its notice and fused score."""

    unit: Unit
    notice: Notice
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Citation:
    doc_id: str
    doc_title: str  # with 《》
    issuer: str
    region: str
    clause: str  # （十四）, or the label of a non-clause unit
    heading: str
    text: str
    status: NoticeStatus

    @classmethod
    def from_unit(cls, unit: Unit, notice: Notice) -> "Citation":
        return cls(doc_id=notice.doc_id, doc_title=notice.quoted_title, issuer=notice.issuer,
                   region=notice.region, clause=unit.label, heading=unit.heading,
                   text=unit.text, status=notice.status)


@dataclass
class Answer:
    """What `Assistant.ask` returns; `to_dict()` is the public JSON contract."""

    status: AnswerStatus
    answer: str
    citations: list[Citation] = field(default_factory=list)
    mode: AnswerMode = "extractive"
    fallback: str | None = None  # why an LLM answer was replaced by the extractive one
    hits: list[Hit] = field(default_factory=list, repr=False)  # what retrieval found (not public)

    def to_dict(self) -> dict:
        out = {
            "status": self.status,
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
        }
        if self.fallback:
            out["fallback"] = self.fallback
        return out


@dataclass(frozen=True)
class Amount:
    """A figure found in text, as a value: 1.5万元/辆 -> Amount(15000, "元", per="辆")."""

    value: float  # in the base unit: 元 (not 万元), % , 亩, 人, 家 …
    unit: str  # base unit: 元, %, 亩, 人, 家, 个, 吨, 标箱, 公斤, 美元 …; "" for a bare number
    per: str = ""  # 辆 in 1.5万元/辆, 件 in 2000元/件
    bound: Literal["", "max", "min", "approx"] = ""  # 最高/不超过 -> max; 不低于/以上 -> min; 左右 -> approx
    high: float | None = None  # upper end of a range (100万-300万元): value is the lower end
    text: str = ""  # the span as written
    start: int = 0  # offset of the span in the text it came from
    end: int = 0


@dataclass(frozen=True)
class Query:
    """A question as understood before retrieval (see assistant/understanding.py)."""

    question: str  # as asked, cleaned
    search_text: str  # standalone text for retrieval (follow-ups merged, numerals normalised)
    doc_ids: tuple[str, ...] = ()  # notices the question restricts to (by region named); () = all
    regions_named: tuple[str, ...] = ()  # regions named and found in the corpus
    unknown_places: tuple[str, ...] = ()  # places named that no notice covers (杭州…)
    clause_numbers: tuple[int, ...] = ()  # explicit clause references: 第十四条 -> 14
    amounts: tuple[Amount, ...] = ()  # figures in the question (一万五 -> 15000元)
    follow_up: bool = False  # resolved against the conversation
