"""Routes whose core is not installed answer 501 ``not_available`` (in the error shape)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..auth import authenticated
from ..errors import ApiError
from ..schemas import ErrorBody

__all__ = ["unavailable_router"]


def unavailable_router(paths: list[str], *, tag: str, method: str = "POST") -> APIRouter:
    router = APIRouter(tags=[tag], dependencies=[Depends(authenticated)])

    def not_available() -> None:
        raise ApiError(501, "not_available", "this feature is not installed on this server")

    for path in paths:
        router.add_api_route(path, not_available, methods=[method], include_in_schema=False,
                             responses={501: {"model": ErrorBody}})
    return router
