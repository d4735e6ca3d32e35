"""Mining a tenant's response library from its past answers, incrementally.

Each past answer not mined yet is cut into reply units (:mod:`.units`). A unit joins a
reply when its folded wording is already known (lexical, exact), else when its template
embeds close to a reply of the same language and kind *and* shares enough words with it
(dense + lexical: ``merge_similarity`` and ``merge_overlap``), else it founds a reply.
The canonical text of a reply is its most frequent wording. Counts, channels, linked
articles, wordings and a few example contexts are updated in place; a reply's review
(status, edited text) is never touched, so nothing approved or edited is lost when the
history grows or is mined again. Already-mined answers are skipped by id.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from ..embeddings import embed_array
from .models import LibraryExample, MineReport
from .select import DEFAULT_MIN_SUPPORT
from .store import LibraryStore, key_digest
from .units import ReplyUnit, reply_units, template_key

if TYPE_CHECKING:
    from ..analysis.intents import IntentMatcher
    from ..guardrails.names import NameFinder
    from ..store import TenantCollection

__all__ = ["LibraryMiner", "PastAnswer"]

MAX_VARIANTS = 12
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class PastAnswer:
    """One past agent answer, as the history store keeps it (scrubbed)."""

    exchange_id: str
    conversation_id: str
    answer: str
    context: str = ""
    language: str = "und"
    channel: str = "other"
    linked_doc_ids: Sequence[str] = ()
    created_at: str | None = None
    intent: str | None = None  # the brand intent of the case (its context)


@dataclass
class _Cluster:
    id: str
    language: str
    kind: str
    vector: np.ndarray | None
    weight: int
    words: set[str]
    row: dict[str, Any] = field(default_factory=dict)


def _words(key: str) -> set[str]:
    return {w for w in key.split() if not w.startswith("{") and len(w) > 2}


def _reply_id(tenant: str, language: str, key: str) -> str:
    return "r-" + hashlib.sha1(f"{tenant}\x1f{language}\x1f{key}".encode()).hexdigest()[:14]


def _utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were written in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


class LibraryMiner:
    """``merge_similarity``: cosine of two templates' vectors above which they may be one
    reply; ``merge_overlap``: the share of content words they must also have in common
    (measured with ``evals/reply_safety.py`` on the dev splits: docs/response-library.md)."""

    def __init__(self, store: LibraryStore, embedder: Embeddings, *,
                 names: NameFinder | None = None, merge_similarity: float = 0.85,
                 merge_overlap: float = 0.5, min_support: int = DEFAULT_MIN_SUPPORT) -> None:
        self.store = store
        self.min_support = min_support  # only for the report's count of suggestible replies
        self.embedder = embedder
        self.names = names
        self.merge_similarity = merge_similarity
        self.merge_overlap = merge_overlap

    def mine_collection(self, tenant: str, history: TenantCollection, *, page: int = 2000,
                        intents: IntentMatcher | None = None) -> MineReport:
        """Mine the answers of ``history`` (a tenant's history collection) not mined yet;
        ``intents``: the brand's intent matcher, run on each case's stored vector."""
        mined = self.store.mined_exchange_ids(tenant)
        new_ids = sorted(history.ids() - mined)
        report = MineReport(tenant=tenant, skipped=len(mined))
        for start in range(0, len(new_ids), page):
            ids = new_ids[start:start + page]
            found = {}
            if intents is not None and intents.intents:
                vectors = history.vectors(ids)
                found = {i: intents.match(v).intent for i, v in zip(ids, vectors, strict=True)}
            answers = [PastAnswer(
                exchange_id=item.id,
                conversation_id=str(item.metadata.get("conversation_id") or item.id),
                answer=str(item.metadata.get("answer") or ""), context=item.document,
                language=str(item.metadata.get("language") or "und"),
                channel=str(item.metadata.get("channel") or "other"),
                linked_doc_ids=list(item.metadata.get("linked_doc_ids") or []),
                created_at=item.metadata.get("created_at"), intent=found.get(item.id))
                for item in history.get(ids)]
            self._mine(tenant, answers, report, known=mined)
        return self._finish(report)

    def mine(self, tenant: str, answers: Iterable[PastAnswer]) -> MineReport:
        """Mine ``answers`` (those already mined are skipped)."""
        report = MineReport(tenant=tenant)
        mined = self.store.mined_exchange_ids(tenant)
        self._mine(tenant, list(answers), report, known=mined)
        return self._finish(report)

    def _finish(self, report: MineReport) -> MineReport:
        replies = self.store.replies(report.tenant)
        report.replies = len(replies)
        report.suggestible = sum(r.suggestible(self.min_support) for r in replies)
        return report

    # ------------------------------------------------------------------ one batch
    def _mine(self, tenant: str, answers: list[PastAnswer], report: MineReport,
              known: set[str]) -> None:
        fresh = [a for a in answers if a.exchange_id not in known]
        report.skipped += len(answers) - len(fresh)
        if not fresh:
            return
        found: list[tuple[PastAnswer, ReplyUnit]] = []
        for answer in fresh:
            units = reply_units(answer.answer, names=self.names, language=answer.language)
            found.extend((answer, unit) for unit in units)
            known.add(answer.exchange_id)
        report.exchanges += len(fresh)
        report.units += len(found)
        if not found:
            return
        # group the new units by wording; wordings not known yet are matched by meaning
        groups: dict[tuple[str, str], list[tuple[PastAnswer, ReplyUnit]]] = defaultdict(list)
        for answer, unit in found:
            groups[(answer.language, unit.key)].append((answer, unit))
        stored = self.store.keys(tenant)
        keys = {g: stored[(g[0], key_digest(g[1]))] for g in groups
                if (g[0], key_digest(g[1])) in stored}
        unknown = sorted((g for g in groups if g not in keys),
                         key=lambda g: (-len(groups[g]), g))
        clusters = self._clusters(tenant)
        new_keys: list[tuple[str, str, str]] = []
        if unknown:
            texts = [Counter(u.text for _, u in groups[g]).most_common(1)[0][0]
                     for g in unknown]
            vectors = embed_array(self.embedder, texts)
            for group, vector in zip(unknown, vectors, strict=True):
                language, key = group
                kind = Counter(u.kind for _, u in groups[group]).most_common(1)[0][0]
                cluster = self._nearest(clusters, language, kind, vector, _words(key))
                if cluster is None:
                    cluster = _Cluster(_reply_id(tenant, language, key), language, kind,
                                       None, 0, _words(key))
                    clusters.append(cluster)
                    report.new_replies += 1
                cluster.vector = vector if cluster.vector is None else \
                    (cluster.vector * cluster.weight + vector) / (cluster.weight + 1)
                cluster.weight += 1
                cluster.words |= _words(key)
                keys[group] = cluster.id
                new_keys.append((language, key, cluster.id))
        by_id = {c.id: c for c in clusters}
        rows = self.store.mining_rows(tenant, sorted({keys[g] for g in groups}))
        updates: dict[str, dict[str, Any]] = {}
        unit_rows: list[tuple[str, int, str, str]] = []
        founded = {rid for _, _, rid in new_keys}
        for group, members in groups.items():
            reply_id = keys[group]
            if reply_id not in founded:
                report.merged_units += len(members)
            state = updates.get(reply_id) or self._state(rows.get(reply_id), group[0],
                                                         members[0][1].kind)
            updates[reply_id] = state
            for answer, unit in members:
                unit_rows.append((answer.exchange_id, unit.position, answer.conversation_id,
                                  reply_id))
                state["variants"][unit.text] += 1
                state["channels"][answer.channel] += 1
                for doc in answer.linked_doc_ids:
                    state["doc_ids"][doc] += 1
                if answer.intent:
                    state["intents"][answer.intent] += 1
                if len(state["examples"]) < MAX_EXAMPLES and answer.context and \
                        answer.conversation_id not in {e["conversation_id"]
                                                       for e in state["examples"]}:
                    state["examples"].append(LibraryExample(
                        conversation_id=answer.conversation_id,
                        context=answer.context[-400:]).model_dump())
                when = _when(answer.created_at)
                if when is not None:
                    state["first_seen"] = min(filter(None, [state["first_seen"], when]))
                    state["last_seen"] = max(filter(None, [state["last_seen"], when]))
        written = []
        for reply_id, state in updates.items():
            cluster = by_id.get(reply_id)
            variants = Counter(dict(state["variants"].most_common(MAX_VARIANTS)))
            text = max(variants.items(), key=lambda kv: (kv[1], -len(kv[0])))[0]
            kinds = state["kind"]
            written.append({
                "id": reply_id, "language": state["language"], "kind": kinds, "text": text,
                "channels": json.dumps(dict(state["channels"])),
                "doc_ids": json.dumps(dict(state["doc_ids"])),
                "intents": json.dumps(dict(state["intents"])),
                "variants": json.dumps(dict(variants), ensure_ascii=False),
                "examples": json.dumps(state["examples"], ensure_ascii=False),
                "first_seen": state["first_seen"], "last_seen": state["last_seen"],
                **({"vector": np.asarray(cluster.vector, dtype=np.float32).tobytes(),
                    "vector_weight": cluster.weight}
                   if cluster is not None and cluster.vector is not None else {}),
            })
        self.store.write_mined(tenant, written, new_keys, unit_rows)

    def _clusters(self, tenant: str) -> list[_Cluster]:
        meta, matrix = self.store.vectors(tenant)
        rows = self.store.mining_rows(tenant, [m[0] for m in meta])
        clusters = []
        for index, (reply_id, language, kind) in enumerate(meta):
            row = rows.get(reply_id)
            wordings = json.loads(row.variants or "{}") if row is not None else {}
            words = set().union(*(_words(template_key(w)) for w in wordings)) \
                if wordings else set()
            clusters.append(_Cluster(reply_id, language, kind, matrix[index],
                                     int(row.vector_weight or 1) if row is not None else 1,
                                     words))
        return clusters

    def _nearest(self, clusters: list[_Cluster], language: str, kind: str,
                 vector: np.ndarray, words: set[str]) -> _Cluster | None:
        candidates = [c for c in clusters if c.language == language and c.kind == kind
                      and c.vector is not None]
        if not candidates:
            return None
        matrix = np.stack([c.vector for c in candidates])  # type: ignore[misc]
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(vector) or 1.0)
        sims = matrix @ vector / np.where(norms == 0, 1.0, norms)
        for index in np.argsort(-sims)[:5]:
            if sims[index] < self.merge_similarity:
                break
            other = candidates[index].words
            overlap = len(words & other) / max(1, min(len(words), len(other)))
            if overlap >= self.merge_overlap or (not words and not other):
                return candidates[index]
        return None

    @staticmethod
    def _state(row: Any, language: str, kind: str) -> dict[str, Any]:
        def counter(raw: str | None) -> Counter[str]:
            return Counter(json.loads(raw) if raw else {})

        if row is None:
            return {"language": language, "kind": kind, "variants": Counter(),
                    "channels": Counter(), "doc_ids": Counter(), "intents": Counter(),
                    "examples": [],
                    "first_seen": None, "last_seen": None}
        return {"language": row.language, "kind": row.kind,
                "variants": counter(row.variants), "channels": counter(row.channels),
                "doc_ids": counter(row.doc_ids), "intents": counter(row.intents),
                "examples": json.loads(row.examples or "[]"),
                "first_seen": _utc(row.first_seen), "last_seen": _utc(row.last_seen)}
