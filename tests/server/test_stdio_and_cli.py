"""The installed command: stdio with the SDK's own client in a subprocess, and the CLI commands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

COMMAND = shutil.which("esputnik-mcp") or str(Path(sys.executable).with_name("esputnik-mcp"))


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment without any ESPUTNIK_ setting, the data directory inside tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPUTNIK_")}
    env["ESPUTNIK_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [COMMAND, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(tmp_path, **env),
        timeout=60,
        check=False,
    )


@pytest.mark.anyio
@pytest.mark.parametrize(("mode", "protocol"), [("legacy", "2025-11-25"), ("auto", "2026-07-28")])
async def test_stdio_subprocess_serves_the_sandbox_to_the_sdk_client(tmp_path: Path, mode: str, protocol: str) -> None:
    params = StdioServerParameters(
        command=COMMAND, args=[], env=clean_env(tmp_path, ESPUTNIK_SANDBOX_DB=":memory:"), cwd=tmp_path
    )
    with (tmp_path / "stderr.log").open("w") as errlog:
        from mcp.client.stdio import stdio_client

        async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:
            assert client.protocol_version == protocol
            tools = await client.list_tools()
            assert "search_contacts" in [t.name for t in tools.tools]
            assert client.instructions is not None
            assert "SANDBOX" in client.instructions
            result = await client.call_tool("search_contacts", {"limit": 2})
            assert not result.is_error
            assert result.structured_content is not None
            assert len(result.structured_content["contacts"]) == 2
    log = (tmp_path / "stderr.log").read_text()
    assert "ESPUTNIK_API_KEY is not set" in log


def test_tools_command_lists_every_tool_with_annotations(tmp_path: Path) -> None:
    from esputnik_mcp.tools import tool_names

    done = run_cli(tmp_path, "tools")
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines()]
    assert listed == tool_names()
    assert "read-only" in done.stdout
    as_json = run_cli(tmp_path, "tools", "--json")
    assert [t["name"] for t in json.loads(as_json.stdout)] == tool_names()


def test_call_command_runs_a_tool_on_the_sandbox(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "call", "get_account_info", "{}", ESPUTNIK_SANDBOX_DB=":memory:")
    assert done.returncode == 0, done.stderr
    summary, _, body = done.stdout.strip().partition("\n")
    assert summary.startswith("[sandbox]")
    assert json.loads(body)["sandbox"] is True


def test_call_command_reports_a_tool_error_with_exit_status(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "call", "search_contacts", '{"email": "not-an-email"}', ESPUTNIK_SANDBOX_DB=":memory:")
    assert done.returncode == 1
    assert "not a valid email address" in done.stdout
    bad = run_cli(tmp_path, "call", "search_contacts", "{oops", ESPUTNIK_SANDBOX_DB=":memory:")
    assert bad.returncode == 2
    assert "not valid JSON" in bad.stderr


def test_doctor_on_the_sandbox_prints_organisation_and_balance(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "doctor", ESPUTNIK_SANDBOX_DB=":memory:")
    assert done.returncode == 0, done.stderr
    assert "backend: sandbox" in done.stdout
    assert "organisation:" in done.stdout
    assert "balance:" in done.stdout


def test_doctor_with_an_unreachable_host_says_why(tmp_path: Path) -> None:
    done = run_cli(
        tmp_path,
        "doctor",
        ESPUTNIK_API_KEY="some-key",
        ESPUTNIK_BASE_URL="http://127.0.0.1:9/api",
        ESPUTNIK_MAX_RETRIES="0",
    )
    assert done.returncode == 1
    assert "could not connect" in done.stdout
    assert "some-key" not in done.stdout + done.stderr


def test_invalid_setting_is_named(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "doctor", ESPUTNIK_MAX_RETRIES="many")
    assert done.returncode == 2
    assert "ESPUTNIK_MAX_RETRIES" in done.stderr


def test_a_newcomer_can_send_on_the_sandbox_without_sender_settings(tmp_path: Path) -> None:
    send = '{"to": "olena@example.com", "subject": "Spring sale", "html": "<p>Hello</p>"}'
    preview = run_cli(tmp_path, "call", "send_email", send)
    assert preview.returncode == 1
    assert "NOT DONE YET" in preview.stdout
    token = preview.stdout.split('confirmation_token="')[1].split('"')[0]
    confirmed = send[:-1] + f', "confirmation_token": "{token}"}}'
    sent = run_cli(tmp_path, "call", "send_email", confirmed)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "1 queued" in sent.stdout
    again = run_cli(tmp_path, "call", "send_email", send)
    assert again.returncode == 1
    assert "within the last 24 h" in again.stdout
    audit = run_cli(tmp_path, "audit")
    assert audit.returncode == 0
    lines = audit.stdout.splitlines()
    assert [line.split()[2] for line in lines] == ["ok", "refused", "refused"]  # the send, then counted refusals
    assert sorted(line.split()[3] for line in lines[1:]) == ["guard=confirmation", "guard=duplicate"]
    assert "olena@example.com" not in audit.stdout  # masked
