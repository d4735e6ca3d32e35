"""API keys → principals, per-key rate limits, and the tenant a request acts for.

The tenant always comes from the key, never from the body: a body naming another tenant
is refused (403), a body with no tenant (or ``default``) gets the key's tenant. Admin keys
act for the tenant of ``?tenant=`` (or of the body).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .config import ANY_TENANT, ApiConfig, KeySpec
from .errors import ApiError
from .limits import RateLimiter

__all__ = ["Principal", "TenantQuery", "authenticated", "require_admin", "resolve_tenant"]

UNSET_TENANT = "default"  # formats.md default of Conversation.tenant: "not said"

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key.")

TenantQuery = Annotated[str | None, Query(
    min_length=1, max_length=128,
    description="Admin keys only: the tenant to act for (tenant keys: their own or nothing).")]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name (never the key), tenant and admin right."""

    key_id: str
    name: str
    tenant: str
    admin: bool


def _find(config: ApiConfig, given: str) -> tuple[str, KeySpec] | None:
    """Constant-time comparison against every key (no early exit on a match)."""
    found: tuple[str, KeySpec] | None = None
    given_bytes = given.encode()
    for key, spec in config.keys.items():
        if hmac.compare_digest(key.encode(), given_bytes):
            found = (key, spec)
    return found


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


async def authenticated(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
    api_key: Annotated[str | None, Security(_header)] = None,
) -> Principal:
    """The caller's principal; 401 without a valid key, 429 over the key's rate."""
    given = bearer.credentials if bearer is not None else api_key
    if not given:
        raise _unauthorized("missing API key: send 'Authorization: Bearer <key>' "
                            "or 'X-API-Key: <key>'")
    config: ApiConfig = request.app.state.config
    limiter: RateLimiter = request.app.state.rate_limiter
    match = _find(config, given.strip())
    if match is None:  # wrong keys count against the client's address (key guessing)
        _throttle(limiter, f"ip:{request.client.host if request.client else '?'}")
        raise _unauthorized("invalid API key")
    key, spec = match
    key_id = hashlib.sha256(key.encode()).hexdigest()[:16]
    _throttle(limiter, key_id)
    return Principal(key_id=key_id, name=spec.name, tenant=spec.tenant, admin=spec.admin)


def _throttle(limiter: RateLimiter, bucket: str) -> None:
    wait = limiter.acquire(bucket)
    if wait is not None:
        raise ApiError(429, "rate_limited",
                       f"over {limiter.per_minute} requests per minute; retry later",
                       headers={"Retry-After": RateLimiter.retry_after(wait)})


async def require_admin(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
    if not principal.admin:
        raise ApiError(403, "forbidden", "this endpoint needs an admin key")
    return principal


def resolve_tenant(principal: Principal, query_tenant: str | None = None,
                   body_tenants: tuple[str, ...] = ()) -> str:
    """The tenant this request acts for; 403 if the key may not act for it."""
    claimed = sorted({t for t in body_tenants if t and t != UNSET_TENANT})
    if principal.admin:
        tenant = query_tenant or (principal.tenant if principal.tenant != ANY_TENANT else None)
        if tenant is None and len(claimed) == 1:
            tenant = claimed[0]
        if tenant is None:
            raise ApiError(422, "invalid_input", "admin keys name the tenant: ?tenant=",
                           field="tenant")
        if principal.tenant not in (ANY_TENANT, tenant):
            raise ApiError(403, "forbidden", "this admin key is not for that tenant",
                           field="tenant")
    else:
        tenant = principal.tenant
        if query_tenant not in (None, tenant):
            raise ApiError(403, "forbidden", "this key is not allowed to act for that tenant",
                           field="tenant")
    if any(t != tenant for t in claimed):
        raise ApiError(403, "forbidden",
                       "the body names another tenant than the one this key acts for",
                       field="tenant")
    return tenant
