"""The approval page's html, written with the standard library: everything shown is escaped; an
email's own html goes into a sandboxed frame's ``srcdoc``, escaped as an attribute."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from esputnik_mcp.store.base import ApprovalRecord

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
dl{display:grid;grid-template-columns:max-content auto;gap:.3rem 1rem}dt{font-weight:600}
.sample{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0}
iframe{width:100%;height:28rem;border:1px solid #ddd;background:#fff}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.8rem;border-radius:6px}
.warn{color:#8a4b00}.actions{display:flex;gap:1rem;margin:2rem 0}
button{font-size:1rem;padding:.6rem 1.6rem;border-radius:6px;border:1px solid #888;cursor:pointer}
button[value=approve]{background:#0a7d32;color:#fff;border-color:#0a7d32}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def _row(label: str, value: object) -> str:
    if value is None or value == "" or value == []:
        return ""
    return f"<dt>{escape(label)}</dt><dd>{escape(str(value))}</dd>"


def _sample(sample: dict[str, Any]) -> str:
    parts = [f"<h3>For {escape(str(sample.get('recipient') or 'the first recipient'))}</h3><dl>"]
    parts.append(_row("Subject", sample.get("subject")))
    parts.append(_row("SMS parts", sample.get("sms_parts")))
    parts.append("</dl>")
    if sample.get("html"):
        parts.append(
            f'<iframe sandbox="" title="The email as it will be sent" srcdoc="{escape(sample["html"])}"></iframe>'
        )
    if sample.get("text"):
        parts.append(f"<pre>{escape(sample['text'])}</pre>")
    unresolved = sample.get("unresolved") or []
    if unresolved:
        names = ", ".join(unresolved)
        parts.append(f'<p class="warn">Left without a value: {escape(names)}</p>')
    return '<div class="sample">' + "".join(parts) + "</div>"


def preview_page(preview: dict[str, Any], record: ApprovalRecord, token: str) -> str:
    """The whole preview, with Approve and Decline."""
    rendering: dict[str, Any] = preview.get("rendering") or {}
    expires = datetime.fromtimestamp(record.expires_at, UTC).strftime("%H:%M UTC")
    details = "".join(
        [
            _row("Tool", record.tool),
            _row("Channel", rendering.get("channel")),
            _row("Sender", rendering.get("sender")),
            _row("Stored message", rendering.get("message")),
            _row("Subject", rendering.get("subject")),
            _row("Recipients", rendering.get("count")),
            _row("First recipients", ", ".join(rendering.get("recipients") or [])),
            _row("SMS encoding", rendering.get("sms_encoding")),
            _row("SMS parts in all", rendering.get("sms_parts_total")),
            _row("Balance", rendering.get("balance")),
        ]
    )
    warnings = "".join(f'<p class="warn">{escape(w)}</p>' for w in rendering.get("warnings") or [])
    samples = "".join(_sample(s) for s in rendering.get("samples") or [])
    body = (
        f"<h1>Approve: {escape(str(preview.get('action', '')))}</h1>"
        f"<p>An agent asks to do this on your eSputnik account. Nothing happens unless you approve. "
        f"This page expires at {escape(expires)} and works once.</p>"
        f"<dl>{details}</dl>{warnings}"
        + (f"<h2>What will go out</h2>{samples}" if samples else "")
        + '<form method="post" class="actions">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        '<button type="submit" name="decision" value="approve">Approve</button>'
        '<button type="submit" name="decision" value="decline">Decline</button>'
        "</form>"
    )
    return _page("Approve a send", body)


def decided_page(approved: bool) -> str:
    if approved:
        return _page(
            "Approved",
            "<h1>Approved</h1><p>The agent can go ahead now; it does so once. You can close this page.</p>",
        )
    return _page("Declined", "<h1>Declined</h1><p>Nothing will be sent. You can close this page.</p>")


def gone_page(message: str) -> str:
    return _page("Approval", f"<h1>Approval</h1><p>{escape(message)}</p>")
