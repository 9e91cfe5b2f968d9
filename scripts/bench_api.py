"""Benchmark of the surfaces: HTTP API throughput (cached / uncached, concurrency 1/4/16/64) and
start-up figures (CLI, server first start and warm restart). Prints figures; asserts nothing.

    .venv/bin/python scripts/bench_api.py                 # everything (about 4 minutes on 2 cores)
    .venv/bin/python scripts/bench_api.py --only startup  # or: --only api
    .venv/bin/python scripts/bench_api.py --seconds 5     # shorter throughput runs

The server runs as `python app.py` in its own process, on an index built in a temp folder; the load
comes from this process over loopback (raw HTTP/1.1 keep-alive connections, one per concurrent
client, so the client costs little CPU). The server's CPU time per request (from /proc) is printed
beside the wall-clock figures: it is the figure to compare when the machine is busy.

Mixes:
- repeats: 75 % of requests ask one of 40 popular questions (a city's mini-program), 25 % a question
  not asked before;
- no repeats: every request is a question not asked before (prefix variants of the eval questions).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POLICYQA = str(Path(sys.executable).parent / "policyqa")
PREFIXES = ["", "请问", "你好，", "想咨询一下，", "麻烦问下，", "我想了解", "您好，请问", "咨询：", "问一下，",
            "请教一下，", "了解一下，", "打扰一下，"]
HOT = 40
REPEAT_SHARE = 0.75
CONCURRENCY = (1, 4, 16, 64)


def questions() -> list[str]:
    cases = [json.loads(line) for line in (ROOT / "evals" / "cases.jsonl").open(encoding="utf-8")]
    return list(dict.fromkeys(c["turns"][-1] for c in cases if len(c["turns"]) == 1))


class Fresh:
    """Questions never asked before in this run: every eval question under every prefix."""

    def __init__(self, base: list[str], seed: int = 7):
        pool = [p + q for p in PREFIXES[1:] for q in base]
        random.Random(seed).shuffle(pool)
        self.pool = pool
        self.i = 0

    def next(self) -> str:
        if self.i >= len(self.pool):
            raise SystemExit("bench ran out of distinct questions: use fewer --seconds")
        self.i += 1
        return self.pool[self.i - 1]


# ---------------------------------------------------------------- processes


def env_for(data_dir: Path, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYQA_", "OPENAI_"))}
    env.update({"POLICYQA_DATA_DIR": str(data_dir), "POLICYQA_RATE_LIMIT": "0", "HOME": str(home),
                "TMPDIR": str(home), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False"})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its waited-for children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            return r.status if b"<html" in body[:400].lower() or url.endswith("healthz") else -1
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


class Server:
    """`python app.py` on a free port; `ready` records when the API and the pages first answer."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([PYTHON, str(ROOT / "app.py"), "--port", str(self.port)], env=env,
                                     cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.api_s = self.pages_s = None
        self.cpu_at_ready = None

    def wait_ready(self, timeout: float = 600) -> "Server":
        deadline = time.perf_counter() + timeout
        while self.api_s is None or self.pages_s is None:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise SystemExit("server exited:\n" + self.log.read().decode(errors="replace")[-3000:])
            if time.perf_counter() > deadline:
                raise SystemExit("server not ready in time")
            now = time.perf_counter() - self.started
            if self.api_s is None and get(self.base + "/api/v1/healthz") == 200:
                self.api_s = now
            if self.pages_s is None and get(self.base + "/console/") == 200 and get(self.base + "/") == 200:
                self.pages_s = now
            time.sleep(0.05)
        self.cpu_at_ready = cpu_seconds(self.proc.pid)
        return self

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- load


async def _request(reader, writer, body: bytes, port: int) -> int:
    writer.write(b"POST /api/v1/ask HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (port, len(body), body))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    if status == 200 and b'"status"' not in payload:
        return 0
    return status


async def _load(port: int, concurrency: int, seconds: float, pick) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    done = 0
    stop_at = time.perf_counter() + seconds

    async def client():
        nonlocal errors, done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                body = json.dumps({"question": pick()}, ensure_ascii=False).encode()
                t = time.perf_counter()
                status = await _request(reader, writer, body, port)
                latencies.append(time.perf_counter() - t)
                done += 1
                if status != 200:
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, done, errors


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))] if values else float("nan")


def throughput(server: Server, seconds: float) -> list[dict]:
    base = questions()
    fresh = Fresh(base)
    rng = random.Random(3)
    hot = base[:HOT]
    mixes = {
        "repeats (75 %)": lambda: rng.choice(hot) if rng.random() < REPEAT_SHARE else fresh.next(),
        "no repeats": fresh.next,
    }
    rows = []
    for mix, pick in mixes.items():
        for c in CONCURRENCY:
            cpu0 = cpu_seconds(server.proc.pid)
            t = time.perf_counter()
            lat, done, errors = asyncio.run(_load(server.port, c, seconds, pick))
            wall = time.perf_counter() - t
            cpu = cpu_seconds(server.proc.pid) - cpu0
            rows.append({"mix": mix, "c": c, "n": done, "rps": done / wall, "p50": pct(lat, .5) * 1000,
                         "p95": pct(lat, .95) * 1000, "errors": errors,
                         "cpu_ms": cpu * 1000 / max(done, 1)})
            r = rows[-1]
            print(f"  {mix:15s} c={c:<3d} {r['rps']:7.1f} req/s  p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms"
                  f"  server CPU {r['cpu_ms']:5.1f} ms/req  n={done} errors={errors}", flush=True)
    return rows


def in_process_cost(data_dir: Path, home: Path, n: int = 60) -> tuple[float, float]:
    """Uncached `Assistant.ask` in this process (no HTTP): mean and p95 ms over fresh questions."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
from assistant import Assistant
qs = json.loads(sys.argv[1])
a = Assistant()
a.ask(qs[0])
ts = []
for q in qs[1:]:
    t = time.perf_counter(); a.ask(q); ts.append((time.perf_counter() - t) * 1000)
print(json.dumps(ts))
"""
    fresh = Fresh(questions(), seed=99)
    qs = [fresh.next() for _ in range(n + 1)]
    out = subprocess.run([PYTHON, "-c", code, json.dumps(qs, ensure_ascii=False)], env=env_for(data_dir, home),
                         capture_output=True, text=True, check=True)
    ts = json.loads(out.stdout)
    return statistics.mean(ts), pct(ts, .95)


# ---------------------------------------------------------------- start-up


def timed(cmd: list[str], env: dict, runs: int = 3, stdin: str | None = None) -> tuple[float, float]:
    """Median wall and CPU seconds of a command."""
    walls, cpus = [], []
    for _ in range(runs):
        before = os.times()
        t = time.perf_counter()
        subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - t)
        after = os.times()
        cpus.append(after.children_user + after.children_system - before.children_user - before.children_system)
    return statistics.median(walls), statistics.median(cpus)


def startup(data_dir: Path, home: Path) -> None:
    env = env_for(data_dir, home)
    print("start-up (median of 3, first start once; wall / CPU seconds; CPU is what an idle 2-core machine would take):")
    w, c = timed([POLICYQA, "--help"], env)
    print(f"  policyqa --help                {w:6.2f} s wall  {c:6.2f} s CPU   target < 0.5 s")
    ask = [POLICYQA, "ask", "衢州市新能源汽车以旧换新最高补贴多少？"]
    w, c = timed([*ask, "--local"], env)
    print(f"  policyqa ask, in its process   {w:6.2f} s wall  {c:6.2f} s CPU   target < 1.5 s (warm index)")
    for label, fresh in (("first start (empty data dir)", True), ("warm restart", False)):
        runs = []
        for _ in range(1 if fresh else 3):
            run_env = dict(env)
            if fresh:
                empty = Path(tempfile.mkdtemp(prefix="bench-empty-"))
                run_env["POLICYQA_DATA_DIR"] = str(empty)
            server = Server(run_env).wait_ready()
            if not fresh:  # a server is up on this data dir: `policyqa ask` hands it the question
                w, c = timed(ask, env)
            server.stop()
            if fresh:
                shutil.rmtree(empty, ignore_errors=True)
            runs.append(server)
        runs.sort(key=lambda s: s.pages_s)
        server = runs[len(runs) // 2]
        each = "" if fresh else "  (pages: " + ", ".join(f"{s.pages_s:.2f}" for s in runs) + ")"
        print(f"  server {label:29s} API {server.api_s:6.2f} s, pages {server.pages_s:6.2f} s wall; "
              f"{server.cpu_at_ready:6.2f} s CPU{'' if fresh else '   target < 5 s'}{each}")
    print(f"  policyqa ask, server up        {w:6.2f} s wall  {c:6.2f} s CPU   target < 1.5 s (warm index)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["api", "startup"])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each throughput run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data_dir, home = Path(tmp) / "data", Path(tmp) / "home"
        home.mkdir()
        subprocess.run([POLICYQA, "ingest", "-q"], env=env_for(data_dir, home), check=True, capture_output=True)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
              "(figures taken on a busy machine are noisy; compare CPU per request)")
        if args.only in (None, "startup"):
            startup(data_dir, home)
        if args.only in (None, "api"):
            mean, p95 = in_process_cost(data_dir, home)
            print(f"uncached Assistant.ask in process (no HTTP): mean {mean:.1f} ms, p95 {p95:.1f} ms")
            server = Server(env_for(data_dir, home)).wait_ready()
            try:
                print(f"throughput of POST /api/v1/ask over loopback, {args.seconds:.0f} s per run:")
                throughput(server, args.seconds)
            finally:
                server.stop()
        print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
