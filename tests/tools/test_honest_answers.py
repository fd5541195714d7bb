"""Answers that never overstate: a summary counts what the result holds and says when it was cut;
a write eSputnik does not confirm per id says so; a mistake gets the name of what was meant, and a
tool to look it up, not a REST path."""

from __future__ import annotations

import re

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Sandbox
from esputnik_mcp.server.app import build_server
from esputnik_mcp.server.runtime import Runtime
from tests.tools.conftest import automation_settings, call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio

NEWSLETTER = 2001
TIER = 70004


def summary(result: object) -> str:
    return text(result).splitlines()[0]  # type: ignore[arg-type]


async def test_a_page_cut_to_fit_counts_what_came_back_and_says_so(mcp: Client) -> None:
    arguments = {"segment_id": NEWSLETTER, "limit": 500, "response_format": "detailed"}
    result = await call(mcp, "get_segment_contacts", arguments)
    out = data(result)
    kept, total = len(out["contacts"]), out["total"]
    assert 0 < kept < 500 < total
    line = summary(result)
    assert line.startswith(f"[sandbox] segment {NEWSLETTER}: {kept} of {total} contacts (cut to {kept} of 500 ")
    assert "next_cursor" in line
    assert "500 of" not in line


async def test_a_cut_search_counts_what_came_back(mcp: Client) -> None:
    result = await call(mcp, "search_contacts", {"limit": 500, "response_format": "detailed"})
    out = data(result)
    kept = len(out["contacts"])
    assert 0 < kept < 500
    assert re.match(
        rf"\[sandbox\] {kept} of {out['total']} contacts match \(no filter\) \(cut to {kept} of 500", summary(result)
    )


async def test_a_page_that_fits_is_not_called_cut(mcp: Client) -> None:
    result = await call(mcp, "get_segment_contacts", {"segment_id": NEWSLETTER, "limit": 3})
    out = data(result)
    assert summary(result) == f"[sandbox] segment {NEWSLETTER}: 3 of {out['total']} contacts"
    assert "note" not in out


async def test_attaching_an_unknown_contact_does_not_claim_it_was_attached(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(
        mcp, "update_segment_membership", {"segment_id": NEWSLETTER, "action": "attach", "contact_ids": [999999]}
    )
    line = summary(result)
    assert "attached" not in line
    assert "does not confirm each id" in line
    assert "get_segment_contacts" in line
    assert len(requests(sandbox, "POST /v1/group/{id}/contacts/attach")) == 1


async def test_deleting_an_unknown_order_does_not_claim_it_is_scheduled(mcp: Client, sandbox: Sandbox) -> None:
    result = await call(mcp, "delete_orders", {"external_order_ids": ["NO-SUCH-ORDER"]})
    line = summary(result)
    assert "scheduled" not in line
    assert "does not say whether an order with each id existed" in line
    assert data(result)["orders"] == [{"external_order_id": "NO-SUCH-ORDER", "status": "accepted"}]


async def test_an_unknown_argument_gets_the_closest_valid_name(mcp: Client, sandbox: Sandbox) -> None:
    result = await mcp.call_tool("search_contacts", {"firstname": "Олена"})
    assert (
        error_text(result)
        == "invalid arguments for search_contacts: firstname: unknown parameter; did you mean first_name?"
    )
    typo = await mcp.call_tool("get_segment_contacts", {"segment_id": NEWSLETTER, "limt": 3})
    assert "limt: unknown parameter; did you mean limit?" in error_text(typo)
    nonsense = await mcp.call_tool("list_segments", {"colour": "red"})
    assert error_text(nonsense) == "invalid arguments for list_segments: colour: unknown parameter"
    assert len(sandbox.journal) == 0


async def test_an_unknown_custom_field_names_the_tool_to_look_it_up_and_saves_nothing(
    mcp: Client, sandbox: Sandbox
) -> None:
    arguments = {"email": "new.customer@example.com", "fields": {"99999": "x", str(TIER): "Gold"}}
    for tool in ("upsert_contact", "subscribe_contact"):
        message = error_text(await mcp.call_tool(tool, arguments))
        assert (
            message == "nothing saved: the account has no custom field with id 99999; list_custom_fields shows the ids"
        )
    bulk = error_text(await mcp.call_tool("bulk_upsert_contacts", {"contacts": [arguments]}))
    assert "list_custom_fields" in bulk
    assert [e.route for e in sandbox.journal.entries] == ["GET /v1/addressbooks"]  # read once, then cached


async def test_descriptions_and_schemas_state_the_recipient_cap_in_force(runtime: Runtime) -> None:
    capped = Runtime(settings=automation_settings(max_recipients=25), client=runtime.client, sandbox=runtime.sandbox)
    async with Client(build_server(capped)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    prepared = tools["send_prepared_message"]
    assert "up to 25 recipients" in (prepared.description or "")
    assert prepared.input_schema["properties"]["recipients"]["maxItems"] == 25
    assert "any number" not in (prepared.description or "")
