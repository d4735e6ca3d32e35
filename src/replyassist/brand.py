"""A brand's profile (``brand.yaml``, one per tenant): its voice (persona, values, tu/vous
policy, greetings and sign-offs per language and channel, words to use and avoid, banned
claims, emoji per channel, escalation contact, approved reactions), its output-guardrail
lists, its intents with example messages and its SLA policy.

:class:`BrandVoice` is the validated profile (the parts live in :mod:`replyassist.voice`;
every key is documented in ``docs/brand-voice.md``); :class:`BrandRegistry` gives each
tenant its profile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .analysis.intents import IntentSpec
from .analysis.sla import SlaPolicy
from .errors import ConfigurationError, InvalidInputError
from .voice import (
    DEFAULT_EMOJI,
    AddressForm,
    AddressPolicy,
    AvoidWord,
    ChannelMap,
    EmojiRule,
    Escalation,
    LanguageCode,
    LanguageMap,
    ReactionSpec,
    TextTemplate,
    host_of,
    invalid,
)

__all__ = ["BrandRegistry", "BrandVoice"]


class BrandVoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "Customer Care"
    default_language: LanguageCode = "fr"
    # Address in languages the ``address`` policy does not list: true → vous, never
    # mirrored; false → vous, mirroring a casual customer. Also the default register of
    # the analysis and of the tone policy.
    formal: bool = True
    sign_off: LanguageMap[str] = {}  # the signature ({brand} in sign-offs) per language
    allow_enthusiastic: bool = True  # may a happy customer get an enthusiastic draft
    # Voice (docs/brand-voice.md).
    persona: str = ""
    values: list[str] = Field(default_factory=list)
    address: LanguageMap[AddressPolicy] = Field(default_factory=dict)
    greetings: LanguageMap[ChannelMap[TextTemplate]] = Field(default_factory=dict)
    sign_offs: LanguageMap[ChannelMap[TextTemplate]] = Field(default_factory=dict)
    words_to_use: LanguageMap[list[str]] = Field(default_factory=dict)
    words_to_avoid: LanguageMap[list[AvoidWord]] = Field(default_factory=dict)
    banned_claims: list[str] = Field(default_factory=list)
    emoji: ChannelMap[EmojiRule] = Field(default_factory=dict)
    escalation: Escalation | None = None
    reactions: list[ReactionSpec] = Field(default_factory=list)
    # Output guardrails (guardrails/guard.py): links outside the knowledge base must be on
    # these domains; these phrases never reach a customer; these contacts may be quoted.
    approved_domains: list[str] = Field(default_factory=list)
    banned_phrases: list[str] = Field(default_factory=list)
    public_contacts: list[str] = Field(default_factory=list)
    intents: list[IntentSpec] = Field(default_factory=list)
    sla: SlaPolicy = Field(default_factory=SlaPolicy)

    # ------------------------------------------------------------------ checks
    @model_validator(mode="after")
    def _consistent(self) -> BrandVoice:
        """What drafts quote must survive the output guardrails: the escalation contacts
        are public contacts or on an approved domain, and so are GIF URLs."""
        for index, claim in enumerate(self.banned_claims):
            if not claim.strip():
                raise invalid(("banned_claims", index), "empty claim", claim)
        if self.escalation is not None:
            public = {_contact_key(c) for c in self.public_contacts}
            for key in ("email", "phone"):
                value = getattr(self.escalation, key)
                if value and _contact_key(value) not in public:
                    raise invalid(("escalation", key), f"{value!r} is not in public_contacts: "
                                  "add it there so that drafts may quote it", value)
            url = self.escalation.url
            if url and not self.domain_approved(url):
                raise invalid(("escalation", "url"), f"{url!r} is not on an approved_domains "
                              "domain", url)
        for index, reaction in enumerate(self.reactions):
            if reaction.kind == "gif" and reaction.value.startswith("https://") and \
                    not self.domain_approved(reaction.value):
                raise invalid(("reactions", index, "value"), f"{reaction.value!r} is not on "
                              "an approved_domains domain", reaction.value)
        ids = [r.id for r in self.reactions]
        for index, reaction_id in enumerate(ids):
            if reaction_id in ids[:index]:
                raise invalid(("reactions", index, "id"), f"duplicate reaction id "
                              f"{reaction_id!r}", reaction_id)
        return self

    def domain_approved(self, url: str) -> bool:
        host = host_of(url)
        return any(host == d or host.endswith("." + d)
                   for d in map(host_of, self.approved_domains) if d)

    # ------------------------------------------------------------------ voice lookups
    def signature(self, language: str) -> str:
        return self.sign_off.get(language) or self.name

    def address_policy(self, language: str) -> AddressPolicy:
        """The tu/vous policy of ``language`` (see ``formal`` for unlisted languages)."""
        return self.address.get(language) or AddressPolicy(mirror_casual=not self.formal)

    def address_form(self, language: str, register: str | None) -> AddressForm:
        """``tu`` or ``vous`` for a customer of this ``register`` (``None``: unknown).

        A formal customer always gets ``vous``; otherwise the policy's form, and ``tu``
        for a casual customer when the policy mirrors casual customers.
        """
        if register == "formal":
            return "vous"
        policy = self.address_policy(language)
        if policy.form == "tu" or (policy.mirror_casual and register == "casual"):
            return "tu"
        return "vous"

    def greeting_template(self, language: str, channel: str) -> str | None:
        """The profile's greeting for this language and channel (``None``: not set)."""
        by_channel = self.greetings.get(language, {})
        return by_channel.get(channel, by_channel.get("default"))

    def sign_off_template(self, language: str, channel: str, *, channel_signs: bool
                          ) -> str | None:
        """The profile's sign-off for this language and channel: the channel's own entry
        (``""`` means none); else, on a channel that takes a sign-off (``channel_signs``),
        ``default``; on one that does not, ``""``. ``None``: not set (use the templates)."""
        by_channel = self.sign_offs.get(language, {})
        if channel in by_channel:
            return by_channel[channel]
        if not channel_signs:
            return ""
        return by_channel.get("default")

    def avoided_words(self, language: str) -> list[AvoidWord]:
        return list(self.words_to_avoid.get(language, []))

    def emoji_rule(self, channel: str) -> EmojiRule:
        """The channel's entry, else ``default``, else the built-in rule (no emoji in
        e-mail, SMS and spoken replies; any number elsewhere)."""
        return self.emoji.get(channel) or self.emoji.get("default") or \
            DEFAULT_EMOJI.get(channel) or EmojiRule()

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_yaml(cls, path: str | Path) -> BrandVoice:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            return cls.model_validate(data)
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidInputError(f"cannot read brand file: {exc}", source=path) from exc
        except ValidationError as exc:
            from .jsonl import invalid_input_from_validation

            raise invalid_input_from_validation(exc, source=path, line=None) from exc


def _contact_key(value: str) -> str:
    """E-mails compare case-insensitively, phone numbers by their digits (and ``+``)."""
    value = value.strip().lower()
    return value if "@" in value else re.sub(r"[^\d+]", "", value)


class BrandRegistry:
    """One brand profile per tenant.

    ``BrandRegistry.from_directory("brands/")`` reads every ``<tenant>.yaml`` (or ``.yml``)
    there, validating all of them at once (a bad file fails at start-up, naming file and
    key); ``default.yaml`` (or ``default=``) serves tenants without a file of their own.
    ``BrandRegistry({"atelier-brume": voice})`` builds one from profiles in memory.
    """

    def __init__(self, brands: Mapping[str, BrandVoice] | None = None, *,
                 default: BrandVoice | None = None, source: str | Path | None = None) -> None:
        self._brands = dict(brands or {})
        self.default = default
        self.source = str(source) if source is not None else None

    @classmethod
    def from_directory(cls, directory: str | Path, *, default: BrandVoice | None = None
                       ) -> BrandRegistry:
        root = Path(directory)
        if not root.is_dir():
            raise ConfigurationError(f"brand directory not found: {root}")
        brands: dict[str, BrandVoice] = {}
        for path in sorted([*root.glob("*.yaml"), *root.glob("*.yml")]):
            if path.stem in brands:
                raise ConfigurationError(f"two brand files for tenant {path.stem!r} in {root}")
            brands[path.stem] = BrandVoice.from_yaml(path)
        default = brands.pop("default", None) or default
        if not brands and default is None:
            raise ConfigurationError(f"no brand file (<tenant>.yaml) in {root}")
        return cls(brands, default=default, source=root)

    @classmethod
    def from_files(cls, files: Mapping[str, str | Path], *, default: BrandVoice | None = None
                   ) -> BrandRegistry:
        """``{tenant: path of its brand.yaml}``."""
        return cls({tenant: BrandVoice.from_yaml(path) for tenant, path in files.items()},
                   default=default)

    @property
    def tenants(self) -> list[str]:
        return sorted(self._brands)

    def __contains__(self, tenant: object) -> bool:
        return tenant in self._brands

    def for_tenant(self, tenant: str) -> BrandVoice:
        """The tenant's profile, else the default one; an unknown tenant without a default
        is a :class:`~replyassist.errors.ConfigurationError`."""
        brand = self._brands.get(tenant, self.default)
        if brand is None:
            where = f" in {self.source}" if self.source else ""
            raise ConfigurationError(f"no brand profile for tenant {tenant!r}{where}; known: "
                                     f"{', '.join(self.tenants) or 'none'}")
        return brand
