"""The offline answerer: quotes the sentences of the best clause(s) that answer the question, with
their citation, and adds what a reader must know (draft notice, ended period).

Every figure it states is copied from a cited clause, so the figure check passes by construction;
`Assistant` still runs it before anything leaves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from jieba.analyse import default_tfidf

from .answering import Answerer
from .keywords import mentions, tokenize
from .numbers import extract_amounts, normalize_numerals
from .settings import Settings
from .notes import notes_for, notes_for_all
from .types import Answer, Citation, Hit, Message, Query
from .understanding import CLAUSE_REF, topicless

ASKS_FIGURE = re.compile(r"多少|几[万千百个家项人条所座]?|最高|最多|最低|上限|标准|金额|额度|比例|多大|多高|多久|"
                         r"补多少|奖多少|给多少|能拿|能领|能得|能补|能奖|钱|预算|资金|规模|目标|达到|分别")
ASKS_MONEY = re.compile(r"补多少|奖多少|补贴|补助|奖励|资助|奖金|钱|能补|能奖|多少万|资金|经费|保费")
ASKS_COUNT = re.compile(r"几[个家项人条所座类张]|多少[个家项人条所座类张亩吨公里套辆场]")
ASKS_YES_NO = re.compile(r"吗[？?]?$|吧[？?]?$|能不能|可不可以|是不是|有没有")
ASKS_HOW_MUCH = re.compile(r"多少|几[万千百个家项人条所座类张]?|标准|比例|额度|金额")
ASKS_VALIDITY = re.compile(r"还有效|有效期|是否有效|有效吗|仍然?有效|失效|过期|到期|实施期|期限|还能申请|现在还|"
                           r"正式文件|正式发布|正式的|定稿|征求意见|哪一年实施|什么时候实施|哪年实施")
VALIDITY_WORDS = re.compile(r"还?有效期?|是否|失效|过期|到期|期限|还能申请|现在还|正式文件|正式发布|正式的|定稿|"
                            r"征求意见稿?|实施期|哪一?年实施|什么时候|是不是|吗|了没有|这个|政策")
SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
SUB_QUESTION = re.compile(r"[？?；;。！!]|，(?=[^，]*(?:多少|几|哪些|什么))")
NOT_FOUND_BELOW = 0.4  # share of the question's (weighted) topic words a clause must contain
SECOND_REGION_RATIO = 0.8  # a second notice is answered too when it scores this close to the best
FIGURE_SENTENCE_RATIO = 0.8  # a sentence with a figure may stand in for a closer one without
MAX_SENTENCES = 4
CJK = re.compile(r"[\u4e00-\u9fff]")
NUMERIC = re.compile(r"^[\d.%万千百亿元]+$|^[零一二两三四五六七八九十百千万亿个]+$")
UNKNOWN_WORD_WEIGHT = 3.0  # a word jieba has never seen is more often a typo than a rare topic
IDENTIFIER = re.compile(r"^(?=.*[a-z])[a-z0-9+]+$")  # 5a, etc, cmi: names, not typos
IDENTIFIER_WEIGHT = 10.0
PURPOSE = ("支持", "用于", "用以", "重点支持", "主要用于")  # "…安排资金15.48亿元，支持科技创新"
FRACTION = re.compile(r"[一二三四五六七八九十]分之[一二三四五六七八九十]")
MONEY_UNITS = ("元", "美元", "%")


def term_weight(term: str) -> float:
    """Inverse document frequency from jieba's general-language table: rare words weigh more."""
    if IDENTIFIER.match(term):
        return IDENTIFIER_WEIGHT
    return default_tfidf.idf_freq.get(term, UNKNOWN_WORD_WEIGHT)


@lru_cache(maxsize=8192)  # called on every sentence of every hit; the corpus's sentences repeat
def has_figure(text: str, money: bool = False) -> bool:
    """Whether the text states a figure; with money, only a sum or a rate counts (not 10家)."""
    if FRACTION.search(text):
        return True
    return any(a.unit in MONEY_UNITS for a in extract_amounts(text)) if money else bool(extract_amounts(text))


def figure_near_topic(sentence: str, terms: list[str], money: bool = False) -> bool:
    """Whether the sentence gives a figure for the question's topic: in the comma-separated part
    that best matches the question or the two after it, or, when that part states a purpose
    ("…安排资金15.48亿元，支持科技创新"), in the part before it."""
    parts = [p for p in sentence.split("，") if p]
    if not parts:
        return False
    top = max(range(len(parts)), key=lambda i: coverage(terms, parts[i]))
    start = top - 1 if top > 0 and parts[top].startswith(PURPOSE) else top
    return any(has_figure(p, money) for p in parts[start:top + 3])


def coverage(terms: list[str], text: str) -> float:
    text = text.lower()  # query tokens are lower-cased: 5A -> 5a
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


class ExtractiveAnswerer(Answerer):
    mode = "extractive"

    def __init__(self, settings: Settings):
        self.settings = settings

    def stream(self, query: Query, history: list[Message], hits: list[Hit]):
        """The answer sentence by sentence (it is ready at once, but a reader sees it arrive)."""
        answer = self.answer(query, history, hits)
        yield from (p for p in re.split(r"(?<=[。；\n])", answer.answer) if p)
        yield answer

    # -- scoring ------------------------------------------------------------------------------------
    def _terms(self, text: str, hits: list[Hit]) -> list[str]:
        """The question's topic words: no clause references, no region names."""
        aliases = {a for h in hits for a in h.notice.region_aliases}
        tokens = tokenize(CLAUSE_REF.sub(" ", text))
        return [t for t in dict.fromkeys(tokens) if not any(t in a for a in aliases) and not NUMERIC.match(t)]

    def _choose(self, hit: Hit, rank: int, parts: list[list[str]], context: list[str], figure: bool,
                money: bool = False) -> _Choice:
        """Score a unit and pick its answering sentences: the best one for each sub-question."""
        sents = sentences(hit.unit.text)
        figs = [has_figure(s, money) for s in sents]
        focus = [t for part in parts for t in part]
        keep: set[int] = set()
        best_cov = 0.0
        answered_with_figure = True
        # every sentence is read with the unit's heading, the topic it belongs to:
        # 八、保障和改善民生 … 安排资金41.93亿元; （二十三）开展交通建设大会战。… 新增公路里程32.5公里
        topic = hit.unit.heading
        if len(sents) > 1 and hit.unit.kind == "clause" and sents[0].startswith(hit.unit.clause):
            sents, figs = sents[1:], figs[1:]  # the heading sentence itself answers nothing
        for n, part in enumerate([focus] + (parts if len(parts) > 1 else [])):
            covs = [coverage(part, topic + s) + (0.5 * coverage(context, s) if context else 0.0) for s in sents]
            if not covs:
                continue
            top = max(range(len(sents)), key=lambda i: covs[i])
            best_cov = max(best_cov, covs[top])
            if figure and not (figs[top] and (n > 0 or figure_near_topic(sents[top], part, money))):
                with_fig = [i for i in range(len(sents)) if figs[i] and i != top and figure_near_topic(sents[i], part, money)]
                alt = max(with_fig, key=lambda i: covs[i], default=None)
                if alt is not None and covs[alt] >= FIGURE_SENTENCE_RATIO * covs[top] and covs[alt] > 0:
                    top = alt
                elif n == 0:  # the question's topic sentence gives no figure
                    answered_with_figure = False
            keep.add(top)
            # a close second sentence (e.g. the same topic continued) is kept too
            for i, c in enumerate(covs):
                if i != top and c >= 0.9 * covs[top] and c > 0.3 and (figs[i] or not figure):
                    keep.add(i)
        chosen = sorted(keep)[:MAX_SENTENCES]
        # whether the unit answers at all is judged on this question's own words when it has any
        unit_cov = coverage(focus or context, f"{hit.unit.heading}{hit.unit.text}")
        heading_cov = coverage(focus, hit.unit.heading) if hit.unit.heading else 0.0
        score = 0.5 * best_cov + 0.4 * unit_cov + 0.2 * heading_cov + 0.1 / rank
        gives_figure = answered_with_figure and any(figs[i] for i in chosen)
        return _Choice(hit, score, unit_cov, [sents[i] for i in chosen], gives_figure)

    # -- answering ----------------------------------------------------------------------------------
    def answer(self, query: Query, history: list[Message], hits: list[Hit]) -> Answer:
        answer = self._answer(query, history, hits)
        if query.unknown_places and query.doc_ids and answer.status != "not_found":
            places = "、".join(query.unknown_places)  # "衢州和杭州…": say what is not covered
            answer.body = f"目前没有{places}的政策文件，以下只是{'、'.join(query.regions_named)}的规定。\n{answer.body}"
        return answer

    def _answer(self, query: Query, history: list[Message], hits: list[Hit]) -> Answer:
        regions = "、".join(dict.fromkeys(h.notice.region for h in hits)) or "已收录的地区"
        if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", query.question):
            return Answer("not_found", "没有看到问题内容，请用文字写出要咨询的事项。/ the question has no words.", hits=hits)
        if not CJK.search(query.question):
            return Answer("not_found", "目前只能回答中文问题，请用中文提问。/ policyqa answers questions about "
                                       "Chinese notices in Chinese; please ask in Chinese.", hits=hits)
        if query.unknown_places and not query.doc_ids:
            places = "、".join(query.unknown_places)
            return Answer("not_found", f"目前收录的政策文件只涵盖{regions}，没有{places}的政策文件，"
                                       f"无法回答{places}的问题。", hits=hits)
        if not hits:
            return Answer("not_found", "没有在已收录的政策文件中找到相关内容。", hits=hits)
        if ASKS_VALIDITY.search(query.question):
            return self._validity(query, hits)

        asked = normalize_numerals(query.question)
        parts = [p for p in (self._terms(s, hits) for s in SUB_QUESTION.split(asked)) if p]
        if query.follow_up and topicless(query.question):
            parts = []  # "最多能拿多少": the topic is the previous question's
        focus = [t for p in parts for t in p]
        context = []
        if query.follow_up:
            context = [t for t in self._terms(query.search_text, hits) if t not in focus]
        figure = bool(ASKS_FIGURE.search(query.question)) or bool(query.amounts)
        if ASKS_YES_NO.search(query.question) and not query.amounts and not ASKS_HOW_MUCH.search(query.question):
            figure = False  # "走高速要交钱吗": the answer may be a rule (免收通行费), not a figure
        explicit = [h for h in hits if h.unit.kind == "clause" and h.unit.number in query.clause_numbers]
        if not focus and not context and not explicit:  # "衢州": a region, but what about it?
            where = "、".join(query.regions_named) or regions
            return Answer("clarify", f"想了解{where}哪方面的政策？可以问具体事项，例如“{where.split('、')[0]}"
                                     f"新能源汽车以旧换新补贴多少”。", hits=hits)
        if explicit and not focus:
            by_notice = list({h.notice.doc_id: h for h in explicit}.values())
            if len(by_notice) > 1:  # "第十四条讲了什么": each notice has a （十四）; ask which
                options = "；".join(f"{h.notice.region}{h.unit.label}{h.unit.heading}" for h in by_notice)
                return Answer("clarify", f"请问是哪个地区的文件？{options}。可以说“{by_notice[0].notice.short_region}"
                                         f"{by_notice[0].unit.label}”。",
                              citations=[Citation.from_unit(h.unit, h.notice) for h in by_notice], hits=hits)
            return self._compose([_Choice(explicit[0], 1.0, 1.0, [explicit[0].unit.text], True)], hits)

        money = bool(ASKS_MONEY.search(query.question)) and not ASKS_COUNT.search(query.question)
        choices = sorted((self._choose(h, r, parts or [[]], context, figure, money) for r, h in enumerate(hits, 1)),
                         key=lambda c: c.score, reverse=True)
        best = choices[0]
        if best.unit_coverage < NOT_FOUND_BELOW and not explicit:
            where = "、".join(query.regions_named) or regions
            return Answer("not_found", f"没有在{where}的政策文件中找到与这个问题相关的规定。"
                                       "可以换个说法，或咨询相关部门。", hits=hits)
        picked = [best]
        if len(query.doc_ids) != 1:  # no region named, or several: each notice answers for itself
            named = len(query.doc_ids) > 1
            for doc_id in dict.fromkeys(c.hit.notice.doc_id for c in choices):
                if doc_id == best.hit.notice.doc_id:
                    continue
                other = next(c for c in choices if c.hit.notice.doc_id == doc_id)
                close = named or other.score >= SECOND_REGION_RATIO * best.score
                if close and other.unit_coverage >= NOT_FOUND_BELOW and (other.has_figure or not figure):
                    picked.append(other)
        if figure and not best.has_figure and len(picked) == 1:
            return self._no_figure(best, hits)
        picked = [c for c in picked if c.has_figure or not figure] or picked
        return self._compose(picked, hits)

    def _validity(self, query: Query, hits: list[Hit]) -> Answer:
        """Is it final, is it still in force: the closing paragraph that says so, plus the notes."""
        doc_ids = query.doc_ids or tuple(dict.fromkeys(h.notice.doc_id for h in hits))
        picked = []
        titles = "".join(h.notice.title for h in hits)
        topic = [t for t in self._terms(VALIDITY_WORDS.sub(" ", query.question), hits) if t not in titles]
        for doc_id in doc_ids:
            mine = [h for h in hits if h.notice.doc_id == doc_id]
            if topic:
                topical = [self._choose(h, r, [topic], [], False) for r, h in enumerate(mine, 1)]
                topical = [c for c in topical if c.hit.unit.kind == "clause" and c.unit_coverage >= 0.6]
                if topical:
                    picked.append(max(topical, key=lambda c: c.score))
            closing = next((h for h in mine if h.unit.kind == "closing" and "有效" in h.unit.text), None)
            if closing:
                said = [s for s in sentences(closing.unit.text) if "有效" in s]
                picked.append(_Choice(closing, 1.0, 1.0, said, False))
        if not picked:
            notices = list(dict.fromkeys(h.notice for h in hits if h.notice.doc_id in doc_ids))
            return Answer("not_found", "政策文件中没有写明实施期限。", hits=hits,
                          notes=notes_for_all(notices, self.settings.today))
        return self._compose(picked, hits, always_notes=True)

    def _no_figure(self, choice: _Choice, hits: list[Hit]) -> Answer:
        unit, notice = choice.hit.unit, choice.hit.notice
        text = (f"{notice.quoted_title}{unit.label}涉及这方面内容（“{unit.heading or choice.sentences[0]}”），"
                f"但没有写明具体的金额或标准：{''.join(choice.sentences)}")
        return Answer("not_found", text, notes=notes_for(notice, self.settings.today),
                      citations=[Citation.from_unit(unit, notice)], hits=hits)

    def _compose(self, picked: list[_Choice], hits: list[Hit], always_notes: bool = False) -> Answer:
        lines, notes, citations = [], [], []
        several = len({c.hit.notice.doc_id for c in picked}) > 1
        for c in picked:
            unit, notice = c.hit.unit, c.hit.notice
            quote = "".join(c.sentences)
            quote = quote[len(unit.clause):] if unit.clause and quote.startswith(unit.clause) else quote
            prefix = f"{notice.region}：" if several else ""
            lines.append(f"{prefix}根据{notice.quoted_title}{unit.label}：{quote}")
            citations.append(Citation.from_unit(unit, notice))
            notes += [n for n in notes_for(notice, self.settings.today) if n not in notes]
        if several and not always_notes:
            lines.insert(0, "各地规定如下：")
        return Answer("answered", "\n".join(lines), citations=citations, hits=hits, notes=notes)
