"""Build the app from the environment (``uvicorn --factory replyassist.api:app_from_env``)
and run it (``replyassist serve``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from .config import ApiConfig

__all__ = ["app_from_env", "serve"]


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


def serve(app: FastAPI, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False)
