"""The demo account: deterministic, realistic, valid by the sandbox's own rules, quick to load;
and the sandbox's database: a file that survives restarts, or memory, and a reset."""

import time
import unicodedata
from pathlib import Path

import httpx2 as httpx
import pytest
from sandbox_support import KEY, T0

from esputnik_mcp.sandbox import SANDBOX_BASE_URL, Clock, Sandbox, default_db_path, demo
from esputnik_mcp.sandbox.domain import catalogue
from esputnik_mcp.sandbox.rules import email_ok, name_problem, normal_phone

pytestmark = pytest.mark.anyio


def test_the_same_seed_and_time_give_the_same_data() -> None:
    first, second = demo.generate(7, T0, contacts=300), demo.generate(7, T0, contacts=300)
    assert first == second
    assert demo.generate(8, T0, contacts=300) != first
    shifted = demo.generate(7, T0 + 3600, contacts=300)
    assert [row[:9] for row in shifted.contacts] == [row[:9] for row in first.contacts]


def test_two_fresh_sandboxes_hold_identical_data() -> None:
    tables = ("contacts", "channels", "field_values", "members", "orders", "events", "templates", "segments")
    dumps = []
    for offset in (0.25, 0.5):  # distinct frozen times: both are built, not copied
        sandbox = Sandbox(KEY, db_path=":memory:", clock=Clock(frozen_at=T0 + offset), demo_contacts=300)
        conn = sandbox.state.conn
        dumps.append(
            {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()[:50] for t in tables}  # noqa: S608
        )
    for table in ("contacts", "channels", "field_values", "templates", "segments"):
        assert [tuple(r)[:5] for r in dumps[0][table]] == [tuple(r)[:5] for r in dumps[1][table]], table


def _scripts(names: list[str]) -> set[str]:
    found = set()
    for name in names:
        for char in name:
            if char.isalpha():
                found.add(unicodedata.name(char).split()[0])
    return found


def test_contacts_have_names_in_several_alphabets_that_follow_the_name_rules(sandbox: Sandbox) -> None:
    rows = sandbox.state.conn.execute(
        "SELECT first_name, last_name, language_code, time_zone FROM contacts"
    ).fetchall()
    assert len(rows) == demo.DEMO_CONTACTS >= 2000
    names = [r[0] for r in rows] + [r[1] for r in rows]
    assert all(name_problem(n) is None for n in names)
    assert {"LATIN", "CYRILLIC", "GREEK"} <= _scripts(names)
    assert any(c in "".join(names) for c in "ąęłńśźżäöüßéñ")
    assert {r[2] for r in rows} >= {"uk", "en", "pl", "de", "el"}
    assert len({r[3] for r in rows}) >= 5


def test_channels_are_valid_emails_and_e164_phones(sandbox: Sandbox) -> None:
    channels = sandbox.state.conn.execute("SELECT type, value FROM channels").fetchall()
    emails = [v for t, v in channels if t == "email"]
    phones = [v for t, v in channels if t == "sms"]
    assert len(emails) > 2000
    assert len(phones) > 1500
    assert all(email_ok(e) for e in emails)
    assert len(set(emails)) == len(emails)
    assert all(p.startswith("+") and normal_phone(p) == p[1:] for p in phones)
    domains = {e.rsplit("@", 1)[1] for e in emails}
    assert all(d.endswith(".example") or d.startswith("example.") for d in domains)
    assert any("bounce" in e for e in emails)


def test_custom_field_values_fit_the_catalogue(sandbox: Sandbox) -> None:
    fields = catalogue.fields(sandbox.state)
    assert {f.type for f in fields.values()} >= {
        "TEXTFIELD",
        "COMBOBOX",
        "DATE",
        "NUMBER",
        "DECIMAL",
        "CHECKBOXLIST",
    }
    values = sandbox.state.conn.execute("SELECT field_id, value FROM field_values").fetchall()
    assert len(values) > 5000
    assert all(catalogue.value_problem(fields[f], v) is None for f, v in values)


async def test_the_demo_account_is_worth_exploring(http: httpx.AsyncClient, sandbox: Sandbox) -> None:
    balance = (await http.get("/v1/balance")).json()
    assert (balance["currency"], balance["currentBalance"], balance["creditLimit"]) == ("UAH", 1250.0, 200.0)
    assert balance["bonusEmails"] > 0
    assert balance["bonusSmses"] > 0
    groups = (await http.get("/v1/groups")).json()
    assert sum(g["type"] == "Static" for g in groups) >= 5
    assert sum(g["type"] == "Dynamic" for g in groups) >= 4
    with_external_id = await http.get("/v1/contacts", params={"externalCustomerId": "CUST-200000"})
    assert len(with_external_id.json()) == 1
    cart = (await http.get("/v1/messages/email", params={"search": "abandoned"})).json()
    assert "$!data.get('cartTotal')" in cart[0]["htmlText"]
    sms = (await http.get("/v1/messages/sms")).json()
    assert any("$!data.get(" in t["text"] for t in sms)
    assert any("${firstName}" in t["text"] or "$!{firstName}" in t["text"] for t in sms)
    assert len(sandbox.events("orderDELIVERED")) > 500
    assert len(sandbox.events("pageViewed")) > 100


def test_loading_the_demo_account_takes_well_under_a_second_or_two() -> None:
    # A generous bound against slow CI machines; bench/sandbox_demo_load.py measures precisely.
    started = time.perf_counter()
    Sandbox(KEY, db_path=":memory:")  # real clock: built, never copied from a snapshot
    assert time.perf_counter() - started < 2.0


def test_a_sandbox_file_survives_a_restart_and_reset_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "sandbox.sqlite3"
    first = Sandbox(KEY, db_path=path, demo=False, clock=Clock(frozen_at=T0))
    with first.state.write() as conn:
        conn.execute("UPDATE account SET organisation_name = 'Kept'")
    first.close()
    again = Sandbox(KEY, db_path=path, clock=Clock(frozen_at=T0))
    assert again.state.conn.execute("SELECT organisation_name FROM account").fetchone()[0] == "Kept"
    again.close()
    fresh = Sandbox(KEY, db_path=path, reset=True, clock=Clock(frozen_at=T0 + 1), demo_contacts=200)
    assert fresh.state.conn.execute("SELECT organisation_name FROM account").fetchone()[0] != "Kept"
    assert fresh.state.conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 200
    fresh.close()


def test_the_default_database_lives_in_the_user_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESPUTNIK_DATA_DIR", str(tmp_path))
    assert default_db_path() == tmp_path / "sandbox.sqlite3"
    sandbox = Sandbox(KEY, demo=False)
    assert (tmp_path / "sandbox.sqlite3").exists()
    sandbox.close()


async def test_a_bare_sandbox_has_an_account_and_nothing_else(bare: Sandbox) -> None:
    async with httpx.AsyncClient(
        transport=bare.transport(), base_url=SANDBOX_BASE_URL, auth=("u", KEY)
    ) as http:
        assert (await http.get("/v1/contacts")).json() == []
        assert (await http.get("/v1/groups")).json() == []
        assert (await http.get("/v1/addressbooks")).json() == {"addressBook": []}
        assert (await http.get("/v1/account/info")).json()["organisationName"] == "Sandbox organisation"
