"""Filling a library reply's slots from this conversation only.

Sources, nothing else: the customer's first name, the CRM attributes of the customer
(``open_orders`` with one order, ``order_id``, ``tracking_number``, ``email``, ``title``…)
and what the customer wrote in this conversation (one order number, their e-mail). A slot
that none of them fills makes :func:`fill` return ``None``: the sentence is dropped, never
sent with another customer's value or a hole. ``{name}`` alone is optional: without a name
"Thanks, {name}!" becomes "Thanks!". A French title ("Madame {name}") is written only
when the CRM gives the customer's title, with the last name; never guessed.
"""

from __future__ import annotations

import re
from typing import Any

from ..guardrails.output import personal_values
from ..guardrails.pii import _EMAIL, _ORDER
from ..models import Conversation

__all__ = ["SlotValues", "fill", "slot_values"]

SlotValues = dict[str, str]

_SLOT = re.compile(r"\{(\w+)\}")
_TITLE_NAME = re.compile(r"\b(?:Madame|Monsieur|Mademoiselle|Mme|Mlle|M\.|Mr\.?|Mrs\.?|Ms\.?|"
                         r"Miss)\s+\{name\}", re.IGNORECASE)
_ATTRIBUTE_SLOTS = {
    "order_id": ("order_id", "order", "order_number", "commande", "numero_commande"),
    "case_id": ("tracking_number", "tracking", "tracking_id", "numero_suivi", "rma",
                "return_id", "ticket_id", "case_id"),
    "email": ("email", "e-mail", "mail"),
    "phone": ("phone", "telephone", "téléphone", "mobile"),
}
_TITLES = ("title", "civility", "civilite", "civilité", "salutation")


def _attribute(attributes: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for key, value in attributes.items():
        if key.lower() in names and isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return None


def slot_values(conversation: Conversation) -> SlotValues:
    """What this conversation can fill (see the module docstring)."""
    customer = conversation.customer
    attributes: dict[str, Any] = dict(customer.attributes) if customer else {}
    values: SlotValues = {}
    if customer and customer.name:
        parts = customer.name.split()
        values["name"] = parts[0]
        title = _attribute(attributes, _TITLES)
        if title and len(parts) > 1:
            values["title_name"] = f"{title} {parts[-1]}"
    for slot, keys in _ATTRIBUTE_SLOTS.items():
        found = _attribute(attributes, keys)
        if found:
            values[slot] = found
    orders = attributes.get("open_orders")
    if "order_id" not in values and isinstance(orders, list) and len(orders) == 1:
        values["order_id"] = str(orders[0])
    customer_text = "\n".join(m.text for m in conversation.customer_turns())
    if "order_id" not in values:
        written = {m.group(0) for m in _ORDER.finditer(customer_text)}
        if len(written) == 1:
            values["order_id"] = written.pop()
    if "email" not in values:
        emails = {m.group(0) for m in _EMAIL.finditer(customer_text)}
        if len(emails) == 1:
            values["email"] = emails.pop()
    if "phone" not in values:
        phones = {v for v in personal_values(customer_text) if sum(c.isdigit() for c in v) >= 8
                  and "@" not in v and not _ORDER.fullmatch(v)}
        if len(phones) == 1:
            values["phone"] = phones.pop()
    return values


def fill(template: str, values: SlotValues) -> str | None:
    """``template`` with its slots filled, or ``None`` when one cannot be."""
    text = _TITLE_NAME.sub(values.get("title_name", "").replace("\\", ""), template)
    if "name" not in values:
        text = re.sub(r"[^\S\n]*,?[^\S\n]*\{name\}[^\S\n]*(?=[,!.?:;]|$)", "", text)
        text = re.sub(r"\{name\}[^\S\n]*,?[^\S\n]*", "", text)
    missing = [s for s in _SLOT.findall(text) if s not in values]
    if missing:
        return None
    text = _SLOT.sub(lambda m: values[m.group(1)], text)
    text = re.sub(r"[^\S\n]+(?=[,.])", "", text)  # "Bonjour Madame {name}," untitled
    text = re.sub(r"^[\s,;:]+", "", text)
    if not text or re.match(r"(?:https?://|www\.)", text, re.IGNORECASE):
        return text  # a link keeps its case
    return text[:1].upper() + text[1:]
