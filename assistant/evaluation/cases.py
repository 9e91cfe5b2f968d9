"""The eval cases (evals/cases.jsonl): loaded and checked line by line, as `Case` objects.

A malformed line raises CaseError naming the file, the line and the fix, before anything runs.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import PolicyQAError
from ..settings import PROJECT_ROOT
from ..types import Amount

DEFAULT_SET = PROJECT_ROOT / "evals" / "cases.jsonl"
EVAL_TODAY = date(2026, 11, 22)  # the date the cases were written for (evals/README.md)
KINDS = ("numeric", "list", "yesno", "both_regions", "followup", "enterprise", "not_found", "validity")
STATUSES = ("answered", "not_found")
CLAUSE_LABEL = re.compile(r"^(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|（结语）|（前言）)$")
BOUNDS = ("", "max", "min", "approx")


class CaseError(PolicyQAError):
    """The cases file cannot be read or a case is malformed."""


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    turns: tuple[str, ...]
    region: str  # 衢州市, 金华市金东区, both, or "" (another place / none)
    facts: tuple[Amount, ...]  # expected figures, in base units
    gold: tuple[tuple[str, str], ...]  # (doc_id, clause label)
    expected_status: str
    must_mention: tuple[str, ...] = ()
    notes: str = ""

    @property
    def question(self) -> str:
        return self.turns[-1]


def _fact(raw: dict, where: str) -> Amount:
    if not isinstance(raw, dict) or not isinstance(raw.get("value"), (int, float)) \
            or not isinstance(raw.get("unit", ""), str):
        raise CaseError(f"{where}: each expected fact needs a numeric value and a unit, "
                        f'e.g. {{"value": 15000, "unit": "元"}}; got {raw!r}.')
    high = raw.get("high")
    if high is not None and not (isinstance(high, (int, float)) and high > raw["value"]):
        raise CaseError(f"{where}: 'high' must be a number above 'value' (a range low-high); got {raw!r}.")
    if raw.get("bound", "") not in BOUNDS:
        raise CaseError(f"{where}: 'bound' must be one of {BOUNDS[1:]}; got {raw.get('bound')!r}.")
    return Amount(value=float(raw["value"]), unit=raw.get("unit", ""), per=raw.get("per", ""),
                  bound=raw.get("bound", ""), high=None if high is None else float(high))


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
    if obj["kind"] not in KINDS:
        raise CaseError(f"{where}: kind {obj['kind']!r} is not one of {', '.join(KINDS)}.")
    if obj["expected_status"] not in STATUSES:
        raise CaseError(f"{where}: expected_status must be 'answered' or 'not_found'.")
    gold = []
    for g in obj["gold_citations"]:
        if not (isinstance(g, dict) and g.get("doc_id") and CLAUSE_LABEL.match(str(g.get("clause", "")))):
            raise CaseError(f"{where}: gold citation {g!r} needs a doc_id and a clause written as printed: "
                            "（十四）, 三、 or （结语）.")
        gold.append((g["doc_id"], g["clause"]))
    mention = obj.get("must_mention", [])
    if not (isinstance(mention, list) and all(isinstance(m, str) and m for m in mention)):
        raise CaseError(f"{where}: must_mention must be a list of strings.")
    return Case(id=str(obj["id"]), kind=obj["kind"], turns=tuple(turns), region=str(obj["region"]),
                facts=tuple(_fact(f, where) for f in obj["expected_facts"]), gold=tuple(gold),
                expected_status=obj["expected_status"], must_mention=tuple(mention),
                notes=str(obj.get("notes", "")))


def load_cases(path: str | Path | None = None) -> list[Case]:
    """Every case of a JSONL file (blank lines skipped); ids must be unique."""
    path = Path(path or DEFAULT_SET)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CaseError(f"{path}: no such file; pass --set with a cases JSONL file.") from None
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
