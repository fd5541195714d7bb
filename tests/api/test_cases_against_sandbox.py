"""The same request cases, through the real client, against the sandbox: each request the sandbox
receives is exactly the documented one, and the sandbox (which validates as strictly as the
official schemas) accepts it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from esputnik_mcp.api import ESputnikClient, RetryPolicy
from esputnik_mcp.api.models import BulkOptions, ChannelInput, ContactInput, DedupeOn
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Clock, Sandbox
from tests.api.cases import CASES, Ids, build_cases

FROZEN_AT = 1_750_000_000.0


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox("sandbox", db_path=":memory:", clock=Clock(frozen_at=FROZEN_AT))


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[ESputnikClient]:
    async with ESputnikClient(
        "sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport(), retry_policy=RetryPolicy(max_retries=0)
    ) as api:
        yield api


async def demo_ids(sandbox: Sandbox) -> Ids:
    """Real identifiers from the demo account, and one import session (through a client of its own, so
    that the case's client starts with nothing cached)."""
    async with ESputnikClient("sandbox", base_url=SANDBOX_BASE_URL, transport=sandbox.transport()) as client:
        return await _demo_ids(client)


async def _demo_ids(client: ESputnikClient) -> Ids:
    contacts = [c.id for c in (await client.contacts.search(sort_by_id=True, max_rows=3)).items if c.id is not None]
    with_external = await client.contacts.get(contacts[0])  # search results carry no external id
    others = contacts[1:3]
    segments = [g for g in (await client.segments.search()).items if g.type == "Static"]
    email_templates = (await client.templates.search_email()).items
    sms_templates = (await client.templates.search_sms()).items
    fields = [f for book in await client.custom_fields.catalogue() for group in book.field_groups for f in group.fields]
    text_fields = [
        f.id for f in fields if f.description and (f.description.type or "").upper() in ("TEXTFIELD", "TEXTAREA")
    ]
    imported = await client.contacts.bulk_update(
        [ContactInput(channels=[ChannelInput(type="email", value="imported@example.com")])],
        BulkOptions(dedupe_on=DedupeOn.EMAIL),
    )
    assert with_external.id is not None
    assert with_external.external_customer_id is not None
    assert imported.async_session_id is not None
    return Ids(
        contact=with_external.id,
        other_contacts=(others[0], others[1]),
        segment=segments[0].id,
        email_template=email_templates[0].id,
        sms_template=sms_templates[0].id,
        import_session=imported.async_session_id,
        external_id=with_external.external_customer_id,
        text_field=text_fields[0],
        other_field=text_fields[1],
    )


@pytest.mark.anyio
@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.id for c in CASES])
async def test_case_is_accepted_by_the_sandbox_exactly_as_documented(
    index: int, client: ESputnikClient, sandbox: Sandbox
) -> None:
    case = build_cases(await demo_ids(sandbox))[index]
    sandbox.journal.clear()
    await case.call(client)
    if case.then:  # a call of several requests: exactly these, in this order
        entries = sandbox.journal.entries
        assert [(e.method, e.path, e.query, e.body) for e in entries] == [
            (r.method, r.path, r.query, r.body) for r in case.requests
        ]
    else:
        sent = [e for e in sandbox.journal.entries if e.method == case.method and e.path == case.path]
        assert sent, f"no {case.method} {case.path} reached the sandbox"
        entries = [sent[-1]]
        assert entries[0].query == case.query
        assert entries[0].body == case.body
    for entry in entries:
        assert entry.status is not None
        assert 200 <= entry.status < 300, entry.response_body
