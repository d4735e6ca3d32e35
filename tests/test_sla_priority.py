"""First-response SLA (business hours, DST, holidays, brand overrides) and priority score.

Every instant is fixed: nothing here reads the wall clock.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from replyassist.analysis.priority import (
    DEFAULT_TIER_BONUS,
    FLAG_POINTS,
    MOOD_POINTS,
    ordering_key,
    priority_score,
)
from replyassist.analysis.sla import (
    BusinessHours,
    ChannelTarget,
    SlaPolicy,
    awaiting_since,
    customer_tier,
)
from replyassist.errors import InvalidInputError
from replyassist.labels import CHANNELS, FLAGS, MOODS, URGENCIES
from replyassist.models import Conversation

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
          ) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def conversation(
    *turns: tuple[str, datetime | str | None],
    channel: str = "email",
    tier: str | None = None,
) -> Conversation:
    data: dict[str, Any] = {
        "id": "c-1",
        "channel": channel,
        "messages": [
            {"role": role, "text": f"{role} {i}", "created_at": at}
            for i, (role, at) in enumerate(turns)
        ],
    }
    if tier is not None:
        data["customer"] = {"attributes": {"tier": tier}}
    return Conversation.model_validate(data)


# ------------------------------------------------------------------ defaults


def test_default_targets_cover_every_channel() -> None:
    policy = SlaPolicy()
    assert set(policy.targets) == set(CHANNELS)
    plain = {name: (t.minutes, t.business_hours) for name, t in policy.targets.items()}
    assert plain == {
        "twitter": (30, False),
        "messenger": (30, False),
        "instagram": (60, False),
        "whatsapp": (60, False),
        "twitter_dm": (60, False),
        "chat": (5, False),
        "sms": (120, False),
        "email": (540, True),
        "phone_transcript": (540, True),
        "other": (540, True),
    }
    hours = policy.business_hours
    assert (hours.timezone, hours.days, hours.start, hours.end, hours.holidays) == (
        "Europe/Paris", [1, 2, 3, 4, 5], time(9), time(18), [])
    assert policy.urgency_factors == {"critical": 0.25, "high": 0.5}
    assert policy.tier_factors == {}


def test_plain_clock_channels_ignore_business_hours() -> None:
    # Saturday 23:50 on Messenger: due 30 minutes later, not on Monday.
    conv = conversation(("customer", paris(2026, 11, 21, 23, 50)), channel="messenger")
    assert SlaPolicy().due_at(conv) == utc(2026, 11, 21, 23, 20)
    conv = conversation(("customer", paris(2026, 11, 21, 23, 50)), channel="chat")
    assert SlaPolicy().due_at(conv) == utc(2026, 11, 21, 22, 55)


# ------------------------------------------------------------------ business hours


def test_email_friday_evening_is_due_monday_same_time() -> None:
    conv = conversation(("customer", paris(2026, 11, 20, 17, 30)))  # Friday
    due = SlaPolicy().due_at(conv)
    assert due == paris(2026, 11, 23, 17, 30)  # Monday: 30 min Friday + 510 min Monday
    assert due is not None and due.tzinfo is UTC


def test_email_on_saturday_is_due_monday_closing_time() -> None:
    conv = conversation(("customer", paris(2026, 11, 21, 11, 0)))  # Saturday
    assert SlaPolicy().due_at(conv) == paris(2026, 11, 23, 18, 0)


def test_clock_starts_at_next_opening() -> None:
    hours = BusinessHours()
    assert hours.add(paris(2026, 11, 23, 7, 0), 60) == paris(2026, 11, 23, 10, 0)  # Mon early
    assert hours.add(paris(2026, 11, 23, 19, 0), 60) == paris(2026, 11, 24, 10, 0)  # Mon late
    assert hours.add(paris(2026, 11, 20, 18, 0), 0) == paris(2026, 11, 23, 9, 0)  # Fri close
    assert hours.add(paris(2026, 11, 23, 12, 0), 0) == paris(2026, 11, 23, 12, 0)
    assert hours.add(paris(2026, 11, 23, 10, 0), 3 * 540) == paris(2026, 11, 26, 10, 0)
    with pytest.raises(InvalidInputError) as info:
        hours.add(paris(2026, 11, 23, 10, 0), -1)
    assert info.value.field == "minutes"


def test_new_york_brand_with_utc_timestamps() -> None:
    policy = SlaPolicy.from_config({"business_hours": {"timezone": "America/New_York"}})
    # 22:30Z on Friday is 17:30 in New York (EST, UTC-5): due Monday 17:30 EST = 22:30Z.
    friday_evening = conversation(("customer", "2026-11-20T22:30:00Z"))
    assert policy.due_at(friday_evening) == utc(2026, 11, 23, 22, 30)
    # 13:00Z on Friday is 08:00 in New York: the clock starts at 09:00, due at 18:00 EST.
    friday_morning = conversation(("customer", "2026-11-20T13:00:00Z"))
    assert policy.due_at(friday_morning) == datetime(2026, 11, 20, 18, 0, tzinfo=NEW_YORK)
    assert policy.due_at(friday_morning) == utc(2026, 11, 20, 23, 0)
    # The same message for a Paris brand (14:00 there): 4 h on Friday, 5 h on Monday.
    assert SlaPolicy().due_at(friday_morning) == utc(2026, 11, 23, 13, 0)


def test_naive_timestamps_are_read_in_the_brand_timezone() -> None:
    naive = conversation(("customer", "2026-11-20T17:30:00"))
    assert SlaPolicy().due_at(naive) == paris(2026, 11, 23, 17, 30)
    new_york = SlaPolicy.from_config({"business_hours": {"timezone": "America/New_York"}})
    assert new_york.due_at(naive) == datetime(2026, 11, 23, 17, 30, tzinfo=NEW_YORK)
    # A naive 01:50 on the night clocks spring forward in Paris is 00:50Z: due at 01:20Z.
    tweet = conversation(("customer", "2026-03-29T01:50:00"), channel="twitter")
    assert SlaPolicy().due_at(tweet) == utc(2026, 3, 29, 1, 20)


@pytest.mark.parametrize(
    ("received", "expected_utc"),
    [
        # Summer time starts on Sunday 29 March 2026: Friday 17:30 CET is 16:30Z, the due
        # time Monday 17:30 CEST is 15:30Z (adding 540 minutes in UTC would say 16:30Z).
        (paris(2026, 3, 27, 17, 30), utc(2026, 3, 30, 15, 30)),
        # Winter time starts on Sunday 25 October 2026: 15:30Z → 16:30Z.
        (paris(2026, 10, 23, 17, 30), utc(2026, 10, 26, 16, 30)),
    ],
)
def test_email_across_a_dst_weekend(received: datetime, expected_utc: datetime) -> None:
    assert received.weekday() == 4  # a Friday
    assert SlaPolicy().due_at(conversation(("customer", received))) == expected_utc


def test_business_minutes_are_real_minutes_on_the_night_of_a_dst_change() -> None:
    # A night desk open 01:00–05:00 every day: 3 real hours on the spring-forward night,
    # 5 on the fall-back night. Business minutes count elapsed time, not wall-clock time.
    night = BusinessHours(days=[1, 2, 3, 4, 5, 6, 7], start=time(1), end=time(5))
    spring = paris(2026, 3, 29, 1, 0)
    assert night.add(spring, 180) == paris(2026, 3, 29, 5, 0) == utc(2026, 3, 29, 3, 0)
    assert night.add(spring, 181) == paris(2026, 3, 30, 1, 1)
    autumn = paris(2026, 10, 25, 1, 0)
    assert night.add(autumn, 300) == paris(2026, 10, 25, 5, 0) == utc(2026, 10, 25, 4, 0)
    assert night.minutes_between(spring, paris(2026, 3, 30, 0, 0)) == 180
    assert night.minutes_between(autumn, paris(2026, 10, 26, 0, 0)) == 300


def test_holidays_are_skipped() -> None:
    policy = SlaPolicy.from_config({"business_hours": {"holidays": ["2026-12-25"]}})
    conv = conversation(("customer", paris(2026, 12, 24, 17, 30)))  # Thursday
    # 30 min on Thursday, Christmas Friday and the weekend skipped, 510 min on Monday.
    assert policy.due_at(conv) == paris(2026, 12, 28, 17, 30)
    assert SlaPolicy().due_at(conv) == paris(2026, 12, 25, 17, 30)


def test_minutes_between_is_the_inverse_of_add() -> None:
    hours = BusinessHours(holidays=[date(2026, 11, 25)])
    start = paris(2026, 11, 19, 6, 0)
    for step, minutes in itertools.product(range(0, 7 * 24 * 60, 97), (1, 45, 540, 1234)):
        begin = start + timedelta(minutes=step)
        due = hours.add(begin, minutes)
        assert hours.minutes_between(begin, due) == pytest.approx(minutes)
        assert due.astimezone(PARIS).date() != date(2026, 11, 25)
    assert hours.minutes_between(paris(2026, 11, 23, 12, 0), paris(2026, 11, 23, 11, 0)) == 0


def test_business_hours_validation() -> None:
    with pytest.raises(ValidationError):
        BusinessHours(days=[0, 6])
    with pytest.raises(ValidationError):
        BusinessHours(days=[])
    with pytest.raises(ValidationError):
        BusinessHours(start=time(18), end=time(9))
    assert BusinessHours(days=[5, 1, 1]).days == [1, 5]
    assert BusinessHours(start=time(8), end=time(20)).day_minutes == 720


# ------------------------------------------------------------------ configuration


def test_partial_brand_override_keeps_the_defaults() -> None:
    policy = SlaPolicy.from_config(
        {"targets": {"email": {"minutes": 240, "business_hours": True}},
         "urgency_factors": {"critical": 0.1}}
    )
    assert policy.targets["email"] == ChannelTarget(minutes=240, business_hours=True)
    defaults = SlaPolicy().targets
    assert set(policy.targets) == set(CHANNELS)
    assert {k: v for k, v in policy.targets.items() if k != "email"} == {
        k: v for k, v in defaults.items() if k != "email"}
    assert policy.urgency_factors == {"critical": 0.1, "high": 0.5}
    # Longer business days lengthen the business-day defaults; explicit targets stay.
    long_days = SlaPolicy.from_config(
        {"business_hours": {"start": "08:00", "end": "20:00"},
         "targets": {"phone_transcript": {"minutes": 60}}}
    )
    assert long_days.targets["email"] == ChannelTarget(minutes=720, business_hours=True)
    assert long_days.targets["phone_transcript"] == ChannelTarget(minutes=60)
    # A serialised policy reads back the same.
    assert SlaPolicy.model_validate(policy.model_dump()) == policy
    assert SlaPolicy.from_config(None) == SlaPolicy()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"business_hours": {"timezone": "Europe/Pariss"}}, "business_hours.timezone"),
        ({"business_hours": {"timezone": ""}}, "business_hours.timezone"),
        ({"business_hours": {"timezone": "../etc/passwd"}}, "business_hours.timezone"),
        ({"targets": {"chat": {"minutes": 0}}}, "targets.chat.minutes"),
        ({"targets": {"fax": {"minutes": 10}}}, "targets.fax.[key]"),
        ({"tier_factors": {"vip": -1}}, "tier_factors"),
        ({"urgency_factor": {"high": 0.5}}, "urgency_factor"),
    ],
)
def test_invalid_config_names_the_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        SlaPolicy.from_config(config)
    assert info.value.field == field


def test_invalid_timezone_on_business_hours_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        BusinessHours(timezone="Mars/Olympus_Mons")
    assert info.value.errors()[0]["loc"] == ("timezone",)
    assert "Mars/Olympus_Mons" in str(info.value)


# ------------------------------------------------------------------ awaiting_since


def test_awaiting_since_first_customer_turn_after_the_last_answer() -> None:
    conv = conversation(
        ("customer", paris(2026, 11, 20, 9, 0)),
        ("agent", paris(2026, 11, 20, 10, 0)),
        ("customer", paris(2026, 11, 20, 11, 0)),
        ("note", paris(2026, 11, 20, 11, 5)),
        ("bot", paris(2026, 11, 20, 11, 6)),
        ("customer", paris(2026, 11, 20, 12, 0)),
    )
    assert awaiting_since(conv) == paris(2026, 11, 20, 11, 0)
    assert awaiting_since(conv).tzinfo is UTC  # type: ignore[union-attr]


def test_awaiting_since_none_when_answered() -> None:
    answered = conversation(
        ("customer", paris(2026, 11, 20, 9, 0)),
        ("agent", paris(2026, 11, 20, 10, 0)),
        ("note", paris(2026, 11, 20, 10, 5)),
        ("bot", paris(2026, 11, 20, 10, 6)),
    )
    assert awaiting_since(answered) is None
    assert SlaPolicy().due_at(answered) is None
    assert SlaPolicy().waited_minutes(answered, now=paris(2026, 11, 20, 12, 0)) is None


def test_bot_and_note_turns_do_not_answer() -> None:
    conv = conversation(
        ("bot", paris(2026, 11, 24, 9, 14)),
        ("customer", paris(2026, 11, 24, 9, 15)),
        ("bot", paris(2026, 11, 24, 9, 16)),
        ("note", paris(2026, 11, 24, 9, 17)),
        channel="chat",
    )
    assert awaiting_since(conv) == paris(2026, 11, 24, 9, 15)
    assert SlaPolicy().due_at(conv) == paris(2026, 11, 24, 9, 20)


def test_awaiting_since_with_missing_timestamps() -> None:
    first_unstamped = conversation(
        ("agent", paris(2026, 11, 20, 10, 0)),
        ("customer", None),
        ("customer", paris(2026, 11, 20, 11, 0)),
        ("customer", paris(2026, 11, 20, 12, 0)),
    )
    assert awaiting_since(first_unstamped) == paris(2026, 11, 20, 11, 0)
    unstamped = conversation(("agent", paris(2026, 11, 20, 10, 0)), ("customer", None))
    assert awaiting_since(unstamped) is None
    assert SlaPolicy().due_at(unstamped) is None


def test_awaiting_since_naive_timezone() -> None:
    conv = conversation(("customer", "2026-07-01T10:00:00"))
    assert awaiting_since(conv) == utc(2026, 7, 1, 8, 0)  # Paris summer time by default
    assert awaiting_since(conv, naive_tz="UTC") == utc(2026, 7, 1, 10, 0)
    assert awaiting_since(conv, naive_tz=NEW_YORK) == utc(2026, 7, 1, 14, 0)


# ------------------------------------------------------------------ factors


def test_urgency_factors() -> None:
    policy = SlaPolicy()
    email = conversation(("customer", paris(2026, 11, 23, 9, 0)))
    assert policy.due_at(email) == paris(2026, 11, 23, 18, 0)
    assert policy.due_at(email, urgency="critical") == paris(2026, 11, 23, 11, 15)  # 135 min
    assert policy.due_at(email, urgency="high") == paris(2026, 11, 23, 13, 30)  # 270 min
    assert policy.due_at(email, urgency="normal") == policy.due_at(email)
    chat = conversation(("customer", paris(2026, 11, 23, 9, 0)), channel="chat")
    assert policy.due_at(chat, urgency="high") == paris(2026, 11, 23, 9, 2, 30)


def test_tier_factors_from_argument_or_customer_attributes() -> None:
    policy = SlaPolicy.from_config({"tier_factors": {"VIP": 0.5, "basic": 2}})
    received = paris(2026, 11, 23, 9, 0)
    vip = conversation(("customer", received), channel="twitter", tier=" Vip ")
    assert customer_tier(vip) == "vip"
    assert policy.due_at(vip) == received + timedelta(minutes=15)
    assert policy.due_at(vip, tier="basic") == received + timedelta(minutes=60)
    assert policy.due_at(vip, urgency="critical") == received + timedelta(minutes=3.75)
    unknown = conversation(("customer", received), channel="twitter", tier="bronze")
    assert policy.due_at(unknown) == received + timedelta(minutes=30)
    assert policy.target_minutes("email", urgency="high", tier="vip") == 135


def test_waited_minutes_runs_on_the_target_clock() -> None:
    policy = SlaPolicy()
    email = conversation(("customer", paris(2026, 11, 20, 17, 30)))  # Friday
    monday = paris(2026, 11, 23, 10, 0)
    assert policy.waited_minutes(email, now=monday) == 90  # 30 on Friday + 60 on Monday
    tweet = conversation(("customer", paris(2026, 11, 20, 17, 30)), channel="twitter")
    assert policy.waited_minutes(tweet, now=monday) == 60 * 64.5
    assert policy.waited_minutes(tweet, now=paris(2026, 11, 20, 17, 0)) == 0


# ------------------------------------------------------------------ priority

_ALL_FLAGS: Any = FLAGS
_EVERY_FLAG_SET = [(), ("prompt_injection",), ("repeat_contact",), tuple(FLAGS)]
_TIERS = [None, "standard", "gold", "vip"]
_WAITS = [(None, None), (0.0, 60.0), (30.0, 60.0), (61.0, 60.0), (600.0, 60.0)]


def score(**kwargs: Any) -> float:
    base: dict[str, Any] = dict(urgency="normal", mood="neutral", flags=(),
                                waited_minutes=None, target_minutes=None, tier=None)
    base.update(kwargs)
    return priority_score(**base)[0]


def test_critical_outranks_every_normal_case() -> None:
    normal_max = max(
        score(urgency="normal", mood=mood, flags=flags, waited_minutes=w, target_minutes=t,
              tier=tier)
        for mood, flags, (w, t), tier in itertools.product(MOODS, _EVERY_FLAG_SET, _WAITS, _TIERS)
    )
    critical_min = min(
        score(urgency="critical", mood=mood, flags=flags, waited_minutes=w, target_minutes=t,
              tier=tier)
        for mood, flags, (w, t), tier in itertools.product(MOODS, _EVERY_FLAG_SET, _WAITS, _TIERS)
    )
    assert critical_min > normal_max
    assert score(urgency="critical") > score(urgency="high") > score() > score(urgency="low")


def test_overdue_normal_outranks_fresh_low() -> None:
    for mood, flags, tier in itertools.product(MOODS, _EVERY_FLAG_SET, _TIERS):
        overdue = score(urgency="normal", mood=mood, flags=flags, tier=tier,
                        waited_minutes=61, target_minutes=60)
        fresh = score(urgency="low", mood=mood, flags=flags, tier=tier,
                      waited_minutes=0, target_minutes=60)
        assert overdue > fresh, (mood, flags, tier)
    # Even a neutral, unflagged overdue case beats a fresh low one from a VIP.
    assert score(waited_minutes=61, target_minutes=60) > score(urgency="low", tier="vip")


def test_mood_order() -> None:
    order = ["angry", "frustrated", "anxious", "disappointed", "confused", "neutral"]
    scores = [score(mood=mood) for mood in order]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    assert score(mood="positive") == score(mood="neutral") == score(mood=None)
    assert set(MOOD_POINTS) == set(MOODS)


def test_flag_weights() -> None:
    assert set(FLAG_POINTS) == set(FLAGS)
    none = score()
    high = {score(flags=[f]) for f in ("safety_risk", "legal_threat")}
    medium = {score(flags=[f]) for f in
              ("churn_threat", "vulnerable_customer", "public_exposure", "repeat_contact")}
    assert len(high) == 1 and len(medium) == 1
    assert min(high) > max(medium) > score(flags=["abusive_language"]) > none
    assert score(flags=["prompt_injection"]) == none
    # Several flags add up, to a cap; a repeated flag counts once.
    assert score(flags=["churn_threat", "repeat_contact"]) > max(medium)
    assert score(flags=list(FLAGS)) == none + 15
    assert score(flags=["churn_threat", "churn_threat"]) == max(medium)


def test_waiting_component() -> None:
    def waiting(waited: float | None, target: float | None = 60.0) -> float:
        return priority_score(urgency="normal", mood=None, flags=[], waited_minutes=waited,
                              target_minutes=target, tier=None)[1]["waiting"]

    shares = [waiting(m) for m in (0, 15, 30, 60, 61, 90, 120, 600)]
    assert shares == sorted(shares)
    assert waiting(0) == 0 and waiting(60) == 6.0 and waiting(600) == 15.0
    assert waiting(61) - waiting(60) > waiting(60) - waiting(0)  # breaching adds most
    assert waiting(-5) == 0  # clock skew
    assert waiting(None) == waiting(30, None) == 0
    with pytest.raises(InvalidInputError) as info:
        waiting(30, 0)
    assert info.value.field == "target_minutes"


def test_tier_bonus() -> None:
    assert score(tier="vip") > score(tier="gold") > score(tier="silver") > score()
    assert score(tier="GOLD") == score(tier="gold") == score(tier="premium")
    assert score(tier="platinum") > score(tier="gold")
    assert score(tier="bronze") == score(tier="standard") == score()
    assert score(tier="diamond", tier_bonus={"Diamond": 7}) == score() + 7
    assert score(tier="vip", tier_bonus={}) == score()
    assert DEFAULT_TIER_BONUS["vip"] == max(DEFAULT_TIER_BONUS.values())


def test_components_sum_to_the_score_and_explain_it() -> None:
    grid: Any = itertools.product(URGENCIES, MOODS, _EVERY_FLAG_SET, _WAITS, _TIERS)
    for urgency, mood, flags, (w, t), tier in grid:
        value, parts = priority_score(urgency=urgency, mood=mood, flags=flags,
                                      waited_minutes=w, target_minutes=t, tier=tier)
        assert set(parts) == {"urgency", "mood", "flags", "waiting", "tier"}
        total = sum(parts.values())
        assert value == pytest.approx(min(total, 100.0))
        assert 0 <= value <= 100 and round(value, 1) == value
    value, parts = priority_score(urgency="critical", mood="angry", flags=_ALL_FLAGS,
                                  waited_minutes=600, target_minutes=60, tier="vip")
    assert sum(parts.values()) == pytest.approx(105) and value == 100.0
    value, parts = priority_score(urgency="high", mood="anxious", flags=["churn_threat"],
                                  waited_minutes=20, target_minutes=60, tier="gold")
    assert parts == {"urgency": 30, "mood": 6, "flags": 5, "waiting": 2.0, "tier": 3}
    assert value == 46.0
    # Unknown urgency counts as normal.
    assert score(urgency=None) == score(urgency="normal")


@pytest.mark.parametrize(
    ("argument", "value"),
    [("urgency", "urgentissime"), ("mood", "grumpy"), ("flags", ["spam"])],
)
def test_unknown_labels_are_rejected(argument: str, value: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        score(**{argument: value})
    assert info.value.field == argument


def test_ordering_key() -> None:
    early, late = utc(2026, 11, 23, 9, 0), utc(2026, 11, 23, 12, 0)
    queue = [
        ("low-late", 20.0, late),
        ("high-none", 50.0, None),
        ("high-late", 50.0, late),
        ("tie-a", 30.0, early),
        ("high-early", 50.0, early),
        ("tie-b", 30.0, early),
        ("unscored", None, early),
        ("naive-early", 20.0, datetime(2026, 11, 23, 9, 0)),  # read as UTC
    ]
    ordered = [name for name, *_ in sorted(queue, key=lambda c: ordering_key(c[1], c[2]))]
    assert ordered == ["high-early", "high-late", "high-none", "tie-a", "tie-b",
                       "naive-early", "low-late", "unscored"]
