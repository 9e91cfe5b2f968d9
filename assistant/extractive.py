"""The offline answerer: plans the answer from what the question asks (`Query.intent`) and quotes the
notices' own sentences, each with its citation.

Plans: one figure (or a yes/no, or what a clause says); a list across every notice in scope; whom to
ask (责任单位, the section's lead department); how to apply; whether a notice is in force; one clause
by its number; a clause that covers the topic but names no figure; and, when nothing covers it, a
reply that says what policyqa holds and where to ask instead.

Every figure it states is copied from a cited unit, so the figure check passes by construction;
`Assistant` still runs it before anything leaves. The question is never parsed here: every fact about
it comes from the Query.
"""
from __future__ import annotations

import os.path
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .amendments import current_wording
from .answering import Answerer
from .catalog import Catalog
from .keywords import SYNONYMS, _cjk, mentions, tokenize, variants
from .notes import NEXT_STEP, clause_ended
from .metadata import caps_several, headed_by_period
from .numbers import contains_amount, extract_amounts
from .parsing import CN_NUMERAL, clause_number
from .segmenter import idf, jieba
from .settings import Settings
from .types import RESTART_BASE, Amount, Answer, Citation, Hit, Item, Message, Note, Notice, Query, Unit

# -- how sentences and units are scored ---------------------------------------------------------------
NOT_FOUND_BELOW = 0.4  # share of the question's (weighted) topic words a unit must contain
KNOWN_WORDS_BELOW = 0.6  # … or of those the notices use, when the others are the asker's own story
SECOND_REGION_RATIO = 0.8  # with no region named, a second notice answers too when it scores this close
FIGURE_SENTENCE_RATIO = 0.8  # a sentence with a figure may stand in for a closer one without
KIND_SENTENCE_RATIO = 0.5  # … of the kind a sub-question asks when it asks only that ("…，能贷几年")
OLDER_VERSION_MARGIN = 0.25  # an older version answers only when it covers the question this much better
BOUND_BONUS = 0.2  # a sentence with a figure of the end asked for (最多 → 最高…, 不超过…)
FIGURE_UNIT_RATIO = 0.75  # a unit that gives the figure may stand in for a closer one that does not
CLOSE_SECOND_RATIO = 0.9  # a second sentence this close to the best is quoted too
CLOSE_SECOND_MIN = 0.3
CONTEXT_WEIGHT = 0.5  # the conversation's topic counts half as much as the turn's own words
SENTENCE_WEIGHT, UNIT_WEIGHT, HEADING_WEIGHT, RANK_WEIGHT = 0.5, 0.4, 0.2, 0.1
ASKED_WEIGHT = 0.2  # with a story told, what the asking part names counts again
CONDITION_BONUS = 0.3  # a sentence whose condition fits the asker's figure (3万㎡ → "3万㎡以上的")
CONDITION_SIBLING_RATIO = 0.5  # … replaces a closer one whose condition the asker does not meet
MAX_SENTENCES = 4
# A figure added on top of another one: read with its base ("在上述标准基础上每辆再增加2000元")
ADD_ON = re.compile(r"再增加|再给予|再奖励|再补贴|另行给予|另给予|额外(?:给予|奖励|补贴|增加)|基础上(?:再|另|增加|上浮|提高)|叠加"
                    r"|(?:上述|以上|前款|本条)标准的[\d.一二三四五六七八九十]+倍")
TABLE_REFERENCE = re.compile(r"见附表|按附表|附表(?:所列|中的?)?标准|标准见附件|详见附件|见附件")
ADD_ON_TERM_MIN = 5.0  # an increment's condition is the asker's by a word rarer than 工作 or 企业
NAMES_MIN = 0.4  # a unit that names this share of the question's things is about it, whatever else
REGION_HINT_MAX = 3  # a not-covered reply names at most this many regions whose notices do cover it
LIST_MAX_PER_NOTICE = 2  # a list answer quotes at most this many units of one notice
LIST_MAX_UNITS = 10  # … and at most this many in all
ROW_CLOSE_RATIO = 0.8  # a table's rows about the question: covering it this nearly as the closest
ROWS_MAX = 6  # … at most this many quoted
LIST_SECOND_RATIO = 0.75  # a notice's second unit joins a list when it covers the topic this nearly
UNKNOWN_WORD_WEIGHT = 3.0  # a word jieba has never seen is more often a typo than a rare topic
IDENTIFIER = re.compile(r"^(?=.*[a-z])[a-z0-9+]+$")  # 5a, etc, cmi: names, not typos
IDENTIFIER_WEIGHT = 10.0
NEAR_TOP_RATIO = 0.7  # parts of a sentence that match the question this close to the best are its topic
PURPOSE = ("支持", "用于", "用以", "重点支持", "主要用于")  # "…安排资金15.48亿元，支持科技创新"
FRACTION = re.compile(r"[一二三四五六七八九十]分之[一二三四五六七八九十]")
SENTENCE = re.compile(r"[^。；！？\n]+[。；！？]?")
# Sentences that tell how to apply: who accepts it, what to hand in, by when.
BENEFIT_BEFORE = re.compile(r"补贴|补助|奖励|资助|奖补|给予|最高|最多|不超过|封顶|上限|安排|额度")
RESPONSIBLE_WORDS = re.compile(r"[\u4e00-\u9fff]{2,12}(?:局|委|办|中心|部门|政府|管委会)[^。；]{0,12}(?:负责|牵头|受理|主管)")
APPLY_WORDS = re.compile(r"申请|申报|申领|受理|提交|材料|流程|程序|办理|兑付|兑现|登记|备案|报名|竞争性选择|"
                         r"择优|遴选|评审")
PROCEDURE_WORDS = re.compile(r"提交|申报材料|申请材料|受理|通过[“\"]?[^，。]{0,12}(?:APP|平台|专区|系统|窗口)|网上申请|线上申请")
CHANNEL = re.compile(r"APP|App|app|平台|专区|系统|窗口|大厅|网站|小程序|公众号|服务网|浙里办|线上|网上")
APPLY_TIME = re.compile(r"\d{1,2}月|\d{1,2}日|季度|每年|每月|工作日|申报期|受理期|截止")  # when applying happens
HOW_NEAR_RATIO = 0.8  # a unit this close to the best may answer a how-to question if it says how
# A rule that says what the asker must do or hold ("使用ETC记账卡的…", "凭…领取"): how it is obtained.
ELIGIBILITY_WORDS = re.compile(r"使用|凭|持有|(?<![必无])须|需要|应当|通过[^。，]{0,10}(?:验收|审核|认定)")


def term_weight(term: str) -> float:
    """Inverse document frequency from jieba's general-language table: rare words weigh more."""
    if IDENTIFIER.match(term):
        return IDENTIFIER_WEIGHT
    return idf().get(term, UNKNOWN_WORD_WEIGHT)


@lru_cache(maxsize=8192)  # called on every sentence of every hit; the corpus's sentences repeat
def _amounts(text: str) -> tuple[Amount, ...]:
    return tuple(extract_amounts(text))


def has_figure(text: str, units: tuple[str, ...] = ()) -> bool:
    """Whether the text states a figure; with units, only a figure in one of them counts."""
    if FRACTION.search(text) and (not units or "%" in units):
        return True
    amounts = _amounts(text)
    return any(a.unit in units for a in amounts) if units else bool(amounts)


def coverage(terms, text: str, partial: bool = True) -> float:
    """The weighted share of the question's words the text contains. A word and the pieces search
    segmentation cut from it (买手机: 买手, 手机) count once, as the word, credited for the share of its
    characters the matched pieces cover: 手机 alone gives 买手机 two thirds."""
    text = text.lower()  # query tokens are lower-cased: 5A -> 5a
    groups, total = _groups(tuple(terms))
    got = 0.0
    for word, weight, pieces in groups:
        if mentions(text, word):
            got += weight
        elif partial:
            got += weight * _share(word, [p for p in pieces if mentions(text, p)])
    return got / total if total else 0.0


@lru_cache(maxsize=4096)  # one question's terms are weighed against every sentence of every hit
def _groups(terms: tuple[str, ...]) -> tuple[tuple[tuple[str, float, tuple[str, ...]], ...], float]:
    """Each word that is no other's piece, with its weight and its pieces; and the weights' sum."""
    out = []
    for t in dict.fromkeys(terms):
        if any(t != o and t in o for o in terms):
            continue
        pieces = tuple(o for o in terms if o != t and o in t)
        weight = term_weight(t)
        if t not in idf() and pieces:  # 中欧班列: a compound the table lacks weighs as its parts
            weight = max(weight, *(term_weight(p) for p in pieces))
        out.append((t, weight, pieces))
    return tuple(out), sum(w for _, w, _ in out)


def _share(word: str, pieces: list[str]) -> float:
    seen: set[int] = set()
    for p in pieces:
        at = word.find(p)
        while at >= 0:
            seen.update(range(at, at + len(p)))
            at = word.find(p, at + 1)
    return len(seen) / len(word)


def figure_near_topic(sentence: str, terms, units: tuple[str, ...] = ()) -> bool:
    """Whether the sentence gives a figure for the question's topic: in a comma-separated part that
    matches the question about as well as the best one, or in the two after it, or, when that part
    states a purpose ("…安排资金15.48亿元，支持科技创新"), in the part before it."""
    parts = [p for p in sentence.split("，") if p]
    if not parts:
        return False
    covs = [coverage(terms, p) for p in parts]
    best = max(covs)
    for top in (i for i, c in enumerate(covs) if c >= NEAR_TOP_RATIO * best):
        start = top - 1 if top > 0 and parts[top].startswith(PURPOSE) else top
        if any(has_figure(p, units) for p in parts[start:top + 3]):
            return True
    return False


def _period_heading(unit: Unit) -> bool:
    """A clause headed by the period it states (（三）实施时间。2025年4月10日至…), with a date."""
    return headed_by_period(unit) and bool(re.search(r"\d{4}\s*年", unit.text))


def _period_strength(text: str) -> int:
    """2: states the period (有效期至…, 自…起施行, 全年实施有效); 1: a deadline (截止); 0: mentions it."""
    if re.search(r"有效期(?:至|为|到|[一二三四五六七八九十\d])|起施行|起实施|起执行|全年实施有效", text):
        return 2
    return 1 if re.search(r"截止|截至", text) else 0


def _covers(word: str, parts: list[str]) -> bool:
    """Whether the parts, found inside the word, cover every one of its characters."""
    seen = set()
    for p in parts:
        at = word.find(p)
        while at >= 0:
            seen.update(range(at, at + len(p)))
            at = word.find(p, at + 1)
    return bool(parts) and len(seen) == len(word)


def _is_condition(sentence: str, a: Amount) -> bool:
    """Whether a bounded figure describes who qualifies ("5万㎡以上的商场", "年销售收入3000万元以上")
    rather than what is given ("最高补助500万元", "单户补贴不超过1200元"): no benefit word before it
    in its comma-separated part."""
    if a.bound not in ("min", "max") and a.high is None:
        return False
    part_start = max(sentence.rfind(p, 0, a.start) for p in "，；：。") + 1
    return not BENEFIT_BEFORE.search(sentence[part_start:a.start])


REACHES = re.compile(r"达到|突破|超过|满")


@lru_cache(maxsize=8192)  # every sentence of every hit, for each condition check and tier
def _conditions(sentence: str) -> tuple[Amount, ...]:
    """The figures that state who qualifies, with the thresholds of a list read as such: in "年零售额首次
    达到2000万元、5000万元、1亿元的零售企业" each is a lower bound (the tier is picked elsewhere); a figure
    that names the case ("住宿1晚的旅行社") is met up to it, not past it."""
    out = []
    for a in _amounts(sentence):
        if _is_condition(sentence, a):
            out.append(a)
        elif not a.bound and a.high is None:
            start = max(sentence.rfind(p, 0, a.start) for p in "，；：。") + 1
            end = min((i for i in (sentence.find(p, a.end) for p in "，；：。") if i >= 0), default=len(sentence))
            before, after = sentence[start:a.start], sentence[a.end:end]
            if REACHES.search(before) and not BENEFIT_BEFORE.search(before) and "的" in after \
                    and not BENEFIT_BEFORE.search(after.split("的", 1)[0]):
                out.append(replace(a, bound="min"))
            elif after.startswith("的") and a.unit and not BENEFIT_BEFORE.search(before):
                out.append(replace(a, bound="max"))  # "住宿1晚的旅行社": that many (2晚 is another case)
    return tuple(out)


def condition_fit(sentence: str, conditions: tuple[Amount, ...]) -> int:
    """+1 when the asker's figure meets a condition the sentence sets (3万㎡ vs "3万㎡以上的"), -1 when
    it meets none of the comparable ones ("5万㎡以上的"), 0 when none compares (other units, or no
    condition). Conditions in one sentence are alternatives (蔬菜15亩以上、水果30亩以上): one met is
    enough; "2亩以上20亩以下" is one condition with both ends. Figures of different measures must each
    meet theirs (研发费用150万 and 占营收4% against "100万元以上，且…比重高于5%": not met)."""
    found = _conditions(sentence)
    groups: list[list[Amount]] = []
    for a in found:
        prev = groups[-1][-1] if groups else None
        if prev and prev.bound == "min" and a.bound == "max" and a.unit == prev.unit and a.start - prev.end <= 4:
            groups[-1].append(a)  # 2亩以上20亩以下, 达到5万单、不足10万单
        else:
            groups.append([a])
    met = unmet = False
    for c in conditions:  # each of the asker's figures must meet one condition in its measure
        results = [all(_meets(c.value, a) for a in group) for group in groups
                   if not any(not a.unit or not _fits_measure(a.unit, c) or (a.per and c.per and a.per != c.per)
                              for a in group)]
        met, unmet = met or any(results), unmet or (bool(results) and not any(results))
    return -1 if unmet else 1 if met else 0


COUNTED = frozenset("人名位家户项台件辆套只张所座")  # what 个, the general measure word, may count


def _same_measure(a: str, b: str) -> bool:
    """Whether two units measure alike: equal, or 个 beside a measure word it stands for ("5个残疾人"
    against "不少于10人")."""
    return a == b or (a == "个" and b in COUNTED) or (b == "个" and a in COUNTED)


def _fits_measure(unit: str, c: Amount) -> bool:
    """Whether a notice's figure in `unit` compares with the asker's figure c: the same measure, or
    money for an asker's 万/亿 said with no unit ("销售额6000万", "投了50万", "到了1200万")."""
    return _same_measure(unit, c.unit) or (unit == "元" and not c.unit and not c.per and c.text.endswith(("万", "亿")))


def _meets(value: float, a: Amount) -> bool:
    if a.high is not None:
        return a.value <= value <= a.high
    return value >= a.value if a.bound == "min" else value <= a.value


PERIOD_WORDS = re.compile(r"有效期|实施有效|起施行|起实施|之日起(?:施行|实施|执行)|(?:施行|实施)期(?!间)|截止|截至"
                          r"|(?:时间|期限|日期)(?:为|是|：|:)\s*\d{4}\s*年")
# A draft's consultation: "征求意见时间为2025年9月1日至2025年9月30日" (in its letter or preamble)
CONSULTATION = re.compile(r"征求意见.{0,12}\d{4}\s*年|\d{4}\s*年.{0,24}(?:前|止).{0,8}(?:反馈|提出|寄|发送).{0,6}意见")
VALIDITY_MAX_NOTICES = 3  # a validity question naming no notice is answered for the few it found
VALIDITY_TOPIC_MIN = 0.6  # a clause a validity question names (its own deadline) must be clearly about it
APPLY_TOPIC_MIN = 0.3  # a sentence on applying must be about the question's topic (not a neighbour's)
APPLY_FOLLOWS = 2  # … or come within this many sentences after the one that is
NOT_QUALIFIED = "按您说的情况，达不到文件规定的条件，不符合；文件规定如下。"
RESPECTIVELY_FILLER = frozenset({"对", "和", "及", "与", "给予", "“", "”"})
ITEM_HEADER_MAX = 30  # an item's first line this short is a header its sub-items are read under
ITEM_HEADING_MAX = 20  # … or, when longer, its first sentence this short ("1.研发费用增量补助。")
CASE_OPENS = re.compile(r"^(?:对|凡|其中|另外)")
# The thing an enumerated element is about: "燃油车" in "燃油车最高补贴1.3万元/辆".
ELEMENT_SUBJECT = re.compile(r"^(?:对|给予|其中)?(?P<subject>[^\d，、；。（）()“”]{2,12}?)(?=最高|最多|最低|每|按|补贴|补助|奖励|资助|给予|\d)")


def _subject(element: str) -> str:
    m = ELEMENT_SUBJECT.match(element)
    return m.group("subject") if m else ""


def focus(sentence: str, query: Query) -> str:
    """The sentence cut to what this question asks, never rewording a figure: the tier the asker's
    figure reaches, the enumerated element the question names, the case ("对…，给予…") it is about;
    a figure the clause says it replaced ("由40万元调整为50万元") only when the question asks about the change."""
    if not query.asks_change:
        sentence = current_wording(sentence)
    if query.conditions:
        sentence = _tier(sentence, query.conditions)
    if query.topic or query.context or query.conditions:  # (a follow-up "到了1亿呢？" has only the latter)
        sentence = _respectively(sentence, query.topic, query.conditions, query.own_text, query.context)
    sentence = _element(sentence, query.own_text, query.topic)
    sentence = _alternatives(sentence, query.own_text, query.topic, several=len(query.parts) > 1)
    if query.follow_up and query.context:  # "最多能发几年？" after "我是硕士，…": the one named before
        sentence = _alternatives(sentence, "".join(query.context), query.context)
    if len(query.parts) <= 1 and query.topic:
        sentence = _case(sentence, query.topic)
    return sentence


def _element(sentence: str, asked: str, terms: tuple[str, ...]) -> str:
    """"新能源汽车最高补贴1.5万元/辆、燃油车最高补贴1.3万元/辆" asked about 燃油车 keeps "燃油车最高补贴
    1.3万元/辆". Elements are cut only when each has its own subject and figure, the question names one of
    them (as written or by a synonym), and the cut ones share no word with the question."""
    named = {v for t in terms if len(t) >= 2 for v in variants(t)}

    def exact(subject: str) -> bool:
        return subject in asked or subject in named

    def shares(subject: str) -> bool:
        return exact(subject) or any(t in subject for t in named)

    parts = sentence.split("，")
    for k, part in enumerate(parts):
        elements = part.rstrip("。；").split("、")
        if len(elements) < 2:
            continue
        subjects = [_subject(e) for e in elements]
        if not all(subjects) or not all(_amounts(e) for e in elements):
            continue
        if not any(exact(subj) for subj in subjects):
            continue  # the question names no element: it asks about all of them
        keep = [e for e, subj in zip(elements, subjects) if shares(subj)]
        if keep and len(keep) < len(elements):
            tail = part[len(part.rstrip("。；")):]
            return "，".join([*parts[:k], "、".join(keep) + tail, *parts[k + 1:]])
    return sentence


SHARED_BOUND = re.compile(r"(?:及以上|以上|以下|以内)$")  # "…、30周岁以下": said once for the run
ALTERNATIVE_SPLIT = re.compile(r"(?<=[，；：、])")
# The thing an alternative is about, before what it gets: "全日制本科" in "全日制本科每人每月800元",
# "大型企业" in "大型企业按…30%返还", "住宿券" in "住宿券满300元减100元", "高级工" in "高级工（三级）2000元".
ALTERNATIVE_SUBJECT = re.compile(r"^(?:对|给予|其中|按)?(?P<subject>[^\d，、；。：“”]{2,16}?)"
                                 r"(?=最高|最多|最低|每|按|满|可|补贴|补助|奖励|资助|给予|发放|享受|缴纳|\d)")
ASIDE = re.compile(r"（[^（）]{0,12}）|\([^()]{0,12}\)")


def _alternatives(sentence: str, asked: str, terms: tuple[str, ...], several: bool = False) -> str:
    """The alternative the question names, without its siblings: "全日制本科每人每月800元，硕士研究生每人每月
    1200元，博士研究生每人每月2000元，补贴期限最长36个月" asked about 本科 keeps the 本科 one, and the lead
    and tail (补贴期限…) around them. Alternatives are consecutive parts (between ，；：、) that each name
    a thing and give it a figure in the same unit; a figure that states who qualifies (不高于5.5%的) makes
    no alternative. Cut only when the question names some of them by the words that tell them apart;
    a question naming none, or all, gets them all; one asking several things, unless it names one."""
    parts = _cases_joined(_outside_brackets(ALTERNATIVE_SPLIT.split(sentence)))
    subjects, units, frames = [], [], []
    for p in parts:
        given = [a for a in _amounts(p) if not _is_condition(p, a)]
        plain = ASIDE.sub("", p).strip()
        case = CASE_ALTERNATIVE.match(plain) if given else None
        m = case or (ALTERNATIVE_SUBJECT.match(plain) if given and not NOT_ALTERNATIVE.search(p) else None)
        subject = m.group("subject") if m else ""
        if len(subject.rsplit("的", 1)[-1]) >= 2:  # "居家的失能老年人": the thing is what 的 qualifies
            subject = subject.rsplit("的", 1)[-1]
        if subject.startswith(CAP_WORDS) or subject.count("（") != subject.count("）"):
            subject = ""  # a cap ("最高限额20万元") or a cut inside brackets: not one of several things
        subjects.append(subject)
        units.append((given[0].unit, given[0].per) if given else None)
        frames.append(re.sub(r"[\d.，；：、。\s]", "", plain[m.end():]) if m else "")
    named = {v for t in terms if len(t) >= 2 for v in variants(t)}
    i = 0
    while i < len(parts):
        j = i + 1
        while subjects[i] and j < len(parts) and subjects[j] and units[j] == units[i] \
                and _same_frame(frames[j - 1], frames[j]):
            j += 1
        if j - i >= 2:
            # a list that runs into the first one is its own ("高血压、" + "糖尿病门诊…4000元，恶性肿瘤门诊…8万元")
            start = i
            while start > 0 and parts[start - 1].endswith("、") and not _amounts(parts[start - 1]):
                start -= 1
            listed = "".join(parts[start:i])
            keep = _named_alternatives([listed + subjects[i]] + subjects[i + 1:j], asked, named,
                                       strongest=not several, texts=[listed + parts[i]] + parts[i + 1:j],
                                       around="".join(parts[:start]))
            if keep is not None and not (several and len(keep) > 1):
                chosen = [(listed if k == 0 else "") + parts[i + k] for k in keep]
                if j == len(parts) and chosen[-1][-1:] in "，；、":
                    chosen[-1] = chosen[-1][:-1] + "。"
                elif j < len(parts) and chosen[-1][-1:] != parts[j - 1][-1:]:
                    chosen[-1] = chosen[-1][:-1] + parts[j - 1][-1:]
                return "".join(parts[:start] + chosen + parts[j:])
        i = j
    return sentence


# not one of several alternatives: an increment on the one before, or a condition ("…高于3%（含）的，")
NOT_ALTERNATIVE = re.compile(ADD_ON.pattern + r"|的[，；,;]$")
CAP_WORDS = ("最高", "最多", "累计", "合计", "单个", "单家", "单项", "每家", "总额", "限额")


def _same_frame(a: str, b: str) -> bool:
    """Whether two alternatives say what they get alike ("每人每月元" / "每人每月元"; "按%返还" / "按…
    的%返还"; "元" / "元给予培训补贴"): the shorter one's words, figures aside, come in order in the other."""
    short, long_ = sorted((a, b), key=len)
    at = 0
    for ch in short:
        at = long_.find(ch, at) + 1
        if at == 0:
            return False
    return True


# A case and what it gets, as one alternative: "新获得有机农产品认证的，每个产品奖励2万元，"
CASE_ALTERNATIVE = re.compile(r"^(?:对|凡)?(?P<subject>[^\d，、；。：“”]{2,24}?)的[，,]")


def _cases_joined(parts: list[str]) -> list[str]:
    """"…的，" (a case) joined with the part after it that gives its figure ("每个产品奖励1万元，"):
    together they are one of several cases side by side."""
    out: list[str] = []
    for p in parts:
        if out and out[-1].endswith(("的，", "的,")) and CASE_ALTERNATIVE.match(out[-1]) and _amounts(p) \
                and not p.endswith(("的，", "的,", "、")):  # "…的，按博士…1500元、硕士…": a run of its own
            out[-1] += p
        else:
            out.append(p)
    return out


def _outside_brackets(pieces: list[str]) -> list[str]:
    """Pieces split at punctuation, joined again where the cut fell inside （…）."""
    out: list[str] = []
    depth = 0
    for piece in pieces:
        if not piece:
            continue
        if depth > 0:
            out[-1] += piece
        else:
            out.append(piece)
        depth += piece.count("（") + piece.count("(") - piece.count("）") - piece.count(")")
        depth = max(depth, 0)
    return out


def _named_alternatives(subjects: list[str], asked: str, named: set[str], strongest: bool = True,
                        texts: list[str] = (), around: str = "") -> list[int] | None:
    """The indexes of the alternatives the question names, or None to keep them all. Each is told
    apart by its own words (those not all share: 本科 | 硕士研究生, 大型 | 中小微), else by what is left
    of it without the start and end all share (A类人才 | B类人才 → A | B; 中级工 | 高级工 → 中 | 高).
    One with nothing of its own (失能老年人 beside 半失能老年人) is the one meant when the question says
    what they share and nothing of the others'. A word every alternative's text says (创业 of 个人创业者
    beside "…小微企业可申请最高300万元创业担保贷款") tells none apart, and nor does one the sentence says
    before them, of them all (毕业 of 本科毕业生 in "…高校毕业生…，按博士研究生…、硕士研究生…、本科毕业生…")."""
    asked = asked.lower()
    words = [set(tokenize(s, hmm=False)) for s in subjects]
    shared = set.intersection(*words) | (set.intersection(*(set(tokenize(t, hmm=False)) for t in texts))
                                         if texts else set()) | set(tokenize(around, hmm=False))
    lo = len(os.path.commonprefix(subjects))
    hi = len(os.path.commonprefix([s[::-1] for s in subjects]))
    rest = [s[lo:len(s) - hi] if len(s) > lo + hi else "" for s in subjects]

    def says(word: str) -> bool:
        return word in asked or word in named or any(v in asked for v in variants(word))

    # how strongly the question names each: the weight of its own words the question says (有机 +
    # 农产品 + 认证 over 认证 alone), or its distinct part said whole; the strongest are meant
    said = [{x for x in w - shared if len(x) >= 2 and says(x)} | ({r} if r and r.lower() in asked else set())
            for w, r in zip(words, rest)]
    scores = [sum(term_weight(x) for x in own if x != r)
              + (IDENTIFIER_WEIGHT if r and r.lower() in asked else 0.0)
              + sum(term_weight(n) for n in named if len(n) >= 2 and n in r and n not in shared
                    and not any(n in x for x in w - shared))
              for own, w, r in zip(said, words, rest)]
    top = max(scores)
    hits = [k for k, v in enumerate(scores) if v > 0 and (v >= top - 1e-9 or not strongest)]
    if strongest and hits:  # …and any other named by a word of its own the strongest do not say
        theirs = set().union(*(said[k] for k in hits))  # (工业互联网平台、智能工厂、未来工厂 asked together)
        hits += [k for k, own in enumerate(said) if k not in hits and own - theirs]
    if not hits and sum(1 for r in rest if not r) == 1:
        common = subjects[0][len(subjects[0]) - hi:] if hi else ""
        if any(len(n) >= 2 and n in common for n in named):
            hits = [rest.index("")]
    return hits if hits and len(hits) < len(subjects) else None


def _respectively(sentence: str, terms: tuple[str, ...], conditions: tuple[Amount, ...] = (),
                  asked_text: str = "", context: tuple[str, ...] = ()) -> str:
    """"一级、二级能效家电分别按20%、15%补贴" asked about 二级 becomes "二级能效家电按15%补贴": n named
    things, then 分别 and n figures; the one thing the question names keeps its own figure. Left as
    it is unless the counts agree and exactly one thing is named."""
    at = sentence.find("分别")
    figures = _figure_run(sentence, at) if at >= 0 else []
    n = len(figures)
    if n < 2:
        return sentence
    span = _named_list(sentence, at, n)
    if span is None:
        return sentence
    lo, hi = span
    items = sentence[lo:hi].split("、")
    words = [[w.lower() for w in jieba.lcut(i, HMM=False) if w.strip() and w not in RESPECTIVELY_FILLER]
             for i in items]  # lower-cased as the question's terms are (A类 → a)
    if not all(words):
        return sentence
    windows = _windows(words)
    own = [set(win) - {x for j, other in enumerate(windows) if j != k for x in other}
           for k, win in enumerate(windows)]
    asked = {w for t in terms for w in (t, *jieba.lcut(t, HMM=False))}
    # things that are figures ("达到2000万元、5000万元、1亿元的零售企业") are told apart by the asker's figure,
    # not by the words after the last one, which are all of theirs
    figures_named = all(_amounts(i) for i in items)
    hits = [0] * n if figures_named else [len(o & asked) for o in own]
    if sum(1 for h in hits if h) > 1 and hits[-1] and windows[-1][0] not in asked:
        # "…、市级企业技术中心": 企业 is of the thing they all are, not of the 市级 one
        windows[-1] = windows[-1][:1]
        own[-1] = set(windows[-1]) - {x for other in windows[:-1] for x in other}
        hits[-1] = len(own[-1] & asked)
    if not any(hits) and asked_text:  # one said whole ("三孩", cut 三|孩 in the question's terms), or by
        # its first two characters (副高 for 副高级, 正高 for 正高级)
        whole = ["".join(win) for win in windows]
        said = [(w, "".join(ws[:len(win) + 1])) for w, win, ws in zip(whole, windows, words)]  # 三|孩 → 三孩
        hits = [int(any(len(x) >= 2 and x.lower() in asked_text.lower() for x in pair)) for pair in said]
        if not any(hits):
            heads = [w[:2] for w in whole]
            hits = [int(len(w) >= 3 and _cjk(h[0]) and h in asked_text and heads.count(h) == 1)
                    for w, h in zip(whole, heads)]
    if not any(hits) and conditions:  # "80至89周岁、90至99周岁…" for an asker of 92岁: the range it falls in
        hits = [int(any(_fits_measure(a.unit, c) and (a.high is not None or a.bound) and _meets(c.value, a)
                        for a in _amounts(i) for c in conditions)) for i in items]
    if not any(hits) and conditions:  # "首次达到500万元、1000万元、3000万元的" for 1200万: the highest reached
        marks = [[a for a in _amounts(i) if any(_fits_measure(a.unit, c) for c in conditions)] for i in items]
        if all(len(m) == 1 and m[0].high is None and not m[0].bound for m in marks):
            values = [m[0].value for m in marks]
            reached = [j for j, v in enumerate(values) if any(c.value >= v for c in conditions)]
            if reached and values == sorted(values):
                hits = [int(j == max(reached)) for j in range(n)]
    if not any(hits) and context and not figures_named:  # "那众创空间呢？" after "国家级科技企业孵化器…":
        carried = {w for t in context for w in (t, *jieba.lcut(t, HMM=False))}  # the level carried over
        hits = [len(o & carried) for o in own]
    if sum(1 for h in hits if h) != 1:
        return sentence  # none named, or several ("单项冠军、小巨人…各奖多少"): the whole list answers
    k = next(i for i, h in enumerate(hits) if h)
    first, last = items[0], items[-1]
    low_first, low_last = first.lower(), last.lower()
    lead = first[:low_first.find(windows[0][0])] if k else ""
    tail = last[low_last.find(windows[-1][-1]) + len(windows[-1][-1]):] if k < n - 1 else ""
    if figures_named:  # "对年零售额首次达到" + "5000万元" + "的零售企业"
        own_figure = _amounts(items[k])[0]
        thing = first[:_amounts(first)[0].start] + items[k][own_figure.start:own_figure.end] \
            + last[_amounts(last)[-1].end:]
    elif k == 0:
        w = windows[0][-1]
        thing = first[:low_first.find(w) + len(w)] + tail
    else:
        thing = lead + (items[k].strip() if k < n - 1 else last) + tail
    return sentence[:lo] + thing + _kth_of_runs(sentence[hi:], at - hi, n, k)


def _kth_of_runs(text: str, at: int, n: int, k: int) -> str:
    """Every 分别-run of n figures from `at` on cut to its k-th figure: "年龄分别在40周岁、35周岁、30周岁
    以下的，分别按每人每月3000元、1500元、800元" for the second of three things → "年龄在35周岁以下的，按每人
    每月1500元". A bound written once after the last figure (…30周岁以下) is every figure's."""
    out, pos = [], 0
    while at >= 0:
        run = _figure_run(text, at)
        if len(run) != n:
            break
        kept = run[k].text
        shared = SHARED_BOUND.search(run[-1].text)
        if shared and not SHARED_BOUND.search(kept):
            kept += shared.group()
        out += [text[pos:at], text[at + 2:run[0].start], kept]
        pos = run[-1].end
        at = text.find("分别", pos)
    return "".join(out) + text[pos:]


def _windows(words: list[list[str]]) -> list[list[str]]:
    """The words that tell the named things apart. Two things: "对首次认定、重新认定的国家高新技术企业" →
    首次 | 重新 (the words they share — 认定 — and what follows the second are common to both);
    "省级、市级重点实验室" → 省级 | 市级. More: the middle things whole, and as many characters of the
    first (from its end, after its last 的) and of the last (from its start) as the longest middle thing
    has, in whole words."""
    first, last = words[0], words[-1]
    if len(words) == 2:
        shared = set(first) & set(last)
        head = list(first)
        while len(head) > 1 and head[-1] in shared:
            head.pop()
        at = max(next((i for i, w in enumerate(last) if w in shared), 1), 1)
        if at < len(last) and _affix(last[at]) and last[at] not in shared:
            at += 1  # one character jieba cut off: 自治区|级 → 自治区级 (and 正|高级 → 正高级 below)
        start = len(head) - 1
        if start > 0 and _affix(head[start - 1]):
            start -= 1
        return [head[start:], last[:at]]
    # as many characters as the longest middle thing: "国家级、自治区级、市级工程技术研究中心" → 市级, not
    # 市级 工程技术 (which every one of them is)
    chars = max(len("".join(w)) for w in words[1:-1])
    cut = max((i for i, w in enumerate(first) if w == "的"), default=-1)  # "首次认定的…" qualifies them all
    return [_within(list(reversed(first[cut + 1:] or first)), chars)[::-1], *words[1:-1], _within(last, chars)]


def _affix(word: str) -> bool:
    return len(word) == 1 and _cjk(word) and word not in "的之与和及或"


def _within(words: list[str], chars: int) -> list[str]:
    """The first words (at least one) that together have at most `chars` characters."""
    out = words[:1]
    for w in words[1:]:
        if len("".join(out)) + len(w) > chars:
            break
        out.append(w)
    return out


def _named_list(sentence: str, before: int, n: int) -> tuple[int, int] | None:
    """The span of the nearest "A、B(、C…)" with n parts before `before`, within the sentence."""
    end = before
    while end > 0:
        cut = max(sentence.rfind(p, 0, end) for p in "，：")
        stop = max(sentence.rfind(p, 0, end) for p in "。；")
        part_start = max(cut, stop) + 1
        part = sentence[part_start:end]
        if part.count("、") == n - 1:
            return part_start, end
        if part.count("、") > n - 1:  # "银饰、刺绣、蜡染等文创产品获得国家级、省级…金奖的，分别":
            return part_start + part.rindex("、".join(part.split("、")[-n:])), end  # the n nearest
        if stop >= cut or cut < 0:
            return None
        end = cut
    return None


def _figure_run(sentence: str, after: int) -> list[Amount]:
    """The figures listed right after 分别 ("按20%、15%", "奖励150万元、60万元、50万元、10万元")."""
    later = [a for a in _amounts(sentence) if a.start > after]
    run = later[:1]
    for a in later[1:]:
        if not re.fullmatch(r"[、和及与]", sentence[run[-1].end:a.start].strip()):
            break
        run.append(a)
    return run


def _case(sentence: str, terms: tuple[str, ...]) -> str:
    """"对“小升规”的服务业企业，给予每家10万元…，对月度升规的服务业企业，给予每家15万元…" asked about
    月度升规 keeps the second case. A case opens with 对/凡/其中; cases are cut only when each states a
    figure and the kept ones match the question's words strictly better."""
    parts = re.split(r"(?<=[，；])", sentence)
    opens = [i for i, p in enumerate(parts) if CASE_OPENS.match(p)]
    if len(opens) < 2:
        return sentence
    bounds = list(zip(opens, opens[1:] + [len(parts)]))
    cases = ["".join(parts[a:b]) for a, b in bounds]
    if not all(has_figure(c) for c in cases):
        return sentence
    covs = [coverage(terms, c) for c in cases]
    best = max(covs)
    keep = [c for c, v in zip(cases, covs) if v >= best - 1e-9]
    if best <= 0 or len(keep) == len(cases):
        return sentence
    text = "".join(parts[:opens[0]]) + "".join(keep)
    return text[:-1] + "。" if text and text[-1] in "，；" else text


def _tier(sentence: str, conditions: tuple[Amount, ...]) -> str:
    """"达到300批次补助2.5万元、350批次3万元、400批次以上3.5万元" for an asker at 360批次 keeps
    "达到350批次3万元": among enumerated tiers, each with one threshold in the asker's unit, the
    highest one the asker reaches (the lowest one not exceeded, for upper limits)."""
    parts = sentence.split("，")
    for k, part in enumerate(parts):
        elements = part.split("、")
        if len(elements) < 2:
            continue
        for c in conditions:
            marks = [[a for a in _amounts(e) if a.unit and (a.unit == c.unit or _fits_measure(a.unit, c))] for e in elements]
            if not all(len(m) == 1 for m in marks) or not all(len(_amounts(e)) >= 2 for e in elements):
                continue
            values = [m[0].value for m in marks]
            upper = all(m[0].bound == "max" for m in marks)
            reached = [i for i, v in enumerate(values) if (c.value <= v if upper else c.value >= v)]
            if not reached:
                return sentence  # below every tier: the asker's case does not qualify (see condition_fit)
            pick = min(reached, key=lambda i: values[i]) if upper else max(reached, key=lambda i: values[i])
            lead = elements[0][:marks[0][0].start] if pick else ""
            chosen = lead + elements[pick].strip()
            tail = "" if chosen.endswith(("。", "；")) or k + 1 < len(parts) else "。"
            return "，".join([*parts[:k], chosen + tail, *parts[k + 1:]])
    return sentence


def item_headers(unit: Unit, offset: int, sentence: str) -> list[str]:
    """The headers of the numbered items (项, 目) a sentence sits in, outermost first: an item's
    first line when it is a short header ("（一）一级能效（水效）产品："), not the sentence itself."""
    out = []
    for item in sorted((i for i in unit.items if i.start <= offset < i.end and not i.label.endswith("款")),
                       key=lambda i: i.start - i.end):
        first = unit.text[item.start:item.end].split("\n", 1)[0].strip()
        if len(first) > ITEM_HEADER_MAX:  # "1.研发费用增量补助。对上年度…": its heading sentence
            head = re.split(r"(?<=[。：:])", first, maxsplit=1)[0]
            first = head if len(head) <= ITEM_HEADING_MAX and head != first else ""
        if first and first != sentence and not sentence.startswith(first):
            out.append(first)
    return out


def _lead_index(unit: Unit, sents: list[str], starts: list[int], i: int) -> int | None:
    """The sentence a list hangs from ("按车辆销售价格给予分档补贴：", "补贴标准如下："), read with each
    item of the list: the nearest one before sentence i ending with a colon. Where the unit's items are known,
    only a sentence inside an item of that list has one: a 款 after the list (同一消费者每类产品限补贴
    1件) does not hang from the last item's "（二）二级能效产品："."""
    listed = [it for it in unit.items if not it.label.endswith("款")]
    for j in range(i - 1, -1, -1):
        if sents[j].rstrip().endswith(("：", ":")):
            if listed:
                inside = [it for it in listed if it.start <= starts[i] < it.end]
                lead_in = [it for it in listed if it.start <= starts[j] < it.end]
                if not inside or any(not (it.start <= starts[i] < it.end) for it in lead_in):
                    return None
            return j
    return None


def _add_ons(sents: list[str], figs: list[bool], keep: set[int], terms: list[str],
            conditions: tuple[Amount, ...] = (), same_item=lambda i, j: True) -> set[int]:
    """The sentences a figure answer needs beside the ones kept: the base an increment is added to
    ("（二）…每辆再增加300元" is read with "（一）…每辆补贴600元"), and an increment whose own
    condition is the asker's ("购买新能源乘用车的，在上述标准基础上每辆再增加2000元" for a 新能源车;
    "在此基础上每增加1亿元，再奖励10万元" for sales of 3亿 past the kept "首次突破1亿元的")."""
    out: set[int] = set()
    for i in sorted(keep):
        if figs[i] and ADD_ON.search(sents[i]):  # its base: the figure sentence before it that adds nothing
            base = next((j for j in range(i - 1, -1, -1) if figs[j] and not ADD_ON.search(sents[j])), None)
            if base is not None:
                out.add(base)
    out |= _cap(sents, keep | out, same_item)
    kept_text = "".join(sents[i] for i in keep | out)
    for i, sent in enumerate(sents):  # (its figure may be of another kind: "按上述标准的1.5倍发放")
        if i in keep or not _amounts(sent) or not ADD_ON.search(sent) or not any(j < i for j in keep):
            continue
        if _askers_add_on(sent, terms, kept_text) or _askers_step(sent, kept_text, conditions):
            out.add(i)
    return out


CAPS_BEFORE = re.compile(r"不得超过|不超过|最高|最多|封顶")  # "合计不得超过该机具实际购置价格的50%"
CAPPED_PER = re.compile(r"单个|单户|单家|单栋|每个|每户|每家|累计|合计|总额|每年|年度")


def _cap(sents: list[str], keep: set[int], same_item=lambda i, j: True) -> set[int]:
    """The cap that goes with a rate kept: "按大棚占地面积每平方米补助20元" is read with the unit's "单个申请
    主体享受设施农业建设奖补累计最高不超过100万元" — a sum per entity or per year, stated on its own (not a
    condition of who qualifies) in the item the rate is in (or in none), when no sentence kept states a cap
    already."""
    kept = [a for i in keep for a in _amounts(sents[i])]
    if not any(a.per or a.unit == "%" for a in kept) or any(a.bound == "max" and a.unit == "元" for a in kept):
        return set()
    caps = [i for i, sent in enumerate(sents) if i not in keep and i > min(keep, default=0) and CAPPED_PER.search(sent)
            and (found := [a for a in _amounts(sent) if a.unit == "元" and not a.per or a.unit == "%"]) and
            all((a.bound == "max" or a.unit == "%" and CAPS_BEFORE.search(sent, 0, a.start)) and not _is_condition(sent, a)
                for a in found)
            and all(same_item(i, j) for j in keep)]
    return set(caps[:1])


def _askers_add_on(sentence: str, terms, kept_text: str = "") -> bool:
    """Whether an increment's own condition ("在本区重点产业企业工作的…") is one the question states,
    by a word the sentences already kept do not say (and rarer than 工作 or 企业)."""
    condition = ADD_ON.split(sentence, maxsplit=1)[0]
    return any(len(t) > 1 and t in condition and t not in kept_text and term_weight(t) >= ADD_ON_TERM_MIN
               for t in terms)


def _askers_step(sentence: str, kept_text: str, conditions: tuple[Amount, ...]) -> bool:
    """Whether the asker's figure earns an increment counted in its measure: "在此基础上每增加1亿元，再奖励
    10万元" for sales of 3亿 past the kept "首次突破1亿元的"; "吸纳5人以上稳定就业的，每多吸纳1人再奖励1000元"
    for 8 hired. The increment's thresholds must be met, and the figure must go past the highest one
    (its own or the kept sentences'): at exactly 1亿 there is nothing to add."""
    condition = ADD_ON.split(sentence, maxsplit=1)[0]
    for c in conditions:
        own = [a for a in _amounts(condition) if a.unit and _fits_measure(a.unit, c)]
        if not own:
            continue
        thresholds = [a for a in _conditions(condition) if a.unit and _fits_measure(a.unit, c)]  # (年满80周岁的)
        if not all(_meets(c.value, a) for a in thresholds):
            continue
        floors = [a.value for a in thresholds if a.bound == "min"] + [  # (达到30万人次的: a floor too)
            a.value for a in _conditions(kept_text) if a.bound == "min" and a.unit and _fits_measure(a.unit, c)]
        if floors and c.value > max(floors):
            return True
    return False


TIER_OPENS = re.compile(r"^[^，。；：]{0,16}的[，,]")  # "达到5000万元以上的，": a tier with no subject of its own


def _with_lead(first: str, tier: str) -> str:
    """A tier quoted without the first one says what it measures with the first one's words: "达到5000万元
    以上的，给予30万元奖励；" after "对人才创办企业成立5年内，年销售收入首次达到1000万元以上的，…" reads "对人才
    创办企业成立5年内，年销售收入首次达到5000万元以上的，给予30万元奖励；". Joined where the two say the same
    words before their thresholds (达到, 面积在); otherwise the tier alone."""
    if not TIER_OPENS.match(tier):
        return tier
    own = next(iter(_conditions(tier)), None)
    base = own and next((a for a in _conditions(first) if a.unit == own.unit), None)
    if base is None or own is None:  # (the first one's threshold in the tier's measure: not "成立5年内")
        return tier
    lead, said = first[:base.start], tier[:own.start]
    if not said:  # the tier opens with its figure: "10万元至20万元（含）的，" after "…按裸车价格分档：裸车价格"
        return lead + tier
    overlap = next((k for k in range(len(said), 1, -1) if lead.endswith(said[-k:])), 0)
    return lead[:len(lead) - overlap] + tier if overlap else tier


def _reached(sentence: str, c: Amount) -> float | None:
    """The highest threshold of the sentence's conditions that the asker's figure reaches ("达到5000万元
    以上的" for 6000万), in its measure; None when it sets none the figure reaches."""
    return max((a.value for a in _conditions(sentence) if a.bound == "min" and a.unit and _fits_measure(a.unit, c)
                and _meets(c.value, a)), default=None)


def _highest_tier(top: int, candidates, sents: list[str], figs: list[bool],
                  conditions: tuple[Amount, ...], same_item) -> tuple[int, set[int]]:
    """Tiers as sentences ("…首次达到1000万元以上的，给予10万元奖励；达到5000万元以上的，给予30万元奖励；达到
    1亿元以上的，给予80万元奖励"; "面积在50亩以上的…每亩50元；种植面积在500亩以上的，按每亩80元"): an asker whose
    figure reaches several is in the highest of them. Returns that sentence and the lower tiers passed."""
    for c in conditions:
        reach = {i: _reached(sents[i], c) for i in {top, *candidates}}
        if reach[top] is None:
            continue
        higher = [i for i in candidates if reach[i] is not None and reach[i] > reach[top] and figs[i] and same_item(i)]
        best = max(higher, key=lambda i: reach[i], default=top)
        lower = {i for i in candidates if reach[i] is not None and reach[i] < reach[best] and same_item(i)}
        if higher or lower:  # (the asker's tier may be the closest already: the lower ones are still passed)
            return best, lower
    return top, set()


# "重新认定的，给予5万元奖补" after "对首次认定的区级创业孵化示范基地，给予10万元奖补；": a case with no
# thing of its own (it ends in 的) continues the previous sentence's, whose thing it is about.
ELIDED_CASE = re.compile(r"^(?P<case>[^，。；：的]{1,12})的[，,]")
CASE_THING = re.compile(r"(?:^|[，；：])(?:对|凡)?(?P<modifier>[^，。；：]{0,30}?)的(?P<thing>[^，。；：的]{2,20})[，,]")


def _elided(previous: str, sentence: str) -> str:
    """The thing an elided case is about ("区级创业孵化示范基地"), read with it; "" when it names its
    own. Elided: "X的，" where the case before it is "对Y的<thing>，" and X and Y say alike (重新认定 /
    首次认定); "（二）取得技师职业资格的，" beside "（一）取得高级技师职业资格的，" names its own."""
    m = ELIDED_CASE.match(sentence)
    c = CASE_THING.search(previous) if m else None
    if c is None:
        return ""
    case, modifier = m.group("case"), c.group("modifier")
    return c.group("thing") if any(case[k:k + 2] in modifier for k in range(len(case) - 1)) else ""


def _unasked(sentence: str, asked: set[str]) -> int:
    """How many words of the sentence (figures aside) the question does not say."""
    return sum(1 for w in _words(sentence) if not any(w in a or a in w for a in asked))


@lru_cache(maxsize=8192)  # the corpus's sentences, segmented once
def _words(sentence: str) -> frozenset[str]:
    return frozenset(w for w in tokenize(sentence, hmm=False) if len(w) >= 2 and not any(ch.isdigit() for ch in w))


def _best_of(candidates, covs: list[float], sents: list[str], asked: set[str]):
    """The candidate sentence covering the question best; a tie goes to the one saying least that the
    question does not (技师 over 高级技师)."""
    top = max(candidates, key=lambda i: covs[i], default=None)
    if top is None:
        return None
    tied = [i for i in candidates if covs[i] >= covs[top] - 1e-9]
    return top if len(tied) == 1 else min(tied, key=lambda i: (_unasked(sents[i], asked), i))


def _same_figure(a: Amount, b: Amount) -> bool:
    """The same figure, whatever bound each states it with (超过50% and 不超过50%)."""
    return a.unit == b.unit and a.value == b.value and a.per == b.per


def _offsets(text: str, sents: list[str]) -> list[int]:
    """Where each sentence of `sentences(text)` starts in the text."""
    out, at = [], 0
    for s in sents:
        found = text.find(s, at)
        out.append(found if found >= 0 else at)
        at = out[-1] + len(s) if found >= 0 else at
    return out


def _same_item(unit: Unit, a: int, b: int) -> bool:
    """Whether two offsets of a unit's text sit in one item (or one item holds the other's), or
    either sits in none: a second sentence from a sibling item (（2） beside （1）) is another fact."""
    x, y = unit.item_at(a), unit.item_at(b)
    if x is None or y is None:
        return True
    return (x.start <= y.start and y.end <= x.end) or (y.start <= x.start and x.end <= y.end)


def _in_notices(catalog: Catalog, term: str, doc_ids=None) -> bool:
    """Whether these notices (all by default) use the term, as it is or as one of its synonyms."""
    return any(catalog.mentions(v, doc_ids) for v in variants(term))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def _beyond_title(parts: list[list[str]], notice: Notice) -> list[list[str]]:
    """The question's words without those that only name the notice ("奎文区家电以旧换新补贴资金总额"
    asked of 《奎文区…家电以旧换新补贴实施方案》: 资金, 总额 tell its units apart); all of them when
    nothing else is left."""
    title = notice.title.lower()
    kept = [[t for t in part if t not in title] for part in parts]
    return kept if any(kept) else parts


def _names(query: Query) -> list[str]:
    """The things the question names (its nouns), with the pieces search segmentation cut from them."""
    words = list(query.words)
    return words + [t for t in (*query.topic, *query.context) if t not in words and any(t in w for w in words)]


@dataclass
class _Choice:
    hit: Hit
    score: float
    unit_coverage: float
    sentences: list[str]
    has_figure: bool
    starts: list[int] = field(default_factory=list)  # where each sentence sits in the unit text

    @property
    def notice(self) -> Notice:
        return self.hit.notice

    @property
    def unit(self) -> Unit:
        return self.hit.unit


def _item_named(unit: Unit, refs: tuple[tuple[int, int, str], ...]) -> Item | None:
    """The item of this unit a question names (（十六）第3项 → its 3.; 第四条第二款 → that 款), outermost
    first, of the kind named (项 over 款 for 第（三）项); None if none."""
    wanted = [(n, kind) for clause, n, kind in refs if unit.answers_to(clause)]
    if not wanted or not unit.items:
        return None
    n, kind = wanted[0]
    found = [i for i in unit.items if _item_number(i.label) == n]
    outer = [i for i in found if not any(o is not i and o.start <= i.start and i.end <= o.end and not o.label.endswith("款")
                                         for o in unit.items)]
    ranked = sorted(outer or found, key=lambda i: i.label.endswith("款") != (kind == "款"))
    return ranked[0] if ranked else None


def _item_number(label: str) -> int:
    m = re.search(rf"[{CN_NUMERAL}\d]+", label)
    return clause_number(m.group()) if m else 0


def _sentences_where(unit: Unit, wanted) -> list[tuple[int, str]]:
    """(where it starts, sentence) for each sentence of the unit that `wanted` accepts."""
    sents = sentences(unit.text)
    return [(st, x) for x, st in zip(sents, _offsets(unit.text, sents)) if wanted(x)]


def _quoting(choice: _Choice, extra: list[tuple[int, str]], keep: bool = True) -> _Choice:
    """The choice quoting these sentences too (with `keep`; else instead), in the unit's order."""
    said = dict(extra)
    if keep and len(choice.starts) == len(choice.sentences):
        said.update(zip(choice.starts, choice.sentences))
    order = sorted(said)
    return replace(choice, sentences=[said[st] for st in order], starts=order) if said else choice


def _pointing(clause: _Choice, keep: bool = True) -> _Choice | None:
    """A clause that points to a table, quoted with what it says besides the table: the sentence that
    points, and its caps ("补贴标准见附表1；单个项目补贴最高不超过200万元"); with `keep`, beside the
    sentences chosen for the question."""
    said = _sentences_where(clause.unit, lambda x: bool(TABLE_REFERENCE.search(x))
                            or any(a.bound == "max" and a.unit == "元" for a in _amounts(x)))
    if not said:
        return clause if keep else None
    return _quoting(clause, said, keep)


def _same_table(a: Unit, b: Unit) -> bool:
    """Whether two table rows are of one table (附表1 第3行, 附表1 第5行)."""
    return a.doc_id == b.doc_id and a.clause.rsplit(" ", 1)[0] == b.clause.rsplit(" ", 1)[0]


def _ordered(catalog: Catalog, picked: list[_Choice]) -> list[_Choice]:
    """Final before draft, in force before ended; otherwise as ranked (the sort is stable)."""
    return sorted(picked, key=lambda c: catalog.order_key(c.notice))


class ExtractiveAnswerer(Answerer):
    mode = "extractive"

    def __init__(self, settings: Settings):
        self.settings = settings

    def stream(self, query: Query, history: list[Message], hits: list[Hit], catalog: Catalog | None = None):
        """The answer sentence by sentence (it is ready at once, but a reader sees it arrive)."""
        answer = self.answer(query, history, hits, catalog)
        yield from (p for p in re.split(r"(?<=[。；\n])", answer.answer) if p)
        yield answer

    def answer(self, query: Query, history: list[Message], hits: list[Hit],
               catalog: Catalog | None = None) -> Answer:
        catalog = catalog or Catalog({h.notice.doc_id: h.notice for h in hits}, self.settings.today)
        answer = self._plan(query, hits, catalog)
        answer.intent = query.intent
        if query.unknown_places and query.doc_ids and answer.status != "not_found":
            places = "、".join(query.unknown_places)  # "衢州和杭州…": say what is not covered
            answer.notes.insert(0, Note("scope", f"目前没有{places}的政策文件，以上只是"
                                                 f"{'、'.join(query.regions_named)}的规定。"))
        if query.version_missing and answer.status == "answered":  # the version asked for does not exist
            cited = [catalog.notices[c.doc_id] for c in answer.citations if c.doc_id in catalog.notices]
            have = "、".join(dict.fromkeys(n.version or n.quoted_title for n in cited))
            missing = "、".join(f"{y}年版" for y in query.version_years if not any(n.version_year == y for n in cited))
            answer.status = "not_found"
            answer.body = f"没有找到{missing or str(query.version_year) + '年版'}的文件。以下是{have}的规定，仅供参考：\n{answer.body}"
        return answer

    # -- the plan ---------------------------------------------------------------------------------------
    def _plan(self, query: Query, hits: list[Hit], catalog: Catalog) -> Answer:
        if not query.chinese:
            return Answer("not_found", "目前只能回答中文问题，请用中文提问。/ policyqa answers questions about "
                                       "Chinese notices in Chinese; please ask in Chinese.", hits=hits)
        if query.unknown_places and not query.doc_ids:
            return self._other_place(query, hits, catalog)
        if not hits:
            return self._not_covered(query, hits, catalog)
        if query.intent == "validity":
            return self._validity(query, hits, catalog)
        if query.intent == "metadata":
            return self._metadata(query, hits, catalog)
        explicit = [h for h in hits if any(h.unit.answers_to(n) for n in query.clause_numbers)]
        exact = [h for h in explicit if h.unit.number in query.clause_numbers]
        explicit = exact if any(n >= RESTART_BASE for n in query.clause_numbers) and exact else explicit
        if not query.topic and not query.context and not explicit:  # "衢州": a region, but what about it?
            where = "、".join(query.regions_named) or catalog.regions_text()
            return Answer("clarify", f"想了解{where}哪方面的政策？可以问具体事项，例如“{where.split('、')[0]}"
                                     f"新能源汽车以旧换新补贴多少”“研发费用补助有哪些”“某项补贴找哪个部门”。",
                          hits=hits, library=(where,))
        if explicit and (query.intent == "clause_lookup" or not query.topic or query.item_refs):
            return self._clause(explicit, hits, catalog, query)
        choices = self._rank(query, hits)
        best = choices[0]
        older = self._older(query, hits, choices)
        if older is not None:  # only an older version of the series has it: answered from that one, said so
            return self._compose([older], hits, catalog, query=query)
        if query.asks_total and not explicit:  # the cap on them all names none of them: it answers first
            total = self._total(query, hits, best)
            if total is not None:
                return self._compose([total], hits, catalog, query=query)
        if not explicit and ((best.unit_coverage < NOT_FOUND_BELOW and not self._told_in_own_words(query, best, catalog))
                             or self._elsewhere(query, best, catalog)):
            return self._not_covered(query, hits, catalog)
        if query.intent == "who":
            who = self._who(query, choices, hits, catalog)
            if query.asks_figure_too and who.status == "answered":  # "一年最多能贴多少？这事归哪个部门？"
                figure = self._figure(replace(query, intent="figure", wants_figure=True), choices, hits, catalog)
                if figure.status == "answered":
                    return replace(figure, body=f"{figure.body}\n{who.body}",
                                   citations=figure.citations + [c for c in who.citations if c not in figure.citations],
                                   notes=figure.notes + [n for n in who.notes if n not in figure.notes])
            return who
        if query.intent == "how_to_apply":
            return self._how(query, choices, hits, catalog)
        if query.intent == "list":
            return self._list(query, choices, hits, catalog)
        return self._figure(query, choices, hits, catalog)

    def _total(self, query: Query, hits: list[Hit], best: _Choice) -> _Choice | None:
        """"加起来有没有上限", "能同时享受吗": the sentence of the best unit's notice that caps or rules on
        several benefits together, the one closest to the question's words."""
        found = [(h, s) for h in hits if h.notice.doc_id == best.notice.doc_id
                 for s in sentences(h.unit.text) if caps_several(s)]
        if not found:
            return None
        words = list(query.topic) + list(query.context)
        hit, sentence = max(found, key=lambda hs: coverage(words, f"{hs[0].unit.heading}{hs[1]}"))
        start = hit.unit.text.find(sentence)
        return _Choice(hit, best.score, best.unit_coverage, [sentence], bool(_amounts(sentence)), [max(start, 0)])

    def _older(self, query: Query, hits: list[Hit], choices: list[_Choice]) -> _Choice | None:
        """The unit of an older version that covers the question clearly better than anything in the
        version in force (a topic the new version dropped), if there is one: than any unit ranked about
        as high as the first, which need not be the one that covers the question best."""
        old = [h for h in hits if h.superseded]
        if not old or query.intent not in ("figure", "yes_no", "about"):
            return None
        parts = [list(p) for p in query.parts] or [list(query.topic)]
        top = max((self._choose(h, r, parts, list(query.context), query.wants_figure, query.units, query.conditions)
                   for r, h in enumerate(old, 1)), key=lambda c: c.score)
        names = _names(query)
        if names:
            top.unit_coverage = max(top.unit_coverage, coverage(names, f"{top.unit.heading}{top.unit.text}", partial=False))
        covered = max(c.unit_coverage for c in choices if c.score >= CLOSE_SECOND_RATIO * choices[0].score)
        if top.unit_coverage >= max(NOT_FOUND_BELOW, covered + OLDER_VERSION_MARGIN) \
                and (top.has_figure or not query.wants_figure):
            return top
        return None

    # -- scoring --------------------------------------------------------------------------------------
    def _rank(self, query: Query, hits: list[Hit], units: tuple[str, ...] | None = None) -> list[_Choice]:
        """Every topic hit scored (not the evidence added for the intent), best first."""
        units = query.units if units is None else units
        parts = [list(p) for p in query.parts] or [list(query.topic)]
        topical = [h for h in hits if not h.evidence and not h.superseded] or [h for h in hits if not h.superseded] or hits
        names = _names(query)
        choices = [self._choose(h, r, _beyond_title(parts, h.notice), list(query.context), query.wants_figure,
                                units, query.conditions, query.bound, query.said, query.part_units, query.asks_change)
                   for r, h in enumerate(topical, 1)]
        if names:  # whether a unit is about the question: the things it names count, not its verbs
            for c in choices:
                c.unit_coverage = max(c.unit_coverage, coverage(names, f"{c.unit.heading}{c.unit.text}", partial=False))
        asked = [t for t in query.topic if t not in query.story]
        if query.story and any(w in asked for w in query.words):  # the asking part names a thing: the story's
            for c in choices:  # words ("…招了12个人都签了合同交了社保，岗位开发补贴能拿多少") pick among units on it
                c.score += ASKED_WEIGHT * coverage(asked, f"{c.unit.heading}{c.unit.text}")
        return sorted(choices, key=lambda c: c.score, reverse=True)

    def _choose(self, hit: Hit, rank: int, parts: list[list[str]], context: list[str], figure: bool,
                units: tuple[str, ...], conditions: tuple[Amount, ...] = (), bound: str = "",
                said: tuple[Amount, ...] = (), part_units: tuple[tuple[str, ...], ...] = (),
                history: bool = False) -> _Choice:
        """Score a unit and pick its answering sentences: the best one for each sub-question. `said`:
        the figures of the reply a "那…呢" follow-up turns from; a sentence giving only those is not what
        it asks for when another one answers it about as well."""
        text = hit.unit.text
        sents = sentences(text)
        starts = _offsets(text, sents)
        figs = [has_figure(s, units) for s in sents]
        now = sents if history else [current_wording(s) for s in sents]  # (not the figures a change replaced)
        fits = [condition_fit(s, conditions) for s in now] if conditions else [0] * len(sents)
        focus = [t for part in parts for t in part]
        keep: set[int] = set()
        passed: set[int] = set()  # lower tiers than the asker's
        best_cov = 0.0
        answered_with_figure = True
        # every sentence is read with the unit's heading, the topic it belongs to:
        # 八、保障和改善民生 … 安排资金41.93亿元; （二十三）开展交通建设大会战。… 新增公路里程32.5公里
        topic = hit.unit.heading
        if len(sents) > 1 and hit.unit.heading and sents[0].startswith(hit.unit.label) \
                and sents[0][len(hit.unit.label):].lstrip().startswith(hit.unit.heading):
            sents, figs, fits, starts, now = sents[1:], figs[1:], fits[1:], starts[1:], now[1:]  # the heading answers nothing
        usable = list(range(len(sents)))
        # …and with the headers of the items it sits in: "（一）一级能效产品：" over "2.每件最高补贴2000元。"
        leads = [_lead_index(hit.unit, sents, starts, i) for i in range(len(sents))]
        elided = [_elided(sents[i - 1], sents[i]) if i else "" for i in range(len(sents))]  # 重新认定的，…
        within = [topic + "".join(item_headers(hit.unit, starts[i], sents[i])) + ("" if leads[i] is None else sents[leads[i]])
                  + elided[i] for i in range(len(sents))]
        bounded = [bool(bound) and any(a.bound == bound for a in _amounts(s)) for s in sents]
        # a sentence stating the very figure the asker names (会超过价格的50%吗 → "不超过…50%")
        echoes = [int(fits[i] == 0 and any(_same_figure(a, c) for c in conditions for a in _amounts(s)))
                  for i, s in enumerate(now)]
        repeats = [int(bool(said) and bool(_amounts(s)) and all(any(_same_figure(a, b) for b in said)
                                                                 for a in _amounts(s)))
                   for s in sents]
        # (an item gives the figure its lead states: "…3年内不得参与…：" over "（一）虚构交易…骗取补贴的；")

        # a list's lead without a figure answers nothing by itself: its items (read with it) do
        heads_only = {j for j in leads if j is not None and not figs[j]}
        usable = [i for i in usable if i not in heads_only] or usable

        row = hit.unit.kind == "table_row"  # a table row is one record: its figures are its own

        def near(i: int, part, figs=figs, units=units) -> bool:
            j = leads[i]
            return (figs[i] and (row or figure_near_topic(sents[i], part, units))) \
                or (j is not None and figs[j] and figure_near_topic(sents[j], part, units))
        asked_words = {w for t in focus + context for w in variants(t)}
        all_figs, all_units = figs, units
        for n, part in enumerate([focus] + (parts if len(parts) > 1 else [])):
            # a sub-question asking its own kind of figure ("最高多少，能贷几年") is answered in that kind
            units = (part_units[n - 1] if 0 < n <= len(part_units) else ()) or all_units
            figs = all_figs if units == all_units else [has_figure(s, units) for s in sents]
            # the conversation's words frame the question, but not for the sentence already replied
            raw = [coverage(part, within[i] + s) + (CONTEXT_WEIGHT * coverage(context, s)
                                                    if context and not repeats[i] else 0.0)
                   for i, s in enumerate(sents)]
            # (a condition met weighs as much as the sentence is about the question: it picks among
            # sentences on it, not a sentence on another thing — 燃油乘用车 for a 新能源 asker; the
            # figure the asker names counts whole)
            covs = [c + CONDITION_BONUS * max(min(c, 1.0) * max(fits[i], 0), echoes[i] if c > 0 else 0)
                    + BOUND_BONUS * bounded[i] for i, c in enumerate(raw)]
            if not covs:
                continue
            top = _best_of(usable, covs, sents, asked_words)
            if fits[top] < 0:  # its condition is not the asker's: a sibling whose condition fits answers
                fitting = [i for i in usable if fits[i] > 0 and covs[i] >= CONDITION_SIBLING_RATIO * covs[top]] \
                    or [i for i in usable if fits[i] == 0 and figs[i] and ADD_ON.search(sents[top])
                        and covs[i] >= CONDITION_SIBLING_RATIO * covs[top]]  # …or the base it adds to
                mine = [i for i in fitting if _same_item(hit.unit, starts[i], starts[top])]  # its own item's first
                sibling = max(mine or fitting, key=lambda i: covs[i], default=top)
                top = sibling
            elif fits[top] > 0:  # …and of tiers the asker reaches, the highest (the same rule, as close)
                tier, lower = _highest_tier(top, usable, sents, figs, conditions,  # (its item's, or as close)
                                            lambda i, t=top: _same_item(hit.unit, starts[i], starts[t])
                                            or covs[i] >= CLOSE_SECOND_RATIO * covs[t])
                best_cov, top, passed = max(best_cov, covs[top]), tier, passed | lower
            best_cov = max(best_cov, covs[top])
            if figure and not ((figs[top] and n > 0) or near(top, part, figs, units)):
                with_fig = [i for i in usable if i != top and near(i, part, figs, units)]
                alt = _best_of(with_fig, covs, sents, asked_words)
                if alt is not None and alt < top and ADD_ON.search(sents[top]) and _amounts(sents[top]):
                    if _askers_add_on(sents[top], part, sents[alt]):
                        keep.add(top)  # "按上述标准的1.2倍发放" goes with the standard it multiplies
                    top = alt
                elif alt is not None and covs[alt] > 0 and covs[alt] >= covs[top] * (
                        KIND_SENTENCE_RATIO if n > 1 and part == parts[n - 2] else FIGURE_SENTENCE_RATIO):
                    top = alt  # (a sub-question asking only another kind of figure takes one of that kind sooner)
                elif n == 0:  # the question's topic sentence gives no figure
                    answered_with_figure = False
            keep.add(top)
            # a close second sentence (e.g. the same topic continued) is kept too, unless the asker's
            # figure picks between them (its condition is not met where another's is)
            # (judged on the sentences' own words: the heading read with each would make them all alike)
            picked_fit = fits[top] > 0
            own = [coverage(part, s) for s in sents]
            # (a case and the elided one that continues it are alternatives: both only when neither is named)
            cases = {j for j in (top - 1, top + 1) if 0 <= j < len(sents) and elided[max(j, top)]}
            for i in usable:
                if i in passed:
                    continue
                if i in cases:
                    if raw[i] >= raw[top] - 1e-9 and (figs[i] or not figure) and fits[i] >= 0:
                        keep.add(i)
                    continue
                if i != top and raw[i] >= CLOSE_SECOND_RATIO * raw[top] and raw[i] > CLOSE_SECOND_MIN \
                        and own[i] >= CLOSE_SECOND_RATIO * own[top] and _same_item(hit.unit, starts[i], starts[top]) \
                        and (figs[i] or not figure) and not (picked_fit and fits[i] != 1) and fits[i] >= 0:
                    keep.add(i)
        figs, units = all_figs, all_units
        # (a closing line after a list of items is the whole unit's: "（三）…。\n单个申请主体…累计最高…")
        closing = len(sents) - 1 if len(sents) > 1 and text[max(starts[-1] - 1, 0)] == "\n" else -1

        def capped_with(i: int, j: int) -> bool:
            return i == closing or _same_item(hit.unit, starts[i], starts[j])
        if figure:
            keep |= _add_ons(sents, figs, keep, focus, conditions, capped_with)
        elif conditions and keep:  # "…花了28万，国补拿了13万，累加补贴能拿全吗？": the cap decides it
            keep |= _cap(sents, keep, capped_with)
        chosen = sorted(keep)[:MAX_SENTENCES]
        # whether the unit answers at all is judged on this question's own words when it has any
        unit_cov = coverage(focus or context, f"{hit.unit.heading}{hit.unit.text}")
        heading_cov = coverage(focus, hit.unit.heading) if hit.unit.heading else 0.0
        score = SENTENCE_WEIGHT * best_cov + UNIT_WEIGHT * unit_cov + HEADING_WEIGHT * heading_cov \
            + RANK_WEIGHT / rank
        gives_figure = answered_with_figure and any(figs[i] or (leads[i] is not None and figs[leads[i]])
                                                    for i in chosen)
        # a tier quoted without the sentence it continues ("住宿2晚以上的，…", "10万元至20万元（含）的，…")
        # says what it measures in that sentence's words
        opened = {i: next((j for j in range(i - 1, -1, -1) if not TIER_OPENS.match(sents[j])), None)
                  for i in chosen if i and TIER_OPENS.match(sents[i])}
        quoted = [_with_lead(sents[j], sents[i]) if j is not None and j not in chosen
                  and _same_item(hit.unit, starts[j], starts[i]) else sents[i]
                  for i, j in ((i, opened.get(i)) for i in chosen)]
        return _Choice(hit, score, unit_cov, quoted, gives_figure, [starts[i] for i in chosen])

    # -- plans ------------------------------------------------------------------------------------------
    def _figure(self, query: Query, choices: list[_Choice], hits, catalog: Catalog) -> Answer:
        """One figure (or what the clause says), from the best unit; with no region named, every
        other notice that answers about as well is answered for too, each labelled."""
        best = choices[0]
        picked = [best]
        if len(query.doc_ids) != 1 and query.scope_from != "argument":
            named = len(query.doc_ids) > 1 and bool(query.regions_named)
            for doc_id in dict.fromkeys(c.notice.doc_id for c in choices):
                if doc_id == best.notice.doc_id:
                    continue
                other = next(c for c in choices if c.notice.doc_id == doc_id)
                close = named or other.score >= SECOND_REGION_RATIO * best.score
                if close and other.unit_coverage >= NOT_FOUND_BELOW and (other.has_figure or not query.wants_figure):
                    picked.append(other)
        if query.wants_figure and not best.has_figure:  # a unit nearly as close that gives the figure answers
            alt = self._figure_instead(query, choices, best)
            if alt is not None:
                picked = [alt] + [c for c in picked[1:] if c is not alt]
                best = alt
        rows = self._table_rows(query, choices, best) if query.wants_figure else []
        if rows:  # "具体标准见附表": the rows it points to, after what it says besides them
            at = picked.index(best)
            picked[at] = best = _pointing(best)
            picked[at + 1:at + 1] = [r for r in rows if r not in picked]
        referring = self._referring_clause(choices, best) if query.wants_figure else None
        if referring is not None and all(c.unit is not referring.unit for c in picked):
            picked.insert(picked.index(best) + 1, referring)  # …and the clause that points to the row
        if query.wants_figure and not best.has_figure and len(picked) == 1:
            return self._no_figure(best, hits, catalog, query)
        picked = [c for c in picked if c.has_figure or not query.wants_figure] or picked
        self._other_meanings(query, picked[0])
        lead = self._premise(query, picked[0]) or self._qualifies(query, picked[0])
        return self._compose(_ordered(catalog, picked) if len(picked) > 1 else picked, hits, catalog,
                             lead=lead, query=query)

    @staticmethod
    def _table_rows(query: Query, choices: list[_Choice], best: _Choice, every: bool = False) -> list[_Choice]:
        """The rows of its notice's table that a clause sends the reader to ("具体标准见附表", "按附表1相应标准
        给予补贴") for the figure asked: the rows about the question (as close as the closest), those the
        asker's own figures fall in ("4.2吨的…9吨的": 4.5吨（含）以下, 4.5吨以上至12吨（含）) — or, for a list
        (`every`: "每档分别补多少"), all of them in the table's order; else the best-scoring one."""
        if best.unit.kind == "table_row" or not TABLE_REFERENCE.search(best.unit.text):
            return []
        rows = [c for c in choices if c.unit.kind == "table_row" and c.notice.doc_id == best.notice.doc_id
                and c.has_figure and c.unit_coverage > 0]  # (the clause vouches for its table)
        if not rows:
            return []
        closest = max(c.unit_coverage for c in rows)
        rows = [c for c in rows if c.unit_coverage >= ROW_CLOSE_RATIO * closest]
        fitting = [c for c in rows if any(condition_fit(c.unit.text, (x,)) > 0 for x in query.conditions)]
        if not (fitting or every):
            return [max(rows, key=lambda c: c.score)]
        return sorted(fitting or rows, key=lambda c: c.unit.number)[:ROWS_MAX]

    @staticmethod
    def _rows_beside(choices: list[_Choice], row: _Choice) -> list[_Choice]:
        """A row with the other rows of its table about the question as nearly (each tier of "每档分别补多少"),
        in the table's order."""
        rows = [c for c in choices if c.unit.kind == "table_row" and _same_table(c.unit, row.unit)
                and c.has_figure and c.unit_coverage >= ROW_CLOSE_RATIO * row.unit_coverage]
        return sorted(rows, key=lambda c: c.unit.number)[:ROWS_MAX] if any(r is row for r in rows) else [row]

    @staticmethod
    def _referring_clause(choices: list[_Choice], row: _Choice) -> _Choice | None:
        """For a table row, the clause of its notice that sends the reader to the table, with what it says
        besides the table: its conditions and caps ("…补贴标准见附表1；单个项目补贴最高不超过200万元")."""
        if row.unit.kind != "table_row":
            return None
        clause = next((c for c in choices if c.unit.kind == "clause" and c.notice.doc_id == row.notice.doc_id
                       and TABLE_REFERENCE.search(c.unit.text) and c.unit_coverage >= NOT_FOUND_BELOW), None)
        return None if clause is None else _pointing(clause, keep=False)

    def _figure_instead(self, query: Query, choices: list[_Choice], best: _Choice) -> _Choice | None:
        """A unit of the same notice nearly as close as `best` (which gives no figure) that gives one:
        as much about it, or about the asker's case, or naming the question's rarest word."""
        return next((c for c in choices if c is not best and c.has_figure and c.notice.doc_id == best.notice.doc_id
                     and c.score >= FIGURE_UNIT_RATIO * best.score
                     and (c.unit_coverage >= CLOSE_SECOND_RATIO * best.unit_coverage  # as much about it
                          or any(condition_fit(s, query.conditions) > 0 for s in c.sentences)  # the asker's case
                          or self._names_rarest(query, c, best))), None)

    def _premise(self, query: Query, choice: _Choice) -> str:
        """"是的。" / "不是。" for a figure the asker wants confirmed, when the quote states one to compare."""
        if not query.premise:
            return ""
        stated = [a for s in choice.sentences for a in _amounts(focus(s, query))]
        comparable = [a for a in stated if any(a.unit == p.unit or not p.unit for p in query.premise)]
        if not comparable:
            return ""
        confirmed = all(contains_amount(p, comparable) for p in query.premise)
        return "是的。" if confirmed else "不是，实际规定如下。"

    @staticmethod
    def _names_rarest(query: Query, alt: _Choice, best: _Choice) -> bool:
        """The best unit states no figure anywhere, and the other one's quote names the question's
        rarest word ("空调" in "空调类产品限补贴3件" when the closest unit only lists 空调 among 12 kinds)."""
        if not query.topic or has_figure(best.unit.text, query.units):
            return False
        rarest = max(query.topic, key=term_weight)
        return mentions("".join(alt.sentences).lower(), rarest)

    @staticmethod
    def _other_meanings(query: Query, choice: _Choice) -> None:
        """A word with two readings (电车: 新能源汽车 or 电动自行车): when the quote answers one, the unit's
        sentence on the other reading is quoted too, so the asker sees both."""
        quoted = "".join(choice.sentences)
        for term in query.topic:
            readings = [v for v in SYNONYMS.get(term, ()) if len(SYNONYMS.get(term, ())) > 1]
            if not readings or not any(r in quoted for r in readings):
                continue
            for reading in (r for r in readings if r not in quoted):
                extra = next((s for s in sentences(choice.unit.text) if reading in s and s not in choice.sentences), None)
                if extra and len(choice.sentences) < MAX_SENTENCES:
                    choice.sentences.append(extra)
                    choice.starts.append(choice.unit.text.find(extra))

    @staticmethod
    def _qualifies(query: Query, choice: _Choice) -> str:
        """"不符合" when the asker's own figure misses the condition the quoted rule sets (2000标箱 against
        "全年达到3000标箱及以上"); nothing when it meets it or nothing compares."""
        if not query.conditions:
            return ""
        said = [focus(s, query) for s in choice.sentences]
        fits = [condition_fit(s, query.conditions) for s in said]
        # (a rule the asker is not under beside one that applies to all is no refusal: "按余额之和的15倍计算；
        # 不足2万元的，按2万元计算" for an asker with 3.2万)
        general = any(f == 0 and _amounts(s) for f, s in zip(fits, said))
        return NOT_QUALIFIED if fits and min(fits) < 0 and max(fits) <= 0 and not general else ""

    def _list(self, query: Query, choices: list[_Choice], hits, catalog: Catalog) -> Answer:
        """Every notice in scope that covers the topic, final before draft, in force before ended,
        each labelled; per notice its best unit, and a second one that covers the topic nearly as well."""
        by_notice: dict[str, list[_Choice]] = {}
        for c in choices:
            by_notice.setdefault(c.notice.doc_id, []).append(c)
        picked: list[_Choice] = []
        for mine in by_notice.values():
            top = mine[0]
            if query.wants_figure and not top.has_figure:  # a figure was asked: the unit that gives one
                top = next((c for c in mine if c.has_figure and c.unit_coverage >= LIST_SECOND_RATIO * top.unit_coverage),
                           None) or self._figure_instead(query, mine, top) or top
                mine = [top] + [c for c in mine if c is not top]
            if top.unit_coverage < NOT_FOUND_BELOW or self._elsewhere(query, top, catalog, (top.notice.doc_id,)):
                continue
            picked += [c for c in mine[:LIST_MAX_PER_NOTICE + 1]
                       if c is top or (c.unit_coverage >= LIST_SECOND_RATIO * top.unit_coverage
                                       and (c.has_figure or not query.wants_figure))][:LIST_MAX_PER_NOTICE]
        picked = picked[:LIST_MAX_UNITS] or choices[:1]
        if query.wants_figure:  # "每档分别补多少": the rows of the table a clause points to, or of a row's table
            for unit in list(picked):
                at = picked.index(unit)
                if unit.unit.kind == "table_row":
                    picked[at:at + 1] = [r for r in self._rows_beside(choices, unit) if r is unit or r not in picked]
                else:
                    picked[at + 1:at + 1] = [r for r in self._table_rows(query, choices, unit, every=True)
                                             if r not in picked]
        return self._compose(_ordered(catalog, picked), hits, catalog, several_label=len(by_notice) > 1,
                             query=query)

    def _who(self, query: Query, choices: list[_Choice], hits, catalog: Catalog) -> Answer:
        """Whom to ask: the 责任单位 of the clause, else its section's lead department."""
        first = choices[0]
        if not first.unit.departments:  # a table row names no one: the clause of its notice that does
            first = next((c for c in choices[1:] if c.notice.doc_id == first.notice.doc_id and c.unit.departments
                          and c.unit_coverage >= LIST_SECOND_RATIO * first.unit_coverage), first)
        choices = [first] + [c for c in choices if c is not first]
        picked = [choices[0]] + [c for c in choices[1:] if c.notice.doc_id != choices[0].notice.doc_id
                                 and len(query.doc_ids) != 1 and c.unit_coverage >= NOT_FOUND_BELOW
                                 and c.score >= SECOND_REGION_RATIO * choices[0].score][:2]
        lines, citations = [], []
        for c in _ordered(catalog, picked):
            unit, notice = c.unit, c.notice
            what = unit.heading or (c.sentences[0] if c.sentences else unit.label)
            what = what[len(unit.label):] if unit.clause and what.startswith(unit.label) and what != unit.label else what
            said = self._responsibility(c, hits, list(query.topic) or list(query.context))
            if said and said[0].clause and said[1].startswith(said[0].label):  # "第八条本办法…" says 第八条 once
                said = (said[0], said[1][len(said[0].label):])
            if unit.responsible:
                who = f"责任单位是{unit.responsible}。"
            elif unit.lead_department:
                who = f"所在的“{unit.section}”部分由{unit.lead_department}牵头。"
            elif said and said[0].unit_id == unit.unit_id:  # the unit itself says who: said once
                lines.append(f"{notice.region}：根据{notice.quoted_title}{unit.label}：{said[1]}")
                citations.append(Citation.from_unit(unit, notice))
                continue
            elif said:
                where = said[0].label if said[0].label.startswith("（") else f"（{said[0].label}）"
                who = f"文件中写明：{said[1]}{where}"
            else:
                who = "文件没有写明负责部门，" + NEXT_STEP
            lines.append(f"{notice.region}：{notice.quoted_title}{unit.label}“{what}”，{who}")
            citations.append(Citation.from_unit(unit, notice))
            if said and not unit.departments:
                citations.append(Citation.from_unit(said[0], notice))
        return Answer("answered", "\n".join(lines), citations=citations, hits=hits,
                      notes=catalog.notes_for_all(c.notice for c in picked))

    @staticmethod
    def _responsibility(choice: _Choice, hits: list[Hit], terms: list[str]) -> tuple[Unit, str] | None:
        """The sentence of the same notice that says who is responsible for what the question asks
        (拨付 → 区财政局负责…拨付; 组织实施, 受理, 负责解释 otherwise)."""
        found = [(h.unit, s) for h in [choice.hit] + [h for h in hits if h.notice.doc_id == choice.notice.doc_id]
                 for s in sentences(h.unit.text) if RESPONSIBLE_WORDS.search(s)]
        return max(found, key=lambda us: coverage(terms, us[1]), default=None)

    def _how(self, query: Query, choices: list[_Choice], hits, catalog: Catalog) -> Answer:
        """How to apply: the unit's sentences about applying; if it says nothing, whom to ask. Among
        units about as close to the question, one that says how to apply answers."""
        best = choices[0]
        near = [c for c in choices if c.unit_coverage >= HOW_NEAR_RATIO * best.unit_coverage]
        best = next((c for c in near if any(PROCEDURE_WORDS.search(s) for s in sentences(c.unit.text))), best)
        if query.asks_where:  # "在哪里申请": the unit that names the channel (APP, 平台, 窗口), the
            # closest one, else the notice's own (its procedure covers every subsidy in it)
            def names_channel(c: _Choice) -> bool:
                return any(CHANNEL.search(s) and APPLY_WORDS.search(s) for s in sentences(c.unit.text))
            best = next((c for c in near if names_channel(c)), None) or next(
                (c for c in choices if c.notice.doc_id == best.notice.doc_id and names_channel(c)), best)
        if not any(PROCEDURE_WORDS.search(s) for s in sentences(best.unit.text)):
            # the question names little beyond the notice ("奎文区家电以旧换新补贴怎么领"): the notice's own
            # procedure (四、申领流程), the part of it on what is asked (领 → 领取补贴资格)
            beyond = [t for t in query.topic if t not in best.notice.title]
            own = [h for h in hits if h.evidence and h.notice.doc_id == best.notice.doc_id and h.unit.kind == "clause"
                   and any(PROCEDURE_WORDS.search(s) for s in sentences(h.unit.text))]
            pick = max(own, key=lambda h: coverage(beyond, h.unit.text) if beyond else 0.0, default=None)
            if pick is not None and (not beyond or coverage(beyond, pick.unit.text)
                                     > coverage(beyond, f"{best.unit.heading}{best.unit.text}")):
                best = self._choose(pick, 1, [list(query.topic)], [], False, ())
        unit, notice = best.unit, best.notice
        # a sentence on applying counts when it is on the topic, or follows the sentence that is
        topic = list(query.topic) or list(query.context)
        sents = sentences(unit.text)
        covs = [coverage(topic, s) for s in sents]
        on_topic = max(range(len(sents)), key=lambda i: covs[i]) if sents else 0
        heading = f"{unit.label}{unit.heading}" if unit.heading else None  # a GB/T clause's heading sentence
        said = [s for i, s in enumerate(sents) if (APPLY_WORDS.search(s) or PROCEDURE_WORDS.search(s))
                and not (heading and s.startswith(heading))
                and (covs[i] >= APPLY_TOPIC_MIN or on_topic < i <= on_topic + APPLY_FOLLOWS
                     or (query.asks_where and CHANNEL.search(s)) or (query.asks_when and APPLY_TIME.search(s)))]
        departments = "、".join(unit.departments)
        if not said:  # no procedure: the rule that says what the asker must use or hold, if any
            said = [s for s in best.sentences if ELIGIBILITY_WORDS.search(s)]
        if said:
            quote = "".join(said[:MAX_SENTENCES])
            quote = quote[len(unit.label):].lstrip() if unit.clause and quote.startswith(unit.label) else quote
            body = f"根据{notice.quoted_title}{unit.label}：{quote}"
            if departments:
                body += f"\n具体办理可咨询{departments}。"
            status = "answered"
        else:
            ask = f"可咨询{departments}，或拨打12345政务服务便民热线。" if departments else NEXT_STEP
            body = (f"{notice.quoted_title}{unit.label}（“{unit.heading or best.sentences[0]}”）"
                    f"没有写明申请方式和流程。{ask}")
            status = "not_found"
        return Answer(status, body, citations=[Citation.from_unit(unit, notice)], hits=hits,
                      notes=catalog.notes(notice))

    def _validity(self, query: Query, hits: list[Hit], catalog: Catalog) -> Answer:
        """Is it final, is it still in force: the sentences that state the period, what that means
        today (from the notice's period as read), and the notes."""
        doc_ids = query.doc_ids or tuple(dict.fromkeys(h.notice.doc_id for h in hits))[:VALIDITY_MAX_NOTICES]
        picked, leads = [], []
        for doc_id in doc_ids:
            notice = catalog.notices.get(doc_id)
            mine = [h for h in hits if h.notice.doc_id == doc_id]
            topic = [t for t in query.topic if notice is None or t not in notice.title]
            if topic:  # "研发补助现在还能申请吗": the clause on the topic, with its own deadline if any
                topical = [self._choose(h, r, [topic], [], False, ()) for r, h in enumerate(mine, 1)]
                topical = [c for c in topical if c.unit.kind == "clause" and c.unit_coverage >= VALIDITY_TOPIC_MIN]
                if topical:  # …with the period it states itself ("本办法自…起施行，有效期3年。《…》同时废止。")
                    best = max(topical, key=lambda c: c.score)
                    picked.append(_quoting(best, _sentences_where(best.unit, lambda x: bool(PERIOD_WORDS.search(x)))))
            if notice is not None and notice.status == "draft":  # is it final: its consultation says it is not
                asked = next((h for h in mine if h.unit.kind in ("letter", "preamble")
                              and any(CONSULTATION.search(x) for x in sentences(h.unit.text))), None)
                if asked is not None:
                    picked.append(_Choice(asked, 1.0, 1.0, [x for x in sentences(asked.unit.text)
                                                            if CONSULTATION.search(x)][:1], False))
            stated = [h for h in mine if h.unit.kind in ("closing", "clause", "section_intro", "letter")
                      and (PERIOD_WORDS.search(h.unit.text) or _period_heading(h.unit))
                      and not any(h is c.hit for c in picked)]
            # the unit on what the question names beyond the notice (a deadline: 截止), else the one
            # that states the period outright (有效期至…, 自…起施行), then one with a date
            deadline = "deadline" in query.fields  # "截止到哪天": the deadline before the period
            stated = max(stated, default=None, key=lambda h: (coverage(topic, h.unit.text) >= 0.5 if topic else False,
                                                              (_period_strength(h.unit.text) == 1) if deadline else 0,
                                                              _period_heading(h.unit),
                                                              _period_strength(h.unit.text),
                                                              bool(re.search(r"\d{4}\s*年", h.unit.text))))
            if stated:
                said = [s for s in sentences(stated.unit.text) if PERIOD_WORDS.search(s)] if not \
                    _period_heading(stated.unit) else [stated.unit.text]
                picked.append(_Choice(stated, 1.0, 1.0, said, False))
            if notice is not None:
                leads.append(self._period_today(notice, catalog))
        if not picked:
            notices = [catalog.notices[d] for d in doc_ids if d in catalog.notices]
            lead = "".join(x for x in leads if x)
            return Answer("not_found", f"{lead}政策文件中没有写明实施期限。" if not lead else lead, hits=hits,
                          notes=catalog.notes_for_all(notices))
        return self._compose(picked, hits, catalog, several_label=False, lead="".join(x for x in leads if x))

    def _metadata(self, query: Query, hits: list[Hit], catalog: Catalog) -> Answer:
        """What a notice says of itself — 文号, 成文日期, 发文机关, what it repeals, who interprets it —
        from its fields as read, each cited where it is printed."""
        doc_ids = query.doc_ids or tuple(dict.fromkeys(h.notice.doc_id for h in hits))[:1]
        lines, citations, notices = [], [], []
        for doc_id in doc_ids:
            notice = catalog.notices.get(doc_id)
            if notice is None:
                continue
            notices.append(notice)
            units = [h.unit for h in hits if h.notice.doc_id == doc_id]
            for name in query.fields:
                line, unit = self._field(name, notice, units)
                lines.append(line)
                if unit is not None:
                    cite = Citation.from_unit(unit, notice)
                    if cite not in citations:
                        citations.append(cite)
        if not lines:
            return self._not_covered(query, hits, catalog)
        status = "answered" if citations else "not_found"
        return Answer(status, "\n".join(lines), citations=citations, hits=hits, notes=catalog.notes_for_all(notices))

    @staticmethod
    def _field(name: str, notice: Notice, units: list[Unit]) -> tuple[str, Unit | None]:
        """One field's sentence and the unit that prints it (None when the notice does not say)."""
        def printed(*needles: str) -> Unit | None:
            for kind in ("letter", "preamble", "closing", "section_intro", "clause"):
                for u in units:
                    if u.kind == kind and any(n and n in re.sub(r"\s+", "", u.text) for n in needles):
                        return u
            return None

        title = notice.quoted_title
        if name == "doc_number":
            unit = printed(notice.doc_number) if notice.doc_number else None
            return (f"{title}的文号是{notice.doc_number}。", unit) if unit else (f"{title}没有印出文号。", None)
        if name == "published":
            d = notice.published
            if d is None:
                return f"{title}没有写明成文（印发）日期。", None
            text = f"{d.year}年{d.month}月{d.day}日"
            return f"{title}的成文（印发）日期是{text}。", printed(text, f"{d.year}年{d.month:02d}月{d.day:02d}日")
        if name == "issuer":
            return f"{title}由{notice.issuer}印发。", printed(notice.issuer)
        if name == "repeals":
            if not notice.repeals:
                return f"{title}没有写明废止其他文件。", None
            names = "、".join(f"《{t}》" for t in notice.repeals)
            return f"{title}施行后，{names}同时废止。", printed(*notice.repeals)
        if name == "interpreter":
            for u in units:
                said = next((s for s in sentences(u.text) if "负责解释" in s), None)
                if said:
                    return f"{title}规定：{said}", u
            return f"{title}没有写明由哪个部门负责解释。{NEXT_STEP}", None
        return f"文件全称是{title}。", printed(notice.title)

    @staticmethod
    def _period_today(notice: Notice, catalog: Catalog) -> str:
        """What the notice's period, as read from it, means on today's date."""
        if notice.status == "draft":
            return f"{notice.quoted_title}是征求意见稿，尚未正式施行。"
        end = notice.effective_to
        if end is None:
            return ""
        until = f"{end.year}年{end.month}月{end.day}日"
        if notice.expired_on(catalog.today):
            return f"{notice.quoted_title}的实施期已于{until}结束。"
        start = notice.effective_from
        since = f"自{start.year}年{start.month}月{start.day}日起，" if start else ""
        return f"{notice.quoted_title}目前仍在有效期内（{since}至{until}）。"

    def _clause(self, explicit: list[Hit], hits, catalog: Catalog, query: Query) -> Answer:
        by_notice = list({h.notice.doc_id: h for h in explicit}.values())
        if len(by_notice) > 1:  # "第十四条讲了什么": each notice has a （十四）; ask which
            options = "；".join(f"{h.notice.region}{h.unit.label}{h.unit.heading}" for h in by_notice)
            return Answer("clarify", f"请问是哪个地区的文件？{options}。可以说“{by_notice[0].notice.short_region}"
                                     f"{by_notice[0].unit.label}”。",
                          citations=[Citation.from_unit(h.unit, h.notice) for h in by_notice], hits=hits)
        same = list({h.unit.unit_id: h for h in explicit}.values())
        if len(same) > 1:  # "（二）" where every section has one: ask which section
            options = "；".join(f"{h.unit.label}{h.unit.heading}" for h in same)
            return Answer("clarify", f"这份文件有几处{same[0].unit.label.split('、')[-1]}，请问是哪一处？{options}。",
                          citations=[Citation.from_unit(h.unit, h.notice) for h in same], hits=hits)
        hit = explicit[0]
        item = _item_named(hit.unit, query.item_refs)
        if item is None:
            return self._compose([_Choice(hit, 1.0, 1.0, [hit.unit.text], True)], hits, catalog)
        part = hit.unit.text[item.start:item.end]  # 第六条第（三）项: that item, cited by its path
        said = sentences(part)
        starts = [item.start + at for at in _offsets(part, said)]
        return self._compose([_Choice(hit, 1.0, 1.0, said, True, starts)], hits, catalog)

    def _no_figure(self, choice: _Choice, hits, catalog: Catalog, query: Query) -> Answer:
        unit, notice = choice.unit, choice.notice
        what = "利率或比例" if query.units and "%" in query.units and "元" not in query.units else "具体的金额或标准"
        # (what it says, without figures on other things: "没有写明" beside "每户每月可提取1200元" misleads)
        said = "".join(focus(s, query) for s in choice.sentences if not _amounts(s))
        text = (f"{notice.quoted_title}{unit.label}涉及这方面内容（“{unit.heading or choice.sentences[0]}”），"
                f"但没有写明{what}{'：' + said if said else '。'}")
        ask = f"{'、'.join(unit.departments)}，或拨打12345政务服务便民热线" if unit.departments else "12345政务服务便民热线"
        text += f"\n具体标准可咨询{ask}。"
        return Answer("not_found", text, citations=[Citation.from_unit(unit, notice)], hits=hits,
                      notes=catalog.notes(notice))

    def _other_place(self, query: Query, hits, catalog: Catalog) -> Answer:
        places = "、".join(query.unknown_places)
        return Answer("not_found", f"目前没有收录{places}的政策文件，无法回答{places}的问题。"
                                   f"已收录的地区有：{catalog.regions_text()}，可以问这些地区的补贴、奖励标准和办理部门。"
                                   f"{places}的政策{NEXT_STEP}", hits=hits, library=(catalog.regions_text(),))

    @staticmethod
    def _foreign_terms(query: Query, catalog: Catalog, scope: tuple[str, ...] = ()) -> list[str]:
        """Topic words (whole words: 实验室, not 实验) that no notice in scope uses but another notice
        does: the topic is theirs. `scope`: these notices instead of the query's named region."""
        if not scope and (not query.doc_ids or not query.scope_from):
            return []
        scope = scope or query.doc_ids
        if not catalog.texts:
            return []
        out = []
        asked = query.own_text or query.question
        # the asker's story ("营业执照办下来一年多了，一次性创业补贴能领多少") is no topic when what is asked
        # has one the scope uses
        story = set(query.story) if any(_in_notices(catalog, t, scope) for t in query.topic
                                        if t not in query.story) else set()
        for w in query.words:
            if w in story or _in_notices(catalog, w, scope) or not catalog.mentions(w):
                continue  # 技改 in scope as 技术改造 is in scope
            if any(w in k and k in asked and _in_notices(catalog, k, scope) for k in SYNONYMS):
                continue  # 家庭 of 家庭农场 (cut 家庭|农场), which scope says as 农业经营主体
            parts = [p for p in tokenize(w, hmm=False) if p != w and len(p) >= 2 and catalog.mentions(p, scope)]
            # 外贸企业 = 外贸 + 企业, used together in scope: a way of saying it
            if not _covers(w, parts) or not catalog.together(w, parts, scope):
                out.append(w)
        return out

    def _elsewhere(self, query: Query, best: _Choice, catalog: Catalog, scope: tuple[str, ...] = ()) -> bool:
        """The scope's best unit shares only lesser words with the question, and the word that is
        missing is one other regions' notices use ("重点实验室" asked of a region that has none).
        Asked of a region outright, the unit must also name few of the things the question names; then a
        missing thing other notices have means not covered. (A word no notice has is more often a
        colloquialism or a segmentation slip — 小轿车, 5G工厂|区里 — than a topic: it decides nothing.)"""
        if not query.follow_up and not scope:
            names = _names(query)
            if not names or coverage(names, f"{best.unit.heading}{best.unit.text}", partial=False) >= NAMES_MIN:
                return False
            return bool(self._foreign_terms(query, catalog, scope))
        foreign = self._foreign_terms(query, catalog, scope)
        if not foreign:
            return False
        text = f"{best.unit.heading}{best.unit.text}".lower()
        shared = [term_weight(t) for t in dict.fromkeys(query.topic + query.context) if mentions(text, t)]
        return max(term_weight(t) for t in foreign) >= max(shared, default=0.0)

    @staticmethod
    def _told_in_own_words(query: Query, best: _Choice, catalog: Catalog) -> bool:
        """The asker's story in words no notice uses ("我看中一台12万的，顺便把老面包车报废掉") says nothing
        for or against a unit: judged without them, the best unit covers the question and names a thing
        it asks about. (Words of what is asked always count: "公积金贷款利率是多少" is not about 贷款.)"""
        terms = list(query.topic) or list(query.context)
        known = [t for t in terms if t not in query.story or _in_notices(catalog, t)]
        if not known or len(known) == len(terms):
            return False
        text = f"{best.unit.heading}{best.unit.text}"
        names = [w for w in query.words if w in known and w not in query.story]  # the things asked about
        if not any(w not in query.story for w in query.words):  # "…改成客栈，改造面积350平，能补多少": the story names them
            names = [w for w in query.words if w in known]
            if len(names) < 2:  # …by two things at least: one shared word (游客 of a 游艇 story) is no topic
                return False
        return coverage(known, text) >= KNOWN_WORDS_BELOW and bool(names) and coverage(names, text, partial=False) > 0

    def _not_covered(self, query: Query, hits, catalog: Catalog) -> Answer:
        where = "、".join(query.regions_named) or catalog.regions_text()
        body = f"没有在{where}的政策文件中找到与这个问题相关的规定。"
        foreign = self._foreign_terms(query, catalog)
        if foreign:
            others = [n.region for d, n in catalog.notices.items() if d not in query.doc_ids
                      and catalog.in_force(d) and any(catalog.mentions(t, (d,)) for t in foreign)]
            if others:
                body += f"{'、'.join(dict.fromkeys(others[:REGION_HINT_MAX]))}的政策文件中有相关内容，可以问那里的规定。"
        return Answer("not_found", f"{body}可以换个说法再问，或{NEXT_STEP}", hits=hits, library=(where,))

    # -- writing it out -------------------------------------------------------------------------------
    def _compose(self, picked: list[_Choice], hits: list[Hit], catalog: Catalog, lead: str = "",
                 several_label: bool | None = None, query: Query | None = None) -> Answer:
        lines, citations = [], []
        several = len({c.notice.doc_id for c in picked}) > 1 if several_label is None else several_label
        for c in picked:
            unit, notice = c.unit, c.notice
            said: set[str] = set()
            quote = "".join(self._with_headers(c, k, focus(s, query) if query else s, said)
                            for k, s in enumerate(c.sentences))
            quote = quote[len(unit.label):] if unit.clause and quote.startswith(unit.label) else quote
            same_region = sum(1 for x in picked if x.notice.region == notice.region) > 1
            prefix = f"{notice.region}{'（' + notice.version + '）' if same_region and notice.version else ''}：" \
                if several else ""
            path = self._path(c)
            item = unit.item_at(c.starts[0]) if path and c.starts else None
            if item is not None and item.path == path and quote.startswith(item.label):
                quote = quote[len(item.label):]  # "（十六）3.：3.对新建…" says its number once
            lines.append(f"{prefix}根据{notice.quoted_title}{path or unit.label}：{quote}")
            cite = Citation.from_unit(unit, notice, path=path)
            if cite not in citations:
                citations.append(cite)
        if lead:
            lines.insert(0, lead)
        notes = catalog.notes_for_all(c.notice for c in picked)
        for c in picked:  # a clause whose own period has ended ("2026年6月1日至2026年10月31日期间")
            ended = clause_ended(self._path(c) or c.unit.label, c.sentences, catalog.today, c.notice.doc_id)
            if ended is not None and ended not in notes:
                notes.append(ended)
        return Answer("answered", "\n".join(lines), citations=citations, hits=hits, notes=notes)

    @staticmethod
    def _with_headers(choice: _Choice, k: int, text: str, said: set[str]) -> str:
        """A quoted sentence with the item headers it depends on, each once in the quote."""
        if k >= len(choice.starts):
            return text
        before = "".join(choice.sentences[:k])
        sents = sentences(choice.unit.text)
        at = sents.index(choice.sentences[k]) if choice.sentences[k] in sents else -1
        j = _lead_index(choice.unit, sents, _offsets(choice.unit.text, sents), at) if at > 0 else None
        lead = [] if j is None else [sents[j]]
        heads = [h for h in dict.fromkeys(lead + item_headers(choice.unit, choice.starts[k], choice.sentences[k]))
                 if h not in before and h not in said and h != choice.sentences[k]]  # a lead that is its item's header: once
        said.update(heads)
        return "".join(heads) + text

    @staticmethod
    def _path(choice: _Choice) -> str:
        """The finest citation that holds every quoted sentence: an item's path, else the unit's label."""
        unit = choice.unit
        if not unit.items or not choice.starts:
            return ""
        found = {unit.item_at(s) for s in choice.starts}
        if len(found) != 1 or None in found:
            return ""
        return next(iter(found)).path


__all__ = ["ExtractiveAnswerer", "coverage", "has_figure", "sentences", "term_weight", "variants"]
