"""The request journal and the fault plan (status, delay, garbage, drop), from Python and admin."""

import base64

import httpx2 as httpx
import pytest
from sandbox_support import KEY, T0

from esputnik_mcp.api import (
    AmbiguousOutcomeError,
    APITimeoutError,
    ESputnikClient,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    Timeouts,
)
from esputnik_mcp.api.models import EmailInput
from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Clock, Fault, Sandbox

pytestmark = pytest.mark.anyio

EMAIL = {"from": "shop@example.com", "subject": "Hi", "htmlText": "<p>Hi</p>", "emails": ["j@example.com"]}


def _email() -> EmailInput:
    return EmailInput.model_validate(EMAIL)


async def test_the_journal_records_requests_and_answers(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.clock.advance(7)
    await http.get("/v1/contacts", params={"email": "zaneta.zielinski0@example.com", "maxrows": "5"})
    await http.post("/v1/message/email", json=EMAIL)
    await http.put("/v1/contact/100001", content=b"plain words", headers={"Content-Type": "text/plain"})
    search, send, refused = sandbox.journal.entries
    assert (search.method, search.path, search.route) == ("GET", "/v1/contacts", "GET /v1/contacts")
    assert search.query == {"email": "zaneta.zielinski0@example.com", "maxrows": "5"}
    assert search.status == 200
    assert search.time == T0 + 7
    assert '"id":100001' in search.response_body
    assert send.body == EMAIL
    assert send.route == "POST /v1/message/email"
    assert '"status":"OK"' in send.response_body
    assert (refused.status, refused.body, refused.route) == (415, "plain words", "PUT /v1/contact/{id}")
    assert sandbox.journal.for_route("POST /v1/message/email") == [send]
    sandbox.journal.clear()
    assert sandbox.journal.entries == []


async def test_the_journal_never_keeps_the_api_key(sandbox: Sandbox) -> None:
    token = base64.b64encode(f"user:{KEY}".encode()).decode()
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=SANDBOX_BASE_URL) as http:
        await http.get("/v1/balance", headers={"Authorization": f"Basic {token}"})
        await http.get("/v1/balance", headers={"Authorization": "Basic d3Jvbmc6a2V5"})
    dumped = repr(sandbox.journal.entries) + repr([e.as_dict() for e in sandbox.journal.entries])
    assert KEY not in dumped
    assert token not in dumped
    assert [e.status for e in sandbox.journal.entries] == [200, 401]


async def test_a_status_fault_answers_instead_of_processing(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.faults.add(
        Fault(
            route="POST /v1/message/email",
            times=2,
            status=503,
            body="maintenance",
            headers={"Retry-After": "7"},
        )
    )
    for _ in range(2):
        response = await http.post("/v1/message/email", json=EMAIL)
        assert response.status_code == 503
        assert response.text == "maintenance"
        assert response.headers["Retry-After"] == "7"
    assert sandbox.sent_messages() == []
    assert sandbox.faults.pending == []
    assert (await http.post("/v1/message/email", json=EMAIL)).status_code == 200
    assert [e.fault for e in sandbox.journal.entries] == [
        "POST /v1/message/email: status 503",
        "POST /v1/message/email: status 503",
        None,
    ]


async def test_faults_match_route_templates_and_methods(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route="GET /v1/contact/{id}", times=None, status=500))
    assert (await http.get("/v1/contact/100001")).status_code == 500
    assert (await http.get("/v1/contact/100002")).status_code == 500
    update = await http.put(
        "/v1/contact/100001", json={"channels": [{"type": "sms", "value": "+380501234567"}]}
    )
    assert update.status_code == 200
    assert len(sandbox.faults.pending) == 1
    sandbox.faults.clear()
    assert (await http.get("/v1/contact/100001")).status_code == 200


async def test_the_client_sees_a_server_error_fault(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route="GET /v1/balance", times=1, status=502))
    async with ESputnikClient(
        KEY, base_url=SANDBOX_BASE_URL, transport=sandbox.transport(), retry_policy=RetryPolicy(max_retries=0)
    ) as client:
        with pytest.raises(ServerError):
            await client.account.balance()
        assert (await client.account.balance()).currency == "UAH"


async def test_a_delay_fault_makes_the_client_time_out_before_anything_happens(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route="POST /v1/message/email", delay=30))
    sandbox.faults.add(Fault(route="GET /v1/balance", delay=30))
    async with ESputnikClient(
        KEY,
        base_url=SANDBOX_BASE_URL,
        transport=sandbox.transport(),
        timeouts=Timeouts(deadline=0.2),
        retry_policy=RetryPolicy(max_retries=0),
    ) as client:
        with pytest.raises(AmbiguousOutcomeError, match="no answer arrived in time"):
            await client.messages.send_email(_email())
        with pytest.raises(APITimeoutError):
            await client.account.balance()
    assert sandbox.sent_messages() == []  # the delay came first: nothing was processed
    send, read = sandbox.journal.entries
    assert (send.status, read.status) == (None, None)
    assert send.fault == "POST /v1/message/email: delay of 30 s"


async def test_a_short_delay_then_a_normal_answer(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault(route="GET /v1/balance", delay=0.001))
    response = await http.get("/v1/balance")
    assert response.status_code == 200
    assert response.json()["currency"] == "UAH"


async def test_a_garbage_fault_processes_then_answers_invalid_json(
    http: httpx.AsyncClient, sandbox: Sandbox, client: ESputnikClient
) -> None:
    sandbox.faults.add(Fault(route="POST /v1/message/email", garbage=True))
    with pytest.raises(AmbiguousOutcomeError, match="probably processed"):
        await client.messages.send_email(_email())
    assert len(sandbox.sent_messages()) == 1
    sandbox.faults.add(Fault(route="GET /v1/balance", garbage=True))
    raw = await http.get("/v1/balance")
    assert raw.status_code == 200
    with pytest.raises(ValueError):  # noqa: PT011 -- any JSON decoding error
        raw.json()
    sandbox.faults.add(Fault(route="GET /v1/balance", garbage=True))
    with pytest.raises(ResponseDecodeError):
        await client.account.balance()


async def test_a_dropped_response_changes_state_but_the_caller_gets_a_transport_error(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.faults.add(Fault(route="POST /v1/contact", drop=True))
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/v1/contact", json={"channels": [{"type": "email", "value": "dropped@example.com"}]})
    found = await http.get("/v1/contacts", params={"email": "dropped@example.com"})
    assert len(found.json()) == 1
    entry = sandbox.journal.for_route("POST /v1/contact")[0]
    assert entry.dropped is True
    assert entry.status == 200
    assert '"id"' in entry.response_body


async def test_a_dropped_send_is_an_ambiguous_outcome_for_the_client(
    client: ESputnikClient, sandbox: Sandbox
) -> None:
    sandbox.faults.add(Fault(route="POST /v1/message/email", drop=True))
    with pytest.raises(AmbiguousOutcomeError, match="may have been processed"):
        await client.messages.send_email(_email())
    assert [m["locator"] for m in sandbox.sent_messages()] == ["j@example.com"]


def test_faults_are_checked_when_made() -> None:
    for bad in (
        {"route": "/v1/contact", "status": 500},
        {"route": "post /v1/contact", "status": 500},
        {"route": "POST /v1/contact"},
        {"route": "POST /v1/contact", "status": 99},
        {"route": "POST /v1/contact", "status": 500, "drop": True},
        {"route": "POST /v1/contact", "garbage": True, "drop": True},
        {"route": "POST /v1/contact", "drop": True, "times": 0},
        {"route": "POST /v1/contact", "delay": -1},
    ):
        with pytest.raises(ValueError):  # noqa: PT011 -- each is a different message
            Fault(**bad)  # type: ignore[arg-type]


async def test_admin_routes_are_off_by_default(http: httpx.AsyncClient) -> None:
    for path in ("/_sandbox/journal", "/_sandbox/faults", "/_sandbox/clock"):
        response = await http.get(f"http://sandbox.invalid{path}")
        assert response.status_code == 404


@pytest.fixture
def admin_sandbox() -> Sandbox:
    return Sandbox(KEY, db_path=":memory:", admin=True, clock=Clock(frozen_at=T0))


async def test_admin_routes_drive_journal_faults_clock_and_reset(admin_sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(
        transport=admin_sandbox.transport(), base_url="http://sandbox.invalid", auth=("admin", KEY)
    ) as http:
        assert (await http.get("/_sandbox/journal", auth=("admin", "wrong"))).status_code == 401
        await http.get("/api/v1/balance")
        journal = (await http.get("/_sandbox/journal")).json()
        assert [(e["method"], e["path"], e["status"]) for e in journal] == [("GET", "/v1/balance", 200)]

        added = await http.post(
            "/_sandbox/faults", json={"route": "GET /v1/balance", "status": 429, "times": 1}
        )
        assert added.json()["status"] == 429
        assert len((await http.get("/_sandbox/faults")).json()) == 1
        assert (await http.get("/api/v1/balance")).status_code == 429
        assert (await http.post("/_sandbox/faults", json={"route": "nonsense"})).status_code == 400

        await http.post("/api/v1/message/email", json=EMAIL)
        assert len((await http.get("/_sandbox/messages")).json()) == 1
        await http.delete("/_sandbox/journal")
        assert (await http.get("/_sandbox/journal")).json() == []

        assert (await http.post("/_sandbox/reset", json={"demo": False})).status_code == 200
        assert (await http.get("/api/v1/contacts")).json() == []
        assert (await http.get("/_sandbox/messages")).json() == []
        await http.post("/_sandbox/reset", json={})
        assert (await http.get("/api/v1/contacts", params={"maxrows": 1})).headers["TotalCount"] == "0"
        await http.post("/_sandbox/reset", json={"demo": True})
        assert (await http.get("/api/v1/contacts", params={"maxrows": 1})).headers["TotalCount"] == "3000"

        moved = (await http.post("/_sandbox/clock", json={"advance": 90})).json()
        assert moved == {"now": T0 + 90, "frozen": True}
        assert admin_sandbox.clock.now() == T0 + 90
        assert (await http.post("/_sandbox/clock", json={"advance": -1})).status_code == 400


async def test_repeating_an_add_whose_answer_was_lost_meets_the_409_guard(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    body = {"channels": [{"type": "email", "value": "lost.answer@example.com"}]}
    sandbox.faults.add(Fault(route="POST /v1/contact", drop=True))
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post("/v1/contact", json=body)
    retry = await http.post("/v1/contact", json=body)
    assert retry.status_code == 409
    assert [(e.status, e.dropped) for e in sandbox.journal.for_route("POST /v1/contact")] == [
        (200, True),
        (409, False),
    ]


async def test_the_journal_keeps_only_the_size_of_a_huge_body(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    emails = [f"someone.with.a.long.address.{n}@example.com" for n in range(30_000)]
    response = await http.post("/v1/emails/unsubscribed/add", json={"emails": emails})
    assert response.status_code == 200
    [entry] = sandbox.journal.entries
    assert isinstance(entry.body, str)
    assert entry.body.endswith("bytes, not kept>")
