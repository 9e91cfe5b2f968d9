"""Data shapes shared by every stage of the pipeline, in one place.

Notice -> Unit (a clause or article, a section's own paragraph, the covering letter, the preamble, a
closing paragraph, a table row) -> Hit (a unit found for a question) -> Citation / Answer (the public
JSON contract). A question is understood once into a `Query`; a conversation's earlier turns are
folded into a `Conversation`.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Literal

# letter: the covering letter (通知: addressees, 印发给你们, issuer, date); preamble: "为…，制定以下…";
# section_intro: a section's (一、/第一章) own paragraph; clause: a numbered clause （一） or article
# 第一条 (its items 项/目 inside it); closing: validity, interpretation, budget, repeal paragraphs;
# table_row: one row of a table (附表), carrying its header; attachment: other text of an attachment.
RESTART_BASE = 1000  # a clause under a section whose numbering restarts: number = section × 1000 + n
UnitKind = Literal["letter", "preamble", "section_intro", "clause", "closing", "table_row", "attachment"]
AnswerStatus = Literal["answered", "not_found", "clarify"]
AnswerMode = Literal["extractive", "llm"]
NoticeStatus = Literal["final", "draft"]
NoteKind = Literal["draft", "ended", "repealed", "version", "scope"]
Intent = Literal["figure", "list", "yes_no", "who", "how_to_apply", "validity", "clause_lookup", "metadata",
                 "about"]
MetaField = Literal["doc_number", "published", "issuer", "repeals", "interpreter", "title", "deadline"]


@dataclass(frozen=True)
class Notice:
    """One policy notice and its metadata (read from the text; a .meta.json beside the file wins)."""

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
    doc_number: str = ""  # 衢政发〔2025〕5号
    version: str = ""  # as printed: 2025年版
    version_year: int | None = None  # 2025 (from the version, else the period or the date)
    series: str = ""  # the policy this notice is a version of: same region + same title sans version
    repeals: tuple[str, ...] = ()  # titles (without 《》) of the notices this one repeals
    effective_note: str = ""  # the sentence that states the period, as printed

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
class Item:
    """A numbered part inside a unit — 项 （一）, 目 1., （1）, or a 款 — and where it sits in the text."""

    label: str  # as printed: （一）, 2., （1）, 第二款
    path: str  # the full citation, in the notice's own numbering: 第六条第（一）项, （五）2.（1）
    start: int  # span in Unit.text
    end: int


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
class Unit:
    """An indexable, citable piece of a notice."""

    doc_id: str
    kind: UnitKind
    number: int  # unique per (doc_id, kind): the printed number where it is one (14 for （十四）, 5 for 第五条)
    text: str  # the whole unit, cleaned (a clause starts with its marker: （十四）…, 第五条…)
    clause: str = ""  # how the unit is cited, as printed: （十四）, 第五条, 三、（一）, 附表 第3行; "" = by kind
    heading: str = ""  # the clause's heading sentence, e.g. 更大力度支持消费品以旧换新
    section: str = ""  # the enclosing section or chapter, e.g. 三、推进服务业高质量发展 / 第二章 消费补贴
    section_number: int = 0
    lead_department: str = ""  # 市发改委 (from （由市发改委牵头）)
    responsible: str = ""  # 责任单位, where given
    order: int = 0  # position in the notice
    items: tuple[Item, ...] = ()  # 项/目/款 inside the unit, with their full citation path
    amounts: tuple[Amount, ...] = ()  # the figures of `text`, extracted once at ingest

    @property
    def unit_id(self) -> str:
        return f"{self.doc_id}:{self.kind}:{self.number}"

    @property
    def label(self) -> str:
        """How the unit is cited: its printed number, or a description for an unnumbered unit."""
        if self.clause:
            return self.clause
        if self.kind == "section_intro":  # a section's own paragraph: cited by its number, 三、
            return f"{self.section.split('、')[0]}、" if "、" in self.section else (self.section.split(" ")[0]
                                                                                  or "（总述）")
        return {"letter": "（通知）", "preamble": "（前言）", "closing": "（结语）",
                "table_row": "（附表）", "attachment": "（附件）"}.get(self.kind, "（正文）")

    @property
    def departments(self) -> tuple[str, ...]:
        """Whom to ask: the unit's 责任单位, else its section's lead department."""
        raw = self.responsible or self.lead_department
        return tuple(d.strip() for d in raw.replace("，", "、").replace(",", "、").split("、") if d.strip())

    def answers_to(self, number: int) -> bool:
        """Whether a clause reference means this unit: 14 means （十四）/第十四条; where numbering restarts
        in each section the unit's number is section × 1000 + n, and 3004 (三、（四）) means it exactly
        while 4 means every section's （四）."""
        if self.kind != "clause":
            return False
        if self.number == number:
            return True
        return self.number >= RESTART_BASE and number < RESTART_BASE and self.number % RESTART_BASE == number

    def item_at(self, offset: int) -> Item | None:
        """The innermost item whose span holds this offset of `text` (None outside every item)."""
        inside = [i for i in self.items if i.start <= offset < i.end]
        return min(inside, key=lambda i: i.end - i.start) if inside else None

    @property
    def content_hash(self) -> str:
        payload = "\x1f".join([self.doc_id, self.kind, str(self.number), self.clause,
                               self.heading, self.section, self.lead_department, self.responsible,
                               self.text, repr([(i.label, i.path, i.start, i.end) for i in self.items])])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ParseReport:
    """What ingest noticed about one notice file: its shape, units, numbering, tables and metadata."""

    file: str  # the file's name
    format: str  # txt | md | html | pdf | docx
    shape: str  # the numbering it uses, outermost first: 一、→（一）, 第N章→第N条, 段落 (none)
    units_by_kind: dict[str, int] = field(default_factory=dict)
    clauses_found: int = 0
    clauses_expected: int = 0  # what the printed numbering implies (the highest number of each run)
    items: int = 0
    gaps: tuple[str, ...] = ()  # numbers skipped: （七）
    repeats: tuple[str, ...] = ()  # numbers printed twice (the second is kept as text of the first)
    tables: tuple[str, ...] = ()  # 附表1: 5 rows
    metadata_sources: dict[str, str] = field(default_factory=dict)  # field -> text | .meta.json | default
    notes: tuple[str, ...] = ()  # defaults used, fields not found, paragraphs indexed without numbering


@dataclass(frozen=True)
class Hit:
    """A unit retrieved for a question, with its notice and fused score."""

    unit: Unit
    notice: Notice
    score: float
    dense_rank: int | None = None
    keyword_rank: int | None = None
    evidence: bool = False  # added for what the intent needs (the period, whom to ask), not for the topic
    superseded: bool = False  # from an older version of a series, consulted when the one in force is silent


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
    clause: str  # the unit's label as printed: （十四）, 第五条, 三、, （结语）, 附表 第3行
    heading: str
    text: str
    status: NoticeStatus
    path: str = ""  # finer, where it helps: 第六条第（一）项, （五）2.（1）; "" = the clause itself
    departments: tuple[str, ...] = ()  # whom to ask: 责任单位, else the section's lead department
    version: str = ""  # 2025年版, where the notice has one

    @classmethod
    def from_unit(cls, unit: Unit, notice: Notice, path: str = "") -> "Citation":
        return cls(doc_id=notice.doc_id, doc_title=notice.quoted_title, issuer=notice.issuer,
                   region=notice.region, clause=unit.label, heading=unit.heading,
                   text=unit.text, status=notice.status, path=path if path != unit.label else "",
                   departments=unit.departments, version=notice.version)

    @property
    def where(self) -> str:
        """The citation as printed: the path when there is one, else the clause."""
        return self.path or self.clause

    def to_dict(self) -> dict:
        d = asdict(self)
        d["departments"] = list(self.departments)
        return d


@dataclass(frozen=True)
class Note:
    """Something a reader must know beside the answer: a draft, an ended period, which version."""

    kind: NoteKind
    text: str
    doc_id: str = ""


@dataclass
class Answer:
    """What `Assistant.ask` returns; `to_dict()` is the public JSON contract.

    `body` is the answer itself; `notes` are shown beside it (the chat page, the console and the API
    render them as fields, never by parsing text); `answer` is both as one text, for readers of text.
    """

    status: AnswerStatus
    body: str
    citations: list[Citation] = field(default_factory=list)
    mode: AnswerMode = "extractive"
    fallback: str | None = None  # why an LLM answer was replaced by the extractive one
    notes: list[Note] = field(default_factory=list)
    intent: str = ""  # the plan the answer followed (figure, list, who, …)
    hits: list[Hit] = field(default_factory=list, repr=False)  # what retrieval found (not public)
    # what the answer says about the library itself ("…等9个地区"): its figures come from no clause
    library: tuple[str, ...] = field(default=(), repr=False)

    @property
    def answer(self) -> str:
        extra = [n.text for n in self.notes if n.text not in self.body]
        return "\n".join([self.body, *extra]) if extra else self.body

    def to_dict(self) -> dict:
        out = {
            "status": self.status,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "mode": self.mode,
            "notes": [asdict(n) for n in self.notes],
        }
        if self.fallback:
            out["fallback"] = self.fallback
        return out


@dataclass(frozen=True)
class Query:
    """The complete understanding of one turn, built once (assistant/understanding.py) and read by
    retrieval and the answerer; nothing downstream parses the question again."""

    question: str  # as asked, cleaned
    search_text: str  # standalone text for retrieval (follow-ups merged, numerals normalised)
    own_text: str = ""  # this turn's words, numerals normalised, region names removed
    intent: Intent = "about"
    topic: tuple[str, ...] = ()  # this turn's own topic terms (no region, asking or clause words)
    context: tuple[str, ...] = ()  # topic terms carried from the conversation (a follow-up)
    words: tuple[str, ...] = ()  # the topic as whole words (实验室, not 实验), own and carried
    parts: tuple[tuple[str, ...], ...] = ()  # the topic terms of each sub-question
    part_units: tuple[tuple[str, ...], ...] = ()  # the kinds of figure each one asks for (() = `units`)
    story: tuple[str, ...] = ()  # topic terms said only in the asker's situation, not in what is asked
    doc_ids: tuple[str, ...] = ()  # notices in scope (region and version chosen); () = all
    regions_named: tuple[str, ...] = ()  # regions in scope by name (the question's, the conversation's)
    unknown_places: tuple[str, ...] = ()  # places named (or carried) that no notice covers (杭州…)
    clause_numbers: tuple[int, ...] = ()  # explicit clause references: 第十四条 -> 14
    item_refs: tuple[tuple[int, int, str], ...] = ()  # items named inside them: 第六条第（三）项 -> (6, 3, "项")
    amounts: tuple[Amount, ...] = ()  # figures in the question (一万五 -> 15000元)
    conditions: tuple[Amount, ...] = ()  # the figures that describe the asker's case (3万㎡, 投了50万)
    premise: tuple[Amount, ...] = ()  # a figure the asker wants confirmed ("补贴是2万吧")
    wants_figure: bool = False  # the answer must state an amount, rate or count
    money: bool = False  # a sum or rate (补多少), not a count (几家)
    units: tuple[str, ...] = ()  # the base units a figure that answers may have (% for 利率); () any
    version_year: int | None = None  # a version asked for (2024年版, 去年)
    version_years: tuple[int, ...] = ()  # every version asked for ("2024年版和2025年版")
    bound: str = ""  # the end of a figure asked for: max (最多, 最高, 封顶) or min (至少, 最低)
    version_missing: bool = False  # … that no notice in scope has
    fields: tuple[MetaField, ...] = ()  # what is asked about the notice itself (文号, 印发日期, 废止…)
    asks_where: bool = False  # where or through what to apply (在哪里申请, 哪个平台): a channel answers
    asks_when: bool = False  # when to apply (什么时候申报): the sentence with its dates answers
    asks_figure_too: bool = False  # whom to ask, and a figure besides ("一年最多能贴多少？这事归哪个部门？")
    asks_change: bool = False  # about what a change replaced (原来是多少, 按新的额度吗): old figures are quoted too
    asks_total: bool = False  # what several benefits come to together (加起来有没有上限, 能同时享受吗)
    follow_up: bool = False  # leans on the previous turn (its topic or its region)
    said: tuple[Amount, ...] = ()  # a "那…呢" follow-up with a topic of its own: the figures already replied
    scope_from: str = ""  # where the region came from: question | conversation | argument | ""
    chinese: bool = True  # the question has Chinese text to work on


@dataclass(frozen=True)
class Conversation:
    """What a conversation has established by the end of a turn, carried into the next one."""

    topic: tuple[str, ...] = ()  # the turn's topic terms (its own, or carried)
    words: tuple[str, ...] = ()  # the same topic as whole words
    search_text: str = ""  # its standalone text, region names removed
    doc_ids: tuple[str, ...] = ()  # the notices its region named
    regions: tuple[str, ...] = ()
    unknown_places: tuple[str, ...] = ()  # a refused place stays in scope until another is named
    version_year: int | None = None
    intent: str = ""
    conditions: tuple[Amount, ...] = ()  # the asker's own figures so far ("我今年67岁"), one per measure
