"""Settings from ``REPLYASSIST_*`` environment variables and an optional TOML file.

Built once by the caller (CLI, server, test) and passed in: there is no global settings
object. Precedence: explicit arguments > environment > config file > defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Mode", "Settings", "default_store_path"]

Mode = Literal["auto", "generated", "composed"]


def default_store_path() -> Path:
    return Path.home() / ".local" / "share" / "replyassist" / "store"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPLYASSIST_", extra="ignore")

    store: str = Field(
        default_factory=lambda: str(default_store_path()),
        description="A directory (embedded Chroma) or an http(s):// URL of a Chroma server.",
    )
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL; overrides `store` when set."
    )
    tenant: str = "default"
    embedder: str = Field(
        default="use-multilingual",
        description="`use-multilingual`, `minilm`, a sentence-transformers model name/path, "
                    "or `hash` (the deterministic test embedder of replyassist.testing).",
    )
    english_embedder: str = Field(
        default="minilm",
        description="Embedder of the English views (English articles, titles and history, "
                    "matched against English queries), used when `embedder` is the "
                    "multilingual `use-multilingual`; `none`: one embedder for every "
                    "language (docs/retrieval.md).")
    mode: Mode = "auto"
    brands_dir: Path | None = Field(
        default=None, description="A folder of brand voice files, <tenant>.yaml (and "
        "default.yaml), see docs/brand-voice.md.")
    default_language: str = "fr"
    languages: list[str] = Field(
        default_factory=lambda: ["fr", "en", "de", "es", "it", "nl", "pt"],
        description="Languages the detector chooses from.",
    )

    llm_base_url: str | None = Field(default=None, description="Any OpenAI-compatible server.")
    llm_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("REPLYASSIST_LLM_API_KEY", "OPENAI_API_KEY"),
    )
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 30.0
    llm_max_retries: int = 1
    llm_temperature: float = 0.3
    max_prompt_tokens: int = 3000
    max_draft_tokens: int = 400

    analysis_embedder: str = Field(
        default="auto",
        description="Embedder feeding the trained analysis heads: `auto` reuses the retrieval "
                    "vector when the heads were trained on the same embedder and loads theirs "
                    "otherwise; `off` tags with the rules only.")
    analysis_weights: Path | None = Field(
        default=None, description="Analysis heads (.npz); default: the packaged weights.")
    llm_tagging: Literal["off", "unsure", "always"] = Field(
        default="unsure",
        description="When the LLM tags too: never, when a fast tag is unsure, always.")
    llm_tagging_unsure_below: float = Field(default=0.6, ge=0.0, le=1.0)

    kb_chunk_tokens: int = 300
    kb_chunk_overlap: int = 40
    ingest_embed_process: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Embed long ingests in a child process (`python -m "
                    "replyassist.embed_worker`), so that reading and writing overlap the "
                    "embedding: `auto` starts it once an ingest has embedded "
                    "`ingest_embed_process_after` texts, `always` at the first batch. Only for "
                    "the embedder named by `embedder`; queries are always embedded in process.")
    ingest_embed_process_after: int = Field(default=2048, ge=0)
    library_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the response library (SQLite file or "
        "PostgreSQL); default: sqlite:///<store dir>/library.db.")
    library_min_support: int = Field(
        default=2, ge=1, description="Distinct past conversations a mined reply needs before "
        "drafts may use it unreviewed (approved replies always may, blocked never).")
    library_mine_on_ingest: bool = Field(
        default=True, description="Mine the response library after each history ingest "
        "(incremental: only new answers).")
    ranking_min_labelled: int = Field(
        default=50, ge=1, description="Past answers linking an article a tenant needs "
        "before its ranking is fitted on its own history (else the package defaults).")
    ranking_refit_on_ingest: bool = Field(
        default=True, description="Refit a tenant's ranking after a history ingest once its "
        "labelled history has grown by a fifth since the last fit.")
    top_articles: int = 3
    top_exchanges: int = 5
    max_drafts: int = 3

    config_file: Path | None = Field(default=None, description="Optional TOML config file.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> Settings:
        """Environment and optional TOML file (``--config`` or ``REPLYASSIST_CONFIG_FILE``)."""
        env_only = cls(**{k: v for k, v in overrides.items() if v is not None})
        path = Path(config_file) if config_file else env_only.config_file
        if path is None:
            return env_only
        from .errors import ConfigurationError

        if not path.is_file():
            raise ConfigurationError(f"config file not found: {path}")
        file_values = TomlConfigSettingsSource(cls, toml_file=path)()
        env_values = env_only.model_dump(exclude_unset=True)
        merged = {**file_values, **env_values,
                  **{k: v for k, v in overrides.items() if v is not None}}
        merged["config_file"] = path
        return cls.model_validate(merged)

    @property
    def store_location(self) -> str:
        return self.chroma_url or self.store

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key)
