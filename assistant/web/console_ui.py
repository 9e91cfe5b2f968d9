"""Hotline console: find a clause while the caller is still talking, read out a cited answer.

Typing searches: matching clauses are listed once each, final notices before drafts, each with its
clause number as printed, heading, region and figures. The list is one Tab stop; the arrow keys
move through it and open each clause as they go (Space opens the first). Enter in the search box
drafts a full answer. The read-out names the clause as the notice prints it (（十四）, 第六条第（一）项)
and the departments to contact. On the right: this call's questions and clauses (select one to
open it again; "新来电" starts over) and the week's most asked questions, Alt+1…Alt+9.
Keyboard: "/" returns to the search box from anywhere (a focused result too), Alt+C copies.
"""
from __future__ import annotations

import html
import logging

import gradio as gr

from ..errors import PolicyQAError
from ..numbers import extract_amounts
from ..types import Answer, Citation, Hit, Note, Notice, Unit
from .chat_ui import (ALL_REGIONS, answer_html, citation_card, highlight, notes_html, notices_notes,
                      region_arg, warning_html)
from .feedback import FeedbackStore
from .security import request_id_of, request_id_var

log = logging.getLogger("policyqa.web.console")

RESULTS = 8
TOP_QUESTIONS = 9

CONSOLE_CSS = """
.pq-unit { padding: 6px 0; border-bottom: 1px dashed #e4e7ee; white-space: pre-wrap; line-height: 1.7; }
#pq-copy textarea { font-size: 1.02em; line-height: 1.6; }
#pq-copy-btn.pq-copied::after { content: " · 已复制 ✓"; }
#pq-pick label, #pq-history label, #pq-top label { width: 100%; justify-content: flex-start; }
"""

# Keyboard, added to the page <head>. Gradio gives every radio button a name of its own, so each
# result would be a Tab stop of its own; one name per list makes it one group: one Tab stop, and
# the arrow keys move (and select) within it, as in any form.
CONSOLE_HEAD = """<script>
(() => {
  const typing = (el) => !!el && (el.tagName === 'TEXTAREA' || el.isContentEditable ||
    (el.tagName === 'INPUT' && !['radio', 'checkbox', 'button', 'submit', 'reset', 'range', 'color', 'file']
      .includes((el.type || '').toLowerCase())));
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && !e.altKey && !e.ctrlKey && !e.metaKey && !typing(document.activeElement)) {
      const box = document.querySelector('#pq-q textarea, #pq-q input');
      if (box) { e.preventDefault(); e.stopPropagation(); box.focus(); box.select(); }
      return;
    }
    if (e.altKey && (e.code === 'KeyC' || e.key === 'c' || e.key === 'C')) {
      const btn = document.querySelector('#pq-copy-btn');
      if (btn) { e.preventDefault(); btn.click(); }
      return;
    }
    const digit = e.altKey && /^Digit([1-9])$/.exec(e.code || '');
    if (digit) {
      const item = document.querySelectorAll('#pq-top input[type=radio]')[Number(digit[1]) - 1];
      if (item) { e.preventDefault(); item.click(); }
    }
  }, true);
  const group = () => ['pq-pick', 'pq-history', 'pq-top'].forEach((id) =>
    document.querySelectorAll('#' + id + ' input[type=radio]').forEach((r) => { if (r.name !== id) r.name = id; }));
  new MutationObserver(group).observe(document.documentElement, {childList: true, subtree: true});
})();
</script>"""

COPY_JS = """() => {
  const box = document.querySelector('#pq-copy textarea');
  const text = box ? box.value : '';
  if (!text) return;
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text); }
  else { box.select(); document.execCommand('copy'); }
  const btn = document.querySelector('#pq-copy-btn');  // a class, not new text: svelte owns the text
  if (btn) { btn.classList.add('pq-copied'); setTimeout(() => btn.classList.remove('pq-copied'), 2000); }
}"""

DETAIL_HINT = '<div class="pq-hint">选择一条结果查看条款全文。</div>'


def _departments_line(departments) -> list[str]:
    names = list(dict.fromkeys(departments))
    return [f"具体办理可咨询：{'、'.join(names)}。"] if names else []


def clause_reply(c: Citation, notes: list[Note]) -> str:
    """Text staff can read out or paste: who issued what, the clause as the notice numbers it, its
    words, whom to contact, and any draft / ended note."""
    text = c.text[len(c.clause):].lstrip() if c.clause and c.text.startswith(c.clause) else c.text
    if c.heading and text.startswith(c.heading):
        text = text[len(c.heading):].lstrip("。；，: ：")
    heading = f"“{c.heading}”" if c.heading else ""
    return "\n".join([f"根据{c.issuer}{c.doc_title}{c.where}{heading}：{text}",
                      *_departments_line(c.departments), *(n.text for n in notes)])


def answer_reply(answer: Answer) -> str:
    lines = [answer.body]
    if answer.citations:
        lines.append("出处：" + "；".join(f"{c.issuer}{c.doc_title}{c.where}{c.heading}"
                                       for c in answer.citations))
    lines += _departments_line(d for c in answer.citations for d in c.departments)
    lines += [n.text for n in answer.notes]
    return "\n".join(lines)


def ranked(hits: list[Hit]) -> list[Hit]:
    """Each unit once, final notices before drafts, by relevance within each."""
    once = list({h.unit.unit_id: h for h in hits}.values())
    return sorted(once, key=lambda h: (h.notice.status == "draft", -h.score))


def result_label(i: int, h: Hit) -> str:
    u, n = h.unit, h.notice
    figures = list(dict.fromkeys(u.text[a.start:a.end] for a in (u.amounts or extract_amounts(u.text))))
    tag = "［征求意见稿］" if n.status == "draft" else ""
    figs = f" · {'、'.join(figures[:3])}" if figures else ""
    # an unnumbered paragraph has no heading of its own: its opening words tell two of them apart
    name = u.heading or (f"“{u.text[:18].strip()}…”" if len(u.text) > 18 else f"“{u.text.strip()}”")
    return f"{i}. {u.label}{name}（{n.short_region}）{tag}{figs}"


def notice_html(notice: Notice, units: list[Unit], notes: list[Note]) -> str:
    head = (f"<h3>{html.escape(notice.quoted_title)}</h3><div class=\"pq-hint\">"
            f"{html.escape(notice.issuer)} · {html.escape(notice.region)}</div>{notes_html(notes)}")
    body = "".join(f'<div class="pq-unit"><b>{html.escape(u.label)}</b> {highlight(u.text)}</div>'
                   for u in units)
    return head + body


def _history_choices(call: list[dict]) -> list[tuple[str, str]]:
    return [(item["label"], str(i)) for i, item in enumerate(call)][::-1]  # latest first


def build_console_ui(assistant, settings, store: FeedbackStore) -> gr.Blocks:

    notices = {n.doc_id: n for n in assistant.notices()}

    def unit_of(unit_id: str | None, doc_id: str | None) -> tuple[Unit, Notice] | None:
        if not unit_id or doc_id not in notices:
            return None
        unit = next((u for u in assistant.units(doc_id) if u.unit_id == unit_id), None)
        return (unit, notices[doc_id]) if unit else None

    def search(query: str, region: str):
        """Results for what is typed so far. The selection is left alone (no `value`): a search
        for an earlier keystroke that finishes late must not undo the operator's choice."""
        query = (query or "").strip()
        if not query:
            return "", gr.update(choices=[], value=None), []
        try:
            hits = ranked(assistant.search(query[: settings.max_question_chars], region=region_arg(region),
                                           k=RESULTS))
        except PolicyQAError as exc:
            return warning_html(str(exc)), gr.update(choices=[], value=None), []
        except Exception:
            log.exception("console search failed")
            return warning_html("暂时无法检索，请稍后再试。"), gr.update(choices=[], value=None), []
        if not hits:
            return (warning_html("没有找到匹配的条款，换个关键词试试（如：以旧换新、研发、人才）。"),
                    gr.update(choices=[], value=None), [])
        choices = [(result_label(i, h), h.unit.unit_id) for i, h in enumerate(hits, 1)]
        keys = [{"key": h.unit.unit_id, "doc_id": h.notice.doc_id} for h in hits]
        return "", gr.update(choices=choices), keys

    def show_clause(unit_id: str | None, doc_id: str | None):
        found = unit_of(unit_id, doc_id)
        if not found:
            return None
        unit, notice = found
        cite = Citation.from_unit(unit, notice)
        notes = notices_notes([notice], settings)
        card = citation_card(cite, open_=True, ended=notice.expired_on(settings.today))
        return notes_html(notes) + card, clause_reply(cite, notes), cite

    def remember(call: list[dict], item: dict):
        call = [c for c in call if c != item] + [item]
        return call, gr.update(choices=_history_choices(call), value=None)

    def open_clause(choice: str | None, hits: list[dict], call: list[dict]):
        doc_id = next((h["doc_id"] for h in hits if h["key"] == choice), None)
        shown = show_clause(choice, doc_id)
        if not shown:
            return gr.update(), gr.update(), call, gr.update()
        detail, reply, cite = shown
        call, history = remember(call, {"kind": "clause", "unit_id": choice, "doc_id": doc_id,
                                        "label": f"条款 {cite.region}{cite.where}{cite.heading}"})
        return detail, reply, call, history

    def open_notice(choice: str | None, hits: list[dict]):
        doc_id = next((h["doc_id"] for h in hits if h["key"] == choice), None)
        found = unit_of(choice, doc_id)
        if not found:
            return '<div class="pq-hint">先在结果中选择一条，再打开整篇通知。</div>'
        _, notice = found
        return notice_html(notice, assistant.units(notice.doc_id), notices_notes([notice], settings))

    def answer(query: str, region: str) -> tuple[str, str]:
        query = (query or "").strip()
        try:
            result = assistant.ask(query, region=region_arg(region))
        except PolicyQAError as exc:
            return warning_html(str(exc)), ""
        except Exception:
            log.exception("console answer failed")
            return warning_html("暂时无法生成答复，请稍后再试。"), ""
        store.log_answer(result.to_dict(), query, channel="console", region=region_arg(region))
        return answer_html(result, notices, settings), answer_reply(result)

    def draft_answer(query: str, region: str, call: list[dict], request: gr.Request):
        request_id_var.set(request_id_of(request))
        query = (query or "").strip()
        if not query:
            return gr.update(), gr.update(), call, gr.update()
        detail, reply = answer(query, region)
        call, history = remember(call, {"kind": "ask", "query": query, "region": region,
                                        "label": f"问 {query}"})
        return detail, reply, call, history

    def reopen(choice: str | None, call: list[dict], request: gr.Request):
        """A question or clause from earlier in this call, shown again."""
        request_id_var.set(request_id_of(request))
        if choice is None or not choice.isdigit() or int(choice) >= len(call):
            return gr.update(), gr.update(), gr.update()
        item = call[int(choice)]
        if item["kind"] == "ask":
            detail, reply = answer(item["query"], item["region"])
            return detail, reply, item["query"]
        shown = show_clause(item["unit_id"], item["doc_id"])
        return (shown[0], shown[1], gr.update()) if shown else (gr.update(), gr.update(), gr.update())

    def new_call():
        return [], gr.update(choices=[], value=None), "", DETAIL_HINT, ""

    def top_questions():
        try:
            top = store.top_questions(limit=TOP_QUESTIONS)
        except Exception:  # the list is a convenience: a log that cannot be read must not stop the page
            log.exception("most asked questions unavailable")
            top = []
        return gr.update(choices=[(f"Alt+{i} {q}（{n}次）", q) for i, (q, n) in enumerate(top, 1)], value=None)

    def ask_top(question: str | None, region: str, call: list[dict], request: gr.Request):
        if not question:
            return gr.update(), gr.update(), gr.update(), call, gr.update(), gr.update()
        detail, reply, call, history = draft_answer(question, region, call, request)
        return question, detail, reply, call, history, gr.update(value=None)

    with gr.Blocks(title="热线政策速查 · policyqa") as demo:
        gr.Markdown("## 热线政策速查\n边输边查条款；**回车**生成带出处的答复；**Tab** 移到结果，**方向键**逐条查看，"
                    "**空格**打开。快捷键：`/` 回到搜索框，`Alt+C` 复制答复，`Alt+1`…`Alt+9` 本周常问。")
        with gr.Row():  # region first, so Tab goes from the search box straight to the results
            region = gr.Dropdown(choices=[ALL_REGIONS, *assistant.regions()], value=ALL_REGIONS,
                                 label="地区", elem_id="pq-console-region", scale=1, min_width=140)
            query = gr.Textbox(label="搜索（关键词或来电问题）", elem_id="pq-q", autofocus=True,
                               placeholder="如：以旧换新、研发投入、第十四条", scale=4)
        with gr.Row():
            with gr.Column(scale=3):
                pick = gr.Radio(choices=[], label="匹配条款（Tab 移到这里，方向键逐条查看）", elem_id="pq-pick")
                results = gr.HTML(elem_id="pq-results")
            with gr.Column(scale=4):
                detail = gr.HTML(DETAIL_HINT, elem_id="pq-detail")
                open_btn = gr.Button("打开整篇通知", size="sm", elem_id="pq-open-notice")
                reply = gr.Textbox(label="答复（可朗读 / 粘贴）", lines=6, elem_id="pq-copy",
                                   interactive=True, buttons=["copy"])
                copy_btn = gr.Button("复制答复（含出处）", variant="primary", elem_id="pq-copy-btn")
            with gr.Column(scale=2):
                history = gr.Radio(choices=[], label="本次来电（选择可重新打开）", elem_id="pq-history")
                new_call_btn = gr.Button("新来电（清空记录）", size="sm", elem_id="pq-new-call")
                top = gr.Radio(choices=[], label="本周常问（Alt+1…9）", elem_id="pq-top")
        hits_state = gr.State([])
        call_state = gr.State([])

        private = dict(api_visibility="private", concurrency_limit=4)  # the public API is /api/v1
        search_args = dict(fn=search, inputs=[query, region], outputs=[results, pick, hits_state],
                           show_progress="hidden", trigger_mode="always_last", **private)
        # .change, not .input: gradio fires .input on keypress, which IME (拼音) typing never sends.
        query.change(**search_args)
        region.change(**search_args)
        query.submit(draft_answer, [query, region, call_state], [detail, reply, call_state, history], **private)
        # .input: only the operator opens a clause, not a search refreshing the list
        pick.input(open_clause, [pick, hits_state, call_state], [detail, reply, call_state, history],
                   show_progress="hidden", **private)
        open_btn.click(open_notice, [pick, hits_state], [detail], **private)
        copy_btn.click(None, None, None, js=COPY_JS)
        history.input(reopen, [history, call_state], [detail, reply, query], show_progress="hidden", **private)
        new_call_btn.click(new_call, None, [call_state, history, query, detail, reply], **private)
        top.input(ask_top, [top, region, call_state], [query, detail, reply, call_state, history, top],
                  show_progress="hidden", **private)
        demo.load(top_questions, None, [top], **private)
    return demo
