"""The demo page (``/demo``), its config (``/demo/config``) and ``/static`` files, served
from the package's ``web/`` directory when it exists."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ..config import ApiConfig
from ..errors import ApiError
from ..schemas import DemoConfig

__all__ = ["WEB_DIR", "install_demo"]

WEB_DIR = Path(__file__).resolve().parents[2] / "web"


def install_demo(app: FastAPI, config: ApiConfig, web_dir: Path = WEB_DIR) -> None:
    router = APIRouter(include_in_schema=False)

    @router.get("/demo")
    def demo_page() -> FileResponse:
        page = web_dir / "demo.html"
        if not page.is_file():
            raise ApiError(404, "not_found", "the demo page is not installed")
        return FileResponse(page, media_type="text/html")

    @router.get("/demo/config", response_model=DemoConfig)
    def demo_config() -> DemoConfig:
        return DemoConfig(key=config.demo_key)

    app.include_router(router)
    if web_dir.is_dir():
        app.mount("/static", StaticFiles(directory=web_dir), name="static")
