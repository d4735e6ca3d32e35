"""First-response SLA: per-channel targets, business hours, and when a reply is due.

A brand configures an :class:`SlaPolicy` (usually a partial mapping from its brand file);
anything it leaves out keeps the defaults below. The policy answers three questions about
a conversation:

* :func:`awaiting_since` — since when has the customer been waiting for an answer?
* :meth:`SlaPolicy.due_at` — by when must the first response be sent (UTC)?
* :meth:`SlaPolicy.waited_minutes` — how much of the target's clock has run so far, in the
  same unit as the target (business minutes for business-hours channels), for
  :func:`replyassist.analysis.priority.priority_score`.

Time rules
----------
* Every result is an aware UTC datetime.
* A naive timestamp (no offset) in a conversation is read as wall-clock time in the
  policy's business-hours timezone (``Europe/Paris`` by default). Aware timestamps are
  used as they are.
* Business-hours arithmetic counts *real* elapsed minutes while the brand is open: opening
  and closing times are wall-clock times in the brand's timezone, converted to UTC day by
  day, so a daylight-saving change never shifts a deadline by an hour.
* For round-the-clock support, give a channel ``business_hours: false``: such targets run
  on the plain clock (``end`` cannot be midnight).

Configuration errors: :meth:`SlaPolicy.from_config` (the entry point for a brand's
settings) raises :class:`~replyassist.errors.InvalidInputError` whose ``field`` is the
dotted path of the offending setting (``business_hours.timezone``). Building the models
directly raises pydantic's ``ValidationError`` with the same path, so a policy can be
nested in a larger pydantic model (a brand file) and reported by that model's loader.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InvalidInputError
from ..jsonl import invalid_input_from_validation
from ..labels import Channel, Urgency
from ..models import Conversation

__all__ = [
    "BUSINESS_DAY_CHANNELS",
    "DEFAULT_TARGET_MINUTES",
    "DEFAULT_TIMEZONE",
    "DEFAULT_URGENCY_FACTORS",
    "BusinessHours",
    "ChannelTarget",
    "SlaPolicy",
    "awaiting_since",
    "customer_tier",
]

DEFAULT_TIMEZONE = "Europe/Paris"

#: Plain-clock first-response targets, in minutes (see :class:`SlaPolicy` for the reasons).
DEFAULT_TARGET_MINUTES: Mapping[Channel, int] = {
    "twitter": 30,
    "messenger": 30,
    "instagram": 60,
    "whatsapp": 60,
    "twitter_dm": 60,
    "chat": 5,
    "sms": 120,
}
#: Channels whose default target is one business day (the business-day length, in
#: business minutes, of the policy's :class:`BusinessHours`).
BUSINESS_DAY_CHANNELS: tuple[Channel, ...] = ("email", "phone_transcript", "other")

DEFAULT_URGENCY_FACTORS: Mapping[Urgency, float] = {"critical": 0.25, "high": 0.5}


class _ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _zone(name: str | tzinfo) -> tzinfo:
    return name if isinstance(name, tzinfo) else ZoneInfo(name)


def _to_utc(moment: datetime, zone: tzinfo) -> datetime:
    """Aware UTC datetime; a naive ``moment`` is wall-clock time in ``zone``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


class BusinessHours(_ConfigModel):
    """When a brand's team is at work: weekdays, daily opening hours, holidays.

    ``days`` are ISO weekdays (1 = Monday … 7 = Sunday). ``start`` and ``end`` are wall-clock
    times in ``timezone`` (an IANA name such as ``Europe/Paris`` or ``America/New_York``),
    the same every open day; ``end`` must be after ``start``. ``holidays`` are local dates
    on which the brand is closed.
    """

    timezone: str = DEFAULT_TIMEZONE
    days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (expected an IANA name such as 'Europe/Paris')"
            ) from None
        return value

    @field_validator("days")
    @classmethod
    def _iso_weekdays(cls, value: list[int]) -> list[int]:
        wrong = [day for day in value if not 1 <= day <= 7]
        if wrong:
            raise ValueError(f"weekdays are 1 (Monday) to 7 (Sunday), got {wrong}")
        if not value:
            raise ValueError("at least one open day is needed")
        return sorted(set(value))

    @field_validator("start", "end")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give a wall-clock time without offset; set `timezone` instead")
        return value

    @model_validator(mode="after")
    def _opens_before_closing(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"`end` ({self.end}) must be after `start` ({self.start})")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_minutes(self) -> int:
        """Length of one business day in minutes (540 for 09:00–18:00)."""
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return end - start

    def _window(self, day: date, closed: set[date], zone: tzinfo) -> tuple[datetime, datetime]:
        """(opening, closing) of a local day in UTC; equal instants when closed."""
        opening = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
        if day.isoweekday() not in self.days or day in closed:
            return opening, opening
        closing = datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)
        return opening, closing

    def add(self, start: datetime, minutes: float) -> datetime:
        """The UTC instant ``minutes`` business minutes after ``start``.

        Outside business hours the clock starts at the next opening (so adding 0 minutes
        gives the next opening). Weekends and holidays are skipped. A naive ``start`` is
        wall-clock time in :attr:`timezone`.
        """
        if minutes < 0:
            raise InvalidInputError("cannot add a negative duration", field="minutes")
        zone = self.zone
        closed = set(self.holidays)
        cursor = _to_utc(start, zone)
        remaining = timedelta(minutes=minutes)
        day = cursor.astimezone(zone).date()
        while True:
            opening, closing = self._window(day, closed, zone)
            begin = max(cursor, opening)
            if begin < closing:
                available = closing - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes elapsed from ``start`` to ``end`` (0 if ``end`` is not later).

        The inverse of :meth:`add`: ``minutes_between(t, add(t, m)) == m``.
        """
        zone = self.zone
        closed = set(self.holidays)
        begin, finish = _to_utc(start, zone), _to_utc(end, zone)
        if finish <= begin:
            return 0.0
        total = timedelta()
        day = begin.astimezone(zone).date()
        last = finish.astimezone(zone).date()
        while day <= last:
            opening, closing = self._window(day, closed, zone)
            overlap = min(closing, finish) - max(opening, begin)
            if overlap > timedelta():
                total += overlap
            day += timedelta(days=1)
        return total.total_seconds() / 60


class ChannelTarget(_ConfigModel):
    """A first-response target: ``minutes`` on the plain clock, or business minutes."""

    minutes: int = Field(gt=0)
    business_hours: bool = False


def customer_tier(conversation: Conversation) -> str | None:
    """The customer's tier (``customer.attributes.tier``), lower-cased, if any."""
    if conversation.customer is None:
        return None
    tier = conversation.customer.attributes.get("tier")
    if isinstance(tier, str) and tier.strip():
        return tier.strip().lower()
    return None


def awaiting_since(
    conversation: Conversation, *, naive_tz: str | tzinfo = DEFAULT_TIMEZONE
) -> datetime | None:
    """Since when the customer has been waiting for an answer (UTC), or ``None``.

    The waiting customer turns are those after the last ``agent`` turn; ``bot`` and
    ``note`` turns never count as an answer. The result is the oldest ``created_at`` among
    them, so a customer → agent → customer → customer conversation waits since the first
    of the last two. When the first waiting turn has no timestamp, the oldest one that has
    one is used. ``None`` when nothing is waiting (the agent spoke last, bots and notes
    aside) or no waiting turn has a timestamp.

    Naive timestamps are wall-clock time in ``naive_tz`` (:meth:`SlaPolicy.due_at` passes
    the policy's business-hours timezone).
    """
    zone = _zone(naive_tz)
    waiting: list[datetime] = []
    for message in conversation.messages:
        if message.role == "agent":
            waiting = []
        elif message.role == "customer" and message.created_at is not None:
            waiting.append(_to_utc(message.created_at, zone))
    return min(waiting) if waiting else None


def _default_targets(hours: BusinessHours) -> dict[Channel, ChannelTarget]:
    targets: dict[Channel, ChannelTarget] = {
        name: ChannelTarget(minutes=m) for name, m in DEFAULT_TARGET_MINUTES.items()
    }
    for name in BUSINESS_DAY_CHANNELS:
        targets[name] = ChannelTarget(minutes=hours.day_minutes, business_hours=True)
    return targets


class SlaPolicy(_ConfigModel):
    """A brand's first-response targets. Partial configurations merge with the defaults.

    Default targets (the first public reply, from the oldest unanswered customer turn):

    ================  ===================  ==============================================
    channel           target               why
    ================  ===================  ==============================================
    twitter           30 min               a public post: every follower sees the wait
    messenger         30 min               real-time messaging, the page shows how
                                           responsive the brand is
    instagram         60 min               social DMs, near-real-time but less
                                           conversational than Messenger
    whatsapp          60 min               the customer expects a same-hour answer
    twitter_dm        60 min               private, so less pressing than a public post
    chat              5 min                the customer is waiting in the widget
    sms               120 min              asynchronous, but read on the phone
    email             1 business day       asynchronous: the usual help-desk promise
    phone_transcript  1 business day       the call happened; the follow-up is written
    other             1 business day       unknown channel: the lenient async target
    ================  ===================  ==============================================

    "1 business day" is :attr:`BusinessHours.day_minutes` business minutes (540 for the
    default 09:00–18:00, Monday to Friday, Europe/Paris) and follows the brand's hours.
    Social and chat targets run on the plain clock, as customers on those channels expect.

    Factors shorten (< 1) or lengthen (> 1) a channel's target and multiply together:
    ``urgency_factors`` (default ``critical`` × 0.25, ``high`` × 0.5) and ``tier_factors``
    (customer tier → factor, e.g. ``{"vip": 0.5}``; tiers are compared case-insensitively;
    none by default). ``targets`` and ``urgency_factors`` merge key by key with the
    defaults: a brand that only sets ``email`` keeps every other target (set a factor to
    1.0 to cancel a default one).
    """

    targets: dict[Channel, ChannelTarget] = Field(default_factory=dict)
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    urgency_factors: dict[Urgency, float] = Field(
        default_factory=lambda: dict(DEFAULT_URGENCY_FACTORS)
    )
    tier_factors: dict[str, float] = Field(default_factory=dict)

    @classmethod
    def from_config(cls, data: Mapping[str, Any] | None = None) -> SlaPolicy:
        """A policy from a brand's (possibly partial) settings; ``None`` gives the defaults.

        Raises :class:`InvalidInputError` naming the offending field
        (``business_hours.timezone``, ``targets.chat.minutes``, ...).
        """
        try:
            return cls.model_validate(dict(data or {}))
        except ValidationError as exc:
            raise invalid_input_from_validation(exc, source=None, line=None) from exc

    @field_validator("urgency_factors")
    @classmethod
    def _merge_urgency_factors(cls, value: dict[Urgency, float]) -> dict[Urgency, float]:
        _check_factors(value)
        return {**DEFAULT_URGENCY_FACTORS, **value}

    @field_validator("tier_factors")
    @classmethod
    def _normalise_tiers(cls, value: dict[str, float]) -> dict[str, float]:
        _check_factors(value)
        return {tier.strip().lower(): factor for tier, factor in value.items()}

    @model_validator(mode="after")
    def _fill_default_targets(self) -> Self:
        self.targets = {**_default_targets(self.business_hours), **self.targets}
        return self

    def target_minutes(
        self, channel: Channel, *, urgency: Urgency | None = None, tier: str | None = None
    ) -> float:
        """The channel's target after urgency and tier factors (business minutes when the
        channel's target runs on business hours)."""
        minutes = float(self.targets[channel].minutes)
        if urgency is not None:
            minutes *= self.urgency_factors.get(urgency, 1.0)
        if tier:
            minutes *= self.tier_factors.get(tier.strip().lower(), 1.0)
        return minutes

    def awaiting_since(self, conversation: Conversation) -> datetime | None:
        """:func:`awaiting_since`, naive timestamps read in the policy's timezone."""
        return awaiting_since(conversation, naive_tz=self.business_hours.zone)

    def due_at(
        self,
        conversation: Conversation,
        *,
        urgency: Urgency | None = None,
        tier: str | None = None,
    ) -> datetime | None:
        """When the first response is due (UTC); ``None`` when no customer turn waits.

        ``tier`` defaults to the customer's ``attributes.tier``.
        """
        since = self.awaiting_since(conversation)
        if since is None:
            return None
        tier = tier if tier is not None else customer_tier(conversation)
        minutes = self.target_minutes(conversation.channel, urgency=urgency, tier=tier)
        if self.targets[conversation.channel].business_hours:
            return self.business_hours.add(since, minutes)
        return since + timedelta(minutes=minutes)

    def waited_minutes(self, conversation: Conversation, *, now: datetime) -> float | None:
        """How long the customer has waited at ``now``, on the channel target's clock.

        Business minutes for business-hours targets, plain minutes otherwise; ``None`` when
        no customer turn waits. A naive ``now`` is read in the policy's timezone.
        """
        since = self.awaiting_since(conversation)
        if since is None:
            return None
        if self.targets[conversation.channel].business_hours:
            return self.business_hours.minutes_between(since, now)
        elapsed = _to_utc(now, self.business_hours.zone) - since
        return max(elapsed.total_seconds() / 60, 0.0)


def _check_factors(factors: Mapping[Any, float]) -> None:
    wrong = {key: value for key, value in factors.items() if not value > 0}
    if wrong:
        raise ValueError(f"factors must be positive, got {wrong}")
