"""Build the app from the environment (``uvicorn --factory replyassist.api:app_from_env``)
and run it (``replyassist serve``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from .config import ApiConfig, KeySpec

__all__ = ["app_from_env", "demo_app", "serve"]


def app_from_env(store: str | None = None, keys_file: str | Path | None = None,
                 config_file: str | Path | None = None) -> FastAPI:
    """Settings and API config from ``REPLYASSIST_*``; the assistant is built at startup."""
    from ..assistant import ReplyAssistant
    from ..settings import Settings
    from .app import create_app

    settings = Settings.load(config_file, store=store)
    if store:
        settings = settings.model_copy(update={"chroma_url": None})
    config = ApiConfig.load(keys_file)
    return create_app(lambda: ReplyAssistant.from_settings(settings), config=config)


def demo_app(store: str | Path, *, config_file: str | Path | None = None) -> FastAPI:
    """The sample brand ingested into ``store`` and served with a fresh demo key for its
    tenant (``/demo`` works at once); an LLM is used if one is configured."""
    import secrets

    from ..assistant import ReplyAssistant
    from ..brand import BrandVoice
    from ..sample import SAMPLE_TENANT, sample_path
    from ..settings import Settings
    from .app import create_app

    settings = Settings.load(config_file, store=str(store)).model_copy(
        update={"chroma_url": None})
    assistant = ReplyAssistant.from_settings(
        settings, brand=BrandVoice.from_yaml(sample_path("brand.yaml")))
    assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT)
    assistant.ingest_history(sample_path("history.jsonl"), tenant=SAMPLE_TENANT)
    key = f"demo-{secrets.token_urlsafe(12)}"
    config = ApiConfig.load(keys={key: KeySpec(tenant=SAMPLE_TENANT, name="demo")},
                            demo_key=key)
    return create_app(assistant, config=config)


def serve(app: FastAPI, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False)
