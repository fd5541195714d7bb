"""list_subscription_categories, get_contact_subscriptions and update_contact_subscriptions through
the official client: the categories with their keys, a contact's categories, and an update that
replaces them and says what changed."""

from __future__ import annotations

import pytest
from mcp import Client

from esputnik_mcp.sandbox import Fault, Sandbox
from tests.tools.conftest import call, error_text
from tests.tools.support import data, requests, text

pytestmark = pytest.mark.anyio

CHANGE = "PUT /v1/contact/{id}/subscriptions"
OF_CONTACT = "GET /v1/contact/{id}/subscriptions"


def _set(sandbox: Sandbox, contact_id: int, keys: list[str]) -> None:
    with sandbox.state.write() as conn:
        conn.execute("DELETE FROM contact_subscriptions WHERE contact_id = ?", (contact_id,))
        conn.executemany(
            "INSERT INTO contact_subscriptions (contact_id, key) VALUES (?, ?)", [(contact_id, k) for k in keys]
        )


async def test_subscription_tool_annotations(mcp: Client) -> None:
    tools = {t.name: t.annotations for t in (await mcp.list_tools()).tools}
    listing, reading, update = (
        tools["list_subscription_categories"],
        tools["get_contact_subscriptions"],
        tools["update_contact_subscriptions"],
    )
    assert listing is not None
    assert reading is not None
    assert update is not None
    assert (listing.read_only_hint, reading.read_only_hint) == (True, True)
    assert (update.read_only_hint, update.destructive_hint, update.idempotent_hint, update.open_world_hint) == (
        False,
        True,
        True,
        True,
    )


async def test_categories_are_listed_with_keys_names_and_subscriber_counts(mcp: Client) -> None:
    result = await call(mcp, "list_subscription_categories")
    categories = data(result)["categories"]
    assert [c["key"] for c in categories] == ["news", "sales", "new-arrivals"]
    assert categories[0]["name"] == "News and articles"
    assert all(c["contacts"] > 0 for c in categories)
    assert text(result).startswith('[sandbox] 3 subscription categories: "news", "sales", "new-arrivals"')


async def test_a_contacts_categories_are_read(mcp: Client, sandbox: Sandbox) -> None:
    _set(sandbox, 100002, ["sales"])  # one category: eSputnik sends a lone object
    result = await call(mcp, "get_contact_subscriptions", {"contact_id": 100002})
    assert data(result)["categories"] == [{"key": "sales", "name": "Sales and promotions"}]
    assert 'receives 1 category: "sales"' in text(result)
    _set(sandbox, 100002, [])
    assert data(await call(mcp, "get_contact_subscriptions", {"contact_id": 100002}))["categories"] == []


async def test_an_unknown_contact_is_reported(mcp: Client) -> None:
    result = await mcp.call_tool("get_contact_subscriptions", {"contact_id": 999_999})
    assert error_text(result) == "contact 999999 not found"


async def test_the_update_replaces_the_categories_and_says_what_changed(mcp: Client, sandbox: Sandbox) -> None:
    _set(sandbox, 100003, ["news", "sales"])
    result = await call(
        mcp, "update_contact_subscriptions", {"contact_id": 100003, "categories": ["sales", "new-arrivals"]}
    )
    assert data(result) == {
        "contact_id": 100003,
        "added": ["new-arrivals"],
        "removed": ["news"],
        "categories": ["sales", "new-arrivals"],
        "sandbox": True,
    }
    assert text(result).partition("\n")[0] == (
        '[sandbox] contact 100003: added "new-arrivals"; removed "news"; now "sales", "new-arrivals"'
    )
    [change] = requests(sandbox, CHANGE)
    assert change.body == {"subscriptions": ["sales", "new-arrivals"]}
    # read before, write, read after
    assert [e.route for e in requests(sandbox) if e.route in (CHANGE, OF_CONTACT)] == [OF_CONTACT, CHANGE, OF_CONTACT]


async def test_an_empty_list_removes_every_category(mcp: Client, sandbox: Sandbox) -> None:
    _set(sandbox, 100003, ["news"])
    result = await call(mcp, "update_contact_subscriptions", {"contact_id": 100003, "categories": []})
    assert (data(result)["added"], data(result)["removed"], data(result)["categories"]) == ([], ["news"], [])


async def test_unknown_keys_are_refused_before_anything_is_written(mcp: Client, sandbox: Sandbox) -> None:
    result = await mcp.call_tool("update_contact_subscriptions", {"contact_id": 100003, "categories": ["newz"]})
    message = error_text(result)
    assert 'no subscription category has the key "newz"' in message
    assert '"news"' in message
    assert requests(sandbox, CHANGE) == []


async def test_an_update_eSputnik_did_not_apply_as_asked_is_an_error(mcp: Client, sandbox: Sandbox) -> None:
    # Were eSputnik to add rather than replace, the categories read back show it.
    _set(sandbox, 100003, ["news"])
    sandbox.faults.add(Fault(route=CHANGE, status=200, body="ok"))  # answered, but nothing changed
    result = await mcp.call_tool("update_contact_subscriptions", {"contact_id": 100003, "categories": ["sales"]})
    assert result.is_error
    assert 'NOT AS ASKED: eSputnik holds "news" rather than "sales"' in text(result)
