"""Benchmark: ingest (cold, then with nothing changed), warm `ask` latency over 100 questions, and
peak memory. Prints figures; asserts nothing. Run: .venv/bin/python scripts/bench.py"""
from __future__ import annotations

import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from assistant import Assistant
    from assistant.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(load_settings(data_dir=Path(tmp) / "data"))
        t = time.perf_counter()
        cold = a.ingest(progress=False)
        cold_s = time.perf_counter() - t
        t = time.perf_counter()
        again = a.ingest(progress=False)
        again_s = time.perf_counter() - t

        cases = [json.loads(line) for line in (ROOT / "evals" / "cases.jsonl").open(encoding="utf-8")]
        questions = [c["turns"][-1] for c in cases if len(c["turns"]) == 1][:100]
        a.ask(questions[0])  # warm-up: loads jieba, the model and the keyword index
        times = []
        for q in questions:
            t = time.perf_counter()
            a.ask(q)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"ingest cold:            {cold_s:6.2f} s  ({cold.units} units, {cold.embedded} embedded)")
        print(f"ingest, nothing changed: {again_s:6.3f} s  ({again.embedded} embedded)   target <= 2 s")
        print(f"warm ask over {len(times)} questions: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
              f"max {times[-1]:.1f} ms   target p95 <= 50 ms")
        print(f"peak memory (max RSS):  {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
