"""`policyqa eval`: the cases run through the public `Assistant`, scored, compared with a baseline.

    from assistant.evaluation import run_eval
    run = run_eval("evals/cases.jsonl")
    print(run.summary["answer_accuracy"])   # {"value": 0.97, "n": 294}
    run = run_eval("evals/shapes.jsonl", corpus="tests/fixtures/shapes", baseline=False)

Stages, one module each: cases.py (load + validate), scoring.py (one answer -> CaseResult ->
metrics), baseline.py (the generic chunk retriever), report.py (table, report.md, chart).
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import CorpusError, PolicyQAError, SettingsError
from ..settings import PROJECT_ROOT, Settings, load_settings
from .cases import DEFAULT_SET, EVAL_TODAY, Case, CaseError, load_cases
from .report import DEFAULT_REPORT_DIR, format_table, timestamp, write_report
from .scoring import CaseResult, RegionFigures, by_kind, check_thresholds, failed_result, score, summarize

THRESHOLDS = PROJECT_ROOT / "evals" / "thresholds.json"  # the seed set's (cases.jsonl)
WARM_UP = "衢州低保标准是多少？"  # asked once, untimed, so latency excludes loading

__all__ = ["EvalRun", "run_eval", "run_cli", "load_cases", "check_thresholds", "thresholds_path", "corpus_settings",
           "Case", "CaseError"]


@dataclass
class EvalRun:
    mode: str
    set_path: str
    today: str
    results: list[CaseResult]
    baseline: dict | None = None
    corpus: str = ""
    seconds: dict = field(default_factory=dict)  # wall time of each stage
    timestamp: str = field(default_factory=timestamp)

    def __post_init__(self) -> None:
        self.summary = summarize(self.results)
        self.by_kind = by_kind(self.results)

    def to_json(self) -> dict:
        return {"timestamp": self.timestamp, "mode": self.mode, "set": self.set_path, "corpus": self.corpus,
                "today": self.today,
                "seconds": self.seconds, "overall": self.summary, "by_kind": self.by_kind, "baseline": self.baseline,
                "failing": {r.case.id: r.problems for r in self.results if r.failed},
                "per_case": {r.case.id: {"kind": r.case.kind, "status": r.status, "ms": round(r.latency_ms, 1),
                                         "problems": r.problems} for r in self.results}}


def eval_settings(mode: str, settings: Settings | None = None) -> Settings:
    """The settings a run uses: the cases' date; no LLM in extractive mode; LLM required in llm mode."""
    settings = replace(settings or load_settings(), fixed_today=EVAL_TODAY)
    if mode == "extractive":
        return replace(settings, llm_base_url="")
    if mode != "llm":
        raise SettingsError(f"mode {mode!r}: use extractive or llm.")
    if not settings.llm_enabled:
        raise SettingsError("--mode llm needs OPENAI_BASE_URL, OPENAI_API_KEY and POLICYQA_LLM_MODEL set.")
    return settings


def corpus_settings(settings: Settings, corpus: str | Path | None) -> Settings:
    """Settings for a run over `corpus`. The settings' own corpus keeps its index; any other folder gets
    its own data dir, <data dir>/eval/corpora/<folder>-<hash> (and its own collection on a Chroma
    server), so going back and forth between sets re-embeds nothing."""
    if corpus is None:
        return settings
    folder = Path(corpus).expanduser().resolve()
    if not folder.is_dir():
        raise CorpusError(f"--corpus {corpus}: no such folder; pass the folder that holds the notices "
                          "(e.g. tests/fixtures/shapes).")
    if folder == Path(settings.corpus_dir).expanduser().resolve():
        return settings
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.name).strip("-._")[:40] or "corpus"
    name = f"{slug}-{hashlib.sha256(str(folder).encode('utf-8')).hexdigest()[:8]}"
    return replace(settings, corpus_dir=folder, data_dir=Path(settings.data_dir) / "eval" / "corpora" / name,
                   collection=f"{settings.collection}-{name}" if settings.chroma_host else settings.collection)


def ask_case(assistant, case: Case):
    """The case's turns in order (each prior reply becomes history); returns (answer, ms of the last)."""
    history: list[dict] = []
    for turn in case.turns[:-1]:
        prior = assistant.ask(turn, history=history)
        history += [{"role": "user", "content": turn}, {"role": "assistant", "content": prior.answer}]
    start = time.perf_counter()
    answer = assistant.ask(case.question, history=history)
    return answer, (time.perf_counter() - start) * 1000


def prepare_assistant(settings: Settings, log=None):
    """An Assistant over the settings' corpus, its index brought up to date (only changed units are
    embedded) and one untimed warm-up question asked."""
    from ..assistant import Assistant

    say = log or (lambda msg: None)
    assistant = Assistant(settings)
    assistant.ingest(progress=False)
    try:
        assistant.ask(WARM_UP)
    except Exception as exc:  # the cases will show it, one by one
        say(f"warm-up question failed: {type(exc).__name__}: {exc}")
    return assistant


def run_eval(set_path: str | Path | None = None, mode: str = "extractive", settings: Settings | None = None,
             baseline: bool = True, log=None, corpus: str | Path | None = None, assistant=None) -> EvalRun:
    """Run every case through a fresh Assistant (index brought up to date first) and, unless told
    not to, the baseline retriever; `log` (e.g. print to stderr) gets progress lines. `corpus` is
    the notices folder (default: the settings'); `assistant` reuses one already prepared for the
    same settings (`prepare_assistant`)."""
    say = log or (lambda msg: None)
    cases = load_cases(set_path)
    settings = corpus_settings(eval_settings(mode, settings), corpus)
    seconds, start = {}, time.perf_counter()
    if assistant is None:
        assistant = prepare_assistant(settings, say)
        seconds["index_and_warm_up"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    regions = RegionFigures(assistant.retriever.units, assistant.retriever.notices)
    say(f"running {len(cases)} cases from {set_path or DEFAULT_SET} ({mode}, corpus {settings.corpus_dir})…")
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
                   corpus=str(settings.corpus_dir), results=results, baseline=base, seconds=seconds)


def thresholds_path(set_path: str | Path) -> Path:
    """A set's thresholds: <set stem>.thresholds.json beside it; cases.jsonl falls back to thresholds.json."""
    path = Path(set_path)
    own = path.with_name(f"{path.stem}.thresholds.json")
    if own.exists() or path.name != DEFAULT_SET.name:
        return own
    return path.with_name(THRESHOLDS.name)


def load_thresholds(path: Path = THRESHOLDS) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyQAError(f"{path}: no thresholds for this set; write one (see evals/README.md) "
                            "or run without --check.") from None
    except json.JSONDecodeError as exc:
        raise PolicyQAError(f"{path}: cannot read the thresholds ({exc}).") from None


def report_dir_for(set_path: str | Path, root: Path) -> Path:
    """Where a set's report and history go: the seed set in `root` itself, any other set in root/<stem>,
    so that each set is compared with its own previous run."""
    path = Path(set_path)
    return root if path.resolve() == DEFAULT_SET.resolve() else root / path.stem


def run_cli(args) -> int:
    """`policyqa eval [--set FILE …] [--corpus DIR] [--mode extractive|llm] [--report DIR] [--check]
    [--baseline/--no-baseline]`: each set is run, printed, reported and (with --check) held to its
    own thresholds; the exit status is 1 when any set misses one."""
    def say(msg: str) -> None:
        print(msg, file=sys.stderr)

    sets = [Path(p) for p in (getattr(args, "set_paths", None) or [DEFAULT_SET])]
    corpus = getattr(args, "corpus", None)
    for path in sets:  # a bad file or a missing thresholds file stops the run before anything is embedded
        load_cases(path)
        if args.check:
            load_thresholds(thresholds_path(path))
    settings = corpus_settings(eval_settings(args.mode), corpus)
    baseline = getattr(args, "baseline", None)
    if baseline is None:  # the baseline reads the seed corpus's raw .txt files: on for it, off elsewhere
        baseline = settings.corpus_dir.resolve() == Path(load_settings().corpus_dir).expanduser().resolve()
    start = time.perf_counter()
    assistant = prepare_assistant(settings, say)
    prepared_s = round(time.perf_counter() - start, 1)
    root = Path(args.report) if args.report else DEFAULT_REPORT_DIR
    missed: list[str] = []
    for path in sets:
        run = run_eval(path, args.mode, settings=settings, baseline=baseline, log=say, assistant=assistant)
        run.seconds = {"index_and_warm_up": prepared_s, **run.seconds}
        prepared_s = 0.0
        print(format_table(run))
        paths = write_report(run, report_dir_for(path, root))
        print(f"\nreport: {paths['report']}  chart: {paths['chart']}\n")
        if args.check:
            limits = thresholds_path(path)
            failures = check_thresholds(run.summary, load_thresholds(limits))
            missed += [f"{path.name}: {f}" for f in failures]
            if not failures:
                say(f"{path.name}: all thresholds in {limits.name} met")
    for f in missed:
        say(f"FAIL {f}")
    return 1 if missed else 0
