"""Text a page wraps around a story, recognised by what it says: reprint and copyright
notices, cookie and privacy banners, paywall, subscription and newsletter prompts, share bars.
"""

from __future__ import annotations

import re

BOILERPLATE = re.compile(
    r"for your personal,? non-?commercial use|reprints?\b|distribution and use of this "
    r"material|all rights reserved|copyright|©|\bcookies?\b|privacy policy|terms of "
    r"(?:use|service)|subscribe|subscription|subscriber|newsletter|sign up|sign in|log in|"
    r"create an? (?:free )?account|already a member|enable javascript|ad ?blocker|"
    r"paywall|premium content|this content is (?:only )?available|share this with|"
    r"share (?:on|via) (?:facebook|twitter|whatsapp|email)|copy this link|"
    r"(?:email|facebook|twitter|whatsapp|messenger|linkedin|pinterest){3,}",
    re.IGNORECASE,
)


# The stricter set for single sentences: notices and prompts, not words a story may be about
# ("cookies", "copyright", "subscription").
NOTICE = re.compile(
    r"for your personal,? non-?commercial use|distribution and use of this material|"
    r"all rights reserved|^\W*(?:please )?(?:subscribe|sign up|sign in|log in|register)\b|"
    r"\bsign up (?:for|to) (?:our|the) .{0,40}newsletter|newsletter sign-?up|"
    r"(?:we|this (?:site|website)) uses? cookies|enable javascript|ad ?blocker|"
    r"share this with|share (?:on|via) (?:facebook|twitter|whatsapp|email)|copy this link|"
    r"(?:email|facebook|twitter|whatsapp|messenger|linkedin|pinterest){3,}",
    re.IGNORECASE,
)


def is_notice(sentence: str) -> bool:
    """Whether ``sentence`` is a page notice or prompt (never part of a summary)."""
    lower = sentence.lower()
    if not any(hint in lower for hint in _HINTS) and not lower.lstrip(" \"'“").startswith(
        ("subscribe", "sign", "log", "register", "please")
    ):
        return False
    return bool(NOTICE.search(sentence))


# Every BOILERPLATE alternative contains one of these: a cheap test before the pattern.
_HINTS = (
    "personal", "reprint", "distribution", "rights reserved", "copyright", "©", "cookie",
    "privacy", "terms of", "subscri", "newsletter", "sign up", "sign in", "log in", "account",
    "member", "javascript", "blocker", "paywall", "premium", "available", "share", "copy this",
    "email", "facebook", "twitter", "whatsapp", "messenger", "linkedin", "pinterest",
)  # fmt: skip


def is_boilerplate(text: str) -> bool:
    """Whether ``text`` (a paragraph or sentence) is page furniture rather than story."""
    lower = text.lower()
    if not any(hint in lower for hint in _HINTS):
        return False
    return bool(BOILERPLATE.search(text))
