"""The HTTP API against a real uvicorn server on 127.0.0.1 (real Assistant, real index).

Clients behind "proxies" are simulated with X-Forwarded-For, which uvicorn trusts from 127.0.0.1:
that gives each test its own client IP for the per-IP limit, and non-loopback clients for the
loopback-only rule.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
import io
import json
import uuid

import httpx
import pytest

from tests.conftest_web import API_KEYS, CORS_ORIGIN, keyed_server, open_server, web_logs  # noqa: F401

QUESTION = "衢州买新能源汽车以旧换新能补贴多少？"


def client(server, ip: str | None = None, key: str | None = None) -> httpx.Client:
    headers = {}
    if ip:
        headers["X-Forwarded-For"] = ip
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=60)


def fresh_ip() -> str:
    """A distinct documentation-range client address per call (own rate-limit bucket)."""
    n = uuid.uuid4().int
    return f"198.51.{n % 250 + 1}.{n // 250 % 250 + 1}"


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields.get("event", "message"), json.loads(fields["data"])))
    return events


def assert_chinese_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    message = body["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    return body


# ---------------------------------------------------------------- answers


def test_health_and_request_id(open_server):
    with client(open_server) as c:
        r = c.get("/api/v1/healthz")
        assert r.status_code == 200
        assert r.json()["auth"] == "loopback_only"
        assert set(r.json()["regions"]) == {"衢州市", "金华市金东区"}
        assert len(r.headers["x-request-id"]) == 32
        echoed = c.get("/api/v1/healthz", headers={"X-Request-ID": "trace-42"})
        assert echoed.headers["x-request-id"] == "trace-42"
        # every response carries one, the gradio pages included
        assert c.get("/").headers["x-request-id"]
        assert c.get("/console/").headers["x-request-id"]
        assert c.get("/console").headers["location"].endswith("/console/")


def test_ask_returns_the_contract_with_figures_from_the_cited_clause(open_server):
    with client(open_server) as c:
        r = c.post("/api/v1/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"status", "answer", "citations", "mode"}
    assert body["status"] == "answered" and body["mode"] == "extractive"
    cite = body["citations"][0]
    assert (cite["region"], cite["clause"], cite["status"]) == ("衢州市", "（十四）", "final")
    assert "1.5万元/辆" in body["answer"] and "1.5万元/辆" in cite["text"]
    assert len(r.headers["x-answer-id"]) == 32


def test_ask_with_messages_and_region(open_server):
    messages = [{"role": "user", "content": "金东区新认定的省级重点实验室奖励多少？"}]
    with client(open_server) as c:
        r = c.post("/api/v1/ask", json={"messages": messages, "region": "金华市金东区"})
        bad_region = c.post("/api/v1/ask", json={"question": "补贴", "region": "杭州市"})
        bad_last = c.post("/api/v1/ask", json={"messages": [{"role": "assistant", "content": "你好"}]})
    body = r.json()
    assert body["citations"] and all(ci["region"] == "金华市金东区" for ci in body["citations"])
    assert body["citations"][0]["status"] == "draft"
    assert "200万元" in body["answer"]
    assert "杭州市" in assert_chinese_error(bad_region, 422)["error"]["message"]
    assert_chinese_error(bad_last, 422)


def test_region_aliases_and_odd_content_parts(open_server):
    with client(open_server) as c:
        short = c.post("/api/v1/ask", json={"question": "低保标准多少", "region": "衢州"})
        odd = c.post("/api/v1/ask", json={"messages": [
            {"role": "user", "content": [{"type": "text", "text": 5}]},
            {"role": "assistant", "content": [{"type": "text", "text": None}]},
            {"role": "user", "content": [{"type": "text", "text": "衢州低保标准多少"}]}]})
        empty = c.post("/api/v1/ask", json={"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]})
    assert short.status_code == 200 and {ci["region"] for ci in short.json()["citations"]} == {"衢州市"}
    assert odd.status_code == 200 and odd.json()["citations"][0]["clause"] == "（五十）"
    assert_chinese_error(empty, 422)


def test_ask_streams_server_sent_events_ending_with_the_contract(open_server):
    with client(open_server) as c:
        with c.stream("POST", "/api/v1/ask", json={"question": QUESTION, "stream": True}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            text = "".join(r.iter_text())
    events = sse_events(text)
    kinds = [k for k, _ in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"delta"}
    final = events[-1][1]
    assert final["citations"][0]["clause"] == "（十四）"
    assert "".join(d["text"] for k, d in events if k == "delta").startswith(final["answer"][:20])


def test_a_bad_question_is_refused_before_a_stream_starts(open_server):
    with client(open_server) as c:
        r = c.post("/api/v1/ask", json={"question": "补贴\x07多少", "stream": True})
    assert_chinese_error(r, 422)
    assert r.headers["content-type"].startswith("application/json")


def test_search_lists_clauses_with_figure_offsets(open_server):
    with client(open_server) as c:
        r = c.get("/api/v1/search", params={"q": "以旧换新", "region": "衢州市", "k": 3})
    hits = r.json()["hits"]
    assert 1 <= len(hits) <= 3 and hits[0]["clause"] == "（十四）"
    figs = hits[0]["figures"]
    assert any(f["text"] == "1.5万元/辆" for f in figs)
    assert all(hits[0]["text"][f["start"]:f["end"]] == f["text"] for f in figs)


def test_notices_and_clause_lookup(open_server):
    with client(open_server) as c:
        notices = c.get("/api/v1/notices").json()["notices"]
        by_id = {n["doc_id"]: n for n in notices}
        assert by_id["jindong-2025-draft"]["status"] == "draft"
        assert by_id["quzhou-2025"]["units"] > 20
        forms = [c.get(f"/api/v1/notices/quzhou-2025/clauses/{x}") for x in ("十四", "（十四）", "14")]
        assert all(r.status_code == 200 for r in forms)
        assert {r.json()["heading"] for r in forms} == {"更大力度支持消费品以旧换新"}
        assert c.get("/api/v1/notices/衢州/clauses/14").json()["doc_id"] == "quzhou-2025"
        whole = c.get("/api/v1/notices/quzhou-2025").json()
        assert [u["clause"] for u in whole["units"] if u["kind"] == "clause"][:2] == ["（一）", "（二）"]


def test_unknown_clause_and_notice_are_404(open_server):
    with client(open_server) as c:
        assert_chinese_error(c.get("/api/v1/notices/quzhou-2025/clauses/99"), 404)
        assert_chinese_error(c.get("/api/v1/notices/no-such-notice/clauses/1"), 404)
        assert_chinese_error(c.get("/api/v1/notices/no-such-notice"), 404)
        assert_chinese_error(c.get("/api/v1/nothing-here"), 404)


# ---------------------------------------------------------------- bad input


def test_bad_json_and_bad_fields(open_server):
    with client(open_server) as c:
        assert_chinese_error(c.post("/api/v1/ask", content=b"{not json",
                                    headers={"content-type": "application/json"}), 400)
        assert_chinese_error(c.post("/api/v1/ask", json={"question": ""}), 422)
        assert_chinese_error(c.post("/api/v1/ask", json={"question": 42}), 422)
        assert_chinese_error(c.post("/api/v1/ask", json=[1, 2]), 422)
        assert_chinese_error(c.get("/api/v1/search", params={"q": "补贴", "k": 0}), 422)
        assert_chinese_error(c.post("/api/v1/feedback", json={"answer_id": "x", "rating": "meh"}), 422)


def test_question_length_and_body_size_limits(open_server):
    limit = open_server.settings.max_question_chars
    with client(open_server) as c:
        too_long = c.post("/api/v1/ask", json={"question": "补" * (limit + 1)})
        assert str(limit) in assert_chinese_error(too_long, 422)["error"]["message"]
        huge = "补" * (open_server.settings.max_body_bytes // 3 + 10)  # 3 bytes per character
        assert_chinese_error(c.post("/api/v1/ask", json={"question": huge}), 413)
        # chunked upload, no Content-Length: counted as it arrives
        chunks = iter([b'{"question": "', "补".encode() * 30000, b'"}'])
        r = c.post("/api/v1/ask", content=chunks, headers={"content-type": "application/json"})
        assert_chinese_error(r, 413)


# ---------------------------------------------------------------- feedback


def test_feedback_is_logged_and_exported_as_csv(open_server, tmp_path):
    from assistant.web.feedback import FeedbackStore, export_feedback_csv

    with client(open_server) as c:
        r = c.post("/api/v1/ask", json={"question": "我的手机13812345678，身份证11010519491231002X，" + QUESTION})
        answer_id = r.headers["x-answer-id"]
        ok = c.post("/api/v1/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "想知道燃油车"})
        assert ok.json() == {"ok": True, "answer_id": answer_id}
        assert_chinese_error(c.post("/api/v1/feedback", json={"answer_id": "f" * 32, "rating": "up"}), 404)
    row = FeedbackStore(open_server.settings.feedback_db).get(answer_id)
    assert (row["rating"], row["channel"], row["comment"]) == ("down", "api", "想知道燃油车")
    assert "（十四）" in row["citations"]

    out = tmp_path / "feedback.csv"
    count = export_feedback_csv(open_server.settings, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert count == len(rows) >= 1
    mine = next(x for x in rows if x["id"] == answer_id)
    assert mine["rating"] == "down" and "《衢州市" in mine["citations"]
    assert "138****5678" in mine["question"] and "13812345678" not in out.read_text(encoding="utf-8-sig")
    assert "11010519491231002X" not in mine["question"]
    buffer = io.StringIO()
    assert export_feedback_csv(open_server.settings, buffer) == count


# ---------------------------------------------------------------- OpenAI-compatible


def test_openai_client_plain_and_streamed(open_server):
    from openai import OpenAI

    ai = OpenAI(base_url=f"{open_server.base_url}/v1", api_key="unused-on-loopback", max_retries=0)
    assert [m.id for m in ai.models.list()] == ["policyqa"]
    reply = ai.chat.completions.create(model="policyqa", messages=[{"role": "user", "content": QUESTION}])
    content = reply.choices[0].message.content
    assert "1.5万元/辆" in content and "出处" in content and "（十四）" in content
    assert reply.model_extra["citations"][0]["clause"] == "（十四）"
    assert reply.model_extra["policyqa"]["status"] == "answered"

    chunks = list(ai.chat.completions.create(model="policyqa", stream=True,
                                             messages=[{"role": "user", "content": QUESTION}]))
    streamed = "".join(ch.choices[0].delta.content or "" for ch in chunks)
    assert streamed == content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"][0]["heading"] == "更大力度支持消费品以旧换新"


# ---------------------------------------------------------------- a public backend


def test_without_keys_the_api_serves_loopback_only(open_server):
    with client(open_server, ip="203.0.113.7") as c:
        assert_chinese_error(c.post("/api/v1/ask", json={"question": QUESTION}), 403)
        assert_chinese_error(c.post("/v1/chat/completions", json={"messages": []}), 403)
        assert c.get("/").status_code == 200  # the residents' page stays public


def test_api_keys(keyed_server):
    with client(keyed_server, ip=fresh_ip()) as c:
        missing = c.get("/api/v1/notices")
        assert_chinese_error(missing, 401)
        assert missing.headers["www-authenticate"] == "Bearer"
        assert_chinese_error(c.get("/api/v1/notices", headers={"Authorization": "Bearer wrong"}), 401)
        assert_chinese_error(c.get("/api/v1/notices", headers={"Authorization": f"Basic {API_KEYS[0]}"}), 401)
        assert c.get("/api/v1/notices", headers={"Authorization": f"Bearer {API_KEYS[4]}"}).status_code == 200
        assert c.get("/api/v1/healthz").json()["auth"] == "api_keys"  # health needs no key


def test_rate_limit_per_ip_answers_429_with_retry_after(keyed_server):
    limit = keyed_server.settings.rate_limit_per_minute
    ip = fresh_ip()
    with client(keyed_server, ip=ip, key=API_KEYS[0]) as c:
        statuses = [c.get("/api/v1/notices").status_code for _ in range(limit)]
        assert statuses == [200] * limit
        blocked = c.get("/api/v1/notices")
    assert_chinese_error(blocked, 429)
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    with client(keyed_server, ip=ip, key=API_KEYS[2]) as other_key:  # same IP, other key: still blocked
        assert other_key.get("/api/v1/notices").status_code == 429
    with client(keyed_server, ip=fresh_ip(), key=API_KEYS[2]) as elsewhere:
        assert elsewhere.get("/api/v1/notices").status_code == 200


def test_rate_limit_per_key_across_ips(keyed_server):
    limit = keyed_server.settings.rate_limit_per_minute
    key = API_KEYS[3]
    statuses = []
    for _ in range(limit + 1):  # a new IP each time: only the key's own budget can run out
        with client(keyed_server, ip=fresh_ip(), key=key) as c:
            statuses.append(c.get("/api/v1/notices").status_code)
    assert statuses == [200] * limit + [429]


def test_cors_allow_list(keyed_server):
    with client(keyed_server, ip=fresh_ip()) as c:
        preflight = {"Origin": CORS_ORIGIN, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization,content-type"}
        allowed = c.options("/api/v1/ask", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == CORS_ORIGIN
        denied = c.options("/api/v1/ask", headers={"Origin": "http://127.0.0.2:8080",
                                                   "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in denied.headers


def test_small_body_limit_on_the_public_backend(keyed_server):
    big = {"question": "补" * 1500}  # 4.5 kB > 4096 bytes
    with client(keyed_server, ip=fresh_ip(), key=API_KEYS[5]) as c:
        assert_chinese_error(c.post("/api/v1/ask", json=big), 413)


def test_logs_are_json_with_request_ids_and_masked_numbers(open_server, web_logs):
    phone, id_card = "13912345678", "33080219900101123X"
    with client(open_server) as c:
        r = c.get("/api/v1/search", params={"q": f"联系电话{phone}身份证{id_card}以旧换新"},
                  headers={"X-Request-ID": "log-test-1"})
    assert r.status_code == 200
    records = web_logs.records()
    mine = [rec for rec in records if rec.get("request_id") == "log-test-1"]
    assert mine and mine[-1]["msg"] == "request" and mine[-1]["status"] == 200
    text = "\n".join(web_logs.lines)
    assert phone not in text and id_card not in text
    assert "139****5678" in mine[-1]["path"]
    assert all(rec["msg"] != "request" or rec["request_id"] for rec in records)


def test_masking_phone_and_id_card_numbers():
    import logging

    from assistant.web.security import JsonFormatter, mask_pii, request_id_var

    assert mask_pii("请回电13812345678。") == "请回电138****5678。"
    assert mask_pii("身份证号11010519491231002x") == "身份证号1****************x"
    assert mask_pii("合同号213812345678、金额15000000元") == "合同号213812345678、金额15000000元"
    token = request_id_var.set("a13912345678b")  # random hex may look like a phone number
    try:
        record = logging.makeLogRecord({"msg": "来电 13912345678", "levelname": "INFO"})
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["request_id"] == "a13912345678b" and line["msg"] == "来电 139****5678"


def test_unexpected_errors_become_a_chinese_500_without_a_trace():
    """The guard around every request, on an app whose handler fails."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from assistant.web.security import RequestGuard

    app = FastAPI()

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    app.add_middleware(RequestGuard, max_body_bytes=1024)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/boom")
    assert_chinese_error(r, 500)
    assert "secret internal detail" not in r.text


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_openapi_docs(open_server, path):
    with client(open_server) as c:
        r = c.get(path)
    assert r.status_code == 200
    if path == "/openapi.json":
        paths = r.json()["paths"]
        assert {"/api/v1/ask", "/api/v1/search", "/api/v1/notices", "/api/v1/feedback",
                "/api/v1/healthz", "/v1/chat/completions",
                "/api/v1/notices/{doc_id}/clauses/{clause}"} <= set(paths)


# ---------------------------------------------------------------- methods, encodings, docs


def test_a_wrong_method_is_405_with_the_methods_allowed(open_server):
    with client(open_server) as c:
        r = c.get("/api/v1/ask")
        body = assert_chinese_error(r, 405)
        assert r.headers["allow"] == "POST" and "/docs" in body["error"]["message"]
        assert c.post("/api/v1/notices").status_code == 405
        assert c.get("/v1/chat/completions").headers["allow"] == "POST"
        assert "/docs" in assert_chinese_error(c.get("/api/v1/nothing"), 404)["error"]["message"]


def test_a_body_that_is_not_utf8_is_told_to_send_utf8(open_server):
    gbk = json.dumps({"question": QUESTION}, ensure_ascii=False).encode("gb18030")
    with client(open_server) as c:
        r = c.post("/api/v1/ask", content=gbk, headers={"content-type": "application/json"})
        body = assert_chinese_error(r, 400)
        assert "UTF-8" in body["error"]["message"]
        bad = c.post("/api/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"})
        assert "UTF-8" in assert_chinese_error(bad, 400)["error"]["message"]


def test_error_messages_are_in_one_language(open_server):
    with client(open_server) as c:
        r = c.post("/api/v1/ask", json={"question": "补贴\x07多少"})
        message = assert_chinese_error(r, 422)["error"]["message"]
        assert not any(w in message for w in ("the question", "control characters"))
        missing = assert_chinese_error(c.get("/api/v1/notices/衢州/clauses/九十"), 404)["error"]["message"]
        assert "no clause" not in missing


def test_docs_assets_are_served_by_this_server(open_server):
    with client(open_server) as c:
        docs = c.get("/docs").text
        redoc = c.get("/redoc").text
        assert "/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
        assert "/docs-assets/redoc.standalone.js" in redoc and "fonts.googleapis" not in redoc
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
            r = c.get(f"/docs-assets/{asset}")
            assert r.status_code == 200 and len(r.content) > 10_000


def test_pages_built_in_the_background_after_the_api_is_up(assistant, web_logs):
    """What `policyqa serve` does: the API answers at once; the pages say they are starting (503,
    reloading), then appear."""
    import time as _time

    from tests.conftest_web import _serve

    from assistant.web.server import create_app  # noqa: F401  (import cost outside the timing)

    server = _serve(assistant, assistant.settings, pages="background")
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as c:
            early = c.get("/")
            assert c.get("/api/v1/healthz").status_code == 200
            if early.status_code == 503:  # the pages may already be up on a fast machine
                assert "正在启动" in early.text and early.headers["retry-after"] == "2"
            deadline = _time.monotonic() + 120
            while c.get("/api/v1/healthz").json()["pages"] != "ready":
                assert _time.monotonic() < deadline, "pages never became ready"
                _time.sleep(0.2)
            page = c.get("/console/")
            assert page.status_code == 200 and "<html" in page.text.lower()
            assert c.post("/api/v1/ask", json={"question": QUESTION}).status_code == 200
    finally:
        server.stop()


def test_gradio_is_imported_without_its_type_stub_writer(tmp_path):
    """assistant.web makes `import gradio` skip the per-import rewrite of its .pyi stubs (half of its
    import time, assistant/web/gradio_import.py); gradio's components still build. Fails if a gradio
    release renames the writer, to say the saving is gone."""
    code = (
        "import assistant.web, gradio as gr\n"
        "from gradio import component_meta\n"
        "print(component_meta.create_or_modify_pyi.__module__)\n"
        "with gr.Blocks() as demo:\n"
        "    box = gr.Textbox(label='问题')\n"
        "print(type(box).__name__, box.label)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert out.stdout.split("\n")[:2] == ["assistant.web.gradio_import", "Textbox 问题"]
