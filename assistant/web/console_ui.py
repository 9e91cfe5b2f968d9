"""Hotline console: find a clause while the caller is still talking, read out a cited answer.

Typing searches (clause number, heading, figures highlighted); Tab then Space opens a clause;
Enter in the search box drafts a full answer; "复制答复（含出处）" copies text ready to read out.
Keyboard: "/" focuses the search box, Alt+C copies the answer; everything else is Tab / Space.
"""
from __future__ import annotations

import html
import logging

import gradio as gr

from ..errors import PolicyQAError
from ..parsing import CN_NUMERAL
from ..types import Answer, Citation, Hit, Notice, Unit
from .chat_ui import (ALL_REGIONS, answer_html, citation_card, highlight, notes_html,
                      notices_notes, region_arg)
from .feedback import FeedbackStore
from .security import request_id_of, request_id_var

log = logging.getLogger("policyqa.web.console")

CONSOLE_CSS = """
.pq-hit { border-bottom: 1px solid #e4e7ee; padding: 6px 2px; line-height: 1.6; }
.pq-hit b { margin-right: 4px; }
.pq-hit .pq-src { color: #5b6474; font-size: 0.88em; }
.pq-unit { padding: 6px 0; border-bottom: 1px dashed #e4e7ee; white-space: pre-wrap; line-height: 1.7; }
#pq-copy textarea { font-size: 1.02em; line-height: 1.6; }
#pq-copy-btn.pq-copied::after { content: " · 已复制 ✓"; }
"""

# Keyboard shortcuts, added to the page <head>.
CONSOLE_HEAD = """<script>
document.addEventListener('keydown', (e) => {
  const tag = (document.activeElement && document.activeElement.tagName) || '';
  if (e.key === '/' && tag !== 'INPUT' && tag !== 'TEXTAREA') {
    const box = document.querySelector('#pq-q textarea, #pq-q input');
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  }
  if (e.altKey && (e.key === 'c' || e.key === 'C')) {
    const btn = document.querySelector('#pq-copy-btn');
    if (btn) { e.preventDefault(); btn.click(); }
  }
});
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


def clause_reply(c: Citation, notes: list[str]) -> str:
    """Text staff can read out or paste: who issued what, which clause, and its words."""
    text = c.text[len(c.clause):].lstrip() if c.text.startswith(c.clause) else c.text
    if c.heading and text.startswith(c.heading):
        text = text[len(c.heading):].lstrip("。；，: ：")
    number = c.clause.strip("（）")
    where = f"第{number}条" if number and all(ch in CN_NUMERAL for ch in number) else c.clause
    heading = f"“{c.heading}”" if c.heading else ""
    return "\n".join([f"根据{c.issuer}{c.doc_title}{where}{heading}：{text}", *notes])


def answer_reply(answer: Answer) -> str:
    lines = [answer.body]
    if answer.citations:
        lines.append("出处：" + "；".join(f"{c.issuer}{c.doc_title}{c.clause}{c.heading}"
                                       for c in answer.citations))
    lines += [n.text for n in answer.notes]
    return "\n".join(lines)


def hits_html(hits: list[Hit]) -> str:
    if not hits:
        return '<div class="pq-hint">没有找到匹配的条款，换个关键词试试（如：以旧换新、研发、人才）。</div>'
    rows = []
    for i, h in enumerate(hits, 1):
        u, n = h.unit, h.notice
        snippet = u.text[len(u.clause):] if u.clause and u.text.startswith(u.clause) else u.text
        snippet = snippet[:120] + ("…" if len(snippet) > 120 else "")
        tag = '<span class="pq-tag">征求意见稿</span>' if n.status == "draft" else ""
        rows.append(f'<div class="pq-hit"><b>{i}. {html.escape(u.label)}</b>{html.escape(u.heading)}'
                    f'{tag} <span class="pq-src">{html.escape(n.region)}</span><br>'
                    f'{highlight(snippet)}</div>')
    return "".join(rows)


def notice_html(notice: Notice, units: list[Unit], notes: list[str]) -> str:
    head = (f"<h3>{html.escape(notice.quoted_title)}</h3><div class=\"pq-hint\">"
            f"{html.escape(notice.issuer)} · {html.escape(notice.region)}</div>{notes_html(notes)}")
    body = "".join(f'<div class="pq-unit"><b>{html.escape(u.label)}</b> {highlight(u.text)}</div>'
                   for u in units)
    return head + body


def build_console_ui(assistant, settings, store: FeedbackStore) -> gr.Blocks:

    notices = {n.doc_id: n for n in assistant.notices()}

    def citation_of(choice: str | None, hits: list[dict]) -> tuple[Citation, Notice] | None:
        doc_id = next((h["doc_id"] for h in hits if h["key"] == choice), None)
        if doc_id is None or doc_id not in notices:
            return None
        unit = next((u for u in assistant.units(doc_id) if u.unit_id == choice), None)
        return (Citation.from_unit(unit, notices[doc_id]), notices[doc_id]) if unit else None

    def search(query: str, region: str):
        """Results for what is typed so far. The selection is left alone (no `value`): a search
        for an earlier keystroke that finishes late must not undo the operator's choice."""
        query = (query or "").strip()
        if not query:
            return "", gr.update(choices=[], value=None), []
        try:
            hits = assistant.search(query[: settings.max_question_chars], region=region_arg(region), k=8)
        except PolicyQAError as exc:
            return notes_html([str(exc)]), gr.update(choices=[], value=None), []
        except Exception:
            log.exception("console search failed")
            return notes_html(["暂时无法检索，请稍后再试。"]), gr.update(choices=[], value=None), []
        choices = [(f"{i}. {h.unit.label}{h.unit.heading}（{h.notice.short_region}）", h.unit.unit_id)
                   for i, h in enumerate(hits, 1)]
        keys = [{"key": h.unit.unit_id, "doc_id": h.notice.doc_id} for h in hits]
        return hits_html(hits), gr.update(choices=choices), keys

    def open_clause(choice: str | None, hits: list[dict]):
        found = citation_of(choice, hits)
        if not found:
            return gr.update(), gr.update()
        cite, notice = found
        notes = notices_notes([notice], settings)
        card = citation_card(cite, open_=True, ended=notice.expired_on(settings.today))
        return notes_html(notes) + card, clause_reply(cite, notes)

    def open_notice(choice: str | None, hits: list[dict]):
        found = citation_of(choice, hits)
        if not found:
            return '<div class="pq-hint">先在结果中选择一条，再打开整篇通知。</div>'
        _, notice = found
        return notice_html(notice, assistant.units(notice.doc_id), notices_notes([notice], settings))

    def draft_answer(query: str, region: str, request: gr.Request):
        request_id_var.set(request_id_of(request))
        query = (query or "").strip()
        if not query:
            return gr.update(), gr.update()
        try:
            answer = assistant.ask(query, region=region_arg(region))
        except PolicyQAError as exc:
            return notes_html([str(exc)]), ""
        except Exception:
            log.exception("console answer failed")
            return notes_html(["暂时无法生成答复，请稍后再试。"]), ""
        store.log_answer(answer.to_dict(), query, channel="console", region=region_arg(region))
        return answer_html(answer, notices, settings), answer_reply(answer)

    with gr.Blocks(title="热线政策速查 · policyqa") as demo:
        gr.Markdown("## 热线政策速查\n边输边查条款；**回车**生成带出处的答复；**Tab** 移到结果，**空格**打开条款。"
                    "快捷键：`/` 回到搜索框，`Alt+C` 复制答复。")
        with gr.Row():  # region first, so Tab goes from the search box straight to the results
            region = gr.Dropdown(choices=[ALL_REGIONS, *assistant.regions()], value=ALL_REGIONS,
                                 label="地区", elem_id="pq-console-region", scale=1, min_width=140)
            query = gr.Textbox(label="搜索（关键词或来电问题）", elem_id="pq-q", autofocus=True,
                               placeholder="如：以旧换新、研发投入、第十四条", scale=4)
        with gr.Row():
            with gr.Column(scale=2):
                pick = gr.Radio(choices=[], label="匹配条款（Tab 移到条款，空格打开）", elem_id="pq-pick")
                results = gr.HTML(elem_id="pq-results")
            with gr.Column(scale=3):
                detail = gr.HTML('<div class="pq-hint">选择一条结果查看条款全文。</div>', elem_id="pq-detail")
                open_btn = gr.Button("打开整篇通知", size="sm", elem_id="pq-open-notice")
                reply = gr.Textbox(label="答复（可朗读 / 粘贴）", lines=6, elem_id="pq-copy",
                                   interactive=True, buttons=["copy"])
                copy_btn = gr.Button("复制答复（含出处）", variant="primary", elem_id="pq-copy-btn")
        hits_state = gr.State([])

        private = dict(api_visibility="private")  # the public API is /api/v1
        search_args = dict(fn=search, inputs=[query, region], outputs=[results, pick, hits_state],
                           show_progress="hidden", trigger_mode="always_last", concurrency_limit=4,
                           **private)
        # .change, not .input: gradio fires .input on keypress, which IME (拼音) typing never sends.
        query.change(**search_args)
        region.change(**search_args)
        query.submit(draft_answer, [query, region], [detail, reply], concurrency_limit=4, **private)
        # .input: only the operator opens a clause, not a search refreshing the list
        pick.input(open_clause, [pick, hits_state], [detail, reply], show_progress="hidden", **private)
        open_btn.click(open_notice, [pick, hits_state], [detail], **private)
        copy_btn.click(None, None, None, js=COPY_JS)
    return demo
