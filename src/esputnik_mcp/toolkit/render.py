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

# Format characters (bidi embeddings/overrides/isolates, zero-width spaces, word joiner, BOM,
# invisible operators), Unicode tag characters (invisible ASCII smuggling), variation selectors
# 17–256, and control characters other than tab, newline and carriage return. ZWJ and ZWNJ stay:
# emoji sequences and several scripts need them and they cannot reorder or hide text.
_UNSAFE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0"
    "\ufff9-\ufffb\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)


def clean_text(value: str) -> str:
    """``value`` without invisible, bidi-control, tag and control characters."""
    return _UNSAFE.sub("", value)


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


def structured(data: ToolOutput) -> dict[str, Any]:
    """The structured content: JSON-ready, cleaned, without nulls."""
    dumped = clean(data.model_dump(mode="json", by_alias=True))
    result: dict[str, Any] = without_nulls(dumped)
    return result


def render(result: Result[Any], *, sandbox: bool) -> tuple[str, dict[str, Any]]:
    """The text content and the structured content of a result, cut to the size cap if needed. The
    summary line is written after the cut, so that it counts what the model gets, and says so."""
    data = result.data
    if sandbox:
        data.sandbox = True
    content = structured(data)
    text = f"{_summary(result, data, sandbox)}\n{minified(content)}"
    if len(text.encode()) > MAX_RESULT_BYTES and data.truncatable is not None:
        content, text = _cut_to_fit(result, data, data.truncatable, sandbox)
    return text, content


def _summary(result: Result[Any], data: ToolOutput, sandbox: bool, cut: str = "") -> str:
    line = result.summary(data) if callable(result.summary) else result.summary
    line = clean_text(line.replace("\n", " ")).strip() + cut
    return f"[sandbox] {line}" if sandbox else line


def _cut_to_fit(result: Result[Any], data: ToolOutput, name: str, sandbox: bool) -> tuple[dict[str, Any], str]:
    """The largest prefix of the list ``name`` that fits (binary search), the summary and a note
    saying that it was cut and how to get the rest."""
    total = len(getattr(data, name))

    def attempt(keep: int) -> tuple[dict[str, Any], str]:
        trial = data.model_copy()  # shallow: cut() replaces lists, never changes them; keeps the resume hook
        trial.cut(keep)
        trial.note = f"Cut to {keep} of {total} {name} to stay under {MAX_RESULT_BYTES // 1000} kB: {data.cut_advice}"
        content = structured(trial)
        cut = f" (cut to {keep} of {total} {name} to fit: {data.cut_advice})"
        return content, f"{_summary(result, trial, sandbox, cut)}\n{minified(content)}"

    low, high = 0, max(0, total - 1)
    while low < high:
        middle = (low + high + 1) // 2
        if len(attempt(middle)[1].encode()) <= MAX_RESULT_BYTES:
            low = middle
        else:
            high = middle - 1
    return attempt(low)
