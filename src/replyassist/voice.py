"""The parts of a brand voice profile (``brand.yaml``), validated with pydantic.

Every part rejects unknown keys, and every error names its key path
(``emoji.sms.max``, ``sign_offs.fr.tiktok``, ``reactions.2.moods.0``) so that
:meth:`replyassist.brand.BrandVoice.from_yaml` can report file and key. What each key
does and its default is documented in ``docs/brand-voice.md``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .labels import CHANNELS, Mood
from .models import Reaction

__all__ = [
    "DEFAULT_EMOJI",
    "REACTION_CHANNELS",
    "AddressForm",
    "AddressPolicy",
    "AvoidWord",
    "ChannelMap",
    "EmojiRule",
    "Escalation",
    "LanguageCode",
    "LanguageMap",
    "ReactionSpec",
    "TextTemplate",
    "check_language_code",
    "host_of",
    "invalid",
]

T = TypeVar("T")

AddressForm = Literal["tu", "vous"]

#: Channels where a brand-approved reaction (emoji, GIF) may be proposed: private,
#: conversational channels. Not ``twitter`` (a public post), ``email``, ``sms``,
#: ``phone_transcript`` or ``other``.
REACTION_CHANNELS: tuple[str, ...] = ("chat", "messenger", "whatsapp", "instagram", "twitter_dm")


def invalid(loc: tuple[str | int, ...], message: str, value: Any) -> ValidationError:
    """A validation error located at ``loc`` (relative to the value being validated)."""
    return ValidationError.from_exception_data("brand voice", [InitErrorDetails(
        type=PydanticCustomError("brand_voice", "{reason}", {"reason": message}),
        loc=loc, input=value)])


# ------------------------------------------------------------------ languages, channels


@cache
def _known_languages() -> frozenset[str]:
    from lingua import IsoCode639_1  # the languages replyassist can detect

    return frozenset(code.lower() for code in dir(IsoCode639_1)
                     if len(code) == 2 and code.isupper())


def check_language_code(code: str) -> str:
    """``code`` if it is an ISO 639-1 code of a language replyassist detects."""
    if not re.fullmatch(r"[a-z]{2}", code) or code not in _known_languages():
        raise ValueError(f"unknown language code {code!r}: use an ISO 639-1 code such as "
                         "'fr' or 'en'")
    return code


LanguageCode = Annotated[str, AfterValidator(check_language_code)]


def _language_keys(mapping: dict[str, T]) -> dict[str, T]:
    for key in mapping:
        try:
            check_language_code(key)
        except ValueError as exc:
            raise invalid((key,), str(exc), key) from None
    return mapping


def _channel_keys(mapping: dict[str, T]) -> dict[str, T]:
    for key in mapping:
        if key != "default" and key not in CHANNELS:
            raise invalid((key,), f"unknown channel {key!r}: expected 'default' or one of "
                          f"{', '.join(CHANNELS)}", key)
    return mapping


#: ``{language: value}``, keys checked as language codes.
LanguageMap = Annotated[dict[str, T], AfterValidator(_language_keys)]
#: ``{channel or "default": value}``, keys checked against the taxonomy's channels.
ChannelMap = Annotated[dict[str, T], AfterValidator(_channel_keys)]


def _placeholders(allowed: tuple[str, ...]) -> AfterValidator:
    def check(text: str) -> str:
        for name in re.findall(r"\{([^{}]*)\}", text):
            if name not in allowed:
                raise invalid((), f"unknown placeholder {{{name}}}: only "
                              + ", ".join(f"{{{a}}}" for a in allowed) + " may be used", text)
        return text
    return AfterValidator(check)


#: A greeting (``{name}``: the customer's first name) or sign-off (``{brand}``: the
#: brand's signature) template.
TextTemplate = Annotated[str, _placeholders(("name", "brand"))]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ address (tu / vous)


class AddressPolicy(_Part):
    """How to address customers in one language: ``form`` by default, and whether to
    mirror a casual customer's tutoiement. A customer who vouvoie is never tutoyé."""

    form: AddressForm = "vous"
    mirror_casual: bool = False


# ------------------------------------------------------------------ words


class AvoidWord(_Part):
    """A word or phrase drafts must not use, with the one to use instead (or removed)."""

    avoid: str = Field(min_length=1)
    use: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"avoid": data} if isinstance(data, str) else data


# ------------------------------------------------------------------ emoji


class EmojiRule(_Part):
    """Emoji on one channel: ``allowed`` at all, and at most ``max`` (``None``: no cap)."""

    allowed: bool = True
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> EmojiRule:
        if not self.allowed and self.max:
            raise invalid(("max",), "emoji are not allowed on this channel: max must be 0 "
                          "or left out", self.max)
        return self

    @property
    def limit(self) -> int | None:
        """The number of emoji a draft may keep (``None``: any)."""
        return 0 if not self.allowed else self.max


#: Built-in emoji rules, used for a channel the profile lists neither by name nor through
#: ``default``: none in e-mail, SMS (an emoji makes the whole SMS UCS-2) and spoken replies.
DEFAULT_EMOJI: dict[str, EmojiRule] = {
    "email": EmojiRule(allowed=False),
    "sms": EmojiRule(allowed=False),
    "phone_transcript": EmojiRule(allowed=False),
}


# ------------------------------------------------------------------ escalation


def host_of(url: str) -> str:
    value = re.sub(r"^https?://", "", url.strip(), flags=re.IGNORECASE)
    value = re.split(r"[/?#]", value, maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    return value.lower().rstrip(".").removeprefix("www.")


class Escalation(_Part):
    """Where a case that needs escalation goes: drafts point the customer there."""

    team: str = Field(min_length=1)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+?[\d\s().-]{6,}$")
    url: str | None = Field(default=None, pattern=r"^https://\S+$")
    when: list[str] = Field(default_factory=list)  # the cases that call for it

    @model_validator(mode="after")
    def _reachable(self) -> Escalation:
        if not (self.email or self.phone or self.url):
            raise invalid((), "give at least one of email, phone or url", None)
        return self

    @property
    def contacts(self) -> list[str]:
        return [c for c in (self.email, self.phone, self.url) if c]


# ------------------------------------------------------------------ reactions


@cache
def _emoji_pattern() -> re.Pattern[str]:
    # guardrails imports brand, which imports this module: import on first use
    from .guardrails.channels import EMOJI

    return EMOJI


class ReactionSpec(Reaction):
    """A reaction of the brand's library, with the moods, occasions and channels it suits.

    ``value``: for ``emoji`` one emoji (sequence); for ``gif`` an https URL (its domain
    must be one of the brand's ``approved_domains``, checked by the brand) or a reference
    id of the helpdesk's media library (``gif:merci-brume``).
    """

    moods: list[Mood] = Field(min_length=1)
    occasions: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=lambda: list(REACTION_CHANNELS))

    @model_validator(mode="after")
    def _check(self) -> ReactionSpec:
        for index, channel in enumerate(self.channels):
            if channel not in REACTION_CHANNELS:
                raise invalid(("channels", index), f"{channel!r} is not a channel where "
                              "reactions are proposed: use " + ", ".join(REACTION_CHANNELS),
                              channel)
        if self.kind == "emoji" and not _emoji_pattern().fullmatch(self.value):
            raise invalid(("value",), f"{self.value!r} is not a single emoji", self.value)
        if self.kind == "gif" and not (re.fullmatch(r"https://\S+", self.value)
                                       or re.fullmatch(r"[A-Za-z0-9][\w.:-]*", self.value)):
            raise invalid(("value",), "a GIF is an https URL or a reference id such as "
                          "'gif:thanks'", self.value)
        return self

    def as_reaction(self) -> Reaction:
        return Reaction(id=self.id, kind=self.kind, value=self.value, label=self.label)
