"""GET /healthz (the process answers) and /readyz (store reachable, embedder loaded)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...embeddings import embed_array
from ..errors import error_response
from ..schemas import ErrorBody, Health, Readiness
from ..state import state_of

__all__ = ["router"]

log = logging.getLogger("replyassist.api")
router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness (no key needed)")
def healthz() -> Health:
    return Health()


def _check(name: str, request: Request) -> bool:
    try:
        assistant = state_of(request).assistant()
        if name == "store":
            assistant.store.tenants()
        else:
            embed_array(assistant.embedder, ["ready"])
    except Exception as error:  # readiness reports, it never raises
        log.warning("readiness check %s failed: %s", name, error)
        return False
    return True


@router.get("/readyz", response_model=Readiness, summary="Readiness (no key needed)",
            responses={503: {"model": ErrorBody, "description": "Not ready."}})
def readyz(request: Request) -> Readiness | JSONResponse:
    checks = {name: _check(name, request) for name in ("store", "embedder")}
    if all(checks.values()):
        return Readiness(checks=checks)
    failed = ", ".join(name for name, ok in checks.items() if not ok)
    return error_response(request.scope, 503, "not_ready", f"not ready: {failed}")
