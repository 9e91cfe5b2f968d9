"""The OpenAI-compatible endpoint as its two most common clients use it: the official `openai` SDK
and LangChain's `ChatOpenAI`, against the real server on 127.0.0.1 (real Assistant, real index)."""
from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest_web import open_server, web_logs  # noqa: F401

QUESTION = "衢州买新能源汽车以旧换新能补贴多少？"
MESSAGES = [{"role": "user", "content": QUESTION}]


@pytest.fixture
def ai(open_server):
    from openai import OpenAI

    return OpenAI(base_url=f"{open_server.base_url}/v1", api_key="unused-on-loopback", max_retries=0)


@pytest.fixture
def chat(open_server):
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model="policyqa", base_url=f"{open_server.base_url}/v1", api_key="unused",
                      max_retries=0, include_response_headers=True)


def tokens(text: str) -> int:
    from assistant.token_budget import count_tokens

    return count_tokens(text)


def test_usage_counts_the_tokens_of_the_question_and_the_reply(ai):
    reply = ai.chat.completions.create(model="policyqa", messages=MESSAGES)
    content = reply.choices[0].message.content
    assert "1.5万元/辆" in content and "（十四）" in content
    assert reply.usage.completion_tokens == tokens(content) > 20
    assert reply.usage.prompt_tokens >= tokens(QUESTION)
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    longer = ai.chat.completions.create(model="policyqa", messages=[
        {"role": "system", "content": "你是政策助手。"}, {"role": "user", "content": "衢州低保标准多少"},
        {"role": "assistant", "content": "最低生活保障标准……"}, *MESSAGES])
    assert longer.usage.prompt_tokens > reply.usage.prompt_tokens  # the conversation counts too


def test_streaming_usage_comes_last_when_asked_for(ai):
    chunks = list(ai.chat.completions.create(model="policyqa", messages=MESSAGES, stream=True,
                                             stream_options={"include_usage": True}))
    *body, last = chunks
    assert last.choices == [] and last.usage is not None
    assert all(ch.usage is None for ch in body)
    streamed = "".join(ch.choices[0].delta.content or "" for ch in body)
    assert last.usage.completion_tokens == tokens(streamed)
    assert body[-1].choices[0].finish_reason == "stop"
    assert body[-1].model_extra["citations"][0]["clause"] == "（十四）"
    plain = list(ai.chat.completions.create(model="policyqa", messages=MESSAGES, stream=True))
    assert all(ch.usage is None for ch in plain) and plain[-1].choices  # no usage chunk unless asked


def test_max_tokens_ends_the_reply_after_a_whole_sentence(ai):
    full = ai.chat.completions.create(model="policyqa", messages=MESSAGES).choices[0].message.content
    first_sentence = full.split("。")[0] + "。"
    limit = tokens(first_sentence) + 2
    cut = ai.chat.completions.create(model="policyqa", messages=MESSAGES, max_tokens=limit)
    assert cut.choices[0].finish_reason == "length"
    assert cut.choices[0].message.content == first_sentence  # 1.5万元/辆 stays whole
    assert cut.usage.completion_tokens <= limit
    streamed = list(ai.chat.completions.create(model="policyqa", messages=MESSAGES, stream=True,
                                               max_completion_tokens=limit))
    assert "".join(ch.choices[0].delta.content or "" for ch in streamed) == first_sentence
    assert streamed[-1].choices[0].finish_reason == "length"
    roomy = ai.chat.completions.create(model="policyqa", messages=MESSAGES, max_tokens=4000)
    assert roomy.choices[0].finish_reason == "stop" and roomy.choices[0].message.content == full


@pytest.mark.parametrize("extra,param", [
    ({"n": 2}, "n"),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}, "tools"),
    ({"response_format": {"type": "json_object"}}, "response_format"),
    ({"stop": ["。"]}, "stop"),
    ({"logprobs": True}, "logprobs"),
    ({"max_tokens": 1}, "max_tokens"),
])
def test_what_policyqa_cannot_do_is_refused_with_400(ai, extra, param):
    import openai

    with pytest.raises(openai.BadRequestError) as err:
        ai.chat.completions.create(model="policyqa", messages=MESSAGES, **extra)
    message = err.value.body["message"]
    assert param in message and any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_unknown_models_are_404_as_openai_answers(ai):
    import openai

    with pytest.raises(openai.NotFoundError) as err:
        ai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert err.value.body["code"] == "model_not_found" and "policyqa" in err.value.body["message"]
    assert ai.models.retrieve("policyqa").id == "policyqa"
    with pytest.raises(openai.NotFoundError):
        ai.models.retrieve("gpt-4o")


def test_sampling_settings_are_accepted(ai):
    reply = ai.chat.completions.create(model="policyqa", messages=MESSAGES, temperature=0.2, top_p=0.9,
                                       seed=1, user="hotline-7", response_format={"type": "text"}, n=1)
    assert "1.5万元/辆" in reply.choices[0].message.content


def test_chatopenai_invoke_usage_and_citations(chat):
    msg = chat.invoke(QUESTION)
    assert "1.5万元/辆" in msg.content
    assert msg.usage_metadata["output_tokens"] == tokens(msg.content)
    assert msg.usage_metadata["input_tokens"] > 0
    assert msg.response_metadata["finish_reason"] == "stop"
    cites = json.loads(msg.response_metadata["headers"]["x-policyqa-citations"])
    assert cites[0]["clause"] == "（十四）" and cites[0]["heading"] == "更大力度支持消费品以旧换新"
    assert cites[0]["doc_title"].startswith("《衢州市") and "text" not in cites[0]


def test_chatopenai_stream_usage_and_citations(chat):
    from langchain_openai import ChatOpenAI

    whole = None
    for chunk in chat.stream(QUESTION, stream_usage=True):
        whole = chunk if whole is None else whole + chunk
    assert "1.5万元/辆" in whole.content
    assert whole.usage_metadata["output_tokens"] == tokens(whole.content)
    cites = json.loads(whole.response_metadata["headers"]["x-policyqa-citations"])
    assert cites[0]["clause"] == "（十四）"
    # a wrong model name fails loudly, not with some other model's answer
    wrong = ChatOpenAI(model="gpt-4o-mini", base_url=chat.openai_api_base, api_key="x", max_retries=0)
    import openai

    with pytest.raises(openai.NotFoundError):
        wrong.invoke(QUESTION)


def test_region_as_an_extra_body_field(ai):
    reply = ai.chat.completions.create(model="policyqa", extra_body={"region": "金华市金东区"},
                                       messages=[{"role": "user", "content": "新认定的省级重点实验室奖励多少？"}])
    cites = reply.model_extra["citations"]
    assert cites and {c["region"] for c in cites} == {"金华市金东区"}
    assert "征求意见稿" in reply.choices[0].message.content


def test_the_citations_header_is_ascii_json_and_exposed_to_browsers(open_server):
    with httpx.Client(base_url=open_server.base_url, timeout=60) as c:
        r = c.post("/v1/chat/completions", json={"model": "policyqa", "messages": MESSAGES})
    raw = r.headers["x-policyqa-citations"]
    assert raw.isascii() and json.loads(raw)[0]["region"] == "衢州市"
