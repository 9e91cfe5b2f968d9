"""Residents' chat page (gradio, Chinese UI), and the HTML helpers the hotline console shares.

Answers stream into the chat; when complete, each shows its notes (draft / period ended: one line
with a tag, tap to read all of it) and its citations as expandable cards with the figures
highlighted. 👍/👎 go to the feedback log. The page is Chinese whatever the browser's language:
`<html lang="zh-CN">`, and gradio's own labels (aria-labels included) in its Chinese translation.
"""
from __future__ import annotations

import html
import logging

import gradio as gr

from ..errors import BadQuestion
from ..notes import notes_for
from ..numbers import extract_amounts
from ..types import Answer, Citation, Note, Notice
from .feedback import FeedbackStore
from .security import in_context, request_id_of, request_id_var

log = logging.getLogger("policyqa.web.chat")

ALL_REGIONS = "全部"
MAX_TURNS = 10  # history sent with a follow-up question
EXAMPLES = [
    "衢州买新能源汽车以旧换新能补贴多少？",
    "金东区新认定的省级重点实验室奖励多少？",
    "衢州对首次认定的国家高新技术企业有什么奖励？",
    "第十四条讲了什么？",
]

CSS = """
.pq-note { background: #fff7e6; border: 1px solid #f5c16c; border-radius: 8px; padding: 4px 10px;
           margin: 6px 0; font-size: 0.92em; }
.pq-note summary { cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
                   list-style: none; line-height: 1.6; }
.pq-note summary::-webkit-details-marker { display: none; }
.pq-note[open] summary { white-space: normal; }
.pq-note .pq-tag { margin: 0 6px 0 0; }
.pq-note .pq-more { padding: 2px 0 4px; }
.pq-warn { background: #fff7e6; border: 1px solid #f5c16c; border-radius: 8px; padding: 6px 10px;
           margin: 8px 0; font-size: 0.92em; }
.pq-card { border: 1px solid #d9dee8; border-radius: 8px; margin: 6px 0; background: #fafbfd; }
.pq-card summary { cursor: pointer; padding: 6px 10px; font-weight: 600; line-height: 1.5; }
.pq-card summary .pq-src { font-weight: 400; color: #5b6474; font-size: 0.88em; }
.pq-card .pq-body { padding: 2px 12px 10px; line-height: 1.7; white-space: pre-wrap; }
.pq-tag.pq-ended { background: #eef0f4; color: #4a5260; }
.pq-tag { display: inline-block; font-size: 0.78em; font-weight: 500; border-radius: 4px;
          padding: 0 5px; margin-left: 6px; background: #fde2e1; color: #a8071a; }
mark.pq-fig { background: #ffe58f; color: inherit; padding: 0 1px; border-radius: 2px; font-weight: 600; }
.pq-hint { color: #5b6474; font-size: 0.88em; }
@media (max-width: 640px) {  /* phones: give the text the width */
  #pq-chat .message-row.bubble { margin-left: 2px !important; margin-right: 2px !important;
                                 max-width: calc(100% - 4px) !important; }
  #pq-chat .message-row.bot-row .message { padding: 6px !important; }
  .pq-card summary { padding: 6px; }
  .pq-card .pq-body { padding: 2px 6px 8px; }
}
"""

# Page-level CSS goes into <head>: gradio scopes `css=` to inside the app, and the page padding
# that eats a phone's width sits outside it.
# The page is Chinese for every visitor: gradio picks its UI language (labels, aria-labels) from
# the browser's, so the browser's is set before gradio starts; <html lang> follows.
HEAD = """<script>
document.documentElement.lang = 'zh-CN';
try {
  Object.defineProperty(navigator, 'language', {get: () => 'zh-CN', configurable: true});
  Object.defineProperty(navigator, 'languages', {get: () => ['zh-CN', 'zh'], configurable: true});
} catch (e) {}
// a few aria-labels gradio writes in English whatever the language: said in Chinese
(() => {
  const words = {'chatbot conversation': '对话记录', 'Copy message': '复制消息', 'Clear': '清空对话',
                 'Like': '赞', 'Dislike': '踩', 'Copy': '复制', 'Submit': '发送'};
  const prefixes = [["user's message: ", '提问：'], ["bot's message: ", '回答：']];
  const fix = () => document.querySelectorAll('[aria-label]').forEach((el) => {
    const label = el.getAttribute('aria-label');
    let out = words[label] || label;
    for (const [en, zh] of prefixes) if (out.startsWith(en)) out = zh + out.slice(en.length);
    if (out !== label) el.setAttribute('aria-label', out);
  });
  new MutationObserver(fix).observe(document.documentElement,
    {childList: true, subtree: true, attributes: true, attributeFilter: ['aria-label']});
})();
</script>
<style>
@media (max-width: 640px) {
  .gradio-container .main.app { padding-left: 6px !important; padding-right: 6px !important; }
}
</style>"""


# ---------------------------------------------------------------- rendering (shared with console)


def highlight(text: str) -> str:
    """Escape text for HTML and wrap every figure (金额、比例、面积…) in <mark class="pq-fig">."""
    out, pos = [], 0
    for amount in sorted(extract_amounts(text), key=lambda a: a.start):
        if amount.start < pos or amount.end <= amount.start:
            continue  # overlapping spans: keep the first
        out.append(html.escape(text[pos:amount.start]))
        out.append(f'<mark class="pq-fig">{html.escape(text[amount.start:amount.end])}</mark>')
        pos = amount.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


NOTE_TAGS = {"draft": "征求意见稿", "ended": "执行期已结束", "repealed": "已废止", "version": "版本",
             "scope": "适用范围"}


def notes_html(notes: list[Note]) -> str:
    """Each note as one line with its tag (the rest of its text a tap away): on a phone, two
    notes take two lines, not half the screen."""
    out = []
    for n in notes:
        tag = NOTE_TAGS.get(n.kind, "提示")
        out.append(f'<details class="pq-note pq-note-{html.escape(n.kind)}"><summary>'
                   f'<span class="pq-tag">{tag}</span>{html.escape(n.text)}</summary></details>')
    return "".join(out)


def warning_html(text: str) -> str:
    """A message in place of results (an error, nothing found)."""
    return f'<div class="pq-warn">⚠️ {html.escape(text)}</div>'


def citation_card(c: Citation, open_: bool = False, ended: bool = False) -> str:
    tag = '<span class="pq-tag">征求意见稿</span>' if c.status == "draft" else ""
    tag += '<span class="pq-tag pq-ended">执行期已结束</span>' if ended else ""
    return (f'<details class="pq-card"{" open" if open_ else ""}><summary>{html.escape(c.clause)}'
            f'{html.escape(c.heading)}{tag}<br><span class="pq-src">{html.escape(c.region)} · '
            f'{html.escape(c.doc_title)} · {html.escape(c.issuer)}</span></summary>'
            f'<div class="pq-body">{highlight(c.text)}</div></details>')


def notices_notes(notices: list[Notice], settings) -> list[Note]:
    """The notes a reader must see for these notices (draft, period ended)."""
    return [note for n in notices for note in notes_for(n, settings.today)]


def answer_html(answer: Answer, notices: dict[str, Notice], settings) -> str:
    """A finished answer: text (figures highlighted), notes, then one card per citation."""
    body, notes = answer.body, answer.notes
    ended = {d for d, n in notices.items() if n.expired_on(settings.today)}
    cards = "".join(citation_card(c, ended=c.doc_id in ended) for c in answer.citations)
    if cards:
        cards = f'<div class="pq-hint">依据条款（点击展开原文）：</div>{cards}'
    return f"<div>{highlight(body).replace(chr(10), '<br>')}</div>{notes_html(notes)}{cards}"


def region_arg(region: str | None) -> str | None:
    return None if not region or region == ALL_REGIONS else region


def rating_of(liked) -> str | None:
    if liked is True or liked == "Like":
        return "up"
    if liked is False or liked == "Dislike":
        return "down"
    return None


# ---------------------------------------------------------------- the page


def build_chat_ui(assistant, settings, store: FeedbackStore) -> gr.Blocks:
    notices = {n.doc_id: n for n in assistant.notices()}

    def respond(message: str, region: str, session: dict, request: gr.Request):
        """Stream one answer into the chat; the session (server-side) holds history and answer ids."""
        rid = request_id_of(request)
        question = (message or "").strip()
        chat = session["chat"]
        if not question:
            yield chat, session, ""
            return
        chat.append({"role": "user", "content": html.escape(question)})
        chat.append({"role": "assistant", "content": "正在查找相关条款…"})
        yield chat, session, ""
        text, answer = "", None
        try:
            parts = assistant.ask_stream(question, history=session["history"][-MAX_TURNS:],
                                         region=region_arg(region))
            for part in in_context(parts, rid):
                if isinstance(part, Answer):
                    answer = part
                else:
                    text += part
                    chat[-1] = {"role": "assistant", "content": html.escape(text).replace("\n", "<br>")}
                    yield chat, session, ""
        except BadQuestion as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {html.escape(str(exc))}"}
        except Exception:  # the page shows a plain apology; the log keeps the details
            log.exception("chat answer failed", extra={"request_id": rid})
            chat[-1] = {"role": "assistant", "content": "⚠️ 暂时无法回答，请稍后再试。"}
        if answer is not None:
            chat[-1] = {"role": "assistant", "content": answer_html(answer, notices, settings)}
            answer_id = store.log_answer(answer.to_dict(), question, channel="web",
                                         region=region_arg(region))
            session["ids"][len(chat) - 1] = answer_id
            session["history"] += [{"role": "user", "content": question},
                                   {"role": "assistant", "content": answer.answer}]
        yield chat, session, ""

    def on_like(session: dict, data: gr.LikeData, request: gr.Request):
        request_id_var.set(request_id_of(request))
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        answer_id, rating = session["ids"].get(index), rating_of(data.liked)
        if answer_id and rating:
            store.rate(answer_id, rating)
            log.info("feedback", extra={"answer_id": answer_id, "rating": rating, "channel": "web"})

    def clear():
        fresh = new_session()
        return fresh["chat"], fresh, ""

    with gr.Blocks(title="政策问答 · policyqa", fill_width=False) as demo:
        # UI events are private (not callable by gradio clients): the public API is /api/v1.
        gr.Markdown("## 政策问答\n根据已收录的政策文件原文回答，每个回答都注明出处条款；"
                    "金额等数字以所引条款原文为准。")
        region = gr.Dropdown(choices=[ALL_REGIONS, *assistant.regions()], value=ALL_REGIONS,
                             label="地区", elem_id="pq-region", interactive=True)
        chatbot = gr.Chatbot(label="对话", show_label=False, elem_id="pq-chat", height="58vh",
                             min_height=320, feedback_options=("Like", "Dislike"), buttons=["copy"],
                             placeholder="您好！请问想了解哪项政策？可以直接问补贴、奖励的金额和条件。",
                             sanitize_html=True, line_breaks=True)
        msg = gr.Textbox(placeholder="输入问题，回车发送", show_label=False, elem_id="pq-input",
                         submit_btn="发送", lines=1, max_lines=4, autofocus=True)
        examples = gr.Examples(examples=EXAMPLES, inputs=msg, label="示例问题（点一下就问）",
                               elem_id="pq-examples", api_visibility="private")
        gr.Markdown('<div class="pq-hint">提示：回答仅依据所列政策文件，不构成办事承诺；'
                    "标注“征求意见稿”或“执行期已结束”的内容请向主管部门核实。"
                    "请勿输入身份证号、手机号等个人信息。</div>")
        session = gr.State(new_session())

        ask_args = dict(fn=respond, inputs=[msg, region, session], outputs=[chatbot, session, msg],
                        concurrency_limit=4, show_progress="hidden", api_visibility="private")
        msg.submit(**ask_args)
        examples.load_input_event.then(**ask_args)  # a tapped example is asked at once
        chatbot.like(on_like, [session], None, api_visibility="private")
        chatbot.clear(clear, None, [chatbot, session, msg], api_visibility="private")  # its own 🗑
    return demo


def new_session() -> dict:
    return {"chat": [], "history": [], "ids": {}}
