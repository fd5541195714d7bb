"""Sends: results per recipient, status progression, unsubscribes, billing, smartsend rules."""

import json
from typing import Any

import httpx2 as httpx
import pytest
from sandbox_support import KEY

from esputnik_mcp.api import ESputnikClient, NotFoundError
from esputnik_mcp.api.messages import recipient
from esputnik_mcp.api.models import EmailInput, SmsInput
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Sandbox

pytestmark = pytest.mark.anyio

ABANDONED_CART, WELCOME, VERIFICATION_SMS = 3002, 3001, 4001


def _email(*to: str, subject: str = "Hello ${firstName}") -> EmailInput:
    return EmailInput.model_validate(
        {"from": '"Shop" <shop@example.com>', "subject": subject, "htmlText": "<p>Hi</p>", "emails": list(to)}
    )


def _sms(*to: str, text: str = "Hi") -> SmsInput:
    return SmsInput.model_validate({"from": "Shop", "text": text, "phoneNumbers": list(to)})


async def _status(http: httpx.AsyncClient, request_id: str) -> dict[str, Any]:
    answer = (await http.get("/v1/message/status", params={"ids": request_id})).json()
    assert isinstance(answer, list)
    result: dict[str, Any] = answer[0]["results"]
    return result


async def test_results_are_an_object_for_one_recipient_and_an_array_for_more(http: httpx.AsyncClient) -> None:
    email = {"from": "shop@example.com", "subject": "S", "htmlText": "<p>x</p>"}
    one = (await http.post("/v1/message/email", json={**email, "emails": ["one@example.com"]})).json()
    assert isinstance(one["results"], dict)
    assert one["results"]["status"] == "OK"
    assert one["results"]["locator"] == "one@example.com"
    two = (
        await http.post("/v1/message/email", json={**email, "emails": ["a@example.com", "b@example.com"]})
    ).json()
    assert isinstance(two["results"], list)
    request_ids = [r["requestId"] for r in two["results"]]
    assert len(set(request_ids)) == 2
    assert all(len(i) == 36 and i.count("-") == 4 for i in request_ids)


async def test_email_status_moves_from_queue_to_delivered_to_read(
    client: ESputnikClient, http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    [ok, bounced] = await client.messages.send_email(_email("reader@example.com", "bounce.me@example.com"))
    assert (await _status(http, ok.request_id or ""))["status"] == "IN_QUEUE"
    sandbox.clock.advance(5)
    statuses = await client.messages.status([ok.request_id or "", bounced.request_id or ""])
    assert [(s.status, s.delivered, s.failed) for s in statuses] == [
        ("DELIVERED", True, False),
        ("UNDELIVERED", False, True),
    ]
    sandbox.clock.advance(60)
    assert (await _status(http, ok.request_id or ""))["status"] == "READ"


async def test_sms_status_moves_from_queue_to_pending_to_delivered(
    client: ESputnikClient, sandbox: Sandbox
) -> None:
    [ok, failing] = await client.messages.send_sms(_sms("+380671234567", "+380671230000"))
    ids = [ok.request_id or "", failing.request_id or ""]
    seen = []
    for step in (0, 2, 8):
        sandbox.clock.advance(step)
        seen.append([s.status for s in await client.messages.status(ids)])
    assert seen == [
        ["IN_QUEUE", "IN_QUEUE"],
        ["PENDING", "PENDING"],
        ["DELIVERED", "SMS_UNDELIVERED_STATE"],
    ]
    assert [s.failed for s in await client.messages.status(ids)] == [False, True]


async def test_status_answers_an_array_of_results_and_skips_unknown_ids(http: httpx.AsyncClient) -> None:
    sent = (
        await http.post(
            "/v1/message/sms",
            json={"from": "Shop", "text": "x", "phoneNumbers": ["+380501112233", "+380501112244"]},
        )
    ).json()["results"]
    ids = ",".join(r["requestId"] for r in sent) + ",unknown-id"
    answer = (await http.get("/v1/message/status", params={"ids": ids})).json()
    assert len(answer) == 1
    assert [r["requestId"] for r in answer[0]["results"]] == [r["requestId"] for r in sent]
    assert set(answer[0]["results"][0]) == {"requestId", "status", "delivered", "failed"}


async def test_unsubscribed_addresses_get_an_error_result_not_a_send(
    client: ESputnikClient, sandbox: Sandbox
) -> None:
    await client.unsubscribes.add(["Quiet@Example.com"])
    results = await client.messages.send_email(_email("quiet@example.com", "loud@example.com"))
    assert [r.status for r in results] == ["ERROR", "OK"]
    assert results[0].request_id is None
    assert "unsubscribed" in (results[0].message or "")
    assert [m["locator"] for m in sandbox.sent_messages()] == ["loud@example.com"]
    smart = await client.messages.smartsend(WELCOME, [recipient(locator="quiet@example.com")], email=True)
    assert smart[0].status == "ERROR"
    await client.unsubscribes.remove(["quiet@example.com"])
    assert (await client.messages.send_email(_email("quiet@example.com")))[0].ok


async def test_one_off_sends_to_unknown_addresses_create_contacts(client: ESputnikClient) -> None:
    assert (await client.contacts.search(email="stranger@example.com")).total == 0
    await client.messages.send_email(_email("stranger@example.com"))
    assert (await client.contacts.search(email="stranger@example.com")).total == 1
    await client.messages.send_sms(_sms("+48 600 100 200"))
    assert (await client.contacts.search(phone="48600100200")).total == 1


async def test_sends_cost_bonus_first_then_balance(client: ESputnikClient, sandbox: Sandbox) -> None:
    start = await client.account.balance()
    assert (start.bonus_emails, start.bonus_smses, start.current_balance) == (500, 20, 1250.0)
    await client.messages.send_email(_email("pay1@example.com", "pay2@example.com"))
    after_email = await client.account.balance()
    assert (after_email.bonus_emails, after_email.current_balance) == (498, 1250.0)
    with sandbox.state.write() as conn:
        conn.execute("UPDATE account SET bonus_emails = 0, bonus_smses = 0")
    await client.messages.send_email(_email("pay3@example.com"))
    await client.messages.send_sms(_sms("+380501234567", text="x" * 200))  # two GSM parts
    await client.messages.send_sms(_sms("+380501234568", text="Привіт" * 12))  # 72 UCS-2 chars: two parts
    final = await client.account.balance()
    assert final.current_balance == pytest.approx(1250.0 - 0.02 - 4 * 0.45)
    assert [m["parts"] for m in sandbox.sent_messages()[-2:]] == [2, 2]


async def test_no_money_once_balance_and_credit_are_spent(bare: Sandbox) -> None:
    async with httpx.AsyncClient(
        transport=bare.transport(), base_url=SANDBOX_BASE_URL, auth=("u", KEY)
    ) as http:
        numbers = [f"+3805012{n:05d}" for n in range(1, 231)]
        sent = (
            await http.post("/v1/message/sms", json={"from": "S", "text": "x", "phoneNumbers": numbers})
        ).json()
        ids = [r["requestId"] for r in sent["results"]]
        assert all(r["status"] == "OK" for r in sent["results"])
        statuses = (await http.get("/v1/message/status", params={"ids": ",".join(ids)})).json()[0]["results"]
        no_money = [s for s in statuses if s["status"] == "NO_MONEY"]
        assert len(no_money) == 230 - 222  # 100.00 UAH buys 222 parts at 0.45
        assert all(s["failed"] for s in no_money)
        balance = (await http.get("/v1/balance")).json()
        assert balance["currentBalance"] == pytest.approx(100 - 222 * 0.45)


async def test_sms_to_a_segment_reaches_its_members_with_phones(
    client: ESputnikClient, sandbox: Sandbox
) -> None:
    await client.segments.detach(2005, [c.id or 0 for c in (await client.segments.contacts(2005)).items])
    await client.segments.attach(2005, [100001, 100002, 100003])
    phones = []
    for contact_id in (100001, 100002, 100003):
        phones += (await client.contacts.get(contact_id)).channel_values("sms")
    results = await client.messages.send_sms(
        SmsInput.model_validate({"from": "Shop", "text": "Sale!", "groupId": 2005})
    )
    assert sorted(r.locator or "" for r in results) == sorted(phones)


async def test_smartsend_renders_the_template_with_each_recipients_params(
    client: ESputnikClient, sandbox: Sandbox
) -> None:
    params = {
        "cartTotal": 1549.5,
        "currency": "UAH",
        "itemsCount": 3,
        "cartUrl": "https://lumen-home.example/cart",
    }
    results = await client.messages.smartsend(
        ABANDONED_CART,
        [
            recipient(external_customer_id="CUST-200000", params=params, external_request_id="cart-1"),
            recipient(contact_id=100002, params=params, language_code="uk"),
        ],
        email=True,
        from_name="Lumen Team",
    )
    assert [r.status for r in results] == ["OK", "OK"]
    english, ukrainian = sandbox.sent_messages()
    assert english["subject"] == "You left 3 items in your cart"
    assert "1549.5 UAH" in english["content"]
    assert 'href="https://lumen-home.example/cart"' in english["content"]
    assert "Hi Żaneta" in english["content"]
    assert english["from"] == '"Lumen Team" <news@lumen-home.example>'
    assert english["externalRequestId"] == "cart-1"
    assert ukrainian["subject"].startswith("У вашому кошику 3")
    assert ukrainian["languageCode"] == "uk"


async def test_smartsend_sms_uses_the_sms_message(client: ESputnikClient, sandbox: Sandbox) -> None:
    results = await client.messages.smartsend(
        VERIFICATION_SMS, [recipient(locator="+380501234567", params={"code": "482913"})], email=False
    )
    assert results[0].ok
    assert sandbox.sent_messages()[-1]["content"].startswith("Lumen Home: your code is 482913.")
    with pytest.raises(NotFoundError):
        await client.messages.smartsend(VERIFICATION_SMS, [recipient(locator="a@example.com")], email=True)


async def test_smartsend_errors_per_recipient(client: ESputnikClient) -> None:
    results = await client.messages.smartsend(
        WELCOME,
        [
            recipient(contact_id=1),
            recipient(external_customer_id="NOBODY"),
            recipient(locator="not-an-email"),
        ],
        email=True,
    )
    assert [r.status for r in results] == ["ERROR", "ERROR", "ERROR"]
    assert all(r.message for r in results)


async def test_smartsend_request_rules(http: httpx.AsyncClient) -> None:
    url = f"/v1/message/{WELCOME}/smartsend"
    too_many = [{"locator": f"r{n}@example.com"} for n in range(1001)]
    cases: list[tuple[Any, int, str]] = [
        ({"email": True, "recipients": too_many}, 400, "1000"),
        (
            {"email": True, "recipients": [{"locator": "a@example.com", "contactId": 100001}]},
            400,
            "exactly one",
        ),
        ({"email": True, "recipients": [{"jsonParam": "{}"}]}, 400, "exactly one"),
        (
            {"email": True, "recipients": [{"locator": "a@example.com", "jsonParam": "{nope"}]},
            400,
            "not valid JSON",
        ),
        (
            {"email": True, "recipients": [{"locator": "a@example.com"}, {"locator": "a@example.com"}]},
            400,
            "unique",
        ),
        ({"email": True, "recipients": []}, 400, "at least one"),
        (
            {"email": True, "externalRequestId": "x", "recipients": [{"locator": "a@example.com"}]},
            400,
            "unknown",
        ),
    ]
    for body, status, why in cases:
        response = await http.post(url, json=body)
        assert response.status_code == status, body
        assert why in response.text
    ok = await http.post(url, json={"email": True, "recipients": too_many[:1000]})
    assert ok.status_code == 200
    assert len(ok.json()["results"]) == 1000
    unknown = await http.post(
        "/v1/message/424242/smartsend", json={"email": True, "recipients": too_many[:1]}
    )
    assert unknown.status_code == 404


async def test_templates_are_searchable_by_name_part_or_tag(
    client: ESputnikClient, http: httpx.AsyncClient
) -> None:
    by_name = await client.templates.search_email(search="CART")
    assert [t.id for t in by_name.items] == [ABANDONED_CART]
    assert "$!data.get('cartTotal')" in (by_name.items[0].html_text or "")
    by_tag = await client.templates.search_email(search="transactional")
    assert {t.name for t in by_tag.items} == {"Order confirmation", "Password reset"}
    sms = await http.get("/v1/messages/sms", params={"maxrows": 2})
    assert sms.headers["TotalCount"] == "4"
    assert len(sms.json()) == 2
    assert json.loads(sms.text)[0]["from"] == "LumenHome"
