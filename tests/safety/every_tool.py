"""One plausible call of every tool against the demo account, for tests that must cover them all."""

from __future__ import annotations

from typing import Any

from esputnik_mcp.api import ESputnikClient

Call = tuple[str, dict[str, Any]]


async def every_tool_call(api: ESputnikClient) -> list[Call]:
    ids = [c.id for c in (await api.contacts.search(sort_by_id=True, max_rows=3)).items]
    first = await api.contacts.get(ids[0])  # type: ignore[arg-type]
    segment = next(g.id for g in (await api.segments.search()).items if g.type == "Static")
    template = (await api.templates.search_email()).items[0].id
    email = first.channel_values("email")[0]
    return [
        ("search_contacts", {"first_name": first.first_name, "limit": 5}),
        ("get_contact", {"contact_id": ids[0]}),
        ("upsert_contact", {"email": "nova.person@example.com", "first_name": "Nova", "last_name": "Person"}),
        ("bulk_upsert_contacts", {"contacts": [{"email": "bulk.one@example.com"}], "dedupe_on": "email"}),
        ("delete_contact", {"contact_id": ids[2]}),
        ("subscribe_contact", {"email": "subscriber@example.com", "first_name": "Ann"}),
        ("get_import_status", {"session_id": "no-such-session"}),
        ("list_custom_fields", {}),
        ("list_segments", {"limit": 5}),
        ("get_segment_contacts", {"segment_id": segment, "limit": 5}),
        ("update_segment_membership", {"segment_id": segment, "action": "attach", "contact_ids": [ids[1]]}),
        ("send_email", {"to": email, "subject": "Spring sale", "html": "<p>Hello</p>"}),
        ("send_sms", {"phone": "+380501234567", "text": "Your code is 1234"}),
        (
            "send_prepared_message",
            {"message_id": template, "channel": "email", "recipients": [{"locator": email, "params": {"n": 1}}]},
        ),
        ("get_message_status", {"request_ids": ["00000000-0000-0000-0000-000000000000"]}),
        ("list_message_templates", {"channel": "email", "limit": 5}),
        ("manage_unsubscribes", {"action": "unsubscribe", "emails": ["leaving@example.com"]}),
        ("generate_event", {"event_type_key": "cartAbandoned", "params": {"email": email, "cartTotal": 59.9}}),
        (
            "add_orders",
            {
                "orders": [
                    {
                        "external_order_id": "ORD-canary-1",
                        "email": email,
                        "total_cost": 59.9,
                        "status": "ABANDONED_SHOPPING_CART",
                        "date": "2025-06-15T10:00:00+03:00",
                        "currency": "UAH",
                    }
                ]
            },
        ),
        ("delete_orders", {"external_order_ids": ["ORD-canary-1"]}),
        ("get_account_info", {}),
        ("get_audit_log", {"limit": 5}),
    ]
