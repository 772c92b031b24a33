"""The playground in the browser: a streamed answer from the emulator with its route and timings,
a failover when the first region answers 429, and Compare."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _send(page, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()


_LOG_ROW_ID = re.compile(r"/logs/requests/(\d+)/")
_LOG_ROWS_JS = """() => [...document.querySelectorAll('#request-table tbody tr')].map(tr => [
    tr.querySelector('a').getAttribute('href'), tr.querySelector('td:nth-child(2) .badge').textContent.trim()])"""


def _newest_log_id(page) -> int:
    """The id of the newest request-log row so far (the app's database is shared by every browser test)."""
    return max((int(i) for i in _LOG_ROW_ID.findall(page.request.get("/logs/requests/").text())), default=0)


def _log_statuses_after(page, after: int, count: int) -> list[str]:
    """On the request-log page, wait until `count` rows newer than row `after` are listed; their
    statuses, newest first. The app writes rows in the background, which on a loaded machine can
    take a while: rows of earlier tests must not stand in for this test's."""
    deadline = time.monotonic() + 20
    while True:
        rows = [(int(_LOG_ROW_ID.search(href).group(1)), status) for href, status in page.evaluate(_LOG_ROWS_JS)]
        new = [status for row_id, status in rows if row_id > after]
        if len(new) >= count or time.monotonic() > deadline:
            return new
        page.wait_for_timeout(250)
        page.reload()


def test_a_streamed_prompt_shows_text_as_it_arrives_then_route_and_latency(page, login, vertex, screenshot):
    # Slow the stream down so the test can see the answer grow before it is complete.
    vertex.add_fault(event_delay_ms=250, model="gemini-2.0-flash")
    login("dave")
    page.get_by_label("Model", exact=True).select_option("gemini-2.0-flash")
    # Pin the seeded key (another test may have added a key that serves the same model).
    page.get_by_label("Key", exact=True).select_option(label="emulator-us · us-central1")
    page.get_by_label("System prompt").fill("Answer in one sentence.")
    _send(page, "What is Vertex AI?")
    pane = page.locator(".pane").first
    answer = pane.locator(".msg.assistant .body").last
    expect(pane.locator(".pane-state")).to_have_text("streaming")
    page.wait_for_function(
        "() => { const b = [...document.querySelectorAll('.msg.assistant .body')].pop();"
        " const s = document.querySelector('.pane-state').textContent;"
        " return b && b.textContent.length > 0 && s === 'streaming'; }")
    partial = answer.text_content()
    expect(pane.locator(".pane-state")).to_have_text("done", timeout=30_000)
    final = answer.text_content()
    assert final.startswith(partial) and len(final) > len(partial)
    expect(pane.locator(".m-route")).to_contain_text("emulator-us")
    expect(pane.locator(".m-ttft")).to_have_text(re.compile(r"\d+(\.\d+)? m?s"))
    expect(pane.locator(".m-latency")).to_have_text(re.compile(r"\d+(\.\d+)? m?s"))
    expect(pane.locator(".m-usage")).to_contain_text(" in / ")
    expect(pane.locator(".m-attempts tr")).to_have_count(1)
    expect(pane.locator(".m-attempts")).to_contain_text("200")
    pane.locator("summary", has_text="Raw request").click()
    raw = pane.locator(".m-raw-request").text_content()
    assert "streamGenerateContent" in raw and "What is Vertex AI?" in raw
    assert "ya29." not in raw and "Bearer ey" not in raw
    screenshot(page, "playground-streamed")

    # A second turn carries the conversation.
    vertex.clear_faults()
    _send(page, "And in French?")
    expect(pane.locator(".pane-state")).to_have_text("done", timeout=30_000)
    expect(pane.locator(".msg.user")).to_have_count(2)
    expect(pane.locator(".msg.assistant")).to_have_count(2)
    bodies = [r["body"] for r in vertex.requests(":streamGenerateContent")]
    assert len(bodies[-1]["contents"]) == 3  # user, model, user

    page.get_by_role("button", name="Copy as curl").click()
    snippet = pane.locator(".copy-preview")
    expect(snippet).to_contain_text("/v1/chat/completions")
    expect(snippet).to_contain_text("And in French?")
    page.get_by_role("button", name="Copy as Python (openai SDK)").click()
    expect(snippet).to_contain_text("from openai import OpenAI")
    expect(snippet).to_contain_text('model="gemini-2.0-flash"')
    page.get_by_role("button", name="Copy as Python (anthropic SDK)").click()
    expect(snippet).to_contain_text("client = anthropic.Anthropic(")
    expect(snippet).to_contain_text("with client.messages.stream(")
    expect(snippet).to_contain_text("max_tokens=")
    expect(snippet).to_contain_text("And in French?")
    page.get_by_role("button", name="Copy as Claude Code").click()
    expect(snippet).to_contain_text("export ANTHROPIC_BASE_URL=http")
    expect(snippet).to_contain_text('export ANTHROPIC_MODEL="gemini-2.0-flash"')
    expect(snippet).to_contain_text("claude -p 'And in French?'")


def test_a_429_in_the_first_region_shows_the_failover_in_the_route(page, login, vertex, screenshot):
    vertex.add_fault(status=429, retry_after=0, region="us-central1", model="gemini-2.5-flash")
    login("dave")
    page.get_by_label("Model", exact=True).select_option("gemini-2.5-flash")
    page.get_by_label("Key", exact=True).select_option(label="emulator-us · us-central1")
    _send(page, "Hello through another region")
    pane = page.locator(".pane").first
    expect(pane.locator(".pane-state")).to_have_text("done", timeout=30_000)
    attempts = pane.locator(".m-attempts tr")
    expect(attempts.first).to_contain_text("us-central1")
    expect(attempts.first).to_contain_text("429")
    expect(attempts.last).to_contain_text("200")
    expect(pane.locator(".m-attempts")).to_contain_text("failover")
    expect(pane.locator(".m-route")).to_contain_text("failover")
    expect(pane.locator(".m-route")).not_to_contain_text("us-central1")
    assert pane.locator(".msg.assistant .body").text_content()
    screenshot(page, "playground-failover")


def test_compare_sends_the_same_conversation_to_two_models_side_by_side(page, login, vertex, screenshot):
    login("dave")
    page.get_by_label("Compare with a second model").check()
    page.get_by_label("Model", exact=True).select_option("gemini-2.0-flash")
    page.get_by_label("Second model", exact=True).select_option("claude-sonnet-4-5")
    page.get_by_label("Stream the answer").uncheck()
    _send(page, "Name a colour.")
    panes = page.locator(".pane")
    expect(panes).to_have_count(2)
    for i in range(2):
        expect(panes.nth(i).locator(".pane-state")).to_have_text("done", timeout=30_000)
        assert panes.nth(i).locator(".msg.assistant .body").text_content()
    expect(panes.nth(0).locator(".m-host")).to_contain_text("gemini-2.0-flash")
    expect(panes.nth(1).locator(".m-host")).to_contain_text("claude-sonnet-4-5@20250929")
    assert vertex.requests(":rawPredict") and vertex.requests(":generateContent")
    # Every column of the attempts table is inside its pane: Status and Latency are not cut off.
    for i in range(2):
        pane = panes.nth(i)
        right = pane.bounding_box()["x"] + pane.bounding_box()["width"]
        for header in ("Status", "Latency"):
            box = pane.locator(".attempts th", has_text=header).bounding_box()
            assert box["x"] + box["width"] <= right, f"pane {i}: {header} is cut off"
        assert pane.locator(".route .table-wrap").evaluate("w => w.scrollWidth <= w.clientWidth + 1")
        expect(pane.locator(".m-attempts")).to_contain_text("200")
    page.screenshot(path="/tmp/playground-compare.png")
    screenshot(page, "playground-compare")


def test_the_model_picker_shows_the_whole_name_of_the_chosen_model(page, login):
    login("dave")
    picker = page.get_by_label("Model", exact=True)
    picker.select_option("claude-sonnet-4-5")
    full = page.locator("#pg-model-full")
    expect(full).to_have_text("Claude Sonnet 4.5 (claude-sonnet-4-5)")
    assert full.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    # The option itself carries only the display name, which fits the picker.
    assert picker.evaluate("s => s.selectedOptions[0].textContent") == "Claude Sonnet 4.5"


def test_an_upstream_error_is_shown_in_the_pane_and_in_the_request_log(page, login, vertex, screenshot):
    vertex.add_fault(status=400, model="gemini-2.0-flash")
    login("dave")
    before = _newest_log_id(page)
    page.get_by_label("Model", exact=True).select_option("gemini-2.0-flash")
    page.get_by_label("Key", exact=True).select_option(label="emulator-us · us-central1")
    _send(page, "This one fails")
    pane = page.locator(".pane").first
    expect(pane.locator(".pane-state")).to_have_text("failed", timeout=30_000)
    error = pane.locator(".msg.error")
    expect(error).to_contain_text("Error 400")
    expect(pane.locator(".m-attempts")).to_contain_text("400")
    route = pane.locator(".m-route")
    expect(route).to_contain_text("emulator-us · us-central1")  # from the attempt, not "? · ?"
    expect(route).not_to_contain_text("?")
    screenshot(page, "playground-error")
    vertex.clear_faults()
    _send(page, "Now it works")
    expect(pane.locator(".pane-state")).to_have_text("done", timeout=30_000)

    page.get_by_role("link", name="Request log").click()
    table = page.locator("#request-table")
    assert _log_statuses_after(page, before, 2) == ["200", "400"]  # newest first
    expect(table.locator("tbody tr").first).to_contain_text("Playground")
    # Every column, the endpoint among them, fits the card without scrolling sideways.
    widths = table.locator("xpath=..").evaluate(
        "w => [w.scrollWidth, w.clientWidth, [...w.querySelectorAll('thead th')].map(t => Math.round(t.offsetWidth))]")
    assert widths[0] <= widths[1] + 1, widths
    expect(page.locator(".chart svg rect.bar-errors").first).to_be_attached()
    expect(page.locator(".chart svg rect.bar-calls").first).to_be_attached()
    screenshot(page, "request-log")
    page.get_by_label("Outcome").select_option("error")
    page.get_by_role("button", name="Apply").click()
    expect(table.locator("tbody tr")).not_to_have_count(0)
    statuses = [int(t) for t in table.locator("tbody tr td:nth-child(2) .badge").all_text_contents() if t.isdigit()]
    assert statuses and all(s >= 400 for s in statuses)
    table.locator("tbody tr a").first.click()
    expect(page.get_by_role("heading", name="Call")).to_be_visible()
    expect(page.locator(".kv")).to_contain_text("400")
    screenshot(page, "request-detail")


def test_stop_ends_a_slow_answer_keeps_what_arrived_and_logs_it(page, login, vertex, screenshot):
    vertex.add_fault(event_delay_ms=600, model="gemini-2.0-flash")
    login("dave")
    page.get_by_label("Model", exact=True).select_option("gemini-2.0-flash")
    page.get_by_label("Key", exact=True).select_option(label="emulator-us · us-central1")
    before = _newest_log_id(page)
    _send(page, "Tell me a long story")
    pane = page.locator(".pane").first
    answer = pane.locator(".msg.assistant .body").last
    expect(answer).not_to_have_text("", timeout=15_000)
    page.get_by_role("button", name="Stop").click()
    expect(pane.locator(".pane-state")).to_have_text("stopped")
    kept = answer.text_content()
    assert kept
    page.wait_for_timeout(1500)
    assert answer.text_content() == kept  # nothing more arrives after Stop
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    # The pane still says how long it took and where it went (from the request log's row).
    expect(pane.locator(".m-ttft")).to_have_text(re.compile(r"\d+(\.\d+)? m?s"))
    expect(pane.locator(".m-latency")).to_have_text(re.compile(r"\d+(\.\d+)? m?s"))
    expect(pane.locator(".m-route")).to_contain_text("emulator-us · us-central1", timeout=10_000)
    expect(pane.locator(".m-attempts")).to_contain_text("200")
    page.screenshot(path="/tmp/playground-stopped.png")
    page.get_by_role("link", name="Request log").click()
    table = page.locator("#request-table")
    assert _log_statuses_after(page, before, 1) == ["499"]
    expect(table.locator("tbody tr").first).to_contain_text("stopped the answer")
