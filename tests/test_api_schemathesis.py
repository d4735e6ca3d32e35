"""Property-based tests of the HTTP API against its own OpenAPI schema (schemathesis, in
process over ASGI): whatever a client with a valid key sends, the server never answers
5xx. Bounded examples per operation, so the whole file runs in well under a minute."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from replyassist import ReplyAssistant, Settings, VectorStore
from replyassist.api import ApiConfig, create_app
from replyassist.sample import SAMPLE_TENANT, sample_path
from replyassist.testing import HashEmbeddings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402

TENANT_KEY = "fuzz-tenant-key-01"
ADMIN_KEY = "fuzz-admin-key-02"
FUZZ_TENANT = "fuzz-tenant"
EXAMPLES = 40
ADMIN_PATHS = ("/v1/ingest/kb", "/v1/ingest/history")


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory, detector: Any) -> FastAPI:
    root: Path = tmp_path_factory.mktemp("schemathesis")
    store = str(root / "store")
    config = Settings(store=store, embedder="hash", tenant=SAMPLE_TENANT,
                      analysis_embedder="off", llm_tagging="off", mode="auto")
    # no chat model: an LLM failure is a legitimate 503, which is not what is tested here
    assistant = ReplyAssistant(store=VectorStore.open(store), embedder=HashEmbeddings(),
                               settings=config, detector=detector)
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    keys = {TENANT_KEY: {"tenant": SAMPLE_TENANT}, ADMIN_KEY: {"tenant": "*", "admin": True}}
    return create_app(assistant, config=ApiConfig(
        keys=keys, rate_limit_per_minute=0, feedback_url=f"sqlite:///{root / 'fb.db'}"))


@pytest.fixture(scope="module")
def api_schema(api_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/v1/openapi.json", api_app)


def _authorise(case: Any) -> dict[str, str]:
    """Admin operations with the admin key on a scratch tenant, the rest with a tenant
    key; a body's tenant is set to the key's (another tenant is a 403, tested apart)."""
    if case.path in ADMIN_PATHS:
        case.query = {**(case.query or {}), "tenant": FUZZ_TENANT}
        _own_tenant(case.body, FUZZ_TENANT)
        return {"Authorization": f"Bearer {ADMIN_KEY}"}
    if isinstance(case.query, dict):
        case.query.pop("tenant", None)
    _own_tenant(case.body, SAMPLE_TENANT)
    return {"Authorization": f"Bearer {TENANT_KEY}"}


def _own_tenant(body: Any, tenant: str) -> None:
    items = body if isinstance(body, list) else [body]
    for item in items:
        if isinstance(item, dict):
            for holder in (item, item.get("conversation")):
                if isinstance(holder, dict) and "tenant" in holder:
                    holder["tenant"] = tenant


def test_no_server_errors(api_schema: Any) -> None:
    """Every operation, ``EXAMPLES`` generated cases each (valid and invalid data)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            case.call_and_validate(headers=_authorise(case), checks=[not_a_server_error])

        check()
