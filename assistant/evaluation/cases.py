"""The eval cases (evals/*.jsonl): loaded and checked line by line, as `Case` objects.

A malformed line raises CaseError naming the file, the line and the fix, before anything runs.
The schema is in evals/README.md ("Schema" and "Schema, extended").
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import PolicyQAError
from ..settings import PROJECT_ROOT
from ..types import Amount

DEFAULT_SET = PROJECT_ROOT / "evals" / "cases.jsonl"
EVAL_TODAY = date(2026, 11, 22)  # the date the cases were written for (evals/README.md)
# The kinds of the seed set; any other short label is accepted (evals/README.md lists the known ones).
KINDS = ("numeric", "list", "yesno", "both_regions", "followup", "enterprise", "not_found", "validity")
STATUSES = ("answered", "not_found", "clarify")
BOUNDS = ("", "max", "min", "approx")

# ------------------------------------------------------------------------------ clause labels --
# A label is read as a path of steps, each one level of the notice's own numbering:
#   （十四） -> [（十四）];  三、（一） -> [三、, （一）];  第六条第（一）项 -> [第六条, （一）];
#   （五）2.（1） and （五）第2项第（1）目 -> [（五）, 2., （1）];  附表1 第3行 -> [附表1, 第3行].
# Two labels match when one path is a prefix of the other (evals/README.md).
_CN = "一二三四五六七八九十百千零〇两"
_STEP = re.compile(
    rf"（(?:结语|前言|通知|附表|附件|正文|总述)）"  # units cited by kind
    rf"|第(?P<item>[{_CN}]+|\d+|（[{_CN}]+）|（\d+）)(?P<item_kind>[项目])"  # 第（一）项, 第2项, 第（1）目
    rf"|第[{_CN}\d]+[编章节条款行]"  # 第二章, 第五条, 第二款, 第3行
    rf"|（[{_CN}]+）|（\d+）"  # clause （十四） or item （一）, sub-item （1）
    rf"|\d+\."  # item 2.
    rf"|[{_CN}]+、"  # section 三、
    rf"|(?:附表|附件)[{_CN}\d]*"  # 附表, 附表1, 附件2
)
_CN_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def _cn_to_int(s: str) -> int | None:
    """一 -> 1, 十四 -> 14, 二十 -> 20, 一百零五 -> 105; None if it is not a plain Chinese numeral."""
    if s.isdigit():
        return int(s)
    total, digit = 0, None
    for ch in s:
        if ch in _CN_VALUE:
            digit = _CN_VALUE[ch]
        elif ch in "十百千":
            total += (1 if digit is None else digit) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _canonical(step: str, m: re.Match) -> str:
    """One spelling per step: 第（一）项 -> （一）, 第2项 -> 2., 第一项 -> （一）, 附表一 -> 附表1, 第三行 -> 第3行."""
    if m.group("item"):
        item = m.group("item")
        if item.startswith("（"):
            return item
        return f"{item}." if item.isdigit() else f"（{item}）"
    if step.startswith(("附表", "附件")):
        n = _cn_to_int(step[2:]) if step[2:] else None
        return step[:2] + ("" if n is None else str(n))
    if step.startswith("第") and step.endswith("行"):
        n = _cn_to_int(step[1:-1])
        return f"第{n}行" if n is not None else step
    return step


def label_path(label: str) -> tuple[str, ...] | None:
    """A clause label as its path of steps, or None when it is not a label as notices print them.

    Full-width digits and ASCII parentheses are read as their usual forms; spaces are ignored.
    """
    text = "".join(unicodedata.normalize("NFKC", ch) if ch.isdigit() or ch == "．" else ch for ch in label)
    text = re.sub(r"\s+", "", text.replace("(", "（").replace(")", "）"))
    steps, pos = [], 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if not m:
            return None
        steps.append(_canonical(m.group(0), m))
        pos = m.end()
    return tuple(steps) or None


def _step_matches(a: str, b: str) -> bool:
    # a table or attachment named without its number (附表) matches any numbered one (附表1)
    return a == b or (a[:2] == b[:2] and a[:2] in ("附表", "附件") and (a in ("附表", "附件") or b in ("附表", "附件")))


def paths_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One path is a prefix of the other: 第六条 and 第六条第（一）项 match; （十） and （十四） do not."""
    n = min(len(a), len(b))
    return n > 0 and all(_step_matches(x, y) for x, y in zip(a[:n], b[:n]))


# -------------------------------------------------------------------------------------- cases --


class CaseError(PolicyQAError):
    """The cases file cannot be read or a case is malformed."""


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    turns: tuple[str, ...]
    region: str  # 衢州市, 金华市金东区, both, or "" (another place / none); any region name of the corpus
    facts: tuple[Amount, ...]  # expected figures, in base units
    gold: tuple[tuple[str, str], ...]  # (doc_id, clause label as printed)
    expected_status: str
    must_mention: tuple[str, ...] = ()  # every one must be in the answer
    notes: str = ""
    forbidden_facts: tuple[Amount, ...] = ()  # figures the answer must not state
    must_mention_any: tuple[str, ...] = ()  # at least one must be in the answer (a next step …)
    must_not_mention: tuple[str, ...] = ()  # none may be in the answer (a confirmation of a false premise …)
    expected_departments: tuple[str, ...] = ()  # whom to ask: every one must be named in the answer
    version: str = ""  # the version the answer must come from (2025年版)

    @property
    def question(self) -> str:
        return self.turns[-1]

    @property
    def gold_paths(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The gold citations as (doc_id, label path)."""
        return tuple((d, label_path(c) or (c,)) for d, c in self.gold)

    @property
    def gold_notices(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d for d, _ in self.gold))


def _fact(raw: dict, where: str, field: str = "expected fact") -> Amount:
    if not isinstance(raw, dict) or not isinstance(raw.get("value"), (int, float)) \
            or not isinstance(raw.get("unit", ""), str):
        raise CaseError(f"{where}: each {field} needs a numeric value and a unit, "
                        f'e.g. {{"value": 15000, "unit": "元"}}; got {raw!r}.')
    high = raw.get("high")
    if high is not None and not (isinstance(high, (int, float)) and high > raw["value"]):
        raise CaseError(f"{where}: 'high' must be a number above 'value' (a range low-high); got {raw!r}.")
    if raw.get("bound", "") not in BOUNDS:
        raise CaseError(f"{where}: 'bound' must be one of {BOUNDS[1:]}; got {raw.get('bound')!r}.")
    return Amount(value=float(raw["value"]), unit=raw.get("unit", ""), per=raw.get("per", ""),
                  bound=raw.get("bound", ""), high=None if high is None else float(high))


def _strings(obj: dict, key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not (isinstance(value, list) and all(isinstance(m, str) and m.strip() for m in value)):
        raise CaseError(f"{where}: {key} must be a list of non-empty strings, e.g. [\"12345\"].")
    return tuple(value)


def _facts(obj: dict, key: str, where: str) -> tuple[Amount, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise CaseError(f"{where}: {key} must be a list of figures, e.g. [{{\"value\": 15000, \"unit\": \"元\"}}].")
    return tuple(_fact(f, where, key.replace("_", " ").rstrip("s")) for f in value)


def parse_case(obj: dict, where: str) -> Case:
    """One case from its JSON object; `where` (file:line) prefixes every error."""
    if not isinstance(obj, dict):
        raise CaseError(f"{where}: a case must be a JSON object.")
    missing = [k for k in ("id", "kind", "turns", "region", "expected_facts", "gold_citations",
                           "expected_status") if k not in obj]
    if missing:
        raise CaseError(f"{where}: missing {', '.join(missing)} (see evals/README.md for the schema).")
    turns = obj["turns"]
    if not (isinstance(turns, list) and turns and all(isinstance(t, str) and t.strip() for t in turns)):
        raise CaseError(f"{where}: 'turns' must be a non-empty list of questions (strings).")
    kind = obj["kind"]
    if not (isinstance(kind, str) and kind.strip() and len(kind) <= 40 and not re.search(r"\s", kind)):
        raise CaseError(f"{where}: kind must be a short label without spaces, e.g. \"region_switch\"; got {kind!r}.")
    if obj["expected_status"] not in STATUSES:
        raise CaseError(f"{where}: expected_status must be one of {', '.join(STATUSES)}; "
                        f"got {obj['expected_status']!r}.")
    if not isinstance(obj["gold_citations"], list):
        raise CaseError(f"{where}: gold_citations must be a list of {{\"doc_id\", \"clause\"}} objects.")
    gold = []
    for g in obj["gold_citations"]:
        if not (isinstance(g, dict) and g.get("doc_id") and isinstance(g.get("clause"), str)
                and label_path(g["clause"])):
            raise CaseError(f"{where}: gold citation {g!r} needs a doc_id and a clause written as printed: "
                            "（十四）, 三、, （结语）, 第五条, 第六条第（一）项, （五）2.（1） or 附表1 第3行.")
        gold.append((str(g["doc_id"]), g["clause"]))
    version = obj.get("version", "")
    if not isinstance(version, str):
        raise CaseError(f"{where}: version must be a string as printed, e.g. \"2025年版\".")
    return Case(id=str(obj["id"]), kind=kind, turns=tuple(turns), region=str(obj["region"]),
                facts=_facts(obj, "expected_facts", where), gold=tuple(gold),
                expected_status=obj["expected_status"], must_mention=_strings(obj, "must_mention", where),
                notes=str(obj.get("notes", "")), forbidden_facts=_facts(obj, "forbidden_facts", where),
                must_mention_any=_strings(obj, "must_mention_any", where),
                must_not_mention=_strings(obj, "must_not_mention", where),
                expected_departments=_strings(obj, "expected_departments", where), version=version.strip())


def load_cases(path: str | Path | None = None) -> list[Case]:
    """Every case of a JSONL file (blank lines skipped); ids must be unique."""
    path = Path(path or DEFAULT_SET)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CaseError(f"{path}: no such file; pass --set with a cases JSONL file.") from None
    except IsADirectoryError:
        raise CaseError(f"{path}: is a folder; pass --set with a cases JSONL file.") from None
    except UnicodeDecodeError:
        raise CaseError(f"{path}: not UTF-8 text.") from None
    cases, seen = [], set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CaseError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}).") from None
        case = parse_case(obj, where)
        if case.id in seen:
            raise CaseError(f"{where}: duplicate id {case.id!r}; ids must be unique.")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise CaseError(f"{path}: no cases in this file.")
    return cases
