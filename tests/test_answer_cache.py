"""The answer cache on the real Assistant: repeated questions come from memory as equal (not shared)
answers, variants that cannot change the answer share an entry, and an ingest empties it."""
from __future__ import annotations

import json
from pathlib import Path

from assistant.answer_cache import AnswerCache, normalise
from assistant.types import Answer, Message

QUESTION = "衢州新能源汽车以旧换新最高补贴多少？"


def test_a_repeated_question_is_answered_from_memory_as_an_equal_copy(assistant):
    assistant.answer_cache.invalidate()
    first = assistant.ask(QUESTION)
    hits = assistant.answer_cache.hits
    again = assistant.ask(QUESTION + " ")  # closing space: same entry
    assert assistant.answer_cache.hits == hits + 1
    assert again.to_dict() == first.to_dict() and again is not first
    again.citations.clear()
    again.body = "changed by a caller"
    assert assistant.ask(QUESTION).to_dict() == first.to_dict()  # the stored answer is untouched


def test_streams_replay_what_they_gave(assistant):
    assistant.answer_cache.invalidate()
    fresh = list(assistant.ask_stream("金东区研发费用补助最高多少？"))
    replayed = list(assistant.ask_stream("金东区研发费用补助最高多少"))
    assert [p for p in replayed if isinstance(p, str)] == [p for p in fresh if isinstance(p, str)]
    assert replayed[-1].to_dict() == fresh[-1].to_dict() and replayed[-1] is not fresh[-1]


def test_the_key_holds_conversation_region_and_index_state(assistant):
    assistant.answer_cache.invalidate()
    alone = assistant.ask("最多能拿多少", history=[])
    follow = assistant.ask("最多能拿多少", history=[{"role": "user", "content": QUESTION},
                                               {"role": "assistant", "content": "1.5万元/辆"}])
    assert follow.to_dict() != alone.to_dict() and "1.5万元/辆" in follow.answer
    quzhou = assistant.ask("研发费用补助最高多少", region="衢州")
    jindong = assistant.ask("研发费用补助最高多少", region="金东")
    assert {c.region for c in quzhou.citations} == {"衢州市"} != {c.region for c in jindong.citations}
    assert assistant.ask("研发费用补助最高多少", region="衢州市").to_dict() == quzhou.to_dict()


def test_an_ingest_empties_the_cache(assistant):
    assistant.ask(QUESTION)
    assert len(assistant.answer_cache) >= 1
    state = assistant.index_state
    assistant.ingest(progress=False)  # nothing changed: the same index state, and the cache emptied anyway
    assert len(assistant.answer_cache) == 0 and assistant.index_state == state


def test_an_answer_finished_after_an_ingest_is_not_stored():
    cache = AnswerCache(8)
    key = cache.key("问题", [], (), "s", assistant_turns=False)
    cache.invalidate()  # an ingest while the answer was being computed
    cache.put(key, Answer("answered", "旧索引的回答"))
    assert len(cache) == 0
    key = cache.key("问题", [], (), "s", assistant_turns=False)
    cache.put(key, Answer("answered", "回答", fallback="endpoint unreachable"))
    assert len(cache) == 0  # a fallback is not reused: the endpoint may be back
    cache.put(key, Answer("answered", "回答"))
    assert cache.get(key).answer.body == "回答"


def test_llm_mode_keys_the_assistant_turns_too():
    cache = AnswerCache(8)
    turns = [Message("user", "问一"), Message("assistant", "答一")]
    other = [Message("user", "问一"), Message("assistant", "答二")]
    assert cache.key("问二", turns, (), 1, assistant_turns=False) == cache.key("问二", other, (), 1, False)
    assert cache.key("问二", turns, (), 1, assistant_turns=True) != cache.key("问二", other, (), 1, True)
    assert AnswerCache(0).key("问二", turns, (), 1, False) is None  # size 0: no cache


def test_the_normalisation_never_merges_questions_with_different_answers(assistant):
    """Spaces and a closing ？/。/! are all normalise() drops: each variant gets the same answer
    when computed afresh (over a sample of the eval questions and of our own)."""
    cases = Path(__file__).resolve().parent.parent / "evals" / "cases.jsonl"
    questions = [json.loads(line)["turns"][-1] for line in cases.open(encoding="utf-8")][::15]
    questions += ["衢州家电以旧换新，一级能效补多少？二级呢", "金东区 人才 安家补贴！"]
    for q in questions:
        base = q.rstrip("？?。!！ ")
        variants = {q, base, base + "？", base + "?", base + "。", f" {base} ！"}
        assert len({normalise(v) for v in variants}) == 1
        answers = {json.dumps(assistant._ask(v).to_dict(), ensure_ascii=False) for v in variants}
        assert len(answers) == 1, q


def test_a_server_running_past_midnight_answers_on_the_new_day(settings, monkeypatch):
    """Without POLICYQA_TODAY the day is read at each question (in POLICYQA_TIMEZONE): a server started
    on the last day of a notice's period says it has ended the next morning, cached answer or not."""
    from dataclasses import replace
    from datetime import date

    import assistant.settings as settings_module
    from assistant import Assistant

    clock = {"day": date(2025, 12, 31)}
    monkeypatch.setattr(settings_module, "current_date", lambda tz: clock["day"])  # the clock, outside
    a = Assistant(replace(settings, fixed_today=None))  # the session's index, read-only
    on_the_last_day = a.ask(QUESTION)
    assert "1.5万元" in on_the_last_day.answer and not any(n.kind == "ended" for n in on_the_last_day.notes)
    clock["day"] = date(2026, 1, 1)
    next_morning = a.ask(QUESTION)
    assert "已于2025年12月31日结束" in next_morning.answer, next_morning.answer
    assert next_morning.body == on_the_last_day.body


def test_the_date_is_the_date_in_the_configured_time_zone():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from assistant.settings import load_settings

    east, west = (load_settings({"POLICYQA_TIMEZONE": tz}).today for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago"))
    assert (east - west).days in (1, 2)  # UTC+14 and UTC−11: never the same date
    assert load_settings({}).today == datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert load_settings({"POLICYQA_TODAY": "2025-06-01"}).today.isoformat() == "2025-06-01"
