"""Links in support text: the URL pattern and the loose comparison of two URLs (an
answer's link to a knowledge article, a draft's link to a retrieved article)."""

from __future__ import annotations

import re

__all__ = ["URL", "normalize_url"]

URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_TRACKING = re.compile(r"(utm_[a-z]+|fbclid|gclid|mc_[a-z]+|ref)=", re.IGNORECASE)
_ARCHIVE = re.compile(r"^(?:https?://)?web\.archive\.org/web/\d+[a-z_]*/", re.IGNORECASE)


def normalize_url(url: str) -> str:
    """Compare URLs loosely: no scheme, ``www.``, archive prefix, fragment, tracking
    parameters or trailing slash; the rest of the query is kept (it can name the page)."""
    value = _ARCHIVE.sub("", url.strip())
    value = re.sub(r"^https?://", "", value, flags=re.IGNORECASE)
    value = re.sub(r"^www\.", "", value, flags=re.IGNORECASE)
    value = value.split("#", 1)[0].rstrip(".,;:!")
    path, _, query = value.partition("?")
    params = sorted(p for p in query.split("&") if p and not _TRACKING.match(p))
    path = path.rstrip("/").lower()
    return f"{path}?{'&'.join(params)}" if params else path
