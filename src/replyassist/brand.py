"""A brand's voice, minimal for now: name, sign-off, formality, default language."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import InvalidInputError

__all__ = ["BrandVoice"]


class BrandVoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "Customer Care"
    default_language: str = "fr"
    formal: bool = True  # vouvoiement unless the brand allows mirroring a casual customer
    sign_off: dict[str, str] = {}

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
