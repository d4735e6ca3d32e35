"""Load versioned prompt and reply templates from ``prompts/`` (shipped in the wheel)."""

from __future__ import annotations

from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

import frontmatter
import jinja2
import yaml
from pydantic import BaseModel, ConfigDict

from .errors import ConfigurationError

__all__ = ["PromptFile", "PromptLibrary", "default_prompts_dir"]


class PromptFile(BaseModel):
    """Front matter of a prompt file."""

    model_config = ConfigDict(extra="forbid")

    version: int
    description: str
    variables: list[str] = []


def default_prompts_dir() -> Path:
    packaged = files("replyassist") / "prompts"
    if packaged.is_dir():
        return Path(str(packaged))
    source_tree = Path(__file__).resolve().parents[2] / "prompts"  # editable install
    if source_tree.is_dir():
        return source_tree
    raise ConfigurationError("the prompts/ folder is missing from the installation")


class _FrontMatterLoader(jinja2.BaseLoader):
    def __init__(self, root: Path) -> None:
        self.root = root

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        path = self.root / template
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
        PromptFile.model_validate(post.metadata)
        mtime = path.stat().st_mtime
        return post.content, str(path), lambda: path.stat().st_mtime == mtime


class PromptLibrary:
    """Renders ``name`` (a path under the prompts folder) with Jinja2."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_prompts_dir()
        self._env = jinja2.Environment(
            loader=_FrontMatterLoader(self.root), autoescape=False, keep_trailing_newline=False,
            undefined=jinja2.StrictUndefined, trim_blocks=False)

    def meta(self, name: str) -> PromptFile:
        post = frontmatter.loads((self.root / name).read_text(encoding="utf-8"))
        return PromptFile.model_validate(post.metadata)

    def render(self, template: str, /, **variables: Any) -> str:
        try:
            return self._env.get_template(template).render(**variables).strip()
        except jinja2.TemplateError as exc:
            raise ConfigurationError(f"prompt {template}: {exc}") from exc

    @cached_property
    def _phrases_file(self) -> dict[str, Any]:
        data = yaml.safe_load((self.root / "composed" / "phrases.yaml").read_text("utf-8"))
        return dict(data)

    @cached_property
    def phrases(self) -> dict[str, dict[str, str]]:
        return {lang: dict(block) for lang, block in self._phrases_file["languages"].items()}

    @cached_property
    def tu_phrases(self) -> dict[str, dict[str, str]]:
        """Per language, the phrases that change with tutoiement (``tu:`` block)."""
        return {lang: dict(block) for lang, block in
                (self._phrases_file.get("tu") or {}).items()}

    fallback_language = "en"

    def has_phrases(self, language: str) -> bool:
        return language in self.phrases

    def phrases_for(self, language: str, *, address: str = "vous") -> dict[str, str]:
        """The phrases of ``language`` (English when there are none); with ``address="tu"``
        the language's tutoiement variants replace the vouvoiement ones."""
        phrases = self.phrases.get(language) or self.phrases[self.fallback_language]
        if address == "tu" and language in self.tu_phrases:
            return {**phrases, **self.tu_phrases[language]}
        return phrases

    def versions(self) -> dict[str, int]:
        return {str(p.relative_to(self.root)): self.meta(str(p.relative_to(self.root))).version
                for p in sorted(self.root.rglob("*.md")) if p.name != "README.md"}
