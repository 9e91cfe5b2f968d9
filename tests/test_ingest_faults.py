"""Ingest faults, for real: `policyqa ingest` killed with SIGKILL half-way, two ingests at once, and a
read-only data dir. Each ends with one line that says what to do, and the index keeps serving."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.index import ClauseIndex
from assistant.index.manifest import read_journal
from assistant.settings import load_settings

from .index_corpus import write_corpus, write_long

POLICYQA = Path(sys.executable).parent / "policyqa"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """青川, 云岭 and 石桥 (20 clauses), indexed once."""
    root = tmp_path_factory.mktemp("faults")
    corpus = write_corpus(root / "corpus")
    write_long(corpus)
    Assistant(load_settings(corpus_dir=corpus, data_dir=root / "data")).ingest(progress=False)
    return root


@pytest.fixture
def work(indexed, tmp_path):
    shutil.copytree(indexed / "corpus", tmp_path / "corpus")
    shutil.copytree(indexed / "data", tmp_path / "data")
    return load_settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data", index_grace_s=0)


def env_for(settings, **extra) -> dict:
    return {**os.environ, "POLICYQA_CORPUS": str(settings.corpus_dir), "POLICYQA_DATA_DIR": str(settings.data_dir),
            "POLICYQA_INDEX_GRACE_S": str(settings.index_grace_s), **extra}


def start_ingest(settings, **extra) -> subprocess.Popen:
    return subprocess.Popen([str(POLICYQA), "ingest"], env=env_for(settings, **extra), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(proc: subprocess.Popen, marker: str) -> str:
    """Read the process's stderr until `marker` appears (e.g. the embedding progress bar)."""
    seen = ""
    while marker not in seen:
        ch = proc.stderr.read(1)
        assert ch, f"ingest ended before {marker!r}: {seen!r}"
        seen += ch
    return seen


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    assert "delete" not in stderr.lower() and "删除" not in stderr
    return lines[0]


def test_kill_9_mid_ingest_then_ingest_again(work):
    """SIGKILL while embedding: the previous state keeps serving, and the next ingest sweeps what the
    dead one wrote, then finishes the job."""
    index = ClauseIndex(work)
    good = index.state()
    shutil.copy(work.corpus_dir / "qingchuan-2026.txt", work.corpus_dir / "aa-copy.txt")  # vectors reused: written first
    shutil.copy(work.corpus_dir / "qingchuan-2026.meta.json", work.corpus_dir / "aa-copy.meta.json")
    write_long(work.corpus_dir, figure=50)  # 20 clauses to embed again
    proc = start_ingest(work)
    wait_for(proc, "embedding:")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)

    assert ClauseIndex(work).state() == good  # still the last good state, whole
    assert Assistant(work).clause("石桥", "一")[0].text.endswith("最高补助10万元。")
    left = ClauseIndex(work)
    assert read_journal(left.store) == ["aa-copy", "shiqiao-2026"]
    assert left.store.get("vectors", where={"doc_id": "aa-copy"})["ids"]  # the dead ingest's leftovers

    again = subprocess.run([str(POLICYQA), "ingest", "-q"], env=env_for(work), capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stderr
    assert "indexed 4 notices" in again.stdout
    done = ClauseIndex(work)
    snapshot = done.snapshot()
    assert snapshot.state != good and read_journal(done.store) == []
    assert set(done.store.get("vectors")["ids"]) == set(snapshot.vector_ids)  # nothing left over
    assert set(done.store.get("notices")["ids"]) == {rid for rid, _, _ in snapshot.rows.values()}
    assert Assistant(work).clause("石桥", "一")[0].text.endswith("最高补助50万元。")


def test_two_ingests_at_once(work):
    """The second waits for the first (and then has nothing to do), or, told not to wait long,
    stops with one line naming the first."""
    write_long(work.corpus_dir, figure=70)
    first = start_ingest(work)
    wait_for(first, "embedding:")
    first.send_signal(signal.SIGSTOP)  # frozen half-way, holding the lock, however fast this machine is
    try:
        impatient = subprocess.run([str(POLICYQA), "ingest"], env=env_for(work, POLICYQA_INGEST_WAIT="0.5"),
                                   capture_output=True, text=True, timeout=120)
        patient = start_ingest(work, POLICYQA_INGEST_WAIT="300")
        time.sleep(3)
        assert patient.poll() is None  # waiting
    finally:
        first.send_signal(signal.SIGCONT)
    assert impatient.returncode == 1
    line = one_line_error(impatient.stderr)
    assert "another ingest" in line and f"pid {first.pid}" in line and "POLICYQA_INGEST_WAIT" in line
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert "indexed 3 notices" in out
    out, err = patient.communicate(timeout=600)
    assert patient.returncode == 0, err
    assert "index up to date" in out
    assert Assistant(work).clause("石桥", "二")[0].text.endswith("最高补助71万元。")


def _read_only_runner():
    """How to run a command that cannot write a read-only folder: as root, without the capability
    that lets root write anything (setpriv, util-linux)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: a read-only folder cannot be simulated")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def test_read_only_data_dir(work):
    """A data dir the process cannot write: questions are answered (and it says it is read-only);
    ingest stops with one line saying which permission is missing."""
    runner = _read_only_runner()
    paths = [work.data_dir, *work.data_dir.rglob("*")]
    modes = {p: p.stat().st_mode for p in paths}
    try:
        for p in paths:
            p.chmod(p.stat().st_mode & ~0o222)
        env = env_for(work)
        ask = subprocess.run([*runner, str(POLICYQA), "ask", "青川市买新能源汽车以旧换新每辆补贴多少？"], env=env,
                             capture_output=True, text=True, timeout=300)
        assert ask.returncode == 0, ask.stderr
        assert "8000元" in ask.stdout and "read-only" in ask.stderr
        ingest = subprocess.run([*runner, str(POLICYQA), "ingest"], env=env, capture_output=True, text=True,
                                timeout=300)
        assert ingest.returncode == 1
        line = one_line_error(ingest.stderr)
        assert "read-only" in line and "write permission" in line and "只读" in line
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
