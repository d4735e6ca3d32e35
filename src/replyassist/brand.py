"""A brand's configuration (``brand.yaml``): voice (name, sign-off, formality, default
language, enthusiasm), its intents with example messages, and its SLA policy."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .analysis.intents import IntentSpec
from .analysis.sla import SlaPolicy
from .errors import InvalidInputError

__all__ = ["BrandVoice"]


class BrandVoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "Customer Care"
    default_language: str = "fr"
    formal: bool = True  # vouvoiement unless the brand allows mirroring a casual customer
    sign_off: dict[str, str] = {}
    allow_enthusiastic: bool = True  # may a happy customer get an enthusiastic draft
    # Output guardrails (guardrails/guard.py): links outside the knowledge base must be on
    # these domains; these phrases never reach a customer; these contacts may be quoted.
    approved_domains: list[str] = Field(default_factory=list)
    banned_phrases: list[str] = Field(default_factory=list)
    public_contacts: list[str] = Field(default_factory=list)
    intents: list[IntentSpec] = Field(default_factory=list)
    sla: SlaPolicy = Field(default_factory=SlaPolicy)

    def signature(self, language: str) -> str:
        return self.sign_off.get(language) or self.name

    @classmethod
    def from_yaml(cls, path: str | Path) -> BrandVoice:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            return cls.model_validate(data)
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInputError(f"cannot read brand file: {exc}", source=path) from exc
        except ValidationError as exc:
            from .jsonl import invalid_input_from_validation

            raise invalid_input_from_validation(exc, source=path, line=None) from exc
