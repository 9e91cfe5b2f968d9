"""Figures in policy text and in questions, parsed and compared as values.

"Numbers are the product": 1.5万元 and 15000元 are the same figure, 85％ is 85%,
1.5万 is not 1.5千 and 20% is not 20元.  This module

* finds figures in text (`extract_amounts`),
* rewrites Chinese-numeral amounts in a question into Arabic form (`normalize_numerals`),
* compares figures (`same_amount`, `contains_amount`),
* checks that every figure of an answer appears in its sources (`unsupported_amounts`),
* writes a figure back out (`format_amount`).

Rules are explicit tables and named regexes below.  Limits: a figure split by a line
break ("1.4\\n万元") is not joined here (cleaning happens upstream); bounds are read
from a short window before the number (up to 10 characters, stopping at punctuation)
and from the words right after it; "每X" before a figure is read as its per-unit.

Every function here runs in time linear in its input, whatever the input: a Chinese numeral
is at most MAX_CN_CHARS characters (a longer run of numeral characters is read by its tail
only), an Arabic number at most MAX_ARABIC_DIGITS digits, and every look-back is a bounded
window.  (A question of two thousand 十 used to cost 20-40 s of CPU.)
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass

import cn2an

from assistant.types import Amount

# ---------------------------------------------------------------- tables --

MULTIPLIERS = {"万亿": 1e12, "千万": 1e7, "百万": 1e6, "十万": 1e5,
               "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}

# base units, and the other ways a unit is written (longest spelling wins when matching)
BASE_UNITS = ("元 美元 % 个百分点 亩 平方米 平方公里 公里 米 吨 公斤 千瓦时 千瓦 方 人次 人 家次 家 "
              "列 工作日 个月 个 次 项 场次 场 批次 辆 件 标箱 张 所 座 条 户 台 套 根 类 名 笔 间 岁 倍 单 马力 架 头 栋 "
              "年 月 日 天 晚").split()
UNITS = {**{u: u for u in BASE_UNITS}, "块钱": "元", "块": "元", "百分点": "个百分点", "个工作日": "工作日",
         "㎡": "平方米", "平米": "平方米", "周岁": "岁"}
# a lone Chinese digit (一, 两, 三…) is an amount only before these: 一体化, 两家, 一次性 are words
LONE_DIGIT_UNITS = {"元", "块钱", "美元", "%", "亩", "吨", "公斤", "平方米", "晚"}  # not 最后一公里
# Chinese numerals before these are references, not amounts: 十四条, 三月
NOT_AFTER_CHINESE = {"条", "月"}

BOUND_BEFORE = {
    "最高": "max", "最多": "max", "不超过": "max", "不高于": "max", "不多于": "max",
    "上限": "max", "至多": "max", "封顶": "max", "低于": "max", "最长": "max", "最短": "min",
    "不低于": "min", "不少于": "min", "最低": "min", "至少": "min", "超过": "min",
    "超": "min", "突破": "min", "高于": "min", "多于": "min", "逾": "min",
    "不足": "max", "不满": "max", "未满": "max", "未达到": "max", "少于": "max",
    # negated with 得/应/能/宜 (not 超过 alone: "最高不得超过100万元" is a cap)
    "不得超过": "max", "不应超过": "max", "不能超过": "max", "不宜超过": "max", "未超过": "max",
    "不得高于": "max", "不得多于": "max", "不得低于": "min", "不得少于": "min", "不应低于": "min",
    "不能低于": "min",
    "约": "approx", "大约": "approx",
}
BOUND_AFTER = {"及以上": "min", "以上": "min", "以下": "max", "以内": "max",
               "内": "max", "封顶": "max", "左右": "approx"}

CN_DIGITS = "〇零一二两三四五六七八九"
PUNCTUATION = "，。；;：:、,!?！？()（）【】《》〔〕“”\"\n"
KEEP_WIDTH = {"，"}  # NFKC would turn it into "," and 20，300 into a thousands separator
LOOKBACK = 10
# The longest Chinese numeral read as one number (九千九百九十九万九千九百九十九亿 is 16); a longer run
# of numeral characters (十十十…, 一亿亿亿…) is no amount, and only its tail is tried.
MAX_CN_CHARS = 16
# The longest Arabic number read as a figure (digits, separators and decimals included): past
# this a run of digits is an identifier or noise, and as a float it would lose its meaning.
MAX_ARABIC_DIGITS = 24


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


UNIT_RE = _alternation(UNITS)
ARABIC_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?")
CHINESE_NUMBER = re.compile(rf"(百分之)?([{CN_DIGITS}十][{CN_DIGITS}十百千万亿点]*)")
CN_DIGIT_RUN = re.compile(rf"[{CN_DIGITS[2:]}]{{2}}")  # 一二三: a list, not a number
# what follows a number: multiplier, unit, per-unit chain (/辆, 每件, /年/人)
TAIL = re.compile(rf"(?:[ \t]*(?:多|余)?(?P<mult>万亿|千万|百万|十万|亿|万|千(?!瓦)|百(?!分)))?"  # 600多万: 600万
                  rf"(?:[ \t]*(?:多|余)?(?P<unit>{UNIT_RE}))?(?P<per>(?:(?:/|每)(?:{UNIT_RE}))+)?")
UNIT_AFTER = re.compile(rf"[ \t]*(?P<unit>{UNIT_RE})")
BOUND_SUFFIX = re.compile(rf"[ \t]*(?:\(含\))?[ \t]*(?P<word>{_alternation(BOUND_AFTER)})")
BOUND_PREFIX = re.compile(_alternation(BOUND_BEFORE))
PER_PREFIX = re.compile(rf"每(?P<per>{UNIT_RE})")
RANGE_SEP = re.compile(r"[ \t]*(?:\(含\))?[ \t]*(?:-|~|—|–|〜|至|到)[ \t]*")  # 10万元（含）至20万元
LIST_GAP = re.compile(r"[ \t]*[、和及或与][ \t]*")
ASCII_LETTER = re.compile(r"[A-Za-z]")
PHONE_BEFORE = re.compile(r"(?:拨打|致电|电话|热线|传真|手机|号码)[：:]?\s*$")
PHONE_AFTER = re.compile(r"\s*(?:政务服务便民热线|便民服务热线|服务热线|热线|电话)")


@dataclass
class _Figure:
    """A number with what follows it, before it becomes an Amount."""

    start: int
    end: int  # after unit / per-unit
    value: float
    unit: str | None  # as written
    per: str = ""
    scaled: bool = False  # had a multiplier (万, 亿…) or is a Chinese numeral with one
    factor: float = 1.0  # the multiplier written after an Arabic number


# ------------------------------------------------------------- helpers --

def _normalize_width(text: str) -> str:
    """NFKC per character where it keeps the length (８５％ -> 85%), so offsets stay valid."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 and ch not in KEEP_WIDTH else ch)
    return "".join(out)


def _num(x: float) -> str:
    """15000.0 -> '15000', 1.38 -> '1.38'."""
    return f"{round(x, 6):.6f}".rstrip("0").rstrip(".")


def _year_like(v: float) -> bool:
    return v == int(v) and 1900 <= v <= 2100


def _cn2an(s: str) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(cn2an.cn2an(s, "smart"))
        except Exception:  # cn2an raises ValueError (and others) on non-numbers
            return None


@functools.lru_cache(maxsize=4096)
def _cn_value(s: str) -> float | None:
    """Value of a Chinese numeral (一万五 -> 15000, 一点五万 -> 15000), None if it is not one.

    At most two cn2an calls, on at most MAX_CN_CHARS characters (no recursion)."""
    if len(s) > MAX_CN_CHARS or CN_DIGIT_RUN.search(s):
        return None
    value = _cn2an(s)
    if value is not None:
        return value
    for mult in ("万亿", "亿", "万"):  # cn2an rejects 一点五万: split off the multiplier
        if s.endswith(mult) and len(s) > len(mult):
            head = s[: -len(mult)]
            value = None if CN_DIGIT_RUN.search(head) else _cn2an(head)
            return None if value is None else value * MULTIPLIERS[mult]
    return None


def _chinese_numbers(norm: str):
    """Yield (start, end, value, is_percent) for Chinese numerals that are amounts."""
    for m in CHINESE_NUMBER.finditer(norm):
        digits, start = m.group(2).rstrip("点"), m.start(2)
        if len(digits) > MAX_CN_CHARS:
            if m.group(1):  # 百分之 + a run too long to be a number
                continue
            cut = len(digits) - MAX_CN_CHARS  # only the tail can be a number (统一两千 -> 两千)
            digits, start = digits[cut:], start + cut
        while digits and not m.group(1) and _cn_value(digits) is None:  # 统一两千 -> 两千
            digits, start = digits[1:], start + 1
        value = _cn_value(digits) if digits else None
        if value is None:
            continue
        end = start + len(digits)
        if m.group(1):
            yield m.start(), end, value, True
            continue
        unit = UNIT_AFTER.match(norm, end)
        unit = unit.group("unit") if unit else None
        if (start and norm[start - 1] == "第") or unit in NOT_AFTER_CHINESE:
            continue
        if len(digits) == 1 and digits in CN_DIGITS:
            # 限享受一次 is a count; 一次性奖励, 一次补齐 are manners, not figures
            ok = unit in LONE_DIGIT_UNITS or (unit == "次" and norm[end + 1:end + 2] not in ("性", "补", "奖", "给", "拨"))
        else:
            ok = unit is not None or (len(digits) >= 2 and any(c in digits for c in "百千万亿"))
        if ok:
            yield start, end, value, False


def _is_label(norm: str, start: int, num_end: int, fig: _Figure) -> bool:
    """An Arabic number that names something: 第3, 5A, 5G, 2.0版, 3号, 500吨级, “315”, 6+X, （14）."""
    before = norm[start - 1] if start else ""
    after = norm[num_end] if num_end < len(norm) else ""
    if before == "第" or ASCII_LETTER.match(before) or ASCII_LETTER.match(after) \
            or (after and after in "版级星档代号") or norm[fig.end:fig.end + 1] == "级":  # 500吨级
        return True
    if fig.unit is None and not fig.scaled:
        if PHONE_BEFORE.search(norm[max(0, start - 6):start]) or PHONE_AFTER.match(norm, num_end):
            return True  # 拨打12345热线, 电话：0570-1234567: a number to call, not a figure
        if (before and before in "“\"+") or (after and after in "”\"+"):
            return True
        if before and after and before in "(〔[【" and after in ")〕]】":
            return True
        line = norm[max(0, start - 20):start].rsplit("\n", 1)[-1]
        if after and after in "、." and not line.strip():  # list marker "1、" at line start
            return True
    return False


def _is_date(norm: str, fig: _Figure) -> bool:
    """2025年 (a year), 4月 (a month), 4月11日 (a day); 3年, 3个月, 30日内 stay amounts."""
    if fig.scaled or fig.value != int(fig.value):
        return False
    return ((fig.unit == "年" and _year_like(fig.value)) or (fig.unit == "月" and 1 <= fig.value <= 12)
            or (fig.unit == "日" and norm[max(0, fig.start - LOOKBACK):fig.start].rstrip(" \t").endswith("月")))


def _read(norm: str, start: int, num_end: int, value: float, chinese: bool,
          percent: bool = False) -> _Figure:
    """Read multiplier, unit and per-unit after a number ending at num_end."""
    m = TAIL.match(norm, num_end)  # a Chinese numeral has swallowed its 万/亿 already
    mult = m.group("mult")
    factor = MULTIPLIERS[mult] if mult else 1.0
    per = "/".join(UNITS[u] for u in re.findall(UNIT_RE, m.group("per") or ""))
    scaled = bool(mult) or (chinese and any(c in norm[start:num_end] for c in "万亿"))
    return _Figure(start, m.end(), value * factor, "%" if percent else m.group("unit"),
                   per, scaled, factor)


def _join_range(norm: str, fig: _Figure, rest) -> tuple[_Figure, float | None]:
    """100万-300万元, 100-300万元, 10%至20%: one figure with a high end; else fig unchanged."""
    sep = RANGE_SEP.match(norm, fig.end)
    nxt = next((t for t in rest if t[0] >= fig.end), None)
    if not sep or not nxt or nxt[0] != sep.end():
        return fig, None
    second = _read(norm, *nxt)
    low = fig.value
    if fig.unit is None and not fig.scaled:  # 100-300万元: the low end borrows 万
        low *= second.factor
    joined = _Figure(fig.start, second.end, low, second.unit or fig.unit,
                     second.per or fig.per, fig.scaled or second.scaled, second.factor)
    if (fig.unit and second.unit and fig.unit != second.unit) or low >= second.value \
            or (_is_date(norm, second) and not _is_date(norm, joined)):  # 2023-2025年 is dates
        return fig, None
    return joined, second.value


def _window(norm: str, start: int, floor: int) -> str:
    """The few characters before a number, back to punctuation or the previous figure."""
    window = norm[max(floor, start - LOOKBACK):start]
    cut = max(window.rfind(p) for p in PUNCTUATION)
    return window[cut + 1:]


# -------------------------------------------------------------- public --

def extract_amounts(text: str) -> list[Amount]:
    """Every figure in text, in order, as values in base units (1.5万元 -> 15000 元)."""
    norm = _normalize_width(text)
    tokens = sorted([(m.start(), m.end(), float(m.group().replace(",", "")), False, False)
                     for m in ARABIC_NUMBER.finditer(norm) if m.end() - m.start() <= MAX_ARABIC_DIGITS]  # (start, end, value, chinese, percent)
                    + [(s, e, v, True, p) for s, e, v, p in _chinese_numbers(norm)])
    amounts: list[Amount] = []
    consumed = 0
    for i, (start, num_end, value, chinese, percent) in enumerate(tokens):
        if start < consumed:
            continue
        fig = _read(norm, start, num_end, value, chinese, percent)
        if not chinese and _is_label(norm, start, num_end, fig):
            consumed = num_end
            continue
        fig, high = _join_range(norm, fig, tokens[i + 1:i + 3])
        consumed = fig.end
        if _is_date(norm, fig):
            continue
        bound, end = "", fig.end
        suffix = BOUND_SUFFIX.match(norm, end)
        if suffix:
            bound, end = BOUND_AFTER[suffix.group("word")], suffix.end()
            consumed = end
        prev = amounts[-1] if amounts else None
        window = _window(norm, start, prev.end if prev else 0)
        words = BOUND_PREFIX.findall(window)
        pers = PER_PREFIX.findall(window)
        bound = bound or (BOUND_BEFORE[words[-1]] if words else "")
        per = fig.per or (UNITS[pers[-1]] if pers else "")
        if prev and LIST_GAP.fullmatch(norm[prev.end:start]):  # 最高奖励200万元、100万元
            bound, per = bound or prev.bound, per or prev.per
        amounts.append(Amount(value=round(fig.value, 6), unit=UNITS.get(fig.unit or "", ""),
                              per=per, bound=bound,
                              high=None if high is None else round(high, 6),
                              text=text[start:end], start=start, end=end))
    return amounts


def normalize_numerals(text: str) -> str:
    """Rewrite Chinese-numeral amounts into Arabic form, leaving every other word alone.

    一万五 -> 1.5万, 两千块 -> 2000元, 百分之二十 -> 20%, 三十万元 -> 30万元;
    一级, 第十四条, 统一, 一体化, 一次性 are unchanged (cn2an.transform would damage them).
    """
    norm = _normalize_width(text)
    out, pos = [], 0
    for start, end, value, percent in _chinese_numbers(norm):
        digits = norm[start:end]
        if percent:
            arabic = _num(value) + "%"
        else:
            arabic = next((_num(value / MULTIPLIERS[m]) + m for m in ("万亿", "亿", "万")
                           if m in digits and value >= MULTIPLIERS[m]), _num(value))
        unit = UNIT_AFTER.match(norm, end)
        if unit and unit.group("unit") in ("块", "块钱"):  # 两千块 -> 2000元
            arabic, end = arabic + "元", unit.end()
        out += [text[pos:start], arabic]
        pos = end
    return _colloquial("".join(out) + text[pos:])


# How people type amounts in a chat: 1万5 (= 1.5万), 2千5, 1.5w, 15k.
_MULT_DIGIT = re.compile(r"(?<![\d.])(\d+)(万|千)(\d)(?![\d.万千百亿%])")
_LATIN_MULT = re.compile(r"(?<![A-Za-z\d.])(\d+(?:\.\d+)?)\s*([wWkK])(?![A-Za-z])")
_COUNTED_MULT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?|[一两二三四五六七八九十])\s*个\s*(亿|万)")  # 一个亿, 两个亿


_CN_SMALL = {c: str(i) for i, c in enumerate("零一二三四五六七八九十")} | {"两": "2"}


def _colloquial(text: str) -> str:
    text = _COUNTED_MULT.sub(lambda m: f"{_CN_SMALL.get(m.group(1), m.group(1))}{m.group(2)}", text)
    text = _MULT_DIGIT.sub(lambda m: f"{m.group(1)}.{m.group(3)}{m.group(2)}", text)
    return _LATIN_MULT.sub(lambda m: m.group(1) + ("万" if m.group(2) in "wW" else "千"), text)


def same_amount(a: Amount, b: Amount, rel_tol: float = 1e-9) -> bool:
    """Same value (and high end) in the same base unit; per must agree where both have one.

    Bounds are ignored: 最高1.5万元 and 1.5万元 are the same figure.
    """
    if a.unit != b.unit or (a.per and b.per and a.per != b.per) or (a.high is None) != (b.high is None):
        return False
    return _close(a.value, b.value, rel_tol) and (a.high is None or _close(a.high, b.high, rel_tol))


def _close(x: float, y: float, rel_tol: float = 1e-9) -> bool:
    return math.isclose(x, y, rel_tol=rel_tol, abs_tol=1e-9)


def contains_amount(needle: Amount, haystack: list[Amount]) -> bool:
    """Whether some haystack element states the needle's figure.

    Looser than `same_amount` where a text may state a figure partly: per-units are
    compared only when both have one (1.5万元 matches 1.5万元/辆); a single value matches
    either end of a range; a bare number (no unit, e.g. 一万五 in a question or
    100万-300万以内 in a notice) matches the same value in any unit.
    """
    for h in haystack:
        if needle.unit and h.unit and needle.unit != h.unit:
            continue
        if needle.per and h.per and needle.per != h.per:
            continue
        if {needle.bound, h.bound} == {"max", "min"}:  # 最低1.5万元 is not 最高1.5万元
            continue
        if needle.high is None:
            if any(_close(needle.value, v) for v in (h.value, h.high) if v is not None):
                return True
        elif h.high is not None and _close(needle.value, h.value) and _close(needle.high, h.high):
            return True
    return False


def _checkable(a: Amount) -> bool:
    """Figures the answer check looks at: any with a unit, or bare numbers >= 10 that are not years."""
    return bool(a.unit) or (a.value >= 10 and not _year_like(a.value))


def unsupported_amounts(answer_text: str, source_texts: list[str]) -> list[Amount]:
    """The figures of answer_text that no source text states (the figure check on every answer)."""
    haystack = [a for source in source_texts for a in extract_amounts(source)]
    return [a for a in extract_amounts(answer_text)
            if _checkable(a) and not contains_amount(a, haystack)]


def format_amount(a: Amount, with_bound: bool = False) -> str:
    """Chinese form of a figure: 15000元 -> 1.5万元, 1.5万元/辆, 20%, 100万-300万元.

    with_bound=True adds the bound: 最高1.5万元, 8000万元以上, 500万元左右.
    """
    def scaled(v: float) -> str:
        if a.unit not in ("%", "个百分点"):
            for name in ("亿", "万"):
                if abs(v) >= MULTIPLIERS[name]:
                    return _num(v / MULTIPLIERS[name]) + name
        return _num(v)

    out = scaled(a.value) + ("" if a.high is None else "-" + scaled(a.high)) + a.unit
    out += f"/{a.per}" if a.per else ""
    if with_bound and a.bound:
        out = {"max": f"最高{out}", "min": f"{out}以上", "approx": f"{out}左右"}[a.bound]
    return out
