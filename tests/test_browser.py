"""The two pages in a real browser: Debian's headless chromium driven by Playwright, against a real
uvicorn server with the real Assistant. Screenshots go to test-artifacts/ (gitignored).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.conftest_web import artifacts, open_server, web_logs  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
QUESTION = "衢州买新能源汽车以旧换新能补贴多少？"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"),
    # gradio's queue uses pandas options that pandas 3 deprecates: not ours to fix
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, open_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  base_url=open_server.base_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=open_server.base_url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def eventually(found, timeout: float = 10.0):
    """Poll `found()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := found()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)
    return result


def ask(page, question: str) -> None:
    box = page.locator("#pq-input textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#pq-chat .pq-card").last.wait_for()


def last_answer(page):
    return page.locator("#pq-chat .message-row").filter(has=page.locator(".pq-card")).last


def test_chat_page_shows_a_cited_answer_with_its_clause_card(page, open_server, artifacts, web_logs):
    from playwright.sync_api import expect

    from assistant.web.feedback import FeedbackStore

    started = time.perf_counter()
    page.goto("/", wait_until="load")
    page.locator("#pq-input textarea").wait_for()
    load_s = time.perf_counter() - started
    assert load_s < 10, f"chat page took {load_s:.1f}s to load"

    ask(page, QUESTION)
    answer = last_answer(page)
    expect(answer).to_contain_text("1.5万元/辆")
    card = answer.locator(".pq-card").first
    expect(card.locator("summary")).to_contain_text("（十四）更大力度支持消费品以旧换新")
    expect(card.locator("summary")).to_contain_text("衢州市")
    card.locator("summary").click()
    body = card.locator(".pq-body")
    expect(body).to_be_visible()
    expect(body.locator("mark.pq-fig", has_text="1.5万元/辆")).to_have_count(1)
    expect(body.locator("mark.pq-fig", has_text="2000元/件").first).to_be_visible()
    page.screenshot(path=str(artifacts / "chat-answer.png"), full_page=True)

    # 👍 lands in the feedback log
    page.locator("#pq-chat button[aria-label='赞']").last.click()
    store = FeedbackStore(open_server.settings.feedback_db)
    rated = eventually(lambda: [r for r in store.rows() if r["channel"] == "web"
                                and r["question"] == QUESTION and r["rating"]])
    assert rated[-1]["rating"] == "up" and "（十四）" in rated[-1]["citations"]

    # the log line of the 👍 carries the id of the HTTP request that delivered it
    liked = eventually(lambda: [r for r in web_logs.records()
                                if r["msg"] == "feedback" and r.get("answer_id") == rated[-1]["id"]])
    assert liked[-1]["request_id"]
    records = web_logs.records()
    assert any(r["msg"] == "request" and r["request_id"] == liked[-1]["request_id"] for r in records)


def test_region_selector_and_draft_note(page):
    from playwright.sync_api import expect

    page.goto("/", wait_until="load")
    region = page.get_by_role("combobox", name="地区")
    region.click()
    options = page.get_by_role("option")
    expect(options).to_have_count(3)
    names = [o.inner_text().replace("✓", "").strip() for o in options.all()]
    assert names[0] == "全部" and sorted(names[1:]) == sorted(["衢州市", "金华市金东区"])
    page.get_by_role("option", name="金华市金东区").click()
    expect(region).to_have_value("金华市金东区")

    ask(page, "新认定的省级重点实验室奖励多少？")
    answer = last_answer(page)
    expect(answer).to_contain_text("200万元")
    expect(answer.locator(".pq-note").first).to_contain_text("征求意见稿")
    expect(answer.locator(".pq-card .pq-tag").first).to_have_text("征求意见稿")
    for src in answer.locator(".pq-card .pq-src").all():
        expect(src).to_contain_text("金华市金东区")


def test_chat_page_fits_a_phone_screen(browser, open_server, artifacts):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  base_url=open_server.base_url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto("/", wait_until="load")
        page.locator("#pq-examples").get_by_text(QUESTION).tap()  # an example is asked at once
        page.locator("#pq-chat .pq-card").last.wait_for()
        expect(last_answer(page)).to_contain_text("1.5万元/辆")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page is {overflow}px wider than the phone screen"
        card = last_answer(page).locator(".pq-card").first
        card.locator("summary").tap()
        box = card.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.screenshot(path=str(artifacts / "chat-phone.png"), full_page=True)
    finally:
        context.close()


def test_hotline_console_from_the_keyboard(page, artifacts):
    from playwright.sync_api import expect

    page.goto("/console/", wait_until="load")
    search = page.locator("#pq-q textarea")
    search.wait_for()
    search.focus()
    page.keyboard.type("衢州以旧换新", delay=30)  # lists matching clauses as you type
    radios = page.locator("#pq-pick input[type=radio]")
    labels = page.locator("#pq-pick label")
    expect(labels.first).to_contain_text("（十四）更大力度支持消费品以旧换新")
    expect(labels.first).to_contain_text("1.5万元/辆")
    texts = labels.all_inner_texts()
    assert len(texts) == len({t.split(". ", 1)[1] for t in texts})  # each result once
    assert page.locator("#pq-results .pq-hit").count() == 0  # not listed a second time
    drafts = [i for i, t in enumerate(texts) if "征求意见稿" in t]
    assert not drafts or min(drafts) > max(i for i, t in enumerate(texts) if "征求意见稿" not in t)

    page.keyboard.press("Tab")  # from the search box to the results: one Tab stop for all of them
    expect(radios.first).to_be_focused()
    page.keyboard.press("Space")  # open it
    reply = page.locator("#pq-copy textarea")
    expect(reply).to_have_value(re.compile(r"^根据衢州市人民政府《衢州市.*》（十四）“更大力度支持消费品以旧换新”：.*1\.5万元/辆"))
    expect(reply).to_have_value(re.compile(r"\n具体办理可咨询：市[^\n]+。"))  # whom to contact
    expect(page.locator("#pq-detail .pq-card[open] .pq-body")).to_contain_text("1.3万元/辆")

    page.keyboard.press("ArrowDown")  # the next result opens as the arrow reaches it
    expect(radios.nth(1)).to_be_focused()
    expect(reply).not_to_have_value(re.compile("更大力度支持消费品以旧换新"))
    page.keyboard.press("ArrowUp")
    expect(reply).to_have_value(re.compile("（十四）“更大力度支持消费品以旧换新”"))
    page.keyboard.press("Tab")  # past the whole list in one step
    expect(radios.first).not_to_be_focused()
    expect(radios.nth(1)).not_to_be_focused()
    radios.first.focus()

    page.keyboard.press("/")  # back to the search box from a focused result
    expect(search).to_be_focused()

    page.keyboard.press("Alt+c")  # copy answer with citation
    expect(page.locator("#pq-copy-btn")).to_have_class(re.compile("pq-copied"))
    assert page.evaluate("navigator.clipboard.readText()") == reply.input_value()

    page.locator("#pq-open-notice").focus()
    page.keyboard.press("Enter")  # the whole notice
    expect(page.locator("#pq-detail h3")).to_contain_text("衢州市推动经济高质量发展若干政策举措")
    assert page.locator("#pq-detail .pq-unit").count() > 30
    page.screenshot(path=str(artifacts / "console-clause.png"), full_page=True)

    page.keyboard.press("/")  # back to the search box, its text selected
    expect(search).to_be_focused()
    page.keyboard.type(QUESTION, delay=10)
    expect(search).to_have_value(QUESTION)
    page.keyboard.press("Enter")  # Enter drafts a full cited answer
    expect(reply).to_have_value(re.compile(r"1\.5万元/辆[\s\S]*出处：.*（十四）"))
    expect(page.locator("#pq-detail .pq-card").first).to_contain_text("（十四）")

    # this call's history: the clause opened and the question asked, each re-openable
    history = page.locator("#pq-history label")
    expect(history.first).to_contain_text(QUESTION)
    expect(page.locator("#pq-history")).to_contain_text("（十四）更大力度支持消费品以旧换新")
    page.locator("#pq-history label", has_text="条款").first.click()
    expect(reply).to_have_value(re.compile(r"^根据衢州市人民政府.*（十四）"))
    page.screenshot(path=str(artifacts / "console-answer.png"), full_page=True)
    page.locator("#pq-new-call").click()
    expect(history).to_have_count(0)


def test_console_most_asked_questions_one_key_away(page, open_server):
    from playwright.sync_api import expect

    from assistant.web.feedback import FeedbackStore

    store = FeedbackStore(open_server.settings.feedback_db)
    popular = "衢州低保标准是多少（常问测试）"
    for _ in range(40):  # more often than anything the other tests asked
        store.log_answer({"status": "answered", "answer": "…", "citations": []}, popular, channel="api")
    page.goto("/console/", wait_until="load")
    top = page.locator("#pq-top label")
    expect(top.first).to_contain_text(popular)
    expect(top.first).to_contain_text("Alt+1")
    page.locator("#pq-q textarea").focus()
    page.keyboard.press("Alt+1")
    expect(page.locator("#pq-q textarea")).to_have_value(popular)
    expect(page.locator("#pq-copy textarea")).to_have_value(re.compile("出处：.*（五十）"))


def test_chat_page_is_chinese(browser, open_server):
    """lang="zh-CN" (even for an English-language browser), and every aria-label in Chinese."""
    context = browser.new_context(locale="en-US", base_url=open_server.base_url)
    page = context.new_page()
    try:
        page.goto("/", wait_until="load")
        page.locator("#pq-input textarea").wait_for()
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
    finally:
        context.close()
    context = browser.new_context(locale="zh-CN", base_url=open_server.base_url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto("/", wait_until="load")
        page.locator("#pq-input textarea").wait_for()
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        ask(page, QUESTION)
        labels = page.evaluate("""[...document.querySelectorAll('[aria-label]')]
            .filter(e => e.offsetParent !== null).map(e => e.getAttribute('aria-label'))""")
        latin = [label for label in labels if label and not re.search(r"[\u4e00-\u9fff]", label)]
        assert labels and not latin, latin
    finally:
        context.close()


def test_notes_are_one_line_on_a_phone(browser, open_server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, base_url=open_server.base_url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto("/", wait_until="load")
        ask(page, "金东区新认定的省级重点实验室奖励多少？")
        note = last_answer(page).locator(".pq-note").first
        expect(note.locator(".pq-tag")).to_have_text("征求意见稿")
        line = note.locator("summary").bounding_box()["height"]
        assert line < 40, f"a note takes {line}px"
        note.locator("summary").tap()
        expect(note).to_have_attribute("open", "")
        assert note.locator("summary").bounding_box()["height"] > line  # the whole text, tapped open
    finally:
        context.close()


def test_api_docs_work_with_no_network(page, open_server, artifacts):
    """Swagger UI and ReDoc come from this server: with every other host unreachable, the
    operations are listed and nothing is asked of any other host."""
    from playwright.sync_api import expect

    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(open_server.base_url)
            and not r.url.startswith(("data:", "blob:")) else None)
    page.goto("/docs", wait_until="load")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/ask").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/v1/chat/completions").first).to_be_visible()
    page.screenshot(path=str(artifacts / "docs.png"))
    assert not outside, outside
    page.goto("/redoc", wait_until="load")
    expect(page.get_by_text("/api/v1/ask").first).to_be_attached()
    # ReDoc's own footer logo is the one outside address it names (an image; the page works without it)
    assert all(u.startswith("https://cdn.redoc.ly/") for u in outside), outside
