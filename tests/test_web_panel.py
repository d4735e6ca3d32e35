"""The agent-UI plugin (<replyassist-panel>) in a real browser.

Playwright for Python drives Debian's chromium (/usr/bin/chromium) against the served
demo page. The server is a small FastAPI app built here (``demo_app``) that serves
``src/replyassist/web`` like the real API does (``/static``, ``/demo``, ``/demo/config``)
and implements ``/v1/suggest``, ``/v1/suggest/stream``, ``/v1/rewrite`` and
``/v1/feedback`` with a real ``ReplyAssistant`` (sample brand, hash embeddings, a
``FakeChatModel`` for the LLM) and an in-memory feedback list. Every test also runs
against the API package's app (``replyassist.api.app.create_app``, same assistant, a demo
key, a SQLite feedback store): the ``app`` fixture is parametrized over both.

Screenshots go to ``test-output/``.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

import uvicorn  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.encoders import jsonable_encoder  # noqa: E402
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse  # noqa: E402
from fastapi.staticfiles import StaticFiles  # noqa: E402

import replyassist  # noqa: E402
from replyassist import BrandVoice, ReplyAssistant, Settings, VectorStore  # noqa: E402
from replyassist.sample import SAMPLE_TENANT, sample_path  # noqa: E402
from replyassist.testing import FakeChatModel, HashEmbeddings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WEB_DIR = Path(replyassist.__file__).parent / "web"
OUT_DIR = Path(__file__).resolve().parents[1] / "test-output"
DEMO_KEY = "demo-key-123"
STREAMED = "Bonjour Anaïs, le premier échange de taille est gratuit. Bonne soirée !"
REWRITTEN = "Bonjour Anaïs, l'échange de taille est gratuit."

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")


# ------------------------------------------------------------------ the served demo


def fake_llm(messages: list[Any], kwargs: dict[str, Any]) -> Any:
    if messages and "<<<AGENT_TEXT" in str(messages[-1].content):  # the API's /v1/rewrite
        return REWRITTEN
    tools = kwargs.get("tools") or []
    if tools and tools[0]["function"]["name"] == "DraftsOutput":
        return {"drafts": [{"text": STREAMED, "tone": "friendly", "doc_ids": []},
                           {"text": "Bonjour, l'échange est gratuit.", "tone": "informative",
                            "doc_ids": []}]}
    return STREAMED


def fake_rewrite(text: str, action: str) -> str:
    """What the in-test /v1/rewrite answers: deterministic and always different."""
    first = re.split(r"(?<=[.!?])\s", text.strip())[0]
    return f"[{action}] {first}"


def demo_app(assistant: ReplyAssistant, feedback: list[dict], key: str = DEMO_KEY) -> FastAPI:
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    def error(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    @app.middleware("http")
    async def auth(request: Request, call_next):
        if request.url.path.startswith("/v1/") and \
                request.headers.get("authorization") != f"Bearer {key}":
            return error(401, "unauthorized", "missing or wrong API key")
        return await call_next(request)

    @app.get("/demo")
    def demo() -> FileResponse:
        return FileResponse(WEB_DIR / "demo.html", media_type="text/html")

    @app.get("/demo/config")
    def config() -> dict:
        return {"api_base": "/v1", "key": key}

    @app.post("/v1/suggest")
    async def suggest(request: Request):
        body = await request.json()
        mode = body.pop("mode", None)
        return jsonable_encoder(await assistant.asuggest(body, mode=mode))

    @app.post("/v1/suggest/stream")
    async def stream(request: Request):
        body = await request.json()
        mode = body.pop("mode", None)

        async def events():
            try:
                async for event in assistant.astream(body, mode=mode):
                    data = json.dumps(jsonable_encoder(event.data), ensure_ascii=False)
                    yield f"event: {event.type}\ndata: {data}\n\n"
                    if event.type == "token":
                        await asyncio.sleep(0.02)  # let the browser see the draft grow
            except Exception as exc:
                data = json.dumps({"error": {"code": "internal", "message": str(exc)}})
                yield f"event: error\ndata: {data}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/v1/rewrite")
    async def rewrite(request: Request):
        body = await request.json()
        return {"text": fake_rewrite(body["text"], body["action"]), "action": body["action"],
                "strategy": "generated", "warnings": []}

    @app.post("/v1/feedback", status_code=201)
    async def post_feedback(request: Request):
        body = await request.json()
        if body.get("action") not in ("accepted", "edited", "rejected"):
            return error(422, "invalid_input", "action")
        record = {"id": f"fb-{len(feedback) + 1}", **body}
        feedback.append(record)
        return record

    return app


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, detector) -> ReplyAssistant:
    store = tmp_path_factory.mktemp("web") / "store"
    settings = Settings(store=str(store), embedder="hash", tenant=SAMPLE_TENANT,
                        analysis_embedder="off", llm_tagging="off")
    assistant = ReplyAssistant(store=VectorStore.open(store), embedder=HashEmbeddings(),
                               chat_model=FakeChatModel(responder=fake_llm), settings=settings,
                               brand=BrandVoice.from_yaml(sample_path("brand.yaml")),
                               detector=detector)
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    return assistant


@pytest.fixture(scope="module")
def feedback_store() -> list[dict]:
    return []


@pytest.fixture(scope="module", params=["stand-in", "api"])
def app(request, assistant, feedback_store, tmp_path_factory) -> FastAPI:
    """The stand-in app above, and the API package's app (``replyassist.api``)."""
    if request.param == "stand-in":
        return demo_app(assistant, feedback_store)
    api = pytest.importorskip("replyassist.api.app")
    from replyassist.api.config import ApiConfig

    feedback_db = tmp_path_factory.mktemp("feedback") / "feedback.db"
    config = ApiConfig(keys={DEMO_KEY: {"tenant": SAMPLE_TENANT}}, demo_key=DEMO_KEY,
                       rate_limit_per_minute=0, feedback_url=f"sqlite:///{feedback_db}")
    return api.create_app(assistant, config=config)


@pytest.fixture(scope="module")
def feedback_records(app, feedback_store) -> Callable[[], list[dict]]:
    """What the app's feedback store holds, as dicts, oldest first."""
    state = getattr(app.state, "replyassist", None)
    if state is None:
        return lambda: list(feedback_store)
    from sqlalchemy import select

    from replyassist.feedback.table import FeedbackRow

    def records() -> list[dict]:
        with state.feedback().engine.connect() as connection:
            rows = connection.execute(select(FeedbackRow).order_by(FeedbackRow.id))
            return [dict(row) for row in rows.mappings()]
    return records


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served_demo(app) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the demo server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser) -> Iterator[Callable[[int], Any]]:
    contexts = []

    def make(width: int, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="en-US",
                                      permissions=["clipboard-read", "clipboard-write"])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    OUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT_DIR / name), full_page=True)


@pytest.fixture
def shot(app, request) -> Callable[[Any, str], None]:
    """Save a screenshot named after the app under test (``panel-1280.api.png``, ...)."""
    variant = request.node.callspec.params.get("app", "stand-in")
    return lambda page, name: screenshot(page, name.replace(".png", f".{variant}.png"))


def panel_state(page: Any) -> dict:
    return page.evaluate("document.querySelector('replyassist-panel').state")


def reply_value(page: Any) -> str:
    return page.locator("replyassist-panel textarea.reply").input_value()


def wait_records(records: Callable[[], list[dict]], count: int) -> list[dict]:
    deadline = time.monotonic() + 10
    while len(records()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return records()


# ------------------------------------------------------------------ tests


def test_demo_streams_inserts_rewrites_and_sends_feedback(served_demo, page_at, feedback_records,
                                                          shot):
    page = page_at(1280)
    before = len(feedback_records())
    # the browser's clock starts 20 min after the customer's last message (c-101), so the
    # countdown shows minutes and seconds whatever the day the test runs (recent=0: the
    # conversations keep the times of the sample)
    page.clock.install(time=datetime(2026, 11, 23, 21, 18, tzinfo=UTC))
    page.goto(f"{served_demo}/demo?lang=en&conversation=c-101&recent=0")

    # analysis chips with confidence, SLA countdown, the streamed draft, cited articles
    mood = page.locator("replyassist-panel .chip.mood")
    mood.wait_for()
    assert re.search(r"Mood: \w+\s*\d+ %", mood.inner_text())
    assert re.search(r"\d+ %", page.locator("replyassist-panel .chip.urgency").inner_text())
    page.locator("replyassist-panel .card .insert").first.wait_for()
    state = panel_state(page)
    assert state["tokens"] > 3 and state["error"] is None  # the first draft streamed in
    sla = page.locator("replyassist-panel .chip.sla").inner_text()
    assert re.search(r"(Reply due in|Overdue by) \d", sla)
    page.wait_for_function(  # the countdown ticks every second
        f"document.querySelector('replyassist-panel').shadowRoot"
        f".querySelector('.sla').textContent !== {json.dumps(sla)}", timeout=3000)
    links = page.locator("replyassist-panel .articles a")
    assert links.count() >= 1
    assert links.first.get_attribute("target") == "_blank"
    assert "noopener" in links.first.get_attribute("rel")
    assert links.first.get_attribute("href").startswith("https://aide.atelier-brume.example/")
    # the conversation, with the customer's and agent's turns
    assert page.locator("replyassist-panel .turn.customer").count() == 2
    assert page.locator("replyassist-panel .turn.agent").count() == 1

    drafts = page.evaluate("document.querySelector('replyassist-panel').suggestions.drafts")
    assert drafts[0]["text"] == STREAMED
    assert page.locator("replyassist-panel .card .text").first.inner_text() == STREAMED

    # Insert draft 1 → the reply box; Shorter → the rewrite replaces it
    page.locator("replyassist-panel .card[data-index='0'] button.insert").click()
    assert reply_value(page) == STREAMED
    with page.expect_response(lambda r: r.url.endswith("/v1/rewrite")) as answer:
        page.locator("replyassist-panel button[data-action='shorter']").click()
    assert answer.value.status == 200
    rewritten = answer.value.json()["text"]
    assert rewritten != STREAMED
    page.wait_for_function(
        f"document.querySelector('replyassist-panel').replyText === {json.dumps(rewritten)}")

    # Send → POST /v1/feedback, one "edited" record with the sent text
    with page.expect_request(lambda r: r.url.endswith("/v1/feedback") and r.method == "POST"):
        page.locator("replyassist-panel button.send").click()
    records = wait_records(feedback_records, before + 1)
    assert len(records) == before + 1
    record = records[-1]
    suggestion_id = page.evaluate(
        "document.querySelector('replyassist-panel').suggestions.suggestion_id")
    assert record["action"] == "edited"
    assert record["sent_text"] == rewritten
    assert record["draft_text"] == STREAMED and record["draft_index"] == 0
    assert record["suggestion_id"] == suggestion_id and record["conversation_id"] == "c-101"
    assert record["channel"] == "messenger" and record["language"] == "fr"
    assert record["tone"] == drafts[0]["tone"]
    assert record["time_to_decision_ms"] >= 0
    page.locator("replyassist-panel .status").filter(has_text="Feedback recorded").wait_for()

    # French and English interface strings
    send = page.locator("replyassist-panel button.send")
    assert send.inner_text() == "Send"
    page.select_option("#lang-select", "fr")
    assert send.inner_text() == "Envoyer"
    assert page.locator("replyassist-panel .chip.mood").inner_text().startswith("Humeur")
    assert page.locator("replyassist-panel button[data-action='shorter']").inner_text() == \
        "Plus court"
    page.select_option("#lang-select", "en")
    assert send.inner_text() == "Send"
    shot(page, "panel-1280.png")
    assert page.js_errors == []


def test_demo_at_360px_keyboard_and_reject(served_demo, page_at, feedback_records, shot):
    page = page_at(360, 780)
    before = len(feedback_records())
    page.goto(f"{served_demo}/demo?lang=fr&mode=composed&conversation=c-103")
    page.locator("replyassist-panel .card[data-index='2'] .insert").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("replyassist-panel button.send").inner_text() == "Envoyer"

    drafts = page.evaluate("document.querySelector('replyassist-panel').suggestions.drafts")
    assert len(drafts) >= 3
    assert page.locator("replyassist-panel .card .chip.tone").count() == len(drafts)
    page.keyboard.press("Alt+2")
    assert reply_value(page) == drafts[1]["text"]
    page.keyboard.press("Alt+C")
    page.locator("replyassist-panel .status", has_text="Copié").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == drafts[1]["text"]
    page.keyboard.press("Alt+Enter")  # unchanged draft: accepted
    records = wait_records(feedback_records, before + 1)
    assert records[-1]["action"] == "accepted"
    assert records[-1]["draft_index"] == 1 and records[-1]["sent_text"] == drafts[1]["text"]

    page.locator("replyassist-panel .card[data-index='2'] button.reject").click()
    records = wait_records(feedback_records, before + 2)
    assert records[-1]["action"] == "rejected" and records[-1]["draft_index"] == 2
    assert records[-1].get("sent_text") is None

    # shortcuts are documented in the help tooltip
    page.locator("replyassist-panel .help button").focus()
    assert "Alt+Enter" in page.locator("replyassist-panel [role=tooltip]").inner_text()
    page.locator("replyassist-panel textarea.reply").focus()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "panel-360.png")
    assert page.js_errors == []


def test_error_state_and_retry(served_demo, page_at, shot):
    page = page_at(800)
    closed = free_port()
    page.goto(f"{served_demo}/demo?lang=en&conversation=c-102"
              f"&api_base=http://127.0.0.1:{closed}/v1")
    banner = page.locator("replyassist-panel .error")
    banner.wait_for()
    assert "cannot be reached" in banner.inner_text()
    retry = banner.locator("button.retry")
    assert retry.inner_text() == "Retry"
    shot(page, "panel-error.png")

    # an error answer from the API is shown with its code
    page.evaluate("document.querySelector('replyassist-panel').setAttribute('api-base', '/v1');"
                  "document.querySelector('replyassist-panel').setAttribute('api-key', 'wrong')")
    retry.click()
    page.locator("replyassist-panel .error", has_text="unauthorized").wait_for()

    # Retry with the right key: suggestions appear, the banner goes
    page.evaluate(f"document.querySelector('replyassist-panel').setAttribute("
                  f"'api-key', {json.dumps(DEMO_KEY)})")
    page.keyboard.press("Alt+R")
    page.locator("replyassist-panel .card .insert").first.wait_for()
    assert not banner.is_visible()
    assert page.locator("replyassist-panel .chip.flag").count() >= 1  # c-102 is public, angry
    assert page.js_errors == []


def test_api_data_is_never_html(served_demo, page_at):
    page = page_at(800)
    page.goto(f"{served_demo}/demo?lang=en&conversation=c-101")
    page.locator("replyassist-panel .card .insert").first.wait_for()
    page.evaluate("""() => {
        const panel = document.querySelector('replyassist-panel');
        panel.conversation = {id: 'c-xss', tenant: 'atelier-brume', channel: 'chat',
          customer: {name: '<b>Eve</b>'},
          messages: [{role: 'customer', text: '<img src=x onerror="window.pwned=1">Hello'},
                     {role: 'note', text: 'VIP <script>window.pwned=2</script>'}]};
    }""")
    page.locator("replyassist-panel .card .insert").first.wait_for()
    assert page.locator("replyassist-panel img").count() == 0
    assert page.evaluate("window.pwned === undefined")
    assert "<img src=x" in page.locator("replyassist-panel .turn.customer").inner_text()
    assert "Internal note" in page.locator("replyassist-panel .turn.note").inner_text()



def test_demo_conversations_come_from_the_api_with_fresh_times(served_demo, page_at, request):
    page = page_at(800)
    page.goto(f"{served_demo}/demo?lang=en&conversation=c-101")
    page.locator("replyassist-panel .chip.sla").wait_for()
    demo = page.evaluate("""() => window.replyassistDemo.conversations.map(c => ({
        id: c.id, expected: 'expected' in c,
        last: Math.max(...c.messages.map(m => Date.parse(m.created_at)))}))""")
    ids = [c["id"] for c in demo]
    assert "c-101" in ids and not any(c["expected"] for c in demo)
    minutes_ago = [(time.time() * 1000 - c["last"]) / 60000 for c in demo]
    if request.node.callspec.params["app"] == "api":  # GET /v1/demo/conversations?recent
        assert len(ids) >= 10  # every incoming conversation of the sample brand
        assert all(0 <= m <= 10 for m in minutes_ago)
        assert page.locator("replyassist-panel .chip.sla").inner_text().startswith(
            "Reply due in")
    else:  # the stand-in has no such route: the three copies embedded in the page
        assert ids == ["c-101", "c-102", "c-103"]
        assert not all(0 <= m <= 10 for m in minutes_ago)


def test_every_string_exists_in_french_and_english(served_demo, page_at):
    page = page_at(800)
    page.goto(f"{served_demo}/demo?lang=en")
    missing = page.evaluate("""async () => {
        const { STRINGS } = await import('/static/panel.js');
        const keys = (table, prefix = '') => Object.entries(table).flatMap(([k, v]) =>
            typeof v === 'object' ? keys(v, prefix + k + '.') : [prefix + k]);
        const en = new Set(keys(STRINGS.en)), fr = new Set(keys(STRINGS.fr));
        return [...en].filter(k => !fr.has(k)).concat([...fr].filter(k => !en.has(k)));
    }""")
    assert missing == []


def test_reactions_are_chips_that_add_the_emoji(served_demo, page_at):
    incoming = [json.loads(line) for line in sample_path("incoming.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    casual = next(c for c in incoming if c["id"] == "c-107")  # a happy Messenger customer
    casual.pop("expected", None)
    page = page_at(800)
    page.goto(f"{served_demo}/demo?lang=en&mode=composed")
    page.locator("replyassist-panel .card .insert").first.wait_for()
    page.evaluate("c => { document.querySelector('replyassist-panel').conversation = c; }",
                  casual)
    page.locator("replyassist-panel .card .insert").first.wait_for()
    reactions = page.evaluate("document.querySelector('replyassist-panel').suggestions.reactions")
    emoji = [r for r in reactions if r["kind"] == "emoji"]
    if not emoji:
        pytest.skip("the sample brand suggests no emoji for this conversation")
    page.keyboard.press("Alt+1")
    page.locator("replyassist-panel button.reaction", has_text=emoji[0]["value"]).click()
    assert reply_value(page).endswith(emoji[0]["value"])
