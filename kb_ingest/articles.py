"""Read knowledge articles from a folder or a JSONL file, with located errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import frontmatter
import yaml
from bs4 import BeautifulSoup
from pydantic import ValidationError

from replyassist.errors import InvalidInputError
from replyassist.jsonl import ParsedLine, invalid_input_from_validation, read_records
from replyassist.models import KnowledgeArticle

__all__ = ["ARTICLE_SUFFIXES", "load_articles"]

ARTICLE_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")


def load_articles(path: str | Path) -> Iterator[ParsedLine[KnowledgeArticle]]:
    """Yield parsed articles (or located errors) from a folder, one file, or a JSONL file."""
    root = Path(path)
    if not root.exists():
        raise InvalidInputError("no such file or folder", source=root)
    if root.is_file() and root.suffix in (".jsonl", ".json"):
        yield from read_records(root, KnowledgeArticle)
        return
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
    base = root.parent if root.is_file() else root
    for file in files:
        yield _load_file(file, base)


def _load_file(file: Path, base: Path) -> ParsedLine[KnowledgeArticle]:
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedLine(1, None, InvalidInputError(
            f"not UTF-8 text (byte {exc.start})", source=file))
    except OSError as exc:
        return ParsedLine(1, None, InvalidInputError(f"cannot read file: {exc.strerror}",
                                                     source=file))
    default_id = file.relative_to(base).with_suffix("").as_posix()
    suffix = file.suffix.lower()
    fields: dict[str, object]
    if suffix in (".md", ".markdown"):
        try:
            post = frontmatter.loads(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            return ParsedLine(1, None, InvalidInputError(
                f"malformed YAML front matter: {getattr(exc, 'problem', exc)}", source=file,
                line=(mark.line + 1) if mark else None))
        fields = dict(post.metadata)
        fields.setdefault("body", post.content)
        fields.setdefault("title", _first_heading(post.content) or file.stem)
    elif suffix in (".html", ".htm"):
        soup = BeautifulSoup(text, "html.parser")
        heading = soup.find("h1")
        title = soup.title.get_text(strip=True) if soup.title else None
        fields = {"title": title or (heading.get_text(strip=True) if heading else file.stem),
                  "body": str(soup.body or soup)}
    else:
        first, _, rest = text.strip().partition("\n")
        fields = {"title": first.strip() or file.stem, "body": rest.strip() or first}
    fields.setdefault("id", default_id)
    try:
        return ParsedLine(1, KnowledgeArticle.model_validate(fields))
    except ValidationError as exc:
        return ParsedLine(1, None, invalid_input_from_validation(exc, source=file, line=None))


def _first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None
