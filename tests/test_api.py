"""The HTTP API, in process (httpx ASGI transport): every endpoint, auth, tenant isolation,
limits, CORS and the error shape. HashEmbeddings + FakeChatModel keep it fast."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from replyassist import LLMError, ReplyAssistant
from replyassist.api import ApiConfig, create_app
from replyassist.api.auth import authenticated
from replyassist.errors import ConfigurationError
from replyassist.sample import SAMPLE_TENANT
from replyassist.testing import FakeChatModel

from .conftest import conversation

A_KEY = "key-tenant-a-0001"
B_KEY = "key-tenant-b-0002"
ADMIN_KEY = "key-admin-0003"
DEMO_KEY = "key-demo-0004"
TENANT_A = SAMPLE_TENANT
TENANT_B = "other-brand"
KEYS = {A_KEY: {"tenant": TENANT_A, "name": "a"}, B_KEY: {"tenant": TENANT_B, "name": "b"},
        ADMIN_KEY: {"tenant": "*", "admin": True, "name": "admin"},
        DEMO_KEY: {"tenant": TENANT_B, "name": "demo"}}
ORIGIN = "https://helpdesk.example.com"

ARTICLES_A = [{"id": "kb-a-secret-returns", "title": "Retours Atelier Brume",
               "body": "Vous pouvez retourner un pull zorglub sous 30 jours, gratuitement.",
               "url": "https://atelier-brume.example/retours", "language": "fr"}]
HISTORY_A = [{"id": "h-a-1", "tenant": TENANT_A, "channel": "email",
              "messages": [{"role": "customer", "text": "Mon pull zorglub est trop petit"},
                           {"role": "agent", "text": "Bonjour, renvoyez le pull zorglub."}]}]

HAS_ASSIST = importlib.util.find_spec("replyassist.assist.rewrite") is not None and \
    importlib.util.find_spec("replyassist.assist.summarize") is not None
needs_assist = pytest.mark.skipif(not HAS_ASSIST, reason="replyassist.assist (rewrite, "
                                  "summarize) is not written yet by its owner")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return error


@pytest.fixture
def make_app(make_assistant, tmp_path: Path) -> Callable[..., FastAPI]:
    def make(assistant: ReplyAssistant | None = None, **config: Any) -> FastAPI:
        values: dict[str, Any] = {"keys": KEYS, "cors_origins": [ORIGIN],
                                  "feedback_url": f"sqlite:///{tmp_path / 'feedback.db'}",
                                  "demo_key": DEMO_KEY, **config}
        return create_app(assistant or make_assistant(), config=ApiConfig(**values))
    return make


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api")


@pytest.fixture
async def client(make_app) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app()) as http:
        yield http


async def ingest_a(http: httpx.AsyncClient) -> None:
    params = {"tenant": TENANT_A}
    kb = await http.post("/v1/ingest/kb", json=ARTICLES_A, params=params,
                         headers=bearer(ADMIN_KEY))
    assert kb.status_code == 200, kb.text
    assert kb.json()["added"] == 1 and kb.json()["tenant"] == TENANT_A
    history = await http.post("/v1/ingest/history", json=HISTORY_A, params=params,
                              headers=bearer(ADMIN_KEY))
    assert history.status_code == 200 and history.json()["added"] >= 1, history.text


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, list[str]] = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
        if "event" in fields:
            events.append((fields["event"][0], json.loads("\n".join(fields["data"]))))
    return events


# --------------------------------------------------------------------------- health


async def test_healthz_and_readyz_need_no_key(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"store": True,
                                                                   "embedder": True}


async def test_readyz_is_503_when_the_store_is_down(make_assistant, make_app, monkeypatch):
    assistant = make_assistant()

    def down() -> list[str]:
        raise RuntimeError("chroma is gone")

    monkeypatch.setattr(assistant.store, "tenants", down)
    async with client_for(make_app(assistant)) as http:
        error = assert_error(await http.get("/readyz"), 503, "not_ready")
    assert "store" in error["message"] and "chroma" not in error["message"]


async def test_openapi_is_published_with_every_endpoint(client):
    schema = (await client.get("/v1/openapi.json")).json()
    paths = set(schema["paths"])
    expected = {"/v1/suggest", "/v1/suggest/stream", "/v1/analyze", "/v1/feedback",
                "/v1/articles/search", "/v1/ingest/kb", "/v1/ingest/history",
                "/v1/metrics/feedback", "/healthz", "/readyz"}
    if HAS_ASSIST:
        expected |= {"/v1/rewrite", "/v1/summarize"}
    assert expected <= paths
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schema["components"]["securitySchemes"])


# --------------------------------------------------------------------------- auth


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/v1/suggest"), ("POST", "/v1/suggest/stream"), ("POST", "/v1/analyze"),
    ("POST", "/v1/rewrite"), ("POST", "/v1/summarize"), ("POST", "/v1/feedback"),
    ("GET", "/v1/articles/search?q=pull"), ("POST", "/v1/ingest/kb"),
    ("POST", "/v1/ingest/history"), ("GET", "/v1/metrics/feedback")])
async def test_every_v1_endpoint_needs_a_valid_key(client, method, path):
    body = None if method == "GET" else {}
    missing = await client.request(method, path, json=body)
    error = assert_error(missing, 401, "unauthorized")
    assert "missing" in error["message"] and missing.headers["www-authenticate"] == "Bearer"
    bad = await client.request(method, path, json=body, headers=bearer("not-a-real-key"))
    assert assert_error(bad, 401, "unauthorized")["message"] == "invalid API key"


async def test_x_api_key_header_is_accepted(client):
    response = await client.post("/v1/analyze", json=conversation("Bonjour, où est mon colis ?"),
                                 headers={"X-API-Key": A_KEY})
    assert response.status_code == 200 and response.json()["language"] == "fr"


async def test_ingest_needs_an_admin_key(client):
    for path, body in (("/v1/ingest/kb", ARTICLES_A), ("/v1/ingest/history", HISTORY_A)):
        response = await client.post(path, json=body, headers=bearer(A_KEY))
        assert "admin" in assert_error(response, 403, "forbidden")["message"]


async def test_admin_must_name_the_tenant(client):
    response = await client.get("/v1/articles/search", params={"q": "pull"},
                                headers=bearer(ADMIN_KEY))
    assert assert_error(response, 422, "invalid_input")["field"] == "tenant"


async def test_tenant_key_cannot_pick_another_tenant(client):
    response = await client.get("/v1/articles/search", params={"q": "pull", "tenant": TENANT_A},
                                headers=bearer(B_KEY))
    assert assert_error(response, 403, "forbidden")["field"] == "tenant"
    own = await client.get("/v1/articles/search", params={"q": "pull", "tenant": TENANT_B},
                           headers=bearer(B_KEY))
    assert own.status_code == 200 and own.json() == []


# --------------------------------------------------------------------------- isolation


async def test_tenant_isolation_across_all_endpoints(client):
    await ingest_a(client)
    a, b = bearer(A_KEY), bearer(B_KEY)
    query = {"q": "pull zorglub retour"}
    found = await client.get("/v1/articles/search", params=query, headers=a)
    assert [hit["doc_id"] for hit in found.json()] == ["kb-a-secret-returns"]
    assert (await client.get("/v1/articles/search", params=query, headers=b)).json() == []

    body = conversation("Je veux retourner mon pull zorglub", tenant=TENANT_B)
    body.pop("tenant")  # no tenant in the body: the key's
    mine = (await client.post("/v1/suggest", json=body, headers=a)).json()
    assert "kb-a-secret-returns" in [hit["doc_id"] for hit in mine["articles"]]
    theirs = (await client.post("/v1/suggest", json=body, headers=b)).json()
    assert theirs["articles"] == [] and theirs["similar_conversations"] == []
    assert "zorglub sous 30" not in json.dumps(theirs)
    stream = await client.post("/v1/suggest/stream", json=body, headers=b)
    assert "kb-a-secret-returns" not in stream.text and "h-a-1" not in stream.text

    claims_a = conversation("Je veux retourner mon pull zorglub", tenant=TENANT_A)
    for path in ("/v1/suggest", "/v1/suggest/stream", "/v1/analyze"):
        refused = await client.post(path, json=claims_a, headers=b)
        assert assert_error(refused, 403, "forbidden")["field"] == "tenant"
    feedback = {"suggestion_id": "s-1", "conversation_id": "c-test", "action": "accepted",
                "draft_text": "Bonjour", "sent_text": "Bonjour !", "conversation": claims_a}
    assert_error(await client.post("/v1/feedback", json=feedback, headers=b), 403, "forbidden")
    if HAS_ASSIST:
        for path, payload in (("/v1/rewrite", {"text": "Bonjour", "action": "shorter",
                                               "conversation": claims_a}),
                              ("/v1/summarize", {"conversation": claims_a})):
            assert_error(await client.post(path, json=payload, headers=b), 403, "forbidden")

    assert (await client.post("/v1/feedback", json={**feedback, "conversation": None},
                              headers=a)).status_code == 201
    metrics_b = (await client.get("/v1/metrics/feedback", headers=b)).json()
    assert metrics_b["tenant"] == TENANT_B and metrics_b["total"] == 0
    metrics_a = (await client.get("/v1/metrics/feedback", headers=a)).json()
    assert metrics_a["total"] == 1 and metrics_a["accepted"] == 1
    history_claim = await client.post("/v1/ingest/history", json=HISTORY_A,
                                      params={"tenant": TENANT_B}, headers=bearer(ADMIN_KEY))
    assert_error(history_claim, 403, "forbidden")


# --------------------------------------------------------------------------- endpoints


async def test_suggest_returns_suggestions(make_app, sample_assistant):
    async with client_for(make_app(sample_assistant)) as http:
        response = await http.post(
            "/v1/suggest", headers=bearer(A_KEY),
            json={**conversation("Bonjour, mon pull est trop petit, je voudrais l'échanger"),
                  "mode": "composed"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["suggestion_id"] and body["conversation_id"] == "c-test"
    assert body["drafts"][0]["strategy"] == "composed"
    assert "kb-exchange-size-fr" in [hit["doc_id"] for hit in body["articles"]]


async def test_generated_mode_without_llm_is_a_400(client):
    response = await client.post("/v1/suggest", headers=bearer(A_KEY),
                                 json={**conversation("Bonjour"), "mode": "generated"})
    assert "chat model" in assert_error(response, 400, "configuration")["message"]


async def test_llm_failure_is_503_without_its_details(make_assistant, make_app):
    failing = make_assistant(chat_model=FakeChatModel(
        responses=[LLMError("down at http://10.0.0.7:8080 with key sk-secret")]))
    async with client_for(make_app(failing)) as http:
        response = await http.post("/v1/suggest", headers=bearer(A_KEY),
                                   json={**conversation("Bonjour"), "mode": "generated"})
    assert_error(response, 503, "llm_unavailable")
    assert "10.0.0.7" not in response.text and "sk-secret" not in response.text


async def test_stream_sends_analysis_articles_tokens_final(make_assistant, make_app,
                                                           sample_assistant):
    text = "Bonjour Kate, vous pouvez échanger votre pull sous 30 jours. [kb-exchange-size-fr]"
    assistant = make_assistant(chat_model=FakeChatModel(responses=[text]))
    async with client_for(make_app(assistant)) as http:
        response = await http.post("/v1/suggest/stream", headers=bearer(A_KEY), json=conversation(
            "Je veux échanger mon pull, taille trop petite"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["analysis", "articles"] and kinds[-1] == "final"
    assert set(kinds[2:-1]) == {"token"} and len(kinds) > 5
    assert "".join(data for kind, data in events if kind == "token") == text
    assert events[0][1]["language"] == "fr"
    assert "kb-exchange-size-fr" in [hit["doc_id"] for hit in events[1][1]]
    final = events[-1][1]
    assert final["suggestion_id"] and final["drafts"][0]["strategy"] == "generated"


async def test_stream_failure_before_the_first_event_has_a_status(client):
    response = await client.post("/v1/suggest/stream", headers=bearer(A_KEY),
                                 json={**conversation("Bonjour"), "mode": "generated"})
    assert_error(response, 400, "configuration")


async def test_analyze_returns_the_tags(client):
    response = await client.post("/v1/analyze", headers=bearer(A_KEY), json=conversation(
        "URGENT mon colis n'est jamais arrivé, je vais porter plainte !"))
    body = response.json()
    assert response.status_code == 200 and body["language"] == "fr"
    assert body["urgency"] in ("high", "critical") and body["priority"] is not None


async def test_search_with_k_and_language(make_app, sample_assistant):
    async with client_for(make_app(sample_assistant)) as http:
        hits = (await http.get("/v1/articles/search", headers=bearer(A_KEY), params={
            "q": "échanger mon pull, taille trop petite", "k": 2, "language": "fr"})).json()
        none = (await http.get("/v1/articles/search", headers=bearer(A_KEY), params={
            "q": "échanger un pull trop petit", "language": "xx"})).json()
        bad_k = await http.get("/v1/articles/search", headers=bearer(A_KEY),
                               params={"q": "pull", "k": 0})
    assert len(hits) == 2 and "kb-exchange-size-fr" in [hit["doc_id"] for hit in hits]
    assert none == []
    assert assert_error(bad_k, 422, "invalid_input")["field"] == "k"


async def test_ingest_reports_and_is_incremental(client):
    await ingest_a(client)
    again = await client.post("/v1/ingest/kb", json=ARTICLES_A, params={"tenant": TENANT_A},
                              headers=bearer(ADMIN_KEY))
    assert again.json()["skipped"] == 1 and again.json()["added"] == 0
    invalid = await client.post("/v1/ingest/kb", json=[{"id": "x"}], params={"tenant": "t"},
                                headers=bearer(ADMIN_KEY))
    assert assert_error(invalid, 422, "invalid_input")["field"] == "0.title"


async def test_feedback_is_recorded_learned_and_counted(client):
    body = conversation("Mon pull quantique est arrivé troué", tenant=TENANT_A)
    feedback = {"suggestion_id": "s-42", "conversation_id": "c-test", "action": "edited",
                "draft_text": "Bonjour, désolé.", "sent_text": "Bonjour Kate, désolée !",
                "tone": "empathetic", "channel": "messenger", "conversation": body}
    response = await client.post("/v1/feedback", json=feedback, headers=bearer(A_KEY))
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["tenant"] == TENANT_A and record["edit_distance"] > 0
    rejected = {**feedback, "action": "rejected", "sent_text": None}
    assert (await client.post("/v1/feedback", json=rejected,
                              headers=bearer(A_KEY))).status_code == 201
    metrics = (await client.get("/v1/metrics/feedback", headers=bearer(A_KEY))).json()
    assert (metrics["total"], metrics["edited"], metrics["rejected"]) == (2, 1, 1)
    assert metrics["by_tone"]["empathetic"]["total"] == 2
    # learned in the background: the sent reply is now a similar past conversation
    suggested = (await client.post("/v1/suggest", json=body, headers=bearer(A_KEY))).json()
    assert "c-test" in [s["conversation_id"] for s in suggested["similar_conversations"]]
    missing_sent = {**feedback, "sent_text": None}
    error = assert_error(await client.post("/v1/feedback", json=missing_sent,
                                           headers=bearer(A_KEY)), 422, "invalid_input")
    assert error["field"] == "sent_text"


async def test_readyz_is_503_when_the_assistant_cannot_be_built(make_app):
    def broken() -> ReplyAssistant:
        raise ConfigurationError("unknown embedder 'nope'")

    async with client_for(make_app(broken)) as http:
        error = assert_error(await http.get("/readyz"), 503, "not_ready")
        assert "store" in error["message"] and "embedder" in error["message"]
        assert (await http.get("/healthz")).status_code == 200


def test_resolve_tenant_rules() -> None:
    from replyassist.api.auth import Principal, resolve_tenant
    from replyassist.api.errors import ApiError

    tenant_key = Principal("1", "a", "acme", admin=False)
    admin = Principal("2", "ops", "*", admin=True)
    acme_admin = Principal("3", "acme-ops", "acme", admin=True)
    assert resolve_tenant(tenant_key) == "acme"
    assert resolve_tenant(tenant_key, "acme", ("default", "acme")) == "acme"
    assert resolve_tenant(admin, "globex") == "globex"
    assert resolve_tenant(admin, None, ("globex", "default")) == "globex"
    assert resolve_tenant(acme_admin) == "acme"
    for principal, query, body in ((tenant_key, "globex", ()), (tenant_key, None, ("globex",)),
                                   (admin, "acme", ("globex",)), (acme_admin, "globex", ())):
        with pytest.raises(ApiError) as refused:
            resolve_tenant(principal, query, body)
        assert refused.value.status == 403
    with pytest.raises(ApiError) as unnamed:
        resolve_tenant(admin, None, ("acme", "globex"))
    assert unnamed.value.status == 422


async def test_admin_reads_metrics_of_any_tenant(client):
    response = await client.get("/v1/metrics/feedback", params={"tenant": TENANT_B},
                                headers=bearer(ADMIN_KEY))
    assert response.status_code == 200 and response.json()["tenant"] == TENANT_B


@needs_assist
async def test_rewrite_and_summarize(client):
    body = conversation("Bonjour, ma commande n'est pas arrivée et j'ai déjà écrit deux fois")
    rewritten = await client.post("/v1/rewrite", headers=bearer(A_KEY), json={
        "text": "bonjour, votre colis arive demain. https://atelier-brume.example/suivi",
        "action": "fix", "conversation": body})
    assert rewritten.status_code == 200, rewritten.text
    result = rewritten.json()
    assert result["action"] == "fix" and "https://atelier-brume.example/suivi" in result["text"]
    summary = await client.post("/v1/summarize", headers=bearer(A_KEY),
                                json={"conversation": body, "language": "en"})
    assert summary.status_code == 200, summary.text
    assert summary.json()["language"] == "en" and summary.json()["summary"]
    bad = await client.post("/v1/rewrite", headers=bearer(A_KEY),
                            json={"text": "Bonjour", "action": "louder"})
    assert assert_error(bad, 422, "invalid_input")["field"] == "action"


# --------------------------------------------------------------------------- limits


async def test_body_over_the_limit_is_413(make_app):
    big = conversation("x" * 3000)
    async with client_for(make_app(max_body_bytes=2000)) as http:
        declared = await http.post("/v1/analyze", json=big, headers=bearer(A_KEY))
        assert_error(declared, 413, "payload_too_large")

        async def chunks() -> AsyncIterator[bytes]:
            data = json.dumps(big).encode()
            for start in range(0, len(data), 500):
                yield data[start:start + 500]

        chunked = await http.post("/v1/analyze", content=chunks(), headers={
            **bearer(A_KEY), "Content-Type": "application/json"})
        assert_error(chunked, 413, "payload_too_large")
        small = await http.post("/v1/analyze", json=conversation("Bonjour"),
                                headers=bearer(A_KEY))
        assert small.status_code == 200


async def test_rate_limit_per_key_with_retry_after(make_app):
    async with client_for(make_app(rate_limit_per_minute=3)) as http:
        statuses = [(await http.get("/v1/metrics/feedback", headers=bearer(A_KEY))).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await http.get("/v1/metrics/feedback", headers=bearer(A_KEY))
        assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1
        other = await http.get("/v1/metrics/feedback", headers=bearer(B_KEY))
        assert other.status_code == 200
        guesses = [(await http.get("/v1/metrics/feedback", headers=bearer(f"guess-{i}")))
                   .status_code for i in range(4)]
        assert guesses == [401, 401, 401, 429]


def test_token_bucket_refills() -> None:
    from replyassist.api.limits import RateLimiter

    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.acquire("k") is None for _ in range(60))
    assert limiter.acquire("k") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.acquire("k") is None and limiter.acquire("k") is not None
    small = RateLimiter(60, clock=lambda: now[0], max_buckets=2)
    small.acquire("a"), small.acquire("b")
    now[0] += 61.0
    small.acquire("c")
    assert set(small._buckets) == {"c"}


# --------------------------------------------------------------------------- CORS, errors


async def test_cors_preflight_for_configured_origin_only(client):
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = await client.options("/v1/suggest", headers={"Origin": ORIGIN, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    refused = await client.options("/v1/suggest", headers={"Origin": "https://evil.example",
                                                           **preflight})
    assert_error(refused, 400, "cors_refused")
    assert "access-control-allow-origin" not in refused.headers
    simple = await client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


async def test_validation_errors_name_the_field(client):
    body = conversation("Bonjour")
    body["messages"][0]["text"] = "   "
    response = await client.post("/v1/analyze", json=body, headers=bearer(A_KEY))
    assert assert_error(response, 422, "invalid_input")["field"] == "messages.0.text"
    broken = await client.post("/v1/analyze", content=b"{not json", headers={
        **bearer(A_KEY), "Content-Type": "application/json"})
    assert_error(broken, 422, "invalid_input")
    unknown = await client.get("/v1/nothing-here", headers=bearer(A_KEY))
    assert_error(unknown, 404, "not_found")
    assert_error(await client.get("/v1/suggest", headers=bearer(A_KEY)), 405,
                 "method_not_allowed")


async def test_unexpected_error_is_a_bare_500(make_app):
    app = make_app()

    def explode() -> None:
        raise RuntimeError("secret detail at /srv/replyassist/store")

    app.dependency_overrides[authenticated] = explode
    async with client_for(app) as http:
        response = await http.post("/v1/analyze", json=conversation("Bonjour"),
                                   headers={"X-Request-ID": "req-123"})
    error = assert_error(response, 500, "internal_error")
    assert error["request_id"] == "req-123"
    assert "secret" not in response.text and "RuntimeError" not in response.text


# --------------------------------------------------------------------------- demo, config


async def test_demo_config_and_static_files(client):
    config = (await client.get("/demo/config")).json()
    assert config == {"api_base": "/v1", "key": DEMO_KEY}
    page = await client.get("/demo")
    if page.status_code == 200:  # web/ is written by another engineer
        assert page.headers["content-type"].startswith("text/html")
        assert (await client.get("/static/panel.js")).status_code == 200
    else:
        assert_error(page, 404, "not_found")


async def test_demo_conversations_per_tenant_and_fresh(make_app, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from replyassist import InvalidInputError
    from replyassist.sample import sample_path

    async with client_for(make_app()) as http:  # the sample's incoming conversations
        sample = await http.get("/v1/demo/conversations", headers=bearer(A_KEY))
        assert sample.status_code == 200
        stored = sample.json()
        assert len(stored) >= 10 and all(c["tenant"] == TENANT_A for c in stored)
        assert not any("expected" in c for c in stored)
        fresh = (await http.get("/v1/demo/conversations", params={"recent": "true"},
                                headers=bearer(A_KEY))).json()
        assert (await http.get("/v1/demo/conversations", headers=bearer(B_KEY))).json() == []
        assert_error(await http.get("/v1/demo/conversations"), 401, "unauthorized")

    def times(c: dict) -> list[datetime]:
        return [datetime.fromisoformat(m["created_at"]) for m in c["messages"]]

    now = datetime.now(UTC)
    for before, after in zip(stored, fresh, strict=True):
        assert before["id"] == after["id"]
        assert timedelta(0) <= now - max(times(after)) <= timedelta(minutes=10)
        gaps = [b - a for a, b in zip(times(before), times(before)[1:], strict=False)]
        assert gaps == [b - a for a, b in zip(times(after), times(after)[1:], strict=False)]

    async with client_for(make_app(demo_key=None)) as http:
        assert_error(await http.get("/v1/demo/conversations", headers=bearer(A_KEY)),
                     404, "not_found")

    own = tmp_path / "demo.jsonl"
    own.write_text(json.dumps({"id": "d-1", "tenant": TENANT_B, "channel": "chat",
                               "messages": [{"role": "customer", "text": "Hello?"}]}) + "\n",
                   encoding="utf-8")
    async with client_for(make_app(demo_conversations=own)) as http:
        mine = (await http.get("/v1/demo/conversations", headers=bearer(DEMO_KEY))).json()
        assert [c["id"] for c in mine] == ["d-1"]
        assert (await http.get("/v1/demo/conversations", headers=bearer(A_KEY))).json() == []

    bad = tmp_path / "bad.jsonl"
    bad.write_text(sample_path("incoming.jsonl").read_text(encoding="utf-8").splitlines()[0]
                   + "\n" + json.dumps({"id": "d-2", "channel": "fax", "messages": []}) + "\n",
                   encoding="utf-8")
    with pytest.raises(InvalidInputError) as error:  # a bad file stops the start-up
        make_app(demo_conversations=bad)
    assert error.value.line == 2 and "bad.jsonl" in str(error.value)


def test_api_config_from_env_and_file(tmp_path: Path) -> None:
    config = ApiConfig.load(environ={
        "REPLYASSIST_API_KEYS": "key-aaaaaaaa:acme,key-bbbbbbbb:*:admin",
        "REPLYASSIST_API_CORS_ORIGINS": "https://a.example, https://b.example",
        "REPLYASSIST_API_RATE_LIMIT": "30", "REPLYASSIST_API_MAX_BODY_BYTES": "1000"})
    assert config.keys["key-aaaaaaaa"].tenant == "acme"
    assert config.keys["key-bbbbbbbb"].admin and config.keys["key-aaaaaaaa"].name
    assert config.cors_origins == ["https://a.example", "https://b.example"]
    assert (config.rate_limit_per_minute, config.max_body_bytes) == (30, 1000)
    as_json = ApiConfig.load(environ={"REPLYASSIST_API_KEYS": json.dumps(
        {"key-cccccccc": {"tenant": "acme", "name": "plugin"}})})
    assert as_json.keys["key-cccccccc"].name == "plugin"
    keys_file = tmp_path / "keys.yaml"
    keys_file.write_text("keys:\n  key-dddddddd: acme\n  key-eeeeeeee: {tenant: '*', "
                         "admin: true}\ncors_origins: [https://c.example]\n"
                         "demo_key: key-dddddddd\n", encoding="utf-8")
    from_file = ApiConfig.load(keys_file, environ={})
    assert from_file.keys["key-eeeeeeee"].admin and from_file.demo_key == "key-dddddddd"
    for bad in ("short:acme", "key-ffffffff:*", "key-ffffffff:acme:root"):
        with pytest.raises(ConfigurationError):
            ApiConfig.load(environ={"REPLYASSIST_API_KEYS": bad})
    with pytest.raises(ConfigurationError, match="admin"):
        ApiConfig.load(environ={"REPLYASSIST_API_KEYS": "key-gggggggg:*:admin",
                                "REPLYASSIST_API_DEMO_KEY": "key-gggggggg"})


def test_app_from_env_builds_the_assistant_lazily(tmp_path: Path, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from replyassist.api import app_from_env

    monkeypatch.setenv("REPLYASSIST_API_KEYS", f"{A_KEY}:{TENANT_A}")
    monkeypatch.setenv("REPLYASSIST_EMBEDDER", "hash")
    monkeypatch.setenv("REPLYASSIST_ANALYSIS_EMBEDDER", "off")
    app = app_from_env(store=str(tmp_path / "store"))
    assert not app.state.replyassist.built
    with TestClient(app) as http:  # the lifespan builds it
        assert app.state.replyassist.built
        response = http.post("/v1/analyze", json=conversation("Bonjour, où est mon colis ?"),
                             headers=bearer(A_KEY))
        assert response.status_code == 200
    assert (tmp_path / "store").is_dir()


def test_serve_command_is_registered() -> None:
    from typer.testing import CliRunner

    from replyassist.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--keys-file" in result.output and "--port" in result.output


async def test_serve_demo_serves_the_sample_brand_with_a_demo_key(tmp_path, monkeypatch):
    from replyassist.api.serve import demo_app

    monkeypatch.setenv("REPLYASSIST_EMBEDDER", "hash")
    monkeypatch.setenv("REPLYASSIST_ANALYSIS_EMBEDDER", "off")
    app = demo_app(tmp_path / "store")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://api") as client:
        key = (await client.get("/demo/config")).json()["key"]
        assert key and (await client.get("/demo")).status_code == 200
        response = await client.post(
            "/v1/suggest", headers={"Authorization": f"Bearer {key}"},
            json=conversation("Bonjour, je voudrais échanger mon pull contre une taille M"))
        assert response.status_code == 200
        assert response.json()["articles"]  # the sample knowledge base was ingested
        offered = await client.get("/v1/demo/conversations",
                                   headers={"Authorization": f"Bearer {key}"})
        assert len(offered.json()) >= 10  # the page's conversations come from the server
