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
    problem = _characters_problem(name)
    if problem:
        return problem
    words = name.split()
    for word in words:
        problem = _word_problem(word)
        if problem:
            return problem
    return _word_count_problem(words)


def _characters_problem(name: str) -> str | None:
    """The rules on the name as a whole: its length, and how many letters and digits it has."""
    if len(name) > NAME_LENGTH:
        return f"is {len(name)} characters long; at most {NAME_LENGTH} are allowed"
    if not any(_is_letter(c) for c in name):
        return "has no letters; a name made only of digits or special characters is not allowed"
    if sum(c.isdigit() for c in name) > _DIGIT_LIMIT:
        return f"has more than {_DIGIT_LIMIT} digits"
    return None


def _core(word: str) -> str:
    """A word without the dot that may end an abbreviation."""
    return word[:-1] if word.endswith(".") else word


def _word_problem(word: str) -> str | None:
    core = _core(word)
    if word.endswith(".") and not 0 < len(core) <= 3:
        return f"has a dot in {word!r}; a dot may only end a word of up to 3 characters"
    for index in range(len(core)):
        problem = _character_problem(core, index)
        if problem:
            return problem
    return None


def _character_problem(core: str, index: int) -> str | None:
    """Letters and digits go anywhere; an apostrophe or hyphen only between a letter or digit on
    each side; nothing else."""
    char = core[index]
    if _is_letter(char) or char.isdigit():
        return None
    if char in APOSTROPHES or char == "-":
        inside = 0 < index < len(core) - 1
        if inside and core[index - 1].isalnum() and (_is_letter(core[index + 1]) or core[index + 1].isdigit()):
            return None
        return f"has {char!r} outside a word; apostrophes and hyphens are allowed only inside words"
    return f"contains the character {char!r}, which is not allowed in names"


def _word_count_problem(words: list[str]) -> str | None:
    long_words = sum(len(_core(word)) > 3 for word in words)
    if long_words > _WORD_LIMIT or len(words) - long_words > _WORD_LIMIT:
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
