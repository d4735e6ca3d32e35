"""Token-aware chunking that keeps the article title and section headings with each chunk."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from replyassist.models import KnowledgeArticle
from replyassist.tokens import TokenCounter

__all__ = ["Chunk", "Chunker", "html_to_markdown"]

_HTML_HINT = re.compile(r"<(p|div|h[1-6]|ul|ol|li|br|table|span|a)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Chunk:
    index: int
    heading: str  # "Section > Subsection", "" for the introduction
    text: str  # the passage itself

    def embedding_text(self, title: str) -> str:
        """What is embedded and indexed: title, headings, then the passage."""
        head = f"{title} — {self.heading}" if self.heading else title
        return f"{head}\n{self.text}"


def html_to_markdown(html: str) -> str:
    """A light HTML → Markdown conversion that keeps headings and paragraphs."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    for item in soup.find_all("li"):
        item.insert_before("\n- ")
    for block in soup.find_all(["p", "div", "br", "tr"]):
        block.insert_after("\n\n")
    text = soup.get_text()
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class Chunker:
    """Splits on Markdown headings, then to at most ``chunk_tokens`` tokens per chunk."""

    def __init__(self, chunk_tokens: int = 300, overlap_tokens: int = 40,
                 counter: TokenCounter | None = None) -> None:
        self.chunk_tokens = chunk_tokens
        self.overlap_tokens = overlap_tokens
        self._counter = counter or TokenCounter()
        self._headers = MarkdownHeaderTextSplitter(
            [("#", "h1"), ("##", "h2"), ("###", "h3")], strip_headers=True)
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_tokens, chunk_overlap=overlap_tokens,
            length_function=self._counter.count,
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""])

    @property
    def signature(self) -> str:
        return f"md-headers/{self.chunk_tokens}/{self.overlap_tokens}"

    def split(self, article: KnowledgeArticle) -> list[Chunk]:
        body = article.body
        if _HTML_HINT.search(body):
            body = html_to_markdown(body)
        chunks: list[Chunk] = []
        for section in self._headers.split_text(body) or []:
            headings = [section.metadata[k] for k in ("h1", "h2", "h3") if k in section.metadata]
            if headings and headings[0] == article.title:
                headings = headings[1:]
            heading = " > ".join(headings)
            for piece in self._splitter.split_text(section.page_content):
                if piece.strip():
                    chunks.append(Chunk(len(chunks), heading, piece.strip()))
        if not chunks:
            chunks.append(Chunk(0, "", body.strip() or article.title))
        return chunks
