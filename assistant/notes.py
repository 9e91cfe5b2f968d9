"""What a reader must know beside an answer, as `Note` data: the notice is a draft, its period has
ended. Every answerer and every page words them the same way, from here."""
from __future__ import annotations

from datetime import date

from .metadata import clause_ranges
from .types import Note, Notice

# Where to ask when the notices do not answer: the same words in every reply. The guard counts them as a
# source (12345 is a phone number, not a figure a clause must contain).
NEXT_STEP = "可拨打12345政务服务便民热线，或到当地政务服务中心咨询。"
FIXED_PHRASES = (NEXT_STEP, "12345政务服务便民热线")


def notes_for(notice: Notice, today: date) -> list[Note]:
    notes = []
    if notice.status == "draft":
        notes.append(Note("draft", f"注意：{notice.quoted_title}是公开征求意见稿，不是正式发布的政策，"
                                   "具体以正式文件为准。", notice.doc_id))
    if notice.expired_on(today):
        notes.append(Note("ended", f"提示：{notice.quoted_title}的实施期已于{notice.effective_to:%Y年%m月%d日}"
                                   "结束，现行政策请向有关部门确认。", notice.doc_id))
    return notes


def clause_ended(label: str, sentences: list[str], today: date, doc_id: str = "") -> Note | None:
    """"提示：13.规定的期限（2026年6月1日至2026年10月31日）已经结束。" when a quoted sentence gives its
    clause a period that ended before today (the notice itself may still be in force)."""
    for sentence in sentences:
        for printed, end in clause_ranges(sentence):
            if end < today:
                return Note("ended", f"提示：{label}规定的期限（{printed}）已经结束，现在不能再按这一条享受。", doc_id)
    return None


def notes_for_all(notices, today: date) -> list[Note]:
    """The notes of several notices, each once, in order."""
    out: list[Note] = []
    for notice in notices:
        out += [n for n in notes_for(notice, today) if n not in out]
    return out
