"""A result too large for the size cap keeps the longest prefix of its list that fits, however long
the list: what a send to 10,000 recipients answers."""

from __future__ import annotations

import json

from esputnik_mcp.toolkit.base import Result
from esputnik_mcp.toolkit.render import MAX_RESULT_BYTES, minified, render
from esputnik_mcp.toolkit.sending import RecipientResult, SendOutput


def _send(rows: int) -> Result[SendOutput]:
    results = [
        RecipientResult(recipient=f"reader{i}@example.com", request_id=f"req-{i:05d}", status="queued")
        for i in range(rows)
    ]
    out = SendOutput(
        channel="email",
        total=rows,
        queued=rows,
        failed=0,
        unknown=0,
        request_ids=[r.request_id or "" for r in results],
        results=results,
    )
    return Result(f"template 1 (email): {rows} queued", out)


def test_a_long_list_keeps_the_longest_prefix_that_fits() -> None:
    text, content = render(_send(10_000), sandbox=True)
    kept = len(content["results"])
    assert 0 < kept < 10_000
    assert len(text.encode()) <= MAX_RESULT_BYTES
    assert f"cut to {kept} of 10000 results" in text
    # One more row, and its request id, would not fit.
    row = content["results"][-1] | {"recipient": f"reader{kept}@example.com", "request_id": f"req-{kept:05d}"}
    more = len(minified(row).encode()) + len(json.dumps(row["request_id"])) + 2
    assert len(text.encode()) + more > MAX_RESULT_BYTES
