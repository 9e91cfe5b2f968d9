"""Replicas stay in step, for real: `chroma run` started here, two `app.py` processes sharing it (each
with its own data dir), an ingest in between, and answers from both checked before and after — each
answer from one index state, never a mix, and never back to the old state once the new one is in."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .index_corpus import NOTICES, edit, write_corpus

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUESTION = "青川市买新能源汽车以旧换新每辆补贴多少？"
OLD = ("《青川市促进消费和就业若干措施（2026年版）》", "8000元")
NEW = ("《青川市促进消费和就业若干措施（2026年修订版）》", "9000元")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[:3]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not come up:\n{log.read_text()[-3000:]}")


def start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, cwd=PROJECT)


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    root = tmp_path_factory.mktemp("chroma")
    port = free_port()
    log = root / "chroma.log"
    proc = start([str(BIN / "chroma"), "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)],
                 log, dict(os.environ))
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, log, 120)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def ask(base: str) -> tuple[str, str]:
    r = httpx.post(f"{base}/api/v1/ask", json={"question": QUESTION}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    return body["citations"][0]["doc_title"], body["answer"]


def version(answer: tuple[str, str]) -> str:
    title, text = answer
    if title == OLD[0] and OLD[1] in text and NEW[1] not in text:
        return "old"
    if title == NEW[0] and NEW[1] in text and OLD[1] not in text:
        return "new"
    pytest.fail(f"an answer from no single index state: {title} / {text}")


def test_two_app_replicas_follow_an_ingest(chroma, tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    env = {**os.environ, "POLICYQA_CHROMA_HOST": "127.0.0.1", "POLICYQA_CHROMA_PORT": str(chroma),
           "POLICYQA_CORPUS": str(corpus), "POLICYQA_INDEX_CHECK_S": "0.5", "POLICYQA_RATE_LIMIT": "100000"}
    replica_env = [{**env, "POLICYQA_DATA_DIR": str(tmp_path / f"data{i}")} for i in (1, 2)]
    done = subprocess.run([str(BIN / "policyqa"), "ingest", "-q"], env=replica_env[0], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    ports = [free_port(), free_port()]
    logs = [tmp_path / f"app{i}.log" for i in (1, 2)]
    apps = [start([sys.executable, "app.py", "--port", str(p)], log, e) for p, log, e in zip(ports, logs, replica_env)]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for base, proc, log in zip(bases, apps, logs):
            wait_until_up(f"{base}/api/v1/healthz", proc, log)
        assert [version(ask(b)) for b in bases] == ["old", "old"]

        # One replica's operator edits a figure and the title, and ingests.
        text, meta = NOTICES["qingchuan-2026"]
        edit(corpus, "qingchuan-2026", "每辆补贴8000元", "每辆补贴9000元")
        edit(corpus, "qingchuan-2026", "（2026年版）", "（2026年修订版）")
        (corpus / "qingchuan-2026.meta.json").write_text(json.dumps(
            {**meta, "title": "青川市促进消费和就业若干措施（2026年修订版）"}, ensure_ascii=False), encoding="utf-8")
        done = subprocess.run([str(BIN / "policyqa"), "ingest", "-q"], env=replica_env[0], capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr

        seen = [[], []]
        deadline = time.monotonic() + 60
        while not all(s and s[-1] == "new" for s in seen):
            assert time.monotonic() < deadline, f"replicas did not pick up the new state: {seen}"
            for i, base in enumerate(bases):
                v = version(ask(base))
                assert not (seen[i] and seen[i][-1] == "new" and v == "old"), f"replica {i + 1} went back: {seen[i]}"
                seen[i].append(v)
            time.sleep(0.1)
        for log in logs:
            assert "index state" in log.read_text()  # each logged the swap
    finally:
        for proc in apps:
            proc.terminate()
        for proc in apps:
            proc.wait(timeout=30)


def test_ingest_lock_on_a_chroma_server(chroma, tmp_path):
    """Replicas share no folder: the lock is a lease record in Chroma. A live holder makes a second
    ingest stop with one line naming it; a holder that died on this host is taken over at once."""
    from assistant.index.lock import IngestLock
    from assistant.index.manifest import LOCK
    from assistant.index.records import pack
    from assistant.index.store import Store
    from assistant.settings import load_settings

    corpus = write_corpus(tmp_path / "corpus", "yunling-2026")
    env = {**os.environ, "POLICYQA_CHROMA_HOST": "127.0.0.1", "POLICYQA_CHROMA_PORT": str(chroma),
           "POLICYQA_CORPUS": str(corpus), "POLICYQA_DATA_DIR": str(tmp_path / "data"),
           "POLICYQA_INGEST_WAIT": "1"}
    settings = load_settings(env)
    store = Store(settings)
    with IngestLock(settings, store):
        busy = subprocess.run([str(BIN / "policyqa"), "ingest"], env=env, capture_output=True, text=True,
                              timeout=300)
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert "another ingest" in busy.stderr and f"pid {os.getpid()}" in busy.stderr

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    store.put("state", [LOCK], [{"body": pack({"host": socket.gethostname(), "pid": int(dead.stdout),
                                                "since": time.time(), "id": "crashed", "expires": time.time() + 30})}])
    done = subprocess.run([str(BIN / "policyqa"), "ingest"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "indexed 1 notices" in done.stdout
