"""The CLI through its installed entry point, including every kind of bad input."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

POLICYQA = shutil.which("policyqa", path=str(Path(sys.executable).parent)) or shutil.which("policyqa")


def run(*args, env=None, stdin=None, timeout=300, cwd=None):
    assert POLICYQA, "the policyqa console script is not installed (pip install -e .)"
    return subprocess.run([POLICYQA, *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          input=stdin, timeout=timeout, cwd=cwd)


def one_line_error(proc) -> str:
    assert proc.returncode != 0
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_ask_json_contract(assistant):
    proc = run("ask", "衢州市新能源汽车以旧换新最高补贴多少？", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "answered" and out["mode"] == "extractive"
    assert "1.5万元/辆" in out["answer"]
    assert {(c["doc_id"], c["clause"]) for c in out["citations"]} >= {("quzhou-2025", "（十四）")}


def test_ask_messages_file(assistant, tmp_path):
    msgs = tmp_path / "m.json"
    msgs.write_text(json.dumps([{"role": "user", "content": "衢州新能源汽车以旧换新最高补贴多少？"},
                                {"role": "assistant", "content": "1.5万元/辆"},
                                {"role": "user", "content": "那燃油车呢？"}], ensure_ascii=False), encoding="utf-8")
    proc = run("ask", "--json", "--messages", str(msgs))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "1.3万元/辆" in out["answer"] and out["citations"][0]["clause"] == "（十四）"


def test_search_show_and_ingest(assistant):
    proc = run("search", "研发费用补助", "--region", "金东", "-k", "3", "--json")
    hits = json.loads(proc.stdout)
    assert len(hits) == 3 and hits[0]["clause"] == "（七）" and all(h["region"] == "金华市金东区" for h in hits)
    show = run("show", "衢州", "十四")
    assert show.returncode == 0 and "新能源汽车最高补贴1.5万元/辆" in show.stdout
    ingest = run("ingest")
    assert ingest.returncode == 0 and "nothing embedded" in ingest.stdout


def test_chat_session(assistant):
    proc = run("chat", stdin="衢州新能源汽车以旧换新最高补贴多少？\n那燃油车呢？\nexit\n")
    assert proc.returncode == 0, proc.stderr
    assert "1.5万元/辆" in proc.stdout and proc.stdout.count("（十四）") >= 2


@pytest.mark.parametrize("question,needle", [("", "empty"), ("   ", "empty"), ("问" * 10000, "shorten"),
                                             ("补贴\x07多少", "control characters")])
def test_bad_questions(assistant, question, needle):
    assert needle in one_line_error(run("ask", question))


def test_unknown_clause(assistant):
    assert "no clause" in one_line_error(run("show", "衢州", "九十"))
    assert "no notice" in one_line_error(run("show", "杭州", "一"))


def test_bad_messages_file(assistant, tmp_path):
    f = tmp_path / "m.json"
    f.write_text("{not json", encoding="utf-8")
    assert "JSON" in one_line_error(run("ask", "--messages", str(f)))


def _good_index(tmp_path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    src = Path(__file__).resolve().parent.parent / "corpus"
    for name in ("jindong-2025-draft.txt", "jindong-2025-draft.meta.json"):
        shutil.copy(src / name, corpus / name)
    data = tmp_path / "data"
    assert run("ingest", "-q", env={"POLICYQA_CORPUS": str(corpus), "POLICYQA_DATA_DIR": str(data)}).returncode == 0
    return corpus, data


def test_bad_notices_leave_the_index_untouched(tmp_path):
    corpus, data = _good_index(tmp_path)
    env = {"POLICYQA_CORPUS": str(corpus), "POLICYQA_DATA_DIR": str(data)}
    meta = '{"title": "t", "issuer": "i", "region": "杭州市", "status": "final"}'
    cases = {"gbk.txt": ("（一）补贴一万元。".encode("gb18030"), "not UTF-8"),
             "nul.txt": (b"\x00\x01binary", "binary")}
    for name, (content, needle) in cases.items():
        (corpus / name).write_bytes(content)
        (corpus / name.replace(".txt", ".meta.json")).write_text(meta, encoding="utf-8")
        proc = run("ingest", "-q", env=env)
        assert needle in one_line_error(proc) and name in one_line_error(proc)
        assert "jindong-2025-draft：未改动" in proc.stdout  # the good notice is still listed and served
        (corpus / name).unlink()
        (corpus / name.replace(".txt", ".meta.json")).unlink()
        ok = run("ask", "金东区研发费用补助最高多少", "--json", env=env)
        assert ok.returncode == 0 and "500万元" in json.loads(ok.stdout)["answer"]
    (corpus / "nometa.txt").write_text("（一）补贴一万元。", encoding="utf-8")  # no .meta.json: read from the text
    proc = run("ingest", "-q", env=env)
    assert proc.returncode == 0 and "nometa.txt" in proc.stdout and "Traceback" not in proc.stderr


def test_missing_corpus_and_corrupt_index(tmp_path):
    env = {"POLICYQA_CORPUS": str(tmp_path / "missing"), "POLICYQA_DATA_DIR": str(tmp_path / "d1")}
    assert "does not exist" in one_line_error(run("ingest", env=env))
    (tmp_path / "d2" / "index").mkdir(parents=True)
    (tmp_path / "d2" / "index" / "chroma.sqlite3").write_bytes(b"garbage" * 500)
    line = one_line_error(run("ask", "衢州低保标准", env={"POLICYQA_DATA_DIR": str(tmp_path / "d2")}))
    assert "cannot be opened" in line and "policyqa ingest" in line


def test_feedback_export_to_stdout_and_file(assistant, tmp_path):
    from assistant.web.feedback import FeedbackStore

    question = "衢州低保标准是多少（导出测试）"
    FeedbackStore(assistant.settings.feedback_db).log_answer(assistant.ask(question).to_dict(), question,
                                                             channel="api")
    proc = run("feedback", "export", "--out", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip("\ufeff").startswith("id,created_at") and question in proc.stdout
    assert not (tmp_path / "-").exists()
    out = tmp_path / "fb.csv"
    assert run("feedback", "export", "--out", str(out)).returncode == 0
    assert question in out.read_text(encoding="utf-8-sig")


def test_messages_edge_cases(assistant, tmp_path):
    assert "cannot be read" in one_line_error(run("ask", "--messages", str(tmp_path)))
    parts = tmp_path / "parts.json"
    parts.write_text(json.dumps([{"role": "user", "content": [{"type": "text", "text": 5}]},
                                 {"role": "assistant", "content": None},
                                 {"role": "user", "content": [{"type": "text", "text": "衢州低保标准多少"}]}],
                                ensure_ascii=False), encoding="utf-8")
    proc = run("ask", "--json", "--messages", str(parts))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["citations"][0]["clause"] == "（五十）"
    only_assistant = tmp_path / "a.json"
    only_assistant.write_text('[{"role": "assistant", "content": "你好"}]', encoding="utf-8")
    assert "last item" in one_line_error(run("ask", "--messages", str(only_assistant)))


def test_chat_with_an_unknown_region_fails_at_once(assistant):
    proc = run("chat", "--region", "杭州", stdin="衢州低保多少\n")
    assert "no notice" in one_line_error(proc)


def test_ask_reads_a_piped_question(assistant):
    proc = run("ask", "--json", stdin="衢州市新能源汽车以旧换新最高补贴多少？\n")
    assert proc.returncode == 0, proc.stderr
    assert "1.5万元/辆" in json.loads(proc.stdout)["answer"]
    dash = run("ask", "-", stdin="衢州低保标准多少")
    assert dash.returncode == 0 and "（五十）" in dash.stdout
    assert "empty" in one_line_error(run("ask", stdin=""))


def test_help_lists_serve_and_loads_no_retrieval_stack():
    proc = run("--help")
    assert proc.returncode == 0 and "serve" in proc.stdout and "chat" in proc.stdout
    serve = run("serve", "--help")
    assert "--port" in serve.stdout and "--host" in serve.stdout
    probe = subprocess.run([sys.executable, "-c", "import sys; from assistant.cli import build_parser; "
                            "build_parser(); print(sorted(m for m in ('chromadb', 'jieba', 'gradio', 'langchain',"
                            " 'assistant.assistant') if m in sys.modules))"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"


def test_ask_hands_its_question_to_a_running_server_on_the_same_data_dir(assistant, tmp_path):
    """A `policyqa serve` (here `python app.py`) that is up answers `policyqa ask` for it: the same JSON
    as answering in-process, logged as a CLI question. Different answer settings, a stopped server
    or a file left by a killed one: the CLI answers in its own process."""
    from tests.app_server import Server, free_port

    data = tmp_path / "data"
    shutil.copytree(assistant.settings.index_dir, data / "index")
    env = {**os.environ, "POLICYQA_DATA_DIR": str(data), "POLICYQA_PORT": str(free_port()),
           "POLICYQA_HOST": "127.0.0.1"}
    question = "衢州市新能源汽车以旧换新最高补贴多少？"
    server = Server(env, tmp_path / "server.log")
    try:
        server.wait_ready()
        record = json.loads((data / "server.json").read_text(encoding="utf-8"))
        assert record["url"] == server.base and record["pid"] == server.proc.pid
        served = run("-v", "ask", question, "--json", env=env)
        assert served.returncode == 0 and "answered by the server" in served.stderr, served.stderr
        local = run("ask", "--local", question, "--json", env=env)
        assert local.returncode == 0, local.stderr
        assert json.loads(served.stdout) == json.loads(local.stdout)
        assert "1.5万元/辆" in json.loads(served.stdout)["answer"]
        text = run("ask", question, env=env)
        assert "1.5万元/辆" in text.stdout and "（十四）" in text.stdout
        exported = run("feedback", "export", env=env)
        assert any(r["channel"] == "cli" and r["question"] == question
                   for r in csv.DictReader(io.StringIO(exported.stdout)))
        other_day = run("-v", "ask", question, env={**env, "POLICYQA_TODAY": "2025-06-01"})
        assert other_day.returncode == 0 and "answered by the server" not in other_day.stderr
        assert "1.5万元/辆" in other_day.stdout and "已于" not in other_day.stdout  # in force on that day
        assert "火星" in one_line_error(run("ask", "--region", "火星", "补贴多少", env=env))
    finally:
        server.stop()
    assert not (data / "server.json").exists()
    (data / "server.json").write_text(json.dumps(record), encoding="utf-8")  # as a killed server leaves it
    stale = run("-v", "ask", question, env=env)
    assert stale.returncode == 0 and "answered by the server" not in stale.stderr and "1.5万元/辆" in stale.stdout


def test_output_cut_short_by_its_reader_is_no_error(tmp_path):
    """`policyqa inspect FILE --json | head -3`: the reader closes the pipe; no traceback on the terminal."""
    from assistant.parsing import to_numeral

    notice = tmp_path / "long.txt"  # more output than a pipe holds (64 KiB), so the writer meets the close
    notice.write_text("某县若干措施\n为促进发展，制定以下措施。\n" + "\n".join(
        f"（{to_numeral(n)}）支持事项{n}。对符合条件的经营主体，给予一次性补助{n}万元，最高不超过{n + 5}万元。"
        for n in range(1, 400)), encoding="utf-8")
    proc = subprocess.Popen([POLICYQA, "inspect", str(notice), "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # as head does after its lines
    err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=60) in (0, 141) and first and "Traceback" not in err, err
