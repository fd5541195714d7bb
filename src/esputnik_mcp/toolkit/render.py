"""Turning a handler's result into what the model reads: cleaned, compact, and never too large.

Strings that came from eSputnik (names, custom fields, template text) were written by strangers
through signup forms: invisible, bidi-control and tag characters are removed before they reach the
model. The text content is a one-line summary and minified JSON without nulls.
"""

from __future__ import annotations

import json
import re
from typing import Any

from esputnik_mcp.toolkit.base import Result, ToolOutput

MAX_RESULT_BYTES = 20_000
# The fewest bytes an item of a list takes in minified JSON: two ("" or {}) and a comma.
_MIN_ITEM_BYTES = 3

# What is removed from every string that reaches the model (Unicode 14 ranges; a test checks them
# against the running Python's character database):
# - every format character (Cf): bidi embeddings, overrides and isolates that reorder text, zero-width
#   spaces and joiners, the word joiner and invisible operators, the BOM, interlinear annotation
#   marks, Arabic and Syriac number signs, shorthand format controls, musical beam controls, and the
#   tag characters that smuggle invisible ASCII;
# - control characters other than tab, newline and carriage return; the line and paragraph
#   separators (U+2028, U+2029), which break a line where no newline is seen;
# - variation selectors (U+FE00-FE0F, U+E0100-E01EF), private-use characters, and characters that
#   render as nothing: the combining grapheme joiner (U+034F), Khmer inherent vowels (U+17B4-17B5),
#   Mongolian variation selectors (U+180B-180F), Hangul fillers, the blank Braille pattern (U+2800)
#   and the object replacement character (U+FFFC).
# ZWJ and ZWNJ are kept inside words (emoji sequences and several scripts need them), and removed at
# the edges of words, where they can only hide something.
_UNSAFE = re.compile(
    "[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f"
    "\u0890-\u0891\u08e2\u115f-\u1160\u17b4-\u17b5\u180b-\u180f\u200b\u200e-\u200f\u2028-\u202e"
    "\u2060-\u206f\u2800\u3164\ue000-\uf8ff\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffc\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\U000e0100-\U000e01ef\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)
_JOINERS = "\u200c\u200d"
_STRAY_JOINERS = re.compile(f"(?:^|(?<=\\s))[{_JOINERS}]+|[{_JOINERS}]+(?=\\s|$)|[{_JOINERS}]{{2,}}")
SUMMARY_QUOTE_CHARS = 80  # of one piece of upstream text quoted in a summary line


def clean_text(value: str) -> str:
    """``value`` without invisible, bidi-control, tag, private-use and control characters."""
    if value.isascii() and value.isprintable():  # none of those is printable ASCII
        return value
    return _STRAY_JOINERS.sub("", _UNSAFE.sub("", value))


def quoted(value: str | None, length: int = SUMMARY_QUOTE_CHARS) -> str:
    """Text that came from eSputnik (a name, a segment), quoted as data for a summary line: cleaned,
    on one line, cut to ``length``, in double quotes, so that it never reads as our own words."""
    text = " ".join(clean_text(value or "").split())
    if len(text) > length:
        text = text[: length - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def clean(value: Any) -> Any:
    """Every string inside ``value`` (dicts, lists) cleaned; dict keys too."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def minified(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _cleaned_without_nulls(value: Any) -> Any:
    """``without_nulls(clean(value))`` in one pass."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {
            clean_text(k) if isinstance(k, str) else k: _cleaned_without_nulls(v)
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, list | tuple):
        return [_cleaned_without_nulls(v) for v in value]
    return value


def structured(data: ToolOutput) -> dict[str, Any]:
    """The structured content: JSON-ready, cleaned, without nulls."""
    result: dict[str, Any] = _cleaned_without_nulls(data.model_dump(mode="json", by_alias=True))
    return result


def render(result: Result[Any], *, sandbox: bool) -> tuple[str, dict[str, Any]]:
    """The text content and the structured content of a result, cut to the size cap if needed. The
    summary line is written after the cut, so that it counts what the model gets, and says so."""
    data = result.data
    if sandbox:
        data.sandbox = True
    name = data.truncatable
    items = getattr(data, name) if name is not None else None
    # A list longer than this cannot fit whole, and is not rendered whole to find out.
    if items is None or len(items) * _MIN_ITEM_BYTES <= MAX_RESULT_BYTES:
        content = structured(data)
        text = f"{_summary(result, data, sandbox)}\n{minified(content)}"
        if name is None or len(text.encode()) <= MAX_RESULT_BYTES:
            return text, content
    content, text = _cut_to_fit(result, data, name, sandbox)
    return text, content


def _summary(result: Result[Any], data: ToolOutput, sandbox: bool, cut: str = "") -> str:
    line = result.summary(data) if callable(result.summary) else result.summary
    line = clean_text(line.replace("\n", " ")).strip() + cut
    return f"[sandbox] {line}" if sandbox else line


def _cut_to_fit(result: Result[Any], data: ToolOutput, name: str, sandbox: bool) -> tuple[dict[str, Any], str]:
    """The largest prefix of the list ``name`` that fits, the summary and a note saying that it was
    cut and how to get the rest. The prefixes tried double from one item until one is too large,
    then a binary search between the last two: a long list costs a few renderings of about as many
    items as fit, not of the whole list."""
    total = len(getattr(data, name))

    def attempt(keep: int) -> tuple[dict[str, Any], str]:
        trial = data.model_copy()  # shallow: cut() replaces lists, never changes them; keeps the resume hook
        trial.cut(keep)
        trial.note = f"Cut to {keep} of {total} {name} to stay under {MAX_RESULT_BYTES // 1000} kB: {data.cut_advice}"
        content = structured(trial)
        cut = f" (cut to {keep} of {total} {name} to fit: {data.cut_advice})"
        return content, f"{_summary(result, trial, sandbox, cut)}\n{minified(content)}"

    def fits(keep: int) -> bool:
        return len(attempt(keep)[1].encode()) <= MAX_RESULT_BYTES

    low, high = 0, max(0, total - 1)
    step = 1
    while step <= high and fits(step):
        low, step = step, step * 2
    high = min(high, step - 1)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return attempt(low)
