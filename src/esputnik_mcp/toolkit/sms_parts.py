"""How many parts an SMS text costs, counted as the network counts it.

An SMS carries 140 bytes: 160 characters of the GSM 7-bit default alphabet (3GPP TS 23.038), or 70
UTF-16 code units when any character falls outside it (UCS-2). A longer text is sent as a
concatenated message whose parts each lose 6 bytes to the header: 153 septets or 67 code units.

Counting choices, and why:

- A character of the GSM extension table (``^ { } \\ [ ~ ] | €`` and form feed) is sent as an escape
  plus the character, so it counts two septets. National language shift tables are not used: the
  default alphabet is what a send can rely on.
- A character outside the Basic Multilingual Plane (most emoji) is two UTF-16 code units, a
  surrogate pair, as handsets and gateways encode it; strict UCS-2 cannot carry it at all, and
  counting it as one would under-count the parts.
- A long text is split where characters begin: an escape pair or a surrogate pair is never cut in
  two, so a part can hold one unit less than 153 or 67, as senders split them.
- Lookalikes are not folded (``ç`` is not ``Ç``, curly quotes are not straight ones): a text that
  holds one is UCS-2, as it would be on the wire.

That eSputnik bills an SMS per part is an assumption; the counting is the network's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 default alphabet, in code order 0x00-0x7F; 0x1B is the escape to the extension table,
# not a character of its own.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: code, character.
GSM_EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_BASIC = frozenset(GSM_BASIC) - {"\x1b"}
_EXTENDED = frozenset(GSM_EXTENSION.values())

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SmsParts:
    """What a text costs: its encoding, its length as that encoding counts it (septets, or UTF-16
    code units), how many parts it is sent in, and how much one part holds at that length."""

    encoding: Encoding
    characters: int
    parts: int
    per_part: int


def sms_parts(text: str) -> SmsParts:
    """The parts ``text`` is sent in; empty text is no SMS at all (0 parts)."""
    if all(c in _BASIC or c in _EXTENDED for c in text):
        encoding: Encoding = "GSM-7"
        units = [2 if c in _EXTENDED else 1 for c in text]
        single, multi = 160, 153
    else:
        encoding = "UCS-2"
        units = [2 if ord(c) > 0xFFFF else 1 for c in text]
        single, multi = 70, 67
    characters = sum(units)
    if characters <= single:
        return SmsParts(encoding, characters, 1 if text else 0, single)
    return SmsParts(encoding, characters, _split(units, multi), multi)


def _split(units: list[int], size: int) -> int:
    """Parts of at most ``size`` units each, never cutting a character's units apart."""
    parts, used = 1, 0
    for unit in units:
        if used + unit > size:
            parts, used = parts + 1, 0
        used += unit
    return parts
