"""``ApiConfig``: API keys → tenants, CORS, limits. Built once by the caller, passed in.

Keys come from a YAML/JSON file (``REPLYASSIST_API_KEYS_FILE``) or the environment
(``REPLYASSIST_API_KEYS``), see ``docs/api.md``::

    REPLYASSIST_API_KEYS="key-a:tenant-a,key-b:tenant-b,admin-key:*:admin"

or the same as JSON (``{"key-a": {"tenant": "tenant-a"}, ...}``) in the variable or file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigurationError

__all__ = ["ANY_TENANT", "ApiConfig", "KeySpec", "parse_keys"]

ANY_TENANT = "*"
DEFAULT_MAX_BODY = 2 * 1024 * 1024
MIN_KEY_LENGTH = 8


class KeySpec(BaseModel):
    """What one API key may do: act for ``tenant`` (``*``: any, admin keys only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(min_length=1)
    admin: bool = False
    name: str = ""

    @model_validator(mode="after")
    def _star_is_admin(self) -> KeySpec:
        if self.tenant == ANY_TENANT and not self.admin:
            raise ValueError("tenant '*' (any tenant) needs admin: true")
        return self


class ApiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: dict[str, KeySpec] = Field(default_factory=dict)
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY, gt=0)
    rate_limit_per_minute: int = Field(default=600, ge=0, description="0: no limit.")
    demo_key: str | None = None
    demo_conversations: Path | None = Field(
        default=None, description="JSON/JSONL conversations served by "
        "/v1/demo/conversations (default: the sample brand's incoming ones, for its tenant).")
    feedback_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the feedback database; default: "
        "sqlite:///<store dir>/feedback.db.")

    @model_validator(mode="after")
    def _check_keys(self) -> ApiConfig:
        for key, spec in self.keys.items():
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(f"API key {spec.name or '?'!r} is shorter than "
                                 f"{MIN_KEY_LENGTH} characters")
        for index, (key, spec) in enumerate(list(self.keys.items())):
            if not spec.name:  # a name safe to log and to rate-limit by, never the key
                self.keys[key] = spec.model_copy(update={"name": f"{spec.tenant}#{index}"})
        if self.demo_key is not None and self.demo_key not in self.keys:
            raise ValueError("demo_key must be one of the configured keys")
        if self.demo_key is not None and self.keys[self.demo_key].admin:
            raise ValueError("demo_key must not be an admin key: the demo page publishes it")
        return self

    @classmethod
    def load(cls, keys_file: str | Path | None = None,
             environ: Mapping[str, str] | None = None, **overrides: Any) -> ApiConfig:
        """From ``REPLYASSIST_API_*`` variables and an optional keys file (YAML or JSON:
        either a mapping of keys, or a full config with a ``keys`` entry)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        path = keys_file or env.get("REPLYASSIST_API_KEYS_FILE")
        if path:
            values.update(_read_file(Path(path)))
        if env.get("REPLYASSIST_API_KEYS"):
            values["keys"] = {**values.get("keys", {}), **parse_keys(env["REPLYASSIST_API_KEYS"])}
        if env.get("REPLYASSIST_API_CORS_ORIGINS"):
            values["cors_origins"] = _split(env["REPLYASSIST_API_CORS_ORIGINS"])
        for name, field in (("REPLYASSIST_API_MAX_BODY_BYTES", "max_body_bytes"),
                            ("REPLYASSIST_API_RATE_LIMIT", "rate_limit_per_minute"),
                            ("REPLYASSIST_API_DEMO_KEY", "demo_key"),
                            ("REPLYASSIST_API_DEMO_CONVERSATIONS", "demo_conversations"),
                            ("REPLYASSIST_FEEDBACK_URL", "feedback_url")):
            if env.get(name):
                values[field] = env[name]
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigurationError(f"invalid API config ({where}): {first['msg']}") from exc


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_keys(text: str) -> dict[str, dict[str, Any]]:
    """``key:tenant[:admin][,…]`` or a JSON object ``{key: {tenant, admin, name}}``."""
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"REPLYASSIST_API_KEYS is not valid JSON: {exc}") from exc
        return _normalise(data)
    keys: dict[str, dict[str, Any]] = {}
    for entry in _split(text):
        parts = entry.split(":")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "admin"):
            raise ConfigurationError(
                "REPLYASSIST_API_KEYS entries are key:tenant or key:tenant:admin")
        keys[parts[0]] = {"tenant": parts[1], "admin": len(parts) == 3}
    return keys


def _normalise(data: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(data, dict):
        raise ConfigurationError("API keys must be a mapping of key → {tenant, admin, name}")
    return {str(k): ({"tenant": v} if isinstance(v, str) else v) for k, v in data.items()}


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(f"API keys file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:  # JSON is YAML too
        raise ConfigurationError(f"API keys file {path} is not valid YAML/JSON: {exc}") from exc
    if isinstance(data, dict) and "keys" in data:
        return {**data, "keys": _normalise(data["keys"])}
    return {"keys": _normalise(data)}
