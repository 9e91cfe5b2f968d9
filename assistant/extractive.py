"""The offline answerer: quotes the sentences of the best clause(s) that answer the question, with
their citation, and adds what a reader must know (draft notice, ended period).

Every figure it states is copied from a cited clause, so the figure check passes by construction;
`Assistant` still runs it before anything leaves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from jieba.analyse import default_tfidf

from .answering import Answerer
from .keywords import mentions, tokenize
from .numbers import extract_amounts
from .settings import Settings
from .types import Answer, Citation, Hit, Message, Notice, Query, Unit
from .understanding import CLAUSE_REF

ASKS_FIGURE = re.compile(r"多少|几[万千百个家项人]?|最高|最多|最低|上限|标准|金额|额度|比例|多大|多高|多久|"
                         r"补多少|奖多少|给多少|能拿|能领|能得|能补|钱|预算|资金|规模|目标|达到")
ASKS_YES_NO = re.compile(r"吗[？?]?$|能不能|可不可以|是不是|有没有|够不够")
SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
NOT_FOUND_BELOW = 0.45  # share of the question's (weighted) terms a clause must contain
SECOND_REGION_RATIO = 0.8  # a second notice is answered too when it scores this close to the best
MAX_SENTENCES = 3


def term_weight(term: str) -> float:
    """Inverse document frequency from jieba's general-language table: rare words weigh more."""
    return default_tfidf.idf_freq.get(term, default_tfidf.median_idf)


def coverage(terms: list[str], text: str) -> float:
    total = sum(term_weight(t) for t in terms)
    return sum(term_weight(t) for t in terms if mentions(text, t)) / total if total else 0.0


@dataclass
class _Choice:
    hit: Hit
    score: float
    unit_coverage: float
    sentences: list[str]
    has_figure: bool


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def notes_for(notice: Notice, settings: Settings) -> list[str]:
    notes = []
    if notice.status == "draft":
        notes.append(f"注意：{notice.quoted_title}是公开征求意见稿，不是正式发布的政策，具体以正式文件为准。")
    if notice.expired_on(settings.today):
        notes.append(f"提示：{notice.quoted_title}的实施期已于{notice.effective_to:%Y年%m月%d日}结束，"
                     "现行政策请向有关部门确认。")
    return notes


class ExtractiveAnswerer(Answerer):
    mode = "extractive"

    def __init__(self, settings: Settings):
        self.settings = settings

    # -- scoring ------------------------------------------------------------------------------------
    def _terms(self, text: str, hits: list[Hit]) -> list[str]:
        """The question's topic words: no clause references, no region names."""
        aliases = {a for h in hits for a in h.notice.region_aliases}
        tokens = tokenize(CLAUSE_REF.sub(" ", text))
        return [t for t in dict.fromkeys(tokens) if not any(t in a for a in aliases)]

    def _choose(self, hit: Hit, rank: int, focus: list[str], context: list[str], figure: bool) -> _Choice:
        scored = []
        for i, s in enumerate(sentences(hit.unit.text)):
            cov = coverage(focus, s) + (0.5 * coverage(context, s) if context else 0.0)
            has_fig = bool(extract_amounts(s))
            if figure and not has_fig:
                cov *= 0.6
            scored.append((cov, i, s, has_fig))
        unit_cov = coverage(focus + context, hit.unit.text)
        best = max(scored, default=(0.0, 0, "", False))
        keep = [x for x in scored if x[0] >= max(0.6 * best[0], 0.2) and (x[3] or not figure)]
        keep = sorted(sorted(keep, key=lambda x: -x[0])[:MAX_SENTENCES], key=lambda x: x[1]) or [best]
        score = 0.6 * best[0] + 0.4 * unit_cov + 0.1 / rank
        return _Choice(hit, score, unit_cov, [x[2] for x in keep], any(x[3] for x in keep))

    # -- answering ----------------------------------------------------------------------------------
    def answer(self, query: Query, history: list[Message], hits: list[Hit]) -> Answer:
        regions = "、".join(dict.fromkeys(h.notice.region for h in hits)) or "已收录的地区"
        if query.unknown_places:
            places = "、".join(query.unknown_places)
            return Answer("not_found", f"目前收录的政策文件只涵盖{regions}，没有{places}的政策文件，"
                                       f"无法回答{places}的问题。", hits=hits)
        if not hits:
            return Answer("not_found", "没有在已收录的政策文件中找到相关内容。", hits=hits)

        focus = self._terms(query.question, hits)
        context = []
        if query.follow_up:
            context = [t for t in self._terms(query.search_text, hits) if t not in focus]
        figure = bool(ASKS_FIGURE.search(query.question)) or bool(query.amounts)
        explicit = [h for h in hits if h.unit.kind == "clause" and h.unit.number in query.clause_numbers]
        if explicit and not focus:
            return self._compose([_Choice(explicit[0], 1.0, 1.0, [explicit[0].unit.text], True)], query, hits)

        choices = sorted((self._choose(h, r, focus, context, figure) for r, h in enumerate(hits, 1)),
                         key=lambda c: c.score, reverse=True)
        best = choices[0]
        if best.unit_coverage < NOT_FOUND_BELOW and not explicit:
            where = "、".join(query.regions_named) or regions
            return Answer("not_found", f"没有在{where}的政策文件中找到与这个问题相关的规定。"
                                       "可以换个说法，或咨询相关部门。", hits=hits)
        picked = [best]
        if not query.doc_ids:
            other = next((c for c in choices if c.hit.notice.doc_id != best.hit.notice.doc_id), None)
            if other and other.score >= SECOND_REGION_RATIO * best.score and other.unit_coverage >= NOT_FOUND_BELOW:
                picked.append(other)
        if figure and not any(c.has_figure for c in picked):
            return self._no_figure(best, hits)
        picked = [c for c in picked if c.has_figure or not figure]
        return self._compose(picked, query, hits)

    def _no_figure(self, choice: _Choice, hits: list[Hit]) -> Answer:
        unit, notice = choice.hit.unit, choice.hit.notice
        text = (f"{notice.quoted_title}{unit.label}涉及这方面内容（“{unit.heading or choice.sentences[0]}”），"
                f"但没有写明具体的金额或标准：{''.join(choice.sentences)}")
        notes = notes_for(notice, self.settings)
        return Answer("not_found", "\n".join([text, *notes]),
                      citations=[Citation.from_unit(unit, notice)], hits=hits)

    def _compose(self, picked: list[_Choice], query: Query, hits: list[Hit]) -> Answer:
        lines, notes, citations = [], [], []
        for c in picked:
            unit, notice = c.hit.unit, c.hit.notice
            quote = "".join(c.sentences)
            prefix = f"{notice.region}：" if len(picked) > 1 else ""
            lines.append(f"{prefix}根据{notice.quoted_title}{unit.label}：{quote}")
            citations.append(Citation.from_unit(unit, notice))
            notes += [n for n in notes_for(notice, self.settings) if n not in notes]
        if len(picked) > 1:
            lines.insert(0, "问题没有指明地区，各地规定如下：")
        return Answer("answered", "\n".join(lines + notes), citations=citations, hits=hits)
