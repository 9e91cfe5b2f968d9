"""Understanding a turn, once: what is asked (intent), about what (topic terms, sub-questions), for
which notices (regions, version), with which figures (a premise to check, the asker's conditions),
and what the conversation so far carries into it.

    query = understand("那金东呢？", history, catalog)

The result is a `Query`; retrieval and the answerer read its fields and never parse the question
again. The conversation's earlier user turns are understood in order and folded into a
`Conversation` (topic, region, version), so a follow-up that names only a region keeps the topic,
one that names only a new topic keeps the region, and a refused place stays refused.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from .catalog import Catalog
from .keywords import STOPWORDS, SYNONYMS, tokenize
from .metadata import division_codes, within_region
from .numbers import extract_amounts, normalize_numerals
from .parsing import CN_NUMERAL, clause_number
from .segmenter import jieba, pos_tag
from .types import RESTART_BASE, Amount, Conversation, Message, Notice, Query

# ---------------------------------------------------------------------------------------- words --
# 第十四条 / 第14条 / 十四条 / （十四） / (14) / 第十四项; an item inside one: 第六条第（三）项, （十六）第3项
CLAUSE_REF = re.compile(rf"第\s*[（(]?\s*(?P<a>[{CN_NUMERAL}\d]{{1,6}})\s*[）)]?\s*(?P<kind>[条项款目])"
                        rf"|(?<![{CN_NUMERAL}\d])(?P<b>[{CN_NUMERAL}\d]{{1,6}})\s*条"
                        rf"|[（(]\s*(?P<c>[{CN_NUMERAL}\d]{{1,6}})\s*[）)]")
ITEM_JOIN = re.compile(r"\s*[的之中里]?\s*")  # between a clause and its item: （十六）的第3项
# The section a clause reference is under: "第三部分的（四）", "三、（四）", "第三章第二节…"
SECTION_REF = re.compile(rf"第\s*([{CN_NUMERAL}]{{1,4}})\s*(?:部分|章|篇)[的里中]?\s*$|(?<![{CN_NUMERAL}])([{CN_NUMERAL}]{{1,4}})、\s*$")
# Places that name no single notice's region and need no refusal.
GENERIC_PLACES = frozenset({"中国", "全国", "国家", "浙江", "浙江省", "省", "市", "区", "县", "本地", "当地",
                            "国内", "长三角", "四省边际", "华东", "我市", "本市", "我区", "本区", "我县", "本县"})
# Development zones and ports inside a region (金义新区) are not other regions.
# a county's name without its suffix that is more common than this in jieba's dictionary is an everyday
# word first (新建 1000, 江山 1224, 长安 5355; 萧山 63, 昌平 171, 樊城 165)
EVERYDAY_WORD_FREQ = 500
TOWN_SUFFIXES = ("镇", "乡", "街道")
AREA_SUFFIXES = ("新区", "园区", "片区", "开发区", "港区", "产业园")
# A follow-up leans on the previous question: "那燃油车呢？", "还有呢", "如果是二手车".
FOLLOW_UP = re.compile(r"^(那|那么|那要是|还有|另外|再问|如果是|要是|换成|同样|这个|那个|它|这项|该)|"
                       r"(呢|还有吗|也有吗|也是吗|一样吗)[？?。！!]*$")
# Words that ask about "it" without naming a topic: "最多能拿多少", "补贴标准呢", "怎么申请".
ASKING_WORDS = frozenset("拿 领 补 给 奖 发 享受 申请 补贴 补助 奖励 标准 金额 条件 要求 办理 能拿 能领 最高 上限 "
                         "怎么办 多久 期限 时间 流程 最多能 最高能 一共 总共 部门 负责 找 谁 管 单位 材料 "
                         "办 哪个 去 联系 咨询 钱 多少钱 能补 能奖 满足 符合 达到 需要 资格 门槛 牵头 归 事 "
                         "优惠 支持 政策 规定".split())

# Questions about the notice itself, by the field they ask for.
ASKS_FIELD = (
    ("doc_number", re.compile(r"文号|发文字号|字号|文件号|发文号")),
    ("published", re.compile(r"(?:哪天|哪一天|什么时候|何时|哪年|几号|日期|时间)[^，。？]{0,6}(?:印发|发布|出台|下发|发文|签发|发的|发出)"
                             r"|(?:印发|发布|出台|下发|发文|成文)[^，。？]{0,4}(?:日期|时间|哪天|什么时候|何时)")),
    ("issuer", re.compile(r"发文(?:单位|机关)|(?:谁|哪个部门|哪个单位|哪级政府)(?:发布|印发|出台|制定)的?")),
    ("repeals", re.compile(r"(?:废止|作废|取代|替代)了?(?:哪个|哪份|哪些|什么)|(?:哪个|哪份|哪些|什么|原来的?)[^，。？]{0,8}(?:废止|作废)")),
    ("interpreter", re.compile(r"(?:谁|哪个部门|哪个单位)[^，。？]{0,4}(?:负责)?解释|解释权|负责解释")),
    ("title", re.compile(r"(?:文件|政策|通知)的?(?:全称|名称|标题)|叫什么(?:名字)?")),
)
# Intents, tried in this order; the first that matches wins (a clause lookup needs no topic).
ASKS_VALIDITY = re.compile(r"还有效|有效期|是否有效|有效吗|仍然?有效|失效|过期|到期|实施期|期限|还能申请|现在还(?!有)|"
                           r"正式文件|正式发布|正式的|正式出台|出台了吗|发布了吗|印发了吗|定稿|最终(?:定|版|的|确定)|(?<!认)定下来|征求意见|哪一年实施|什么时候实施|哪年实施|什么时候开始|"
                           r"什么时候截止|截止到?(?:哪天|什么时候|几号|何时)|截至(?:哪天|什么时候)|最后期限|废止|作废|"
                           r"(?:什么时候|何时|哪天|哪一天|几号|几月)(?:结束|截止|到期|为止|停止)|到(?:什么时候|何时|哪天)为?止?$")
ASKS_DEADLINE = re.compile(r"截止|截至|最后期限|最晚|到哪天|哪天前")
ASKS_WHO = re.compile(r"哪个部门|哪些部门|什么部门|哪个单位|哪家单位|找谁|找哪|谁负责|谁管|哪里管|归谁|由谁|"
                      r"主管部门|负责部门|责任单位|谁牵头|哪个部门牵头|牵头部门|牵头单位|哪个局|向谁|问谁|联系谁")
ASKS_HOW = re.compile(r"怎么申请|如何申请|怎样申请|怎么申报|如何申报|怎么办理|如何办理|怎么领|如何领|怎么拿|"
                      r"(?:去|在|到)哪(?:里|儿)?(?:申请|申报|办理|办|领|报(?![销道告])|弄|交)|"
                      r"(?:什么|啥)(?:时候|时间)(?:能|可以|才能|去)?(?:申请|申报|申领|报名|报(?![销道告])|办理|办)|哪里(?:申请|申报|办理|领取)|申请流程|办理流程|申报流程|需要(?:什么|哪些)材料|申请材料|"
                      r"怎么兑现|如何兑现|在哪申请|手续|怎么申领|如何申领|怎么报名|(?:怎么|如何|怎样)报(?![销道告])|"
                      r"(?:要|需要|得)(?:交|提交|准备)(?:什么|哪些|啥)材料")
ASKS_LIST = re.compile(r"有哪些|哪些|都有什么|有什么(?:补贴|补助|奖励|政策|支持|优惠|措施)|有几种|几类|分别|列一下|"
                       r"列出|所有的?|都有啥|有啥(?:补贴|补助|奖励|政策|支持|优惠)")
ASKS_FIGURE = re.compile(r"多少|几[万千百个家项人条所座]?|最高|最多|最低|上限|标准|金额|额度|比例|多大|多高|多久|"
                         r"补多少|奖多少|给多少|能拿|能领|能得|能补|能奖|钱|预算|资金|规模|目标|达到|分别")
ASKS_MONEY = re.compile(r"补多少|奖多少|补贴|补助|奖励|资助|奖金|钱|能补|能奖|多少万|资金|经费|保费")
ASKS_COUNT = re.compile(r"几[个家项人条所座类张台件辆次套批场名户]|多少[个家项人条所座类张亩吨公里套辆场台件次批名户]")
# The measure word a count is asked in, and the ones that count the same things: 几台 is answered by
# 3件 (goods), not by 12类 (categories) or 1次 (times).
COUNT_KINDS = ("台件个套辆部只", "类种", "次回", "人名位", "家户", "项条", "张", "批", "场", "所座")
ASKS_YES_NO = re.compile(r"吗[？?]?$|吧[？?]?$|能不能|可不可以|是不是|有没有|对不对|对吗|是吗")
# several benefits together: their sum or cap, or whether one may have them all
ASKS_TOTAL = re.compile(r"加起来|加在一起|合起来|累计(?:多少|最多|最高|上限|有没有)|总共(?:上限|封顶)|叠加|同时(?:享受|申请|拿|领)"
                        r"|重复(?:享受|申请|拿|领)|一起(?:享受|拿|领)")
ASKS_WHEN = re.compile(r"(?:什么|啥)(?:时候|时间)|几月|哪个月|几号|哪天|多久")
ASKS_WHERE = re.compile(r"哪里|哪儿|什么地方|在哪|去哪|哪个(?:网站|平台|窗口|APP|app|系统)|什么(?:平台|渠道|系统)|网上|线上")
# "多少" with no measure word after it: an amount ("最高多少"), not a duration or a count ("多少年", "多少人")
AMOUNT_UNITS = ("元", "美元", "%")  # what a bare 多少 asks for
BARE_HOW_MUCH = re.compile(r"多少(?![年天亩平个家项人条所座类张台件辆次套批场名户倍]|个月|钱)")
ASKS_HOW_MUCH = re.compile(r"多少|几[万千百个家项人条所座类张]?|标准|比例|额度|金额")
ASKS_CLAUSE = re.compile(r"讲了?什么|说了?什么|写了?什么|内容|是什么|讲的啥|说的啥|原文|全文|怎么规定|如何规定|规定了?(?:什么|啥|哪些)"
                         r"|有(?:什么|何|哪些)规定|具体规定")
# A figure the asker states to have it confirmed: "补贴是2万吧", "能补2万吗", "奖励有5万对吗".
PREMISE_BEFORE = re.compile(r"(?:补贴|补助|奖励|资助|奖补|奖金|补|奖|给|拿|领|发|是|有|为)\s*(?:了|到|能|可以)?\s*$")
PREMISE_WINDOW = 6
# …but not one the asker tells as already received: "已经拿了13万", "奖过10万", "曾领取过"
TOLD_DONE = re.compile(r"(?:已经?|曾经?)[^，。？！?!]{0,4}$|过\s*$")
# …or right before one, at the end of the question ("是按最低工资标准的60%发吧？")
PREMISE_AFTER = re.compile(r"\s*(?:发放|发|补贴|补助|奖励|补|给|奖)\s*(?:吧|吗|嘛|么|呢)?\s*[？?。！!]*\s*$")
PER_ONE_ASKED = re.compile(r"[\u4e00-\u9fff]?(?:能|可以|可|都)?(?:给|补|奖|发|拿|领|多少|几)")
# Words that only shape the intent; they are not what the question is about.
INTENT_WORDS = frozenset("文号 发文 字号 印发 发布 出台 下发 日期 哪天 全称 名称 标题 解释 废止 作废 "
                         "部门 单位 负责 找 谁 管 申请 申报 办理 流程 材料 手续 兑现 领取 办 咨询 联系 哪个 哪里 "
                         "有效 有效期 失效 过期 到期 期限 废止 版 年版 版本 内容 原文 全文 讲 讲了 说 写 列 列出 "
                         "哪些 分别 种 类 年 月 日 年度 牵头 归 事 满足 符合 资格 门槛 "
                         "比例 比率 封顶 额度 上限 金额 标准 多久 多长 期限 现在 目前 如今 "
                         "加起来 加 起来 合起来 加在一起 叠加 累计 同时 重复 一起 有没有 "
                         "最终 定 下来 正式 出台 定稿 截止 截至 结束 为止".split())
# When the asker will do something ("明年开春买", "今年年底前"): the asker's plan, not a topic the notice words
WHEN_WORD = re.compile(r"^(?:今年|去年|明年|前年|后年|年底|年初|年末|年中|年内|月底|月初|月中|[上下这本]个?月|开春|春节|"
                       r"节前|节后|年前|年后|最近|近期|马上|[上下]半年|今天|明天|后天|近日|日前|过完年|[前后]|底)+$")
# a follow-up asking whether the figure just given holds for the asker too
SAME_FIGURE = re.compile(r"(?:这个|这么|同样的?|一样的?)(?:数|数字|标准|金额|额度|钱|多)|一样多|也是这些|也一样")
# What kind of figure answers: a rate must be a %, a duration a time, an area an area.
ASKS_UNITS = [
    (re.compile(r"利率|比例|比率|百分之|百分比|费率|贴息率|几成|占比|几个点"), ("%", "个百分点")),
    (re.compile(r"多久|多长时间|几年|几个月|多少年|多少天|几天|期限多长|几个工作日"),
     ("年", "个月", "月", "日", "天", "工作日")),
    (re.compile(r"多少亩|几亩|面积多大|多少平方|多大面积"), ("亩", "平方米", "平方公里")),
]
CONTRAST = re.compile(r"^(那|那么|那要是|换成|如果是|要是)|呢[？?。！!]*$")
HALF = re.compile(r"一半|半数")
# How many children a family has, as notices count them: "三个娃", "两个孩子" → 三孩, 二孩.
CHILDREN = re.compile(r"([2-4二两三四])个(?:娃|孩子|小孩|宝宝)")
PEOPLE = re.compile(r"(\d+)个人(?!创业者|所得|消费者|账户|名下|信息)")
CHILD_ORDINAL = {"2": "二", "二": "二", "两": "二", "3": "三", "三": "三", "4": "四", "四": "四"}
PER_WORD = re.compile(r"^每[\u4e00-\u9fff]?$")  # 每辆, 每件, 每人: the per-unit of the figure asked, not a topic
NOUN_FLAGS = ("n", "l")  # jieba's tags for nouns (n, ns, nt, nz…) and set phrases (not verbal nouns: 免费)
# a question about each of two things: "首套和二套最低首付分别是几成", "A、B各补多少"
EACH = re.compile(r"分别|各自|各(?:是|为|补|奖|给|能|可以|多少|几)")
JOINED = re.compile(r"和|与|跟|及|、|还有|以及")
SUB_QUESTION = re.compile(r"[？?；;。！!]|，(?=[^，]*(?:多少|几|哪些|什么))")
# A piece that asks something; a piece that does not is the asker's situation, read with what follows.
ASKS = re.compile(r"多少|几|哪|什么|啥|吗|么|怎|如何|是否|能否|可否|有没有|是不是|能不能|可不可以|呢|谁|多久|多长|多大|多高"
                  r"|有[^，。？?]{0,10}没有?\s*$")  # "有补贴没"
NUMERIC = re.compile(r"^[\d.%万千百亿元]+$|^[零一二两三四五六七八九十百千万亿个]+$|^(?:几|多少)[\u4e00-\u9fff]?$")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Versions: 2024年版 / 2024版 / 2024年的政策; 去年 / 今年 / 前年 (from the date the question is asked).
VERSION_YEAR = re.compile(r"(20\d{2})\s*年?\s*(?:版|的(?:政策|文件|版本|规定|标准))")
ASKS_BOUND = (("max", re.compile(r"最多|最高|最长|最久|上限|封顶|不超过|顶多|最大")),
              ("min", re.compile(r"最少|最低|最短|至少|起码|下限")))
# a question naming a version that asks about the one in force too ("新的管到什么时候")
NEWER_TOO = re.compile(r"新的|新版|新政策|现行的?(?:版本|政策)|最新的?(?:版本|政策)?|现在的(?:版本|政策)")
# a question about a change, not only the rule now: the figures a clause says it replaced are quoted too
ASKS_CHANGE = re.compile(r"原来|原先|原规定|原标准|原额度|以前|之前|调整前|变化|变了|调了|改了|涨了|降了|提高了多少|"
                         r"旧的|老的?(?:政策|标准|规定|额度)|新的|新规|新标准|新额度|新政策|按新|按老|按旧")
RELATIVE_YEAR = {"前年": -2, "去年": -1, "上一年": -1, "今年": 0, "本年度": 0}
RELATIVE_YEAR_RE = re.compile("|".join(RELATIVE_YEAR))
# … naming a version when it qualifies what is asked ("去年的家电补贴", "去年的政策", "去年补贴多少", "那去年呢"),
# not when it dates the asker's own story ("去年毕业的大学生", "去年销售额6000万")
VERSION_AFTER = re.compile(r"\s*(?:(?:出台|发布|印发|发)?的|版|政策|文件|规定|标准|办法|措施|通知|补贴|补助|奖励"
                           r"|那[版会]|是多少|多少|呢|[？?。！!]|$)")


# ---------------------------------------------------------------------------------- small readers --
def clause_refs(text: str) -> tuple[tuple[int, ...], tuple[tuple[int, int, str], ...]]:
    """Clause references as unit numbers, and the items named inside them.

    第十四条 → 14; "第三部分的（四）" / "三、（四）" → 3004 (the （四） of section 三 where numbering
    restarts) and 4 (where it runs on). An item right after its clause — 第六条第（三）项, 第十条第二款,
    （十六）第3项 — is (6, 3, "项"), (10, 2, "款"), (16, 3, "项"), and not a clause of its own."""
    clauses: list[int] = []
    items: list[tuple[int, int, str]] = []
    owner, owner_end = 0, -1  # the clause the next item may belong to, and where its reference ended
    for m in CLAUSE_REF.finditer(text):
        raw = m.group("a") or m.group("b") or m.group("c")
        if m.group("b") and raw in ("一", "1"):  # "一条政策" is not a reference to clause (一)
            continue
        n = clause_number(raw)
        if not n or n >= RESTART_BASE:
            continue
        follows = owner and ITEM_JOIN.fullmatch(text[owner_end:m.start()]) is not None
        if follows and (m.group("kind") in ("项", "款", "目") or m.group("c")):
            items.append((owner, n, m.group("kind") or "项"))
            owner_end = m.end()
            continue
        section = SECTION_REF.search(text[:m.start()])
        sec = clause_number(section.group(1) or section.group(2)) if section else None
        for number in ((sec * RESTART_BASE + n) if sec else None, n):
            if number and number not in clauses:
                clauses.append(number)
        owner, owner_end = n, m.end()
    return tuple(clauses), tuple(dict.fromkeys(items))


def clause_numbers(text: str) -> tuple[int, ...]:
    """The clauses a text refers to (see clause_refs)."""
    return clause_refs(text)[0]


@lru_cache(maxsize=65536)  # every alias of every notice is compared on each question naming a place
def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin  # its tables take 0.3 s to load: only for a place no notice names

    return "".join(lazy_pinyin(text))


def sounds_like_region(word: str, notices: list[Notice]) -> Notice | None:
    """A place name that is a homophone slip for a corpus region: 渠州 → 衢州."""
    key = _pinyin(word)
    return next((n for n in notices for a in n.region_aliases if len(a) >= 2 and key.startswith(_pinyin(a))
                 and len(a) == len(word)), None)


def places_named(text: str, tagged: list | None = None) -> tuple[str, ...]:
    """The places the text names: a name of China's divisions written whole, however jieba tags it
    (来宾市 n, 岳麓区 nr, 和县); a division's name without its suffix that jieba reads as a place (杭州, 樊城)
    unless it is also an everyday word (新建 of 新建区, 江山, 长安: more common in jieba's dictionary
    than a county's name is); a district or county after the city it is in (绵阳市游仙区); a town (西江镇).
    Not every word jieba tags as a place: 开春, "2台国四的…" (台国) name none. `tagged`: the text's
    pos_tag, when the caller has it."""
    out = []
    previous = ""
    jieba.dt.check_initialized()
    tagged = [(w, f) for w, f in (pos_tag(text) if tagged is None else tagged)]
    for k, (word, flag) in enumerate(tagged):
        after = tagged[k + 1][0] if k + 1 < len(tagged) else ""
        if after in ("区", "县", "市", "旗") and division_codes(word + after)[1]:
            word, flag = word + after, "ns"  # 襄州/区: the name written whole, cut in two
        district = previous.startswith("ns") and len(word) >= 3 and word.endswith(("区", "县"))
        previous = flag
        if word in GENERIC_PLACES or len(word) < 2 or word.endswith(AREA_SUFFIXES):
            continue
        codes, whole = division_codes(word)
        if whole and (len(word) >= 3 or flag.startswith("ns")):
            out.append(word)
        elif codes and flag.startswith("ns") and (any(c.endswith("00") for c in codes)
                                                  or (jieba.dt.FREQ.get(word) or 0) < EVERYDAY_WORD_FREQ):
            out.append(word)
        elif district or (flag.startswith("ns") and len(word) >= 3 and word.endswith(TOWN_SUFFIXES)):
            out.append(word)
    return tuple(dict.fromkeys(out))


def unknown_places(named: tuple[str, ...], aliases: set[str], regions: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The places named (`places_named`) that no notice in the corpus covers: neither a region's name nor a
    place inside one (金台区 in 宝鸡市)."""
    return tuple(p for p in named if not any(p in a or a in p for a in aliases)
                 and not any(within_region(p, r) for r in regions))


def places_inside(named: tuple[str, ...], notices: list[Notice]) -> tuple[str, ...]:
    """The notices whose region holds a place named (金台区 → 宝鸡市's)."""
    return tuple(n.doc_id for n in notices if any(within_region(p, n.region) for p in named))


def strip_regions(text: str, aliases: set[str]) -> str:
    for alias in sorted(aliases, key=len, reverse=True):
        text = text.replace(alias, " ")
    return text


def only_regions(question: str, aliases: set[str]) -> bool:
    """The question is just a region name ("衢州", "金东区的呢"): an answer to "哪个地区？"."""
    rest = strip_regions(question, aliases)
    return rest != question and not re.sub(r"[\W_的呢吧啊呀是那那么还有]", "", rest)


def topicless(question: str, aliases: set[str] = frozenset()) -> bool:
    """The question names no topic of its own (only asking words, places): it must lean on the last
    one, or be asked back."""
    return all(t in ASKING_WORDS for t in topic_terms(question, aliases))


def topic_terms(text: str, aliases: set[str]) -> tuple[str, ...]:
    """The words a question is about: no clause references, region names, figures or intent words."""
    tokens = _rejoin(tokenize(strip_regions(CLAUSE_REF.sub(" ", text), aliases), hmm=False))
    return tuple(t for t in dict.fromkeys(tokens) if not any(t in a for a in aliases)
                 and not NUMERIC.match(t) and t not in INTENT_WORDS and not PER_WORD.match(t) and not WHEN_WORD.match(t))


def _rejoin(tokens: list[str]) -> list[str]:
    """Two single characters that together are a known way of saying something (补 + 帖 → 补帖, a typo
    for 补贴): segmentation without coined words splits what it does not know."""
    out: list[str] = []
    for tok in tokens:
        if out and len(out[-1]) == 1 and len(tok) == 1 and out[-1] + tok in SYNONYMS:
            out[-1] += tok
        else:
            out.append(tok)
    return out


def topic_words(text: str, aliases: set[str]) -> tuple[str, ...]:
    """The things the topic names, as whole words (precise segmentation, no coined words; nouns and
    set phrases, not verbs): 重点/实验室, 公交, 以旧换新."""
    words = pos_tag(strip_regions(CLAUSE_REF.sub(" ", text), aliases), HMM=False)
    return tuple(dict.fromkeys(w.lower() for w, flag in words if flag.startswith(NOUN_FLAGS) and len(w) >= 2
                               and CJK.search(w) and w not in STOPWORDS and w not in ASKING_WORDS
                               and w not in INTENT_WORDS and not NUMERIC.match(w)))


def _parts(text: str, aliases: set[str], own: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], ...],
                                                                       tuple[tuple[str, ...], ...]]:
    """The sub-questions' topic terms, and the kinds of figure each asks for. A sub-question that adds
    no topic word of its own ("…，能拿多少研发补助" after "…研发统计") is the same question asked
    again, not another one — unless it asks another kind of figure ("最高多少，能贷几年": an amount,
    then years, of the same loan)."""
    parts: list[tuple[str, ...]] = []
    kinds: list[tuple[str, ...]] = []

    def add(piece: str) -> None:
        terms = topic_terms(piece, aliases)
        pair = _each_of(piece, terms) if EACH.search(piece) else None
        if pair and set(terms) & set(own):  # "首套和二套最低首付分别是几成": one sub-question for each
            for drop in reversed(pair):
                parts.append(tuple(t for t in terms if t != drop))
                kinds.append(_asked_units(piece))
            return
        new = [t for t in terms if t not in ASKING_WORDS and not any(t in q for q in parts for q in q)]
        asked = _asked_units(piece)
        if terms and set(terms) & set(own) and new:
            parts.append(terms)
            kinds.append(asked)
        elif parts and asked and kinds[-1] and not set(asked) & set(kinds[-1]):
            parts.append(parts[-1])
            kinds.append(asked)

    pending = ""
    for piece in SUB_QUESTION.split(text):
        if not ASKS.search(piece) and piece.strip():
            pending += piece + "，"  # the asker's situation ("我是硕士，…还没买房，"): read with what it asks
            continue
        add(pending + piece)
        pending = ""
    if pending:  # nothing after it asks: the question asks as a whole ("…的补贴标准。")
        add(pending)
    return tuple(parts), tuple(kinds)


def _each_of(piece: str, terms: tuple[str, ...]) -> tuple[str, str] | None:
    """The two things a question asks about each of ("首套和二套…分别", "拖拉机跟收割机各补多少"): the
    topic terms right before and right after the 和 joining them."""
    for m in JOINED.finditer(piece):
        before, after = piece[:m.start()], piece[m.end():]
        left = max((t for t in terms if before.endswith(t)), key=len, default="")
        right = max((t for t in terms if after.startswith(t)), key=len, default="")
        if left and right and left != right:
            return left, right
    return None


def _story(text: str, aliases: set[str]) -> tuple[str, ...]:
    """The topic terms of the pieces that ask nothing ("我看中一台12万的，顺便把老面包车报废掉") and not of
    those that ask: the asker's situation, told in their own words."""
    pieces = SUB_QUESTION.split(text)
    told = " ".join(p for p in pieces if p.strip() and not ASKS.search(p))
    asked = " ".join(p for p in pieces if ASKS.search(p))
    if not told or not asked:
        return ()
    in_ask = set(topic_terms(asked, aliases))
    return tuple(t for t in topic_terms(told, aliases) if t not in in_ask)


def _asked_units(piece: str) -> tuple[str, ...]:
    """The kinds of figure one sub-question asks for: a rate, a duration, an area; an amount for a bare
    多少 ("最高多少"); () when it does not say."""
    units = tuple(u for pattern, kinds in ASKS_UNITS if pattern.search(piece) for u in kinds)
    return units or (AMOUNT_UNITS if BARE_HOW_MUCH.search(piece) else ())


def _district_elsewhere(question: str, notices: list[Notice], doc_ids, places) -> tuple[str, ...]:
    """金华婺城区 / 金华市兰溪市: a city that a notice's region belongs to is named (金华 → 金东区's
    notice), but with another district or county in it. Returns those places."""
    districts = [p for p in places if p.endswith(("区", "县", "市")) and len(p) >= 3]
    by_parent = [n for n in notices if n.doc_id in doc_ids and n.region.endswith(("区", "县"))
                 and not any(a in question for a in n.region_aliases
                             if a.endswith(("区", "县")) or len(a) == 2 and a not in n.region[:3])]
    return tuple(districts) if districts and len(by_parent) == len(doc_ids) else ()


def _compound(question: str, place: str, catalog: Catalog) -> str:
    """中欧班列, 长三角一体化: a place name that begins a longer term the notices use is part of a topic,
    not a region asked about. Returns that term, or ""."""
    at = question.find(place)
    if at < 0 or not catalog.texts:
        return ""
    rest = jieba.lcut(question[at + len(place):], HMM=False)
    if not rest or not CJK.match(rest[0]):
        return ""
    term = place + rest[0]
    return term if catalog.mentions(term.lower()) else ""


def asked_fields(question: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in ASKS_FIELD if pattern.search(question))


def _intent(question: str, own_topic: tuple[str, ...], clauses: tuple[int, ...], premise) -> str:
    if clauses and (not own_topic or ASKS_CLAUSE.search(question)):
        return "clause_lookup"
    if asked_fields(question):
        return "metadata"
    if ASKS_VALIDITY.search(question):
        return "validity"
    if ASKS_WHO.search(question):
        return "who"
    if ASKS_HOW.search(question):
        return "how_to_apply"
    if ASKS_LIST.search(question):
        return "list"
    if premise or ASKS_YES_NO.search(question):
        return "yes_no"
    if ASKS_FIGURE.search(question):
        return "figure"
    return "about"


def _split_amounts(text: str, amounts: list[Amount], yes_no: bool) -> tuple[tuple, tuple]:
    """(conditions, premise): a figure right after a benefit word in a yes/no question, or right
    before one that ends it, is a premise to check ("补贴是2万吧", "是按…的60%发吧"); the others
    describe the asker's case ("投了50万", "3万平方米的商场")."""
    premise, conditions = [], []
    for a in amounts:
        before = text[max(0, a.start - PREMISE_WINDOW):a.start]
        if a.value == 1 and PER_ONE_ASKED.match(text, a.end):
            continue  # "一亩给多少", "一辆车能补多少": the rate asked for, not the asker's case
        premised = PREMISE_BEFORE.search(before) or PREMISE_AFTER.match(text, a.end)
        done = TOLD_DONE.search(before)  # "国家补贴已经拿了13万", "当时区里奖过10万": the asker's case
        (premise if yes_no and premised and not done else conditions).append(a)
    return tuple(conditions), tuple(premise)


def _version_years(text: str, today_year: int, versions: bool, aliases=()) -> tuple[int, ...]:
    """The versions asked for: 2024年版 (and "2024年版和2025年版") always; 去年/今年/前年 only where
    notices come in versions ("今年养老金…" asks about this year, not about a version), and only
    where it qualifies the policy or what is asked, or comes before a region's name ("前年吴江区…"),
    not where it dates the asker's story ("去年毕业的大学生")."""
    years = [int(m.group(1)) for m in VERSION_YEAR.finditer(text)]
    if not years and versions:
        years = [today_year + RELATIVE_YEAR[m.group()] for m in RELATIVE_YEAR_RE.finditer(text)
                 if VERSION_AFTER.match(text, m.end()) or text.startswith(tuple(aliases), m.end())]
    return tuple(dict.fromkeys(years))


# ------------------------------------------------------------------------------------ one turn --
def understand(question: str, history: list[Message], catalog: Catalog, *, region_doc_ids: tuple[str, ...] = (),
               search_text: str | None = None) -> Query:
    """The Query for a cleaned question after the conversation `history`.

    ``region_doc_ids``: notices an explicit region argument restricts to (a filter the caller
    chose; it wins over places in the question). ``search_text``: a standalone rewrite of the
    question (an LLM may condense the conversation); it replaces the follow-up merge for retrieval.
    """
    state = Conversation()
    for turn in [m.content for m in history if m.role == "user"]:
        state = _fold(_turn(turn, state, catalog), state, catalog)
    query = _turn(question, state, catalog, region_doc_ids=region_doc_ids, search_text=search_text)
    replies = [m.content for m in history if m.role == "assistant"]
    if query.follow_up and replies and (CONTRAST.search(question) if query.topic
                                        else set(query.units) - set(AMOUNT_UNITS)):
        # "那换购燃油车呢？" after the 新能源车 figure, "最多能发几年？" after the monthly sum: something
        # other than what was just said
        query = replace(query, said=tuple(extract_amounts(replies[-1])))
    return query


def _fold(q: Query, before: Conversation, catalog: Catalog) -> Conversation:
    named = q.scope_from in ("question", "argument")
    every_version = tuple(dict.fromkeys(v.doc_id for d in q.doc_ids for v in catalog.versions(d)))
    return Conversation(
        topic=(q.topic + tuple(t for t in q.context if t not in q.topic)) or before.topic,
        words=q.words or before.words,
        search_text=q.search_text,
        doc_ids=every_version if named or q.scope_from == "conversation" else before.doc_ids,
        regions=q.regions_named if q.scope_from else before.regions,
        unknown_places=q.unknown_places if (named or q.unknown_places) else before.unknown_places,
        version_year=q.version_year, intent=q.intent, conditions=q.conditions)


def _turn(question: str, state: Conversation, catalog: Catalog, *, region_doc_ids: tuple[str, ...] = (),
          search_text: str | None = None) -> Query:
    aliases = catalog.all_aliases()
    notices = list(catalog.notices.values())
    normalised = HALF.sub("50%", normalize_numerals(question))  # "超过价格的一半吗" compares with 50%
    normalised = CHILDREN.sub(lambda m: CHILD_ORDINAL[m.group(1)] + "孩", normalised)  # 三个娃 → 三孩
    normalised = PEOPLE.sub(r"\1人", normalised)  # "招了6个人": 6人, not the word 个人 (an individual)
    doc_ids, regions = catalog.named_in(question)
    tagged = pos_tag(question)
    named = places_named(question, tagged)
    if not doc_ids:  # "金台区公积金能贷多少": the notice of the city it is in
        doc_ids = places_inside(named, notices)
        regions = tuple(dict.fromkeys(catalog.notices[d].region for d in doc_ids))
    places = unknown_places(named, aliases, tuple(n.region for n in notices))
    compounds = tuple(c for c in (_compound(question, p, catalog) for p in places) if c)
    places = tuple(p for p in places if not any(c.startswith(p) for c in compounds))
    # a word jieba takes for a place that names no division may be a slip for a region's name (渠州 → 衢州)
    heard = [w for w, flag in tagged if flag.startswith("ns") and len(w) >= 2 and w not in places
             and w not in GENERIC_PLACES and not any(w in a or a in w for a in aliases)]
    slips = {p: sounds_like_region(p, notices) for p in (*places, *heard)}
    if any(slips.values()):  # 渠州 is read as 衢州
        found = [n for n in slips.values() if n]
        doc_ids = tuple(dict.fromkeys([*doc_ids, *(n.doc_id for n in found)]))
        regions = tuple(dict.fromkeys([*regions, *(n.region for n in found)]))
        places = tuple(p for p, n in slips.items() if not n and p in places)
    elsewhere = _district_elsewhere(question, notices, doc_ids, places) if doc_ids else ()
    if elsewhere:
        doc_ids, regions, places = (), (), elsewhere

    clauses, items = clause_refs(question)
    own = topic_terms(normalised, aliases | set(places))
    own += tuple(c for c in compounds if c not in own)
    had_turn = bool(state.search_text)
    # …or names no thing of its own ("最多能领几年？", "是一次性发吗？"): it is about the last one's
    follow = had_turn and (bool(FOLLOW_UP.search(question)) or bool(SAME_FIGURE.search(question))
                           or only_regions(question, aliases)
                           or topicless(question, aliases) or not own
                           or not (doc_ids or places or topic_words(normalised, aliases | set(places))))
    if topicless(question, aliases):
        own = ()  # "最多能拿多少", "补贴有多少": no topic of its own (the conversation's, or ask back)

    # scope: an explicit argument, else the places this turn names, else what the conversation named
    scope_from = ""
    if region_doc_ids:
        doc_ids, places, scope_from = region_doc_ids, (), "argument"
        regions = tuple(dict.fromkeys(catalog.notices[d].region for d in doc_ids))
    elif doc_ids or places:
        scope_from = "question"
    elif had_turn and (state.doc_ids or state.unknown_places):
        doc_ids, regions, places, scope_from = state.doc_ids, state.regions, state.unknown_places, "conversation"

    # topic: a follow-up keeps the conversation's topic as context for its own words
    context: tuple[str, ...] = ()
    words = topic_words(normalised, aliases | set(places)) if own else ()
    words += tuple(c for c in compounds if c not in words)
    text = search_text or normalised
    if follow and search_text is None:
        context = tuple(t for t in state.topic if t not in own)
        words += tuple(w for w in state.words if w not in words)
        own_text = strip_regions(normalised, aliases)
        text = f"{state.search_text} {own_text}".strip()
        if not clauses:
            clauses, items = clause_refs(state.search_text)
    search = strip_regions(text, aliases) if scope_from else text
    parts, part_units = _parts(normalised, aliases | set(places), own)
    story = _story(normalised, aliases | set(places))

    amounts = tuple(extract_amounts(normalised))
    yes_no = bool(ASKS_YES_NO.search(question))
    conditions, premise = _split_amounts(normalised, list(amounts), yes_no)
    if follow and not conditions and not premise:  # the asker's case said before still holds when this
        conditions = state.conditions             # turn tells nothing of it ("那区财政按多少的标准出这个钱？")
    intent = _intent(question, own, clauses, premise)
    if follow and state.intent and (intent == "about" or (not own and intent == "figure")):
        intent = state.intent  # "那金东呢？" after "…找哪个部门？", "那家电呢？" after "…补多少？": the same ask
    wants_figure = bool(ASKS_FIGURE.search(question)) or bool(amounts)
    if intent in ("who", "how_to_apply", "validity", "clause_lookup", "metadata"):
        wants_figure = False
    elif follow and state.intent == "figure" and SAME_FIGURE.search(question):
        wants_figure = True  # "我们是合作社，也是这个数吗？": the figure for them, to compare
    elif yes_no and not premise and not ASKS_HOW_MUCH.search(question):
        wants_figure = False  # "13个收费站间走高速要交钱吗": the answer may be a rule (免收通行费), not a figure
    elif follow and intent == "figure" and state.intent == "figure":
        wants_figure = True  # "那金东呢？" after a figure question
    money = bool(ASKS_MONEY.search(question) or (follow and ASKS_MONEY.search(state.search_text))) \
        and not ASKS_COUNT.search(question)

    # the kinds of figure that answer: a rate, a duration, an area, a sum — any of those asked; a
    # count asked ("几台") or nothing said lets any figure answer, except that a question asking
    # one count and nothing else is answered in that count's kind (几台: 3件, not 12类)
    units = tuple(u for pattern, kinds in ASKS_UNITS if pattern.search(question) for u in kinds)
    counts = ASKS_COUNT.findall(question)
    if len(counts) == 1 and not units and len(parts) <= 1:
        units = next((tuple(kind) for kind in COUNT_KINDS if counts[0][-1] in kind), ())
    if units and money:
        units += ("元", "美元")
    elif not units and money:
        units = AMOUNT_UNITS
    if units and any(_asked_units(p) == AMOUNT_UNITS for p in SUB_QUESTION.split(question)):
        units += tuple(u for u in AMOUNT_UNITS if u not in units)  # "最高多少，能贷几年": an amount besides the years
    pool = doc_ids or tuple(catalog.notices)
    years = _version_years(question, catalog.today.year, any(catalog.has_versions(d) for d in pool), aliases)
    if not years and follow and state.version_year is not None:
        years = (state.version_year,)
    version_year = years[0] if years else None
    scoped, version_found = catalog.scope(doc_ids, years) if (doc_ids or not places) else ((), True)
    if years and scoped and NEWER_TOO.search(question):  # "2024年版…还能用吗？新的管到什么时候？": both
        scoped = tuple(dict.fromkeys(scoped + catalog.scope(doc_ids, None)[0]))
    bound = next((name for name, pattern in ASKS_BOUND if pattern.search(question)), "")
    if not doc_ids and not places and set(scoped) == set(catalog.notices):
        scoped = ()  # every notice: no filter
    return Query(
        question=question, search_text=search, own_text=strip_regions(normalised, aliases).strip(), intent=intent,
        topic=own, context=context, words=words, parts=parts,
        part_units=part_units if len(parts) > 1 and len(set(part_units)) > 1 else (), story=story,
        doc_ids=scoped, regions_named=regions, unknown_places=places, clause_numbers=clauses, item_refs=items,
        asks_where=intent == "how_to_apply" and bool(ASKS_WHERE.search(question)),
        asks_when=intent == "how_to_apply" and bool(ASKS_WHEN.search(question)),
        asks_total=bool(ASKS_TOTAL.search(question)), asks_change=bool(ASKS_CHANGE.search(question)),
        asks_figure_too=intent == "who" and any(ASKS_FIGURE.search(p) and not ASKS_WHO.search(p)
                                                for p in SUB_QUESTION.split(question)),
        amounts=amounts, conditions=conditions, premise=premise, wants_figure=wants_figure, money=money,
        units=units, fields=asked_fields(question) if intent == "metadata" else
        ("deadline",) if intent == "validity" and ASKS_DEADLINE.search(question) else (),
        version_year=version_year, version_years=years, version_missing=bool(years) and not version_found,
        bound=bound,
        follow_up=follow, scope_from=scope_from, chinese=bool(CJK.search(question)))
