"""The response library, for admins: list, show, review (PATCH), mine and export.

GET /v1/library, GET /v1/library/export, POST /v1/library/mine, GET and PATCH
/v1/library/{reply_id}. Admin keys only; the tenant is resolved as everywhere
(:func:`~replyassist.api.auth.resolve_tenant`), and every read and write filters by it:
another tenant's reply id is a 404, as an unknown one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ...library import LibraryReply, LibraryStore, MineReport, ReplyEdit, ReplyStatus
from ...library.export import MEDIA_TYPES, ExportFormat, export_replies
from ...library.units import UnitKind
from ..auth import Principal, TenantQuery, require_admin, resolve_tenant
from ..errors import ApiError
from ..state import assistant_of

__all__ = ["router"]

router = APIRouter(prefix="/library", tags=["library"])
Admin = Annotated[Principal, Depends(require_admin)]
ReplyId = Annotated[str, Path(min_length=1, max_length=40, description="A library reply id "
                              "(`r-…`).")]


def _library(request: Request) -> LibraryStore:
    library: LibraryStore = assistant_of(request).library
    return library


@router.get("", response_model=list[LibraryReply], summary="List library replies (admin)")
def list_replies(
    request: Request, admin: Admin, tenant: TenantQuery = None,
    status: Annotated[ReplyStatus | None, Query()] = None,
    language: Annotated[str | None, Query(min_length=2, max_length=16)] = None,
    kind: Annotated[UnitKind | None, Query()] = None,
    min_support: Annotated[int, Query(ge=0, description="Given in at least N past "
                                      "conversations.")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[LibraryReply]:
    """The tenant's replies, most supported first."""
    acting = resolve_tenant(admin, tenant)
    return _library(request).replies(acting, status=status, language=language, kind=kind,
                                     min_support=min_support, limit=limit)


@router.get("/export", summary="Export the library (admin)",
            response_class=Response,
            responses={200: {"description": "`json`: a list of records; `csv`: the same "
                             "columns; `zendesk`: `{\"macros\": [...]}` (Zendesk Macros "
                             "API).",
                             "content": {"application/json": {},
                                         "text/csv": {"schema": {"type": "string"}}}}})
def export(
    request: Request, admin: Admin, tenant: TenantQuery = None,
    format: Annotated[ExportFormat, Query()] = "json",
    status: Annotated[ReplyStatus | None, Query()] = None,
) -> Response:
    acting = resolve_tenant(admin, tenant)
    replies = _library(request).replies(acting, status=status)
    extension = "csv" if format == "csv" else "json"
    suffix = "-zendesk" if format == "zendesk" else ""
    return Response(export_replies(replies, format), media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="library-'
                             f'{_filename(acting)}{suffix}.{extension}"'})


def _filename(tenant: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in tenant)[:80]


@router.post("/mine", response_model=MineReport,
             summary="Mine the library from the tenant's past answers (admin)")
def mine(request: Request, admin: Admin, tenant: TenantQuery = None) -> MineReport:
    """Incremental: only the answers not mined yet; reviews are kept."""
    acting = resolve_tenant(admin, tenant)
    report: MineReport = assistant_of(request).mine_library(acting)
    return report


@router.get("/{reply_id}", response_model=LibraryReply,
            summary="One library reply, with its variants and example contexts (admin)",
            responses={404: {"description": "No such reply for this tenant."}})
def show(request: Request, admin: Admin, reply_id: ReplyId,
         tenant: TenantQuery = None) -> LibraryReply:
    acting = resolve_tenant(admin, tenant)
    return _library(request).get(acting, reply_id)


@router.patch("/{reply_id}", response_model=LibraryReply,
              summary="Review a library reply: status and/or edited text (admin)",
              responses={404: {"description": "No such reply for this tenant."}})
def review(request: Request, admin: Admin, reply_id: ReplyId, edit: ReplyEdit,
           tenant: TenantQuery = None) -> LibraryReply:
    """``status``: candidate, approved or blocked; ``edited_text``: the team's version
    (``"edited_text": null`` drops the edit); ``reviewed_by``: default, the key's name."""
    acting = resolve_tenant(admin, tenant)
    library = _library(request)
    clear = "edited_text" in edit.model_fields_set and edit.edited_text is None
    if edit.status is None and edit.edited_text is None and not clear:
        raise ApiError(422, "invalid_input", "give status and/or edited_text",
                       field="status")
    if edit.edited_text is not None and not edit.edited_text.strip():
        raise ApiError(422, "invalid_input", "edited_text is blank (null drops the edit)",
                       field="edited_text")
    library.get(acting, reply_id)  # 404 before anything is written
    reply = library.clear_edit(acting, reply_id) if clear else None
    if edit.status is not None or edit.edited_text is not None:
        reply = library.review(acting, reply_id, edit.model_copy(
            update={"reviewed_by": edit.reviewed_by or admin.name}))
    assert reply is not None
    return reply
