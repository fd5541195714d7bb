"""bulk_upsert_contacts and get_import_status through a real MCP client against the sandbox: chunking
at 3000, which fields each request writes, progress, following imports on the sandbox clock, and
nothing lost when a chunk or a contact fails."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import CallToolResult

from esputnik_mcp.api.models import Contact
from esputnik_mcp.sandbox import Fault, Sandbox
from esputnik_mcp.server.runtime import Runtime
from tests.tools.conftest import call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio


TIER, POINTS, CITY = 70004, 70005, 70003
BULK = "POST /v1/contacts"
STATUS = "GET /v1/importstatus/{sessionId}"


def emails(count: int, prefix: str = "bulk") -> list[dict[str, Any]]:
    return [{"email": f"{prefix}{i}@example.com"} for i in range(count)]


async def notified(seen: list[tuple[float, float | None, str | None]], total: float) -> None:
    """Wait (briefly) for the progress notifications that travel apart from the result to reach ``total``."""
    for _ in range(500):
        if seen and seen[-1][0] >= total:
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"progress stopped at {seen[-1] if seen else None}")


async def finishing_imports(sandbox: Sandbox, work: Awaitable[CallToolResult]) -> CallToolResult:
    """Run ``work``, moving the (frozen) sandbox clock past every import once the tool has
    looked at an import's status (so it has seen one still running)."""
    result: list[CallToolResult] = []

    async def run() -> None:
        result.append(await work)

    async def advance() -> None:
        for _ in range(1000):
            sessions = len(requests(sandbox, BULK))  # one import per bulk request
            if sessions and len(requests(sandbox, STATUS)) >= sessions:
                sandbox.clock.advance(60)
                return
            await anyio.sleep(0.01)
        raise AssertionError("the tool never looked at an import's status")

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        tg.start_soon(advance)
    return result[0]


@pytest.fixture
async def known(runtime: Runtime, sandbox: Sandbox) -> Contact:
    """A demo contact with an email and first and last names."""
    page = await runtime.client.contacts.search(max_rows=50)
    for item in page.items:
        if item.channel_values("email") and item.first_name and item.last_name and item.id:
            sandbox.journal.clear()
            return await runtime.client.contacts.get(item.id)
    raise AssertionError("no demo contact with an email and a full name")


async def test_more_than_3000_contacts_go_in_requests_of_3000_with_progress(mcp_both: Client, sandbox: Sandbox) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    result = await mcp_both.call_tool(
        "bulk_upsert_contacts",
        {"contacts": emails(6500), "segments": ["Imported in bulk"]},
        progress_callback=on_progress,
    )
    out = data(result)
    sent = requests(sandbox, BULK)
    assert sorted(len(e.body["contacts"]) for e in sent) == [500, 3000, 3000]
    assert all(e.status == 200 for e in sent)
    assert {e.body["contacts"][0]["channels"][0]["value"] for e in sent} == {
        "bulk0@example.com",
        "bulk3000@example.com",
        "bulk6000@example.com",
    }
    assert all(e.body["groupNames"] == ["Imported in bulk"] for e in sent)
    assert all(e.body["dedupeOn"] == "email" for e in sent)
    assert [(c["index"], c["items"], c["accepted"], c["status"]) for c in out["requests"]] == [
        (0, "0-2999", 3000, "SENT"),
        (1, "3000-5999", 3000, "SENT"),
        (2, "6000-6499", 500, "SENT"),
    ]
    assert len({c["session_id"] for c in out["requests"]}) == 3
    assert (out["total"], out["accepted"], out["failed"]) == (6500, 6500, 0)
    assert "get_import_status" in text(result).splitlines()[0]
    await notified(seen, 6500)
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)
    assert len(seen) == 3
    assert seen[-1][:2] == (6500, 6500)
    assert all(total == 6500 for _, total, _ in seen)


async def test_each_request_writes_only_the_fields_its_contacts_give(
    mcp: Client, runtime: Runtime, sandbox: Sandbox, known: Contact
) -> None:
    email = known.channel_values("email")[0]
    contacts = [
        {"email": email, "last_name": "Newlastname"},
        {"email": "fresh.one@example.com", "first_name": "Ann", "last_name": "Lee"},
        {"email": "fresh.two@example.com", "last_name": "Moss", "fields": {str(POINTS): 7}},
    ]
    result = await finishing_imports(
        sandbox, mcp.call_tool("bulk_upsert_contacts", {"contacts": contacts, "wait": True})
    )
    out = data(result)
    shapes = sorted(
        (e.body["contactFields"], e.body.get("customFieldsIDs", []), len(e.body["contacts"]))
        for e in requests(sandbox, BULK)
    )
    assert shapes == [
        (["email", "firstName", "lastName"], [], 1),
        (["email", "lastName"], [], 1),
        (["email", "lastName"], [POINTS], 1),
    ]
    assert [c["status"] for c in out["requests"]] == ["FINISHED"] * 3
    assert out["still_running"] == 0
    updated = await runtime.client.contacts.get(known.id or 0)
    assert updated.last_name == "Newlastname"
    assert updated.first_name == known.first_name  # not given for this contact: untouched
    found = await runtime.client.contacts.search(email="fresh.two@example.com")
    [fresh] = found.items
    assert {f.id: f.value for f in fresh.fields} == {POINTS: "7"}


async def test_wait_follows_the_imports_to_the_end(mcp_both: Client, runtime: Runtime, sandbox: Sandbox) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    result = await finishing_imports(
        sandbox,
        mcp_both.call_tool(
            "bulk_upsert_contacts",
            {"contacts": emails(3200, "waited"), "wait": True, "event_key_for_new_contacts": "welcomeNew"},
            progress_callback=on_progress,
        ),
    )
    out = data(result)
    assert [(c["items"], c["status"], c["imported"]) for c in out["requests"]] == [
        ("0-2999", "FINISHED", 3000),
        ("3000-3199", "FINISHED", 200),
    ]
    assert out["still_running"] == 0
    assert "imports: 2 FINISHED" in text(result).splitlines()[0]
    assert len(requests(sandbox, STATUS)) >= 4  # each session seen running, then finished
    assert all(e.body["eventKeyForNewContacts"] == "welcomeNew" for e in requests(sandbox, BULK))
    await notified(seen, 6400)
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)
    assert seen[-1][:2] == (6400, 6400)  # sending, then importing
    assert any("FINISHED" in (m or "") for _, _, m in seen)
    page = await runtime.client.contacts.search(email="waited3199@example.com")
    assert len(page.items) == 1


async def test_wait_reports_imports_still_running_when_time_is_up(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "bulk_upsert_contacts", {"contacts": emails(3), "wait": True, "wait_seconds": 1})
    out = data(result)
    assert out["still_running"] == 1
    assert out["requests"][0]["status"] in ("STARTED", "IMPORTING")
    assert "imported" not in out["requests"][0]
    assert "still running" in text(result).splitlines()[0]
    assert len(requests(sandbox, STATUS)) >= 2


async def test_an_import_that_ends_in_error_is_not_taken_for_success(
    mcp: Client, runtime: Runtime, sandbox: Sandbox, known: Contact
) -> None:
    await runtime.client.contacts.delete(known.id or 0)
    sandbox.journal.clear()
    email = known.channel_values("email")[0]
    result = await finishing_imports(
        sandbox, mcp.call_tool("bulk_upsert_contacts", {"contacts": [{"email": email}], "wait": True})
    )
    assert result.is_error
    out = result.structured_content
    assert out is not None
    [chunk] = out["requests"]
    assert chunk["status"] == "ERROR"
    assert "restoreDeleted" in chunk["error"]
    assert "imports: 1 ERROR" in text(result)


async def test_an_unreadable_import_status_is_reported_as_unknown(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=STATUS, status=400, body="status unavailable", times=None))
    result = await call(mcp, "bulk_upsert_contacts", {"contacts": emails(2), "wait": True})
    [chunk] = data(result)["requests"]
    assert chunk["status"] == "UNKNOWN"
    assert chunk["error"].startswith("could not read the import status: ")
    assert "status unavailable" in chunk["error"]
    assert len(requests(sandbox, STATUS)) == 1  # not polled again


async def test_contacts_refused_by_esputnik_are_reported_with_their_position(mcp: Client, sandbox: Sandbox) -> None:
    contacts = [
        {"email": "fine@example.com"},
        {"email": "bad.tier@example.com", "fields": {str(TIER): "Diamond"}},
        {"email": "also.fine@example.com"},
    ]
    result = await call(mcp, "bulk_upsert_contacts", {"contacts": contacts})
    out = data(result)
    assert out["failed"] == 1
    [failed] = out["failed_contacts"]
    assert failed["index"] == 1
    assert failed["email"] == "bad.tier@example.com"
    assert "Diamond" in failed["error"]
    [chunk] = [c for c in out["requests"] if c["failed"]]
    assert (chunk["items"], chunk["accepted"], chunk["failed"]) == ("1", 0, 1)
    assert "1 NOT accepted" in text(result)


async def test_many_refused_contacts_are_cut_to_size_and_the_chunks_kept(mcp: Client) -> None:
    contacts = [{**c, "fields": {str(TIER): "Diamond"}} for c in emails(3000, "refused")]
    result = await call(mcp, "bulk_upsert_contacts", {"contacts": contacts})
    out = data(result)
    assert out["failed"] == 3000
    assert out["requests"][0]["failed"] == 3000
    kept = len(out["failed_contacts"])
    assert 0 < kept < 3000
    assert [f["index"] for f in out["failed_contacts"]] == list(range(kept))
    assert out["note"].startswith(f"Cut to {kept} of 3000 failed_contacts")
    assert len(text(result).encode()) <= 20_000


async def test_a_failed_request_is_reported_and_the_others_go_through(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=BULK, status=400, body="chunk rejected for the test"))
    result = await mcp.call_tool("bulk_upsert_contacts", {"contacts": emails(3500)})
    assert result.is_error  # partly done: not to be taken for success
    out = result.structured_content
    assert out is not None
    [lost] = [c for c in out["requests"] if "status" not in c]
    [kept] = [c for c in out["requests"] if c.get("status") == "SENT"]
    assert lost["accepted"] == 0
    assert "chunk rejected for the test" in lost["error"]
    assert "session_id" not in lost
    assert kept["session_id"]
    assert lost["failed"] + kept["accepted"] == 3500
    assert (out["accepted"], out["failed"]) == (kept["accepted"], lost["failed"])
    assert sorted(e.status for e in requests(sandbox, BULK)) == [200, 400]


async def test_nothing_sent_is_one_clear_error(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=BULK, status=400, body="no way", times=None))
    result = await call(mcp, "bulk_upsert_contacts", {"contacts": emails(10)})
    message = error_text(result)
    assert message.startswith("none of the 10 contacts were sent (1 request failed): ")
    assert "no way" in message


async def test_matching_on_a_custom_field_accepts_esputniks_spelling(mcp: Client, sandbox: Sandbox) -> None:
    contacts = [{"phone": "+380671112233", "fields": {str(CITY): "Lutsk-42"}}]
    result = await call(
        mcp,
        "bulk_upsert_contacts",
        {
            "contacts": contacts,
            "dedupe_on": "fieldId",
            "field_id": CITY,
            "remove_from_segments": ["Newsletter subscribers"],
            "restore_deleted": True,
        },
    )
    assert data(result)["accepted"] == 1
    [sent] = requests(sandbox, BULK)
    assert sent.body["dedupeOn"] == "fieldId"
    assert sent.body["fieldId"] == CITY
    assert sent.body["groupNamesExclude"] == ["Newsletter subscribers"]
    assert sent.body["restoreDeleted"] is True
    assert sent.body["customFieldsIDs"] == [CITY]
    assert "groupNames" not in sent.body


# --- get_import_status ---------------------------------------------------------------------------


async def test_get_import_status_follows_a_session_to_its_contacts(mcp: Client, sandbox: Sandbox) -> None:
    bulk = data(await call(mcp, "bulk_upsert_contacts", {"contacts": emails(2, "status")}))
    session = bulk["requests"][0]["session_id"]
    running = data(await call(mcp, "get_import_status", {"session_id": session}))
    assert running["status"] == "STARTED"
    assert running["finished"] is False
    sandbox.clock.advance(60)
    result = await call(mcp, "get_import_status", {"session_id": session})
    done = data(result)
    assert (done["status"], done["finished"], done["imported"]) == ("FINISHED", True, 2)
    assert sorted(m["dedupe_value"] for m in done["contacts"]) == [
        "status0@example.com",
        "status1@example.com",
    ]
    assert all(m["contact_id"] > 0 for m in done["contacts"])
    assert [e.path for e in requests(sandbox, STATUS)] == [f"/v1/importstatus/{session}"] * 2
    assert "2 contacts created or updated" in text(result)


async def test_get_import_status_of_a_large_import_is_cut_to_size(mcp: Client, sandbox: Sandbox) -> None:
    bulk = data(await call(mcp, "bulk_upsert_contacts", {"contacts": emails(3000, "large")}))
    sandbox.clock.advance(60)
    result = await call(mcp, "get_import_status", {"session_id": bulk["requests"][0]["session_id"]})
    out = data(result)
    assert out["imported"] == 3000
    assert 0 < len(out["contacts"]) < 3000
    assert out["note"].startswith(f"Cut to {len(out['contacts'])} of 3000 contacts")
    assert len(text(result).encode()) <= 20_000


async def test_get_import_status_of_an_unknown_session(mcp: Client) -> None:
    result = await call(mcp, "get_import_status", {"session_id": "no-such-session"})
    assert error_text(result) == "no import session no-such-session"
