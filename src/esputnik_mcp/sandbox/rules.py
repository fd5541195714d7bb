"""Value rules beyond the schemas' types: names, addresses, phone numbers, event keys."""

from __future__ import annotations

import re
import unicodedata

from esputnik_mcp.sandbox.limits import EVENT_KEY_LENGTH, FORBIDDEN_KEY_CHARACTERS, NAME_LENGTH

# Apostrophes allowed inside names (SPEC fileContactsBulkUpdate), plus the typographic
# apostrophes U+2018/U+2019, which the exported list seems to have flattened to U+0027.
APOSTROPHES = frozenset("'\u2018\u2019ʼ`´ʹʻʽʾʿˈˊˮʹ΄՚᾽᾿‛′‵Ꞌꞌ＇")
_WORD_LIMIT = 3  # at most 3 words longer than 3 characters, and 3 of up to 3 characters
_DIGIT_LIMIT = 3

# A deliberately plain address check: one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _is_letter(char: str) -> bool:
    return char.isalpha() or unicodedata.category(char).startswith("M")


def name_problem(name: str) -> str | None:
    """Why eSputnik would refuse ``name`` as a first or last name, or None (SPEC
    fileContactsBulkUpdate name rules). An empty name clears the field and is fine."""
    if not name.strip():
        return None
    if len(name) > NAME_LENGTH:
        return f"is {len(name)} characters long; at most {NAME_LENGTH} are allowed"
    if not any(_is_letter(c) for c in name):
        return "has no letters; a name made only of digits or special characters is not allowed"
    if sum(c.isdigit() for c in name) > _DIGIT_LIMIT:
        return f"has more than {_DIGIT_LIMIT} digits"
    long_words = short_words = 0
    for word in name.split():
        core = word[:-1] if word.endswith(".") else word
        if word.endswith(".") and not 0 < len(core) <= 3:
            return f"has a dot in {word!r}; a dot may only end a word of up to 3 characters"
        for index, char in enumerate(core):
            if _is_letter(char) or char.isdigit():
                continue
            if char in APOSTROPHES or char == "-":
                inside = 0 < index < len(core) - 1
                if (
                    inside
                    and core[index - 1].isalnum()
                    and (_is_letter(core[index + 1]) or core[index + 1].isdigit())
                ):
                    continue
                return f"has {char!r} outside a word; apostrophes and hyphens are allowed only inside words"
            return f"contains the character {char!r}, which is not allowed in names"
        if len(core) > 3:
            long_words += 1
        else:
            short_words += 1
    if long_words > _WORD_LIMIT or short_words > _WORD_LIMIT:
        return (
            f"has too many words; at most {_WORD_LIMIT} longer than 3 characters and "
            f"{_WORD_LIMIT} of up to 3 characters are allowed"
        )
    return None


def email_ok(value: str) -> bool:
    return _EMAIL.match(value.strip()) is not None


def normal_email(value: str) -> str:
    return value.strip().lower()


def normal_phone(value: str) -> str | None:
    """The digits of a phone number (what matching compares), or None if it is not one.

    Accepts an optional leading ``+`` and spaces, dashes, dots and brackets between digits;
    7 to 15 digits (E.164 allows at most 15; the lower bound is a guess).
    """
    stripped = value.strip()
    if stripped.startswith("+"):
        stripped = stripped[1:]
    if not stripped or any(c not in "0123456789 -.()" for c in stripped):
        return None
    digits = "".join(c for c in stripped if c.isdigit())
    return digits if 7 <= len(digits) <= 15 else None


def key_problem(value: str, what: str) -> str | None:
    """Why ``value`` cannot be an event type key (or eventKeyForNewContacts, formType)."""
    if not value.strip():
        return f"{what} must not be empty"
    if len(value) > EVENT_KEY_LENGTH:
        return f"{what} is {len(value)} characters long; at most {EVENT_KEY_LENGTH} are allowed"
    bad = sorted({c for c in value if c in FORBIDDEN_KEY_CHARACTERS})
    if bad:
        return f"{what} contains forbidden characters: {' '.join(bad)}"
    return None


def fold(text: str | None) -> str | None:
    """Case-folded text for case-insensitive search in any alphabet."""
    return None if text is None else text.casefold()
