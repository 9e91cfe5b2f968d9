"""The `policyqa` command: ingest, inspect, search, show, ask, chat, serve, eval, feedback export.

Errors a user can act on (PolicyQAError) print as one line on stderr with a non-zero exit.
Each command imports what it needs when it runs (`policyqa --help` loads no retrieval stack, no
web framework), so this module imports only the standard library and the error classes.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .errors import BadQuestion, PolicyQAError

EXIT_ERROR = 1


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _assistant():
    from .assistant import Assistant

    return Assistant()


def cmd_ingest(args) -> int:
    from .index.corpus import ingest_corpus  # the index and the parser only: no answering stack to import
    from .settings import load_settings

    outcome = ingest_corpus(load_settings(), progress=not args.quiet, reread=args.all)
    print(outcome.summary())
    for rejection in outcome.rejected:  # one line each: the file, what is wrong, what to do
        print(f"policyqa: {rejection.message}", file=sys.stderr)
    return 0 if outcome.ok else EXIT_ERROR


def cmd_inspect(args) -> int:
    """Parse one file and print its tree; the index is not touched."""
    from .ingest_report import inspect_text
    from .notices import load_notice
    from .settings import load_settings

    path = Path(args.file)
    if not path.is_file():
        raise BadQuestion(f"{path}: 没有这个文件 / no such file; give the path of a notice (.txt .md .html .pdf .docx).")
    ln = load_notice(path, load_settings().max_notice_bytes)
    if args.json:
        from dataclasses import asdict

        _print_json({"notice": {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                for k, v in asdict(ln.notice).items()},
                     "report": asdict(ln.report),
                     "units": [{"kind": u.kind, "label": u.label, "heading": u.heading, "section": u.section,
                                "lead_department": u.lead_department, "responsible": u.responsible,
                                "text": u.text, "items": [{"label": i.label, "path": i.path,
                                                           "text": u.text[i.start:i.end]} for i in u.items]}
                               for u in ln.units]})
    else:
        print(inspect_text(ln))
    return 0


def cmd_search(args) -> int:
    hits = _assistant().search(args.query, region=args.region, k=args.k)
    if args.json:
        _print_json([{"doc_id": h.notice.doc_id, "region": h.notice.region, "doc_title": h.notice.quoted_title,
                      "clause": h.unit.label, "heading": h.unit.heading, "score": round(h.score, 4),
                      "text": h.unit.text} for h in hits])
        return 0
    if not hits:
        print("没有找到相关条款 / no matching clauses.")
    for i, h in enumerate(hits, 1):
        print(f"{i}. [{h.notice.region}] {h.unit.label} {h.unit.heading}  (score {h.score:.3f})")
        print(f"   {h.unit.text[:160]}{'…' if len(h.unit.text) > 160 else ''}")
    return 0


def cmd_show(args) -> int:
    a = _assistant()
    if args.clause:
        unit, notice = a.clause(args.notice, args.clause)
        print(f"{notice.quoted_title} {unit.label}" + ("（征求意见稿）" if notice.status == "draft" else ""))
        if unit.section:
            print(f"{unit.section}" + (f"（{unit.lead_department}牵头）" if unit.lead_department else ""))
        print(unit.text)
        return 0
    for notice in a.resolve_notices(args.notice):
        print(f"{notice.quoted_title}  {notice.issuer}  {notice.status}")
        for unit in a.units(notice.doc_id):
            print(f"\n{unit.text}")
    return 0


def _read_messages(path: str) -> tuple[str, list[dict]]:
    try:
        raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        messages = json.loads(raw)
    except FileNotFoundError:
        raise BadQuestion(f"{path}: no such file; give the path of a JSON list of messages.") from None
    except OSError as exc:
        raise BadQuestion(f"{path}: cannot be read ({exc.strerror}); give the path of a JSON file.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadQuestion(f"{path}: not a UTF-8 JSON file ({exc}).") from None
    if not (isinstance(messages, list) and messages and isinstance(messages[-1], dict)
            and messages[-1].get("role") == "user"):
        raise BadQuestion(f"{path}: expected a JSON list of {{\"role\", \"content\"}} objects whose last item "
                          "is the user's question.")
    from .validation import content_text

    return content_text(messages[-1].get("content")), messages[:-1]


def _read_stdin_question() -> str:
    try:
        return sys.stdin.buffer.read().decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadQuestion("standard input is not UTF-8 text; send the question as UTF-8.") from None


def cmd_ask(args) -> int:
    if args.messages:
        question, history = _read_messages(args.messages)
    elif args.question == "-" or (args.question is None and not sys.stdin.isatty()):
        question, history = _read_stdin_question(), []  # echo "…" | policyqa ask
    elif args.question is not None:
        question, history = args.question, []
    else:
        raise BadQuestion("give a question: policyqa ask \"…\"  (or pipe it in, or --messages FILE)")
    answer = None if args.local else _ask_running_server(question, history, args.region)
    if answer is None:
        answer = _assistant().ask(question, history=history, region=args.region).to_dict()
    if args.json:
        _print_json(answer)
    else:
        print(answer["answer"])
        for c in answer["citations"]:
            print(f"  — {c['doc_title']}{c['path'] or c['clause']} {c['heading']}")
    return 0


def _ask_running_server(question: str, history: list[dict], region: str | None) -> dict | None:
    """The answer of a `policyqa serve` running on this data dir with the same answer settings
    (assistant/running_server.py), or None: then this process answers."""
    from . import running_server
    from .settings import load_settings
    from .validation import to_messages

    settings = load_settings()
    url = running_server.find(settings)
    if url is None:
        return None
    turns = [{"role": m.role, "content": m.content} for m in to_messages(history)]  # as this process reads them
    return running_server.ask(settings, url, question, turns, region)


def _line_editing(history_file: Path):
    """Arrow keys, Ctrl-R and a history kept between sessions, when a person types at a terminal."""
    try:
        import readline
    except ImportError:  # no GNU readline on this platform: plain input() still works
        return None
    readline.set_history_length(1000)
    try:
        readline.read_history_file(history_file)
    except (FileNotFoundError, OSError):
        pass
    return readline


def _save_history(readline, history_file: Path) -> None:
    try:
        history_file.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history_file)
    except OSError as exc:
        print(f"policyqa: could not save the chat history to {history_file} ({exc.strerror}).", file=sys.stderr)


def cmd_chat(args) -> int:
    from .types import Answer

    a = _assistant()
    a.ensure_index()
    if args.region:
        a.resolve_notices(args.region)  # an unknown region fails now, not at every question
    interactive = sys.stdin.isatty()
    history_file = a.settings.data_dir / "chat_history"
    readline = _line_editing(history_file) if interactive else None
    prompt = "你> " if interactive else ""
    history: list[dict] = []
    if interactive:
        print("policyqa 对话：输入问题，回车提问；↑/↓ 翻看问过的问题；输入 exit 或按 Ctrl-D 退出。")
    try:
        while True:
            try:
                question = input(prompt).strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if question.lower() in ("exit", "quit", "退出"):
                return 0
            if not question:
                continue
            try:
                print("policyqa> ", end="", flush=True)
                final = None
                for part in a.ask_stream(question, history=history, region=args.region):
                    if isinstance(part, Answer):
                        final = part
                    else:
                        print(part, end="", flush=True)
                print()
                for c in final.citations:
                    print(f"  — {c.doc_title}{c.where} {c.heading}")
                history += [{"role": "user", "content": question},
                            {"role": "assistant", "content": final.answer}]
            except PolicyQAError as exc:
                print(f"\n{exc}")
    finally:
        if readline is not None:
            _save_history(readline, history_file)


def cmd_serve(args) -> int:
    from .web.launch import serve

    return serve(host=args.host, port=args.port, log_level=args.log_level)


def cmd_eval(args) -> int:
    from .evaluation import run_cli

    return run_cli(args)


def cmd_feedback(args) -> int:
    from .settings import load_settings
    from .web.feedback import export_feedback_csv

    out = sys.stdout if args.out == "-" else args.out
    count = export_feedback_csv(load_settings(), out)
    print(f"exported {count} rows to {'standard output' if args.out == '-' else args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="policyqa", description="Cited, figure-exact answers about policy notices.")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="(re)build the index from the corpus folder, embedding only what changed")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.add_argument("--all", action="store_true",
                   help="read every file again and print each notice's summary (only what changed is written)")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("inspect", help="show how one notice file is parsed (its tree and metadata), without indexing")
    s.add_argument("file", help="a notice file: .txt .md .html .pdf .docx")
    s.add_argument("--json", action="store_true", help="print the units and metadata as JSON")
    s.set_defaults(func=cmd_inspect)

    s = sub.add_parser("search", help="list the clauses that match a query")
    s.add_argument("query")
    s.add_argument("--region", help="衢州, 金东, … or a notice id")
    s.add_argument("-k", type=int, default=5, help="how many clauses (1-50)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    s = sub.add_parser("show", help="print a clause: policyqa show 衢州 十四 (or a whole notice)")
    s.add_argument("notice", help="region (衢州, 金东) or notice id")
    s.add_argument("clause", nargs="?", help="clause number: 十四, （十四） or 14")
    s.set_defaults(func=cmd_show)

    s = sub.add_parser("ask", help="answer a question with citations")
    s.add_argument("question", nargs="?", help="the question ('-' or omitted with piped input: read standard input)")
    s.add_argument("--messages", metavar="FILE", help="JSON list of {role, content}; the last is the question ('-' = stdin)")
    s.add_argument("--region")
    s.add_argument("--json", action="store_true", help="print the JSON contract")
    s.add_argument("--local", action="store_true",
                   help="answer in this process even when a `policyqa serve` on the same data dir is up")
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("chat", help="interactive session with follow-ups (line editing and history)")
    s.add_argument("--region")
    s.set_defaults(func=cmd_chat)

    s = sub.add_parser("serve", help="the web server: chat page, hotline console, HTTP and OpenAI-compatible API")
    s.add_argument("--host", help="listen address (default POLICYQA_HOST, else 127.0.0.1)")
    s.add_argument("--port", type=int, help="listen port (default POLICYQA_PORT, else 7860)")
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("eval", help="run the eval suite and print the scores")
    s.add_argument("--set", dest="set_paths", action="append", metavar="FILE",
                   help="cases JSONL; repeat for several sets (default evals/cases.jsonl)")
    s.add_argument("--corpus", metavar="DIR", help="the notices folder the sets ask about (default: POLICYQA_CORPUS "
                   "or ./corpus); another folder gets its own index under the data dir")
    s.add_argument("--mode", choices=["extractive", "llm"], default="extractive")
    s.add_argument("--report", metavar="DIR", help="write report.md and a chart here (other sets than "
                   "cases.jsonl in DIR/<set name>)")
    s.add_argument("--check", action="store_true", help="exit non-zero below a set's thresholds "
                   "(evals/<set name>.thresholds.json; evals/thresholds.json for cases.jsonl)")
    s.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=None,
                   help="score the generic chunk retriever too (default: on for the default corpus only)")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("feedback", help="feedback and question log")
    fsub = s.add_subparsers(dest="feedback_command", required=True)
    e = fsub.add_parser("export", help="export the log as CSV")
    e.add_argument("--out", default="-", help="CSV file ('-' = stdout)")
    e.set_defaults(func=cmd_feedback)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except PolicyQAError as exc:
        print(f"policyqa: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("policyqa: interrupted; the index keeps its last good state.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `policyqa inspect … | head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141


if __name__ == "__main__":
    sys.exit(main())
