"""Feedback metrics computed in SQL (one aggregate query per grouping, ``GROUP BY``),
so they scale with the table instead of loading it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from .models import FeedbackBucket, FeedbackMetrics
from .table import FeedbackRow

__all__ = ["UNKNOWN", "compute_metrics"]

UNKNOWN = "unknown"  # the group of decisions without a tone / intent / channel


def _aggregates() -> list[ColumnElement[Any]]:
    action = FeedbackRow.action

    def count(value: str) -> ColumnElement[Any]:
        return func.sum(case((action == value, 1), else_=0))

    return [
        func.count(FeedbackRow.id),
        count("accepted"),
        count("edited"),
        count("rejected"),
        func.avg(case((action == "edited", FeedbackRow.edit_distance), else_=None)),
        func.avg(FeedbackRow.time_to_decision_ms),
    ]


def _bucket(row: Any) -> FeedbackBucket:
    total, accepted, edited, rejected, distance, delay = (row[i] for i in range(6))
    total, accepted, edited, rejected = (int(v or 0) for v in (total, accepted, edited, rejected))
    return FeedbackBucket(
        total=total, accepted=accepted, edited=edited, rejected=rejected,
        acceptance_rate=round(accepted / total, 4) if total else None,
        edit_rate=round(edited / total, 4) if total else None,
        mean_edit_distance=round(float(distance), 2) if distance is not None else None,
        mean_time_to_decision_ms=round(float(delay), 1) if delay is not None else None)


def _grouped(connection: Connection, tenant: str, column: Any) -> dict[str, FeedbackBucket]:
    key = func.coalesce(column, UNKNOWN)
    query = (select(key, *_aggregates()).where(FeedbackRow.tenant == tenant)
             .group_by(key).order_by(key))
    return {str(row[0]): _bucket(row[1:]) for row in connection.execute(query)}


def compute_metrics(connection: Connection, tenant: str) -> FeedbackMetrics:
    """The metrics of ``tenant`` only (every query filters by tenant)."""
    totals = connection.execute(
        select(*_aggregates()).where(FeedbackRow.tenant == tenant)).one()
    return FeedbackMetrics(
        tenant=tenant, **_bucket(totals).model_dump(),
        by_tone=_grouped(connection, tenant, FeedbackRow.tone),
        by_intent=_grouped(connection, tenant, FeedbackRow.intent),
        by_channel=_grouped(connection, tenant, FeedbackRow.channel))
