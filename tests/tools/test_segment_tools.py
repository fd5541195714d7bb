"""Segment tools through a real MCP client on both protocol revisions, against the sandbox's demo
segments: list_segments, get_segment_contacts, update_segment_membership."""

from __future__ import annotations

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Fault, Sandbox
from esputnik_mcp.server.runtime import Runtime
from tests.tools.conftest import call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio


NEWSLETTER, VIP, TEST_RECIPIENTS, WHOLESALE = 2001, 2002, 2005, 2006
UKRAINIAN_SPEAKERS = 2102  # dynamic
ATTACH, DETACH = "POST /v1/group/{id}/contacts/attach", "POST /v1/group/{id}/contacts/detach"


async def member_ids(runtime: Runtime, segment_id: int) -> list[int]:
    ids: list[int] = []
    start: int | None = 1
    while start is not None:
        page = await runtime.client.segments.contacts(segment_id, start_index=start)
        ids += [c.id for c in page.items if c.id is not None]
        start = page.next_start_index
    return ids


@pytest.mark.parametrize(
    ("tool", "read_only", "destructive", "idempotent"),
    [
        ("list_segments", True, False, True),
        ("get_segment_contacts", True, False, True),
        ("update_segment_membership", False, True, True),
    ],
)
async def test_segment_tools_declare_every_annotation(
    mcp: Client, tool: str, read_only: bool, destructive: bool, idempotent: bool
) -> None:
    listed = {t.name: t for t in (await mcp.list_tools()).tools}
    annotations = listed[tool].annotations
    assert annotations is not None
    assert (annotations.read_only_hint, annotations.destructive_hint, annotations.idempotent_hint) == (
        read_only,
        destructive,
        idempotent,
    )
    assert annotations.open_world_hint is True


# --- list_segments -------------------------------------------------------------------------------


async def test_list_segments_pages_with_a_cursor(mcp: Client, sandbox: Sandbox) -> None:
    first = data(await call(mcp, "list_segments", {"limit": 4}))
    second = data(await call(mcp, "list_segments", {"limit": 4, "cursor": first["next_cursor"]}))
    assert len(first["segments"]) == 4
    assert first["total"] == second["total"] == 11
    ids = [s["id"] for s in first["segments"] + second["segments"]]
    assert len(set(ids)) == 8
    assert {s["type"] for s in first["segments"] + second["segments"]} == {"Static", "Dynamic"}
    assert all(set(s) == {"id", "name", "type"} for s in first["segments"])
    assert [e.query["startindex"] for e in requests(sandbox, "GET /v1/groups")] == ["1", "5"]
    third = data(await call(mcp, "list_segments", {"limit": 4, "cursor": second["next_cursor"]}))
    assert len(third["segments"]) == 3
    assert "next_cursor" not in third


async def test_list_segments_by_name(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "list_segments", {"name": "speakers"})
    out = data(result)
    assert {s["name"] for s in out["segments"]} == {"Ukrainian speakers", "Polish speakers"}
    assert out["total"] == 2
    assert requests(sandbox, "GET /v1/groups")[0].query["name"] == "speakers"
    assert text(result).splitlines()[0] == "[sandbox] 2 of 2 segments named like 'speakers'"


async def test_list_segments_refuses_a_cursor_of_another_query(mcp: Client) -> None:
    first = data(await call(mcp, "list_segments", {"limit": 2}))
    result = await call(mcp, "list_segments", {"limit": 2, "name": "VIP", "cursor": first["next_cursor"]})
    assert "cursor belongs to a different query" in error_text(result)


# --- get_segment_contacts ------------------------------------------------------------------------


async def test_get_segment_contacts_pages_through_the_members(mcp: Client, runtime: Runtime, sandbox: Sandbox) -> None:
    first = data(await call(mcp, "get_segment_contacts", {"segment_id": VIP, "limit": 5}))
    second = data(
        await call(mcp, "get_segment_contacts", {"segment_id": VIP, "limit": 5, "cursor": first["next_cursor"]})
    )
    members = await member_ids(runtime, VIP)
    assert first["total"] == second["total"] == len(members)
    page_ids = [c["id"] for c in first["contacts"]] + [c["id"] for c in second["contacts"]]
    assert page_ids == members[:10]
    assert all("channels" not in c for c in first["contacts"])  # concise
    journal = requests(sandbox, "GET /v1/group/{id}/contacts")
    assert [(e.path, e.query["startindex"], e.query["maxrows"]) for e in journal[:2]] == [
        (f"/v1/group/{VIP}/contacts", "1", "5"),
        (f"/v1/group/{VIP}/contacts", "6", "5"),
    ]


async def test_get_segment_contacts_detailed_names_custom_fields(mcp: Client) -> None:
    out = data(await call(mcp, "get_segment_contacts", {"segment_id": VIP, "limit": 3, "response_format": "detailed"}))
    contact = out["contacts"][0]
    assert contact["channels"]
    assert contact["fields"]
    assert all(f["name"] for f in contact["fields"])


async def test_a_large_detailed_page_is_cut_with_a_cursor_to_the_rest(mcp: Client) -> None:
    arguments = {"segment_id": NEWSLETTER, "limit": 500, "response_format": "detailed"}
    result = await call(mcp, "get_segment_contacts", arguments)
    out = data(result)
    kept = len(out["contacts"])
    assert 0 < kept < 500
    assert out["note"].startswith(f"Cut to {kept} of 500 contacts")
    assert len(text(result).encode()) <= 20_000
    rest = data(await call(mcp, "get_segment_contacts", {**arguments, "limit": 1, "cursor": out["next_cursor"]}))
    assert rest["contacts"][0]["id"] not in {c["id"] for c in out["contacts"]}


async def test_get_segment_contacts_of_a_dynamic_segment(mcp: Client) -> None:
    out = data(await call(mcp, "get_segment_contacts", {"segment_id": UKRAINIAN_SPEAKERS, "limit": 3}))
    assert out["total"] > 3
    assert len(out["contacts"]) == 3


async def test_get_segment_contacts_of_an_unknown_segment(mcp: Client) -> None:
    result = await call(mcp, "get_segment_contacts", {"segment_id": 99999})
    assert error_text(result) == "segment 99999 not found (see list_segments)"


# --- update_segment_membership -------------------------------------------------------------------


async def test_attach_by_contact_ids_then_detach_them(mcp: Client, runtime: Runtime, sandbox: Sandbox) -> None:
    before = await member_ids(runtime, TEST_RECIPIENTS)
    outsiders = [i for i in await member_ids(runtime, WHOLESALE) if i not in before][:3]
    assert len(outsiders) == 3
    result = await call(
        mcp,
        "update_segment_membership",
        {"segment_id": TEST_RECIPIENTS, "action": "attach", "contact_ids": [*outsiders, outsiders[0]]},
    )
    out = data(result)
    assert (out["action"], out["requested"], out["accepted"], out["failed"]) == ("attach", 3, 3, 0)
    [sent] = requests(sandbox, ATTACH)
    assert sent.path == f"/v1/group/{TEST_RECIPIENTS}/contacts/attach"
    assert sent.body == {"contactIds": outsiders}
    assert sorted(await member_ids(runtime, TEST_RECIPIENTS)) == sorted(before + outsiders)
    assert text(result).splitlines()[0] == (
        f"[sandbox] eSputnik accepted the attach of 3 of 3 contacts for segment {TEST_RECIPIENTS}; it does not "
        "confirm each id (unknown ids are skipped silently): get_segment_contacts shows the members"
    )

    detached = data(
        await call(
            mcp,
            "update_segment_membership",
            {"segment_id": TEST_RECIPIENTS, "action": "detach", "contact_ids": outsiders[:2]},
        )
    )
    assert (detached["action"], detached["accepted"]) == ("detach", 2)
    [removal] = requests(sandbox, DETACH)
    assert removal.body == {"contactIds": outsiders[:2]}
    assert sorted(await member_ids(runtime, TEST_RECIPIENTS)) == sorted([*before, outsiders[2]])


async def test_detach_by_external_ids(mcp: Client, runtime: Runtime, sandbox: Sandbox) -> None:
    members = (await runtime.client.segments.contacts(VIP, max_rows=50)).items
    with_external = [c for c in members if c.external_customer_id][:2]
    assert len(with_external) == 2
    external_ids = [c.external_customer_id for c in with_external]
    out = data(
        await call(
            mcp,
            "update_segment_membership",
            {"segment_id": VIP, "action": "detach", "external_customer_ids": external_ids},
        )
    )
    assert out["accepted"] == 2
    assert requests(sandbox, DETACH)[0].body == {"externalCustomerIds": external_ids}
    remaining = await member_ids(runtime, VIP)
    assert not {c.id for c in with_external} & set(remaining)


async def test_membership_is_split_into_requests_of_500(mcp: Client, sandbox: Sandbox) -> None:
    ids = list(range(1, 1201))
    out = data(
        await call(
            mcp,
            "update_segment_membership",
            {"segment_id": WHOLESALE, "action": "attach", "contact_ids": ids},
        )
    )
    assert (out["requested"], out["accepted"], out["failed"]) == (1200, 1200, 0)
    assert [c["items"] for c in out["requests"]] == ["0-499", "500-999", "1000-1199"]
    bodies = sorted((e.body["contactIds"] for e in requests(sandbox, ATTACH)), key=lambda b: b[0])
    assert [b[0] for b in bodies] == [1, 501, 1001]
    assert [len(b) for b in bodies] == [500, 500, 200]


async def test_a_failed_membership_request_is_reported_with_its_contacts(mcp: Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route=ATTACH, status=400, body="busy"))
    result = await mcp.call_tool(
        "update_segment_membership",
        {"segment_id": WHOLESALE, "action": "attach", "contact_ids": list(range(1, 701))},
    )
    assert result.is_error
    out = result.structured_content
    assert out is not None
    [bad] = [c for c in out["requests"] if c["failed"]]
    assert "busy" in bad["error"]
    assert (bad["items"], bad["accepted"]) in (("0-499", 0), ("500-699", 0))
    assert (out["requested"], out["failed"], out["accepted"]) == (700, bad["failed"], 700 - bad["failed"])


async def test_a_dynamic_segment_refusal_is_surfaced(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp,
        "update_segment_membership",
        {"segment_id": UKRAINIAN_SPEAKERS, "action": "attach", "contact_ids": [1, 2]},
    )
    message = error_text(result)
    assert message.startswith(f"eSputnik refused to attach contacts for segment {UKRAINIAN_SPEAKERS}: ")
    assert "static" in message
    assert "Only static segments take members" in message
    assert [e.status for e in requests(sandbox, ATTACH)] == [400]


async def test_membership_of_an_unknown_segment(mcp: Client) -> None:
    result = await call(mcp, "update_segment_membership", {"segment_id": 99999, "action": "detach", "contact_ids": [1]})
    assert error_text(result) == "segment 99999 not found (see list_segments); no contact was detached"
