"""Ingest does not stop at one bad file: every bad notice is one line naming the file and the fix, the
good ones are indexed, a bad file's previous good version stays served; `policyqa inspect` shows a
file's tree without touching the index. Real Chroma, real embedding model, the installed CLI."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.formats import read_document
from assistant.notices import load_corpus
from assistant.parsing import parse_entries
from assistant.settings import load_settings

SHAPES = Path(__file__).resolve().parent / "fixtures" / "shapes"
POLICYQA = str(Path(sys.executable).parent / "policyqa")
SMALL = ("衢江区支持小微企业若干措施\n为支持小微企业发展，制定本措施。\n"
         "（一）对新入规小微企业奖励5万元。\n（二）对新建数字化车间补助20万元。\n")


def run(*args, env=None):
    return subprocess.run([POLICYQA, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def bad_files(corpus: Path) -> dict[str, str]:
    """Files that cannot be used, and a word the one-line message must contain."""
    (corpus / "gbk.txt").write_bytes("（一）补贴一万元。".encode("gb18030"))
    (corpus / "binary.txt").write_bytes(b"PK\x03\x04\x00\x00binary")
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "word.docx").write_bytes(b"not a zip file at all")
    (corpus / "scan.pdf").write_bytes(b"%PDF-1.4 truncated")
    (corpus / "dup.txt").write_text(SMALL, encoding="utf-8")
    (corpus / "dup.md").write_text(SMALL, encoding="utf-8")
    (corpus / "badmeta.txt").write_text("（一）补贴一万元。", encoding="utf-8")
    (corpus / "badmeta.meta.json").write_text("{oops", encoding="utf-8")
    return {"gbk": "iconv", "binary": "binary", "empty": "empty", "word": "Word", "scan": "PDF", "badmeta": "JSON",
            "dup": "同名"}


def test_every_bad_file_reported_good_ones_loaded(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.txt").write_text(SMALL, encoding="utf-8")
    shutil.copy(SHAPES / "feixi-2025.txt", corpus)
    needles = bad_files(corpus)
    load = load_corpus(corpus)
    assert sorted(ln.notice.doc_id for ln in load.loaded) == ["feixi-2025", "small"]
    by_id: dict[str, list[str]] = {}
    for r in load.rejected:
        by_id.setdefault(r.doc_id, []).append(r.message)
        assert "\n" not in r.message and Path(r.path).stem in r.message and "Traceback" not in r.message
    assert set(by_id) == set(needles)
    for doc_id, word in needles.items():
        assert any(word in m for m in by_id[doc_id]), (doc_id, by_id[doc_id])
    assert len(by_id["dup"]) == 2  # dup.txt and dup.md share an id: both reported, neither guessed


def test_nothing_usable_builds_no_empty_index(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gbk.txt").write_bytes("（一）补贴一万元。".encode("gb18030"))
    a = Assistant(load_settings(corpus_dir=corpus, data_dir=tmp_path / "data"))
    outcome = a.ingest(progress=False)
    assert not outcome.ok and outcome.notices == 0 and "nothing indexed" in outcome.summary()
    assert not a.index.exists()


def test_size_cap_and_large_junk(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = random.Random(7)
    alphabet = "的一是了在人有我他这中大来上国个到说们为子和你地出道也时年，。（）１２３、一二三十"
    junk = "".join(rng.choice(alphabet) for _ in range(600_000))
    junk = "\n".join(junk[i:i + rng.randint(5, 300)] for i in range(0, len(junk), 150))
    (corpus / "junk.txt").write_text(junk, encoding="utf-8")  # about 1.8 MB of valid UTF-8
    with open(corpus / "huge.txt", "wb") as f:  # 50 MB of valid UTF-8 (issue 8)
        f.write(("补贴一万元。" * 1000 + "\n").encode() * 2800)
    load = load_corpus(corpus, max_bytes=20 * 1024 * 1024)
    assert [r.doc_id for r in load.rejected] == ["huge"] and "POLICYQA_MAX_NOTICE_MB" in load.rejected[0].message
    junk_units = load.loaded[0].units
    assert junk_units and all(u.text for u in junk_units)
    assert "".join(u.text for u in junk_units).count("的") == junk.count("的")  # nothing lost


@pytest.mark.parametrize("text", ["", "\n\n\n", "一、", "（一）", "第一条", "1.", "附件1", "附表\n\n",
                                  "百、十十、（零）第〇条", "（一）\n（一）\n（三）\n（二）", "（" * 5000,
                                  "一、" * 3000, "\t\t\n  \n\t", "第一章\n第一章\n第一条\n第一条",
                                  "①补贴\n②\n（²）\n²、", "附表\n序号\n金额\n1\n2\n2\n3"])
def test_no_traceback_for_odd_text(text):
    parsed = parse_entries(text.split("\n"), "odd")
    assert all(u.text for u in parsed.units)


def test_odd_markup_reads_without_traceback(tmp_path):
    for name, content in {"a.md": "| a |\n|---|\n" * 3 + "# \n**", "b.html": "<table><tr><td>" * 50,
                          "c.html": "<!-- only a comment -->", "d.md": "```\n（一）代码块\n"}.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        try:
            read_document(path)
        except Exception as exc:  # only our one-line rejection is allowed
            assert type(exc).__name__ == "NoticeRejected" and "\n" not in str(exc)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("ingest")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "small.txt").write_text(SMALL, encoding="utf-8")
    shutil.copy(SHAPES / "qingshanhu-nev-draft.txt", corpus)
    settings = load_settings(corpus_dir=corpus, data_dir=root / "data")
    outcome = Assistant(settings).ingest(progress=False)
    assert outcome.ok and outcome.notices == 2
    return settings


def test_a_bad_new_version_keeps_the_old_one_served(indexed, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(indexed.corpus_dir, corpus)
    shutil.copytree(indexed.data_dir, tmp_path / "data")
    settings = load_settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    (corpus / "small.txt").write_bytes(SMALL.replace("5万元", "8万元").encode("gb18030"))  # saved in the wrong encoding
    shutil.copy(SHAPES / "feixi-2025.txt", corpus)  # and a new good notice beside it
    a = Assistant(settings)
    outcome = a.ingest(progress=False)
    assert [r.doc_id for r in outcome.rejected] == ["small"] and not outcome.ok
    assert outcome.notices == 3 and outcome.embedded == sum(len(ln.units) for ln in outcome.loaded
                                                             if ln.notice.doc_id == "feixi-2025")
    unit, notice = a.clause("small", "一")
    assert "5万元" in unit.text and notice.title == "衢江区支持小微企业若干措施"  # the old version, still served
    assert "肥西县" in a.regions()
    (corpus / "small.txt").unlink()  # removed for good: it leaves the index
    assert Assistant(settings).ingest(progress=False).ok
    assert "small" not in {n.doc_id for n in Assistant(settings).notices()}


def test_cli_ingest_summary_and_exit_status(indexed, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(indexed.corpus_dir, corpus)
    shutil.copytree(indexed.data_dir, tmp_path / "data")
    env = {"POLICYQA_CORPUS": str(corpus), "POLICYQA_DATA_DIR": str(tmp_path / "data")}
    ok = run("ingest", "-q", "--all", env=env)  # every file read again: every notice summarised
    assert ok.returncode == 0 and ok.stderr == ""
    assert "qingshanhu-nev-draft.txt" in ok.stdout and "条款 15/15" in ok.stdout and "（征求意见稿）" in ok.stdout
    assert "按段落" not in ok.stdout and "index up to date" in ok.stdout
    (corpus / "gbk.txt").write_bytes("（一）补贴一万元。".encode("gb18030"))
    (corpus / "big.txt").write_text("补贴" * 600_000, encoding="utf-8")
    bad = run("ingest", "-q", env={**env, "POLICYQA_MAX_NOTICE_MB": "1"})
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 2 and any("gbk.txt" in l and "iconv" in l for l in lines)
    assert any("big.txt" in l and "上限 1.0 MB" in l for l in lines)
    assert "qingshanhu-nev-draft：未改动" in bad.stdout  # the good notices are still indexed and listed


def test_cli_inspect_shows_the_tree_without_indexing(tmp_path):
    env = {"POLICYQA_DATA_DIR": str(tmp_path / "data")}
    proc = run("inspect", str(SHAPES / "keqiao-yijiuhuanxin-banfa.txt"), env=env)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "第十条第（一）项第2目" in out and "第二章 汽车以旧换新补贴" in out and "条款 26/26" in out
    assert "doc_number      柯政办发〔2025〕9号  [正文]" in out and "status          final  [正文]" in out
    assert not (tmp_path / "data").exists()  # the index was not touched
    js = json.loads(run("inspect", "--json", str(SHAPES / "nanhai-rencai.md"), env=env).stdout)
    assert js["report"]["metadata_sources"]["published"] == ".meta.json"
    assert [u["label"] for u in js["units"] if u["kind"] == "table_row"][0] == "附表1 第1行"
    missing = run("inspect", str(tmp_path / "nope.txt"), env=env)
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
    (tmp_path / "gbk.txt").write_bytes("（一）补贴".encode("gb18030"))
    gbk = run("inspect", str(tmp_path / "gbk.txt"), env=env)
    assert gbk.returncode == 1 and "iconv" in gbk.stderr and "Traceback" not in gbk.stderr
