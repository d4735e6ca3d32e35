"""The fixed label sets of ``taxonomy.md`` (public contract: never rename a value)."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "CHANNELS",
    "FLAGS",
    "MOODS",
    "REGISTERS",
    "ROLES",
    "TONES",
    "URGENCIES",
    "Channel",
    "Flag",
    "Mood",
    "Register",
    "Role",
    "Strategy",
    "Tone",
    "Urgency",
]

Channel = Literal[
    "email",
    "chat",
    "messenger",
    "whatsapp",
    "instagram",
    "twitter",
    "twitter_dm",
    "sms",
    "phone_transcript",
    "other",
]
Role = Literal["customer", "agent", "bot", "note"]
Mood = Literal["angry", "frustrated", "anxious", "confused", "disappointed", "neutral", "positive"]
Urgency = Literal["critical", "high", "normal", "low"]
Register = Literal["formal", "casual"]
Flag = Literal[
    "legal_threat",
    "churn_threat",
    "public_exposure",
    "safety_risk",
    "abusive_language",
    "repeat_contact",
    "vulnerable_customer",
    "prompt_injection",
]
Tone = Literal[
    "empathetic", "apologetic", "reassuring", "informative", "friendly", "formal", "enthusiastic"
]
Strategy = Literal["generated", "composed"]

CHANNELS: tuple[str, ...] = get_args(Channel)
ROLES: tuple[str, ...] = get_args(Role)
MOODS: tuple[str, ...] = get_args(Mood)
URGENCIES: tuple[str, ...] = get_args(Urgency)
REGISTERS: tuple[str, ...] = get_args(Register)
FLAGS: tuple[str, ...] = get_args(Flag)
TONES: tuple[str, ...] = get_args(Tone)
