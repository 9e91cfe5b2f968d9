"""`policyqa eval`: the cases run through the public `Assistant`, scored, compared with a baseline.

    from assistant.evaluation import run_eval
    run = run_eval("evals/cases.jsonl")
    print(run.summary["answer_accuracy"])   # {"value": 0.97, "n": 294}

Stages, one module each: cases.py (load + validate), scoring.py (one answer -> CaseResult ->
metrics), baseline.py (the generic chunk retriever), report.py (table, report.md, chart).
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import PolicyQAError, SettingsError
from ..settings import PROJECT_ROOT, Settings, load_settings
from .cases import DEFAULT_SET, EVAL_TODAY, Case, CaseError, load_cases
from .report import DEFAULT_REPORT_DIR, format_table, timestamp, write_report
from .scoring import CaseResult, RegionFigures, by_kind, check_thresholds, failed_result, score, summarize

THRESHOLDS = PROJECT_ROOT / "evals" / "thresholds.json"
WARM_UP = "衢州低保标准是多少？"  # asked once, untimed, so latency excludes loading

__all__ = ["EvalRun", "run_eval", "run_cli", "load_cases", "check_thresholds", "Case", "CaseError"]


@dataclass
class EvalRun:
    mode: str
    set_path: str
    today: str
    results: list[CaseResult]
    baseline: dict | None = None
    seconds: dict = field(default_factory=dict)  # wall time of each stage
    timestamp: str = field(default_factory=timestamp)

    def __post_init__(self) -> None:
        self.summary = summarize(self.results)
        self.by_kind = by_kind(self.results)

    def to_json(self) -> dict:
        return {"timestamp": self.timestamp, "mode": self.mode, "set": self.set_path, "today": self.today,
                "seconds": self.seconds, "overall": self.summary, "by_kind": self.by_kind, "baseline": self.baseline,
                "failing": {r.case.id: r.problems for r in self.results if r.failed},
                "per_case": {r.case.id: {"kind": r.case.kind, "status": r.status, "ms": round(r.latency_ms, 1),
                                         "problems": r.problems} for r in self.results}}


def eval_settings(mode: str, settings: Settings | None = None) -> Settings:
    """The settings a run uses: the cases' date; no LLM in extractive mode; LLM required in llm mode."""
    settings = replace(settings or load_settings(), today=EVAL_TODAY)
    if mode == "extractive":
        return replace(settings, llm_base_url="")
    if mode != "llm":
        raise SettingsError(f"mode {mode!r}: use extractive or llm.")
    if not settings.llm_enabled:
        raise SettingsError("--mode llm needs OPENAI_BASE_URL, OPENAI_API_KEY and POLICYQA_LLM_MODEL set.")
    return settings


def ask_case(assistant, case: Case):
    """The case's turns in order (each prior reply becomes history); returns (answer, ms of the last)."""
    history: list[dict] = []
    for turn in case.turns[:-1]:
        prior = assistant.ask(turn, history=history)
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": prior.answer}]
    start = time.perf_counter()
    answer = assistant.ask(case.question, history=history)
    return answer, (time.perf_counter() - start) * 1000


def run_eval(set_path: str | Path | None = None, mode: str = "extractive", settings: Settings | None = None,
             baseline: bool = True, log=None) -> EvalRun:
    """Run every case through a fresh Assistant (index built on first use) and, unless told not to,
    the baseline retriever; `log` (e.g. print to stderr) gets progress lines."""
    from ..assistant import Assistant

    say = log or (lambda msg: None)
    cases = load_cases(set_path)
    settings = eval_settings(mode, settings)
    seconds, start = {}, time.perf_counter()
    assistant = Assistant(settings)
    assistant.ensure_index(progress=False)
    try:
        assistant.ask(WARM_UP)
    except Exception as exc:  # the cases will show it, one by one
        say(f"warm-up question failed: {type(exc).__name__}: {exc}")
    seconds["index_and_warm_up"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    regions = RegionFigures(assistant.retriever.units, assistant.retriever.notices)
    say(f"running {len(cases)} cases ({mode})…")
    results = []
    for case in cases:
        try:
            answer, ms = ask_case(assistant, case)
        except Exception as exc:  # one broken case must not hide the other results
            results.append(failed_result(case, f"{type(exc).__name__}: {exc}"))
            continue
        results.append(score(case, answer, regions, ms))
    seconds["cases"] = round(time.perf_counter() - start, 1)
    base = None
    if baseline:
        start = time.perf_counter()
        from .baseline import ChunkBaseline, score_baseline

        say("building the baseline chunk index…")
        chunks = ChunkBaseline(settings.corpus_dir, cache=settings.data_dir / "eval" / "baseline-embeddings.npz")
        try:
            base = score_baseline(chunks, cases)
        finally:
            chunks.close()
        seconds["baseline"] = round(time.perf_counter() - start, 1)
    return EvalRun(mode=mode, set_path=str(set_path or DEFAULT_SET), today=settings.today.isoformat(),
                   results=results, baseline=base, seconds=seconds)


def load_thresholds(path: Path = THRESHOLDS) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise PolicyQAError(f"{path}: cannot read the thresholds ({exc}).") from None


def run_cli(args) -> int:
    """`policyqa eval [--set FILE] [--mode extractive|llm] [--report DIR] [--check]`."""
    run = run_eval(args.set_path, args.mode, log=lambda msg: print(msg, file=sys.stderr))
    print(format_table(run))
    paths = write_report(run, Path(args.report) if args.report else DEFAULT_REPORT_DIR)
    print(f"\nreport: {paths['report']}  chart: {paths['chart']}")
    if not args.check:
        return 0
    failures = check_thresholds(run.summary, load_thresholds())
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    if not failures:
        print("all thresholds met", file=sys.stderr)
    return 1 if failures else 0
