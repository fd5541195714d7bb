"""Policy from annotations and the guards that refuse before anything leaves."""

from __future__ import annotations

import pytest

from esputnik_mcp.safety.guards import check_recipients, mask
from esputnik_mcp.safety.policy import PolicyError, ToolPolicy
from esputnik_mcp.tools import catalogue
from esputnik_mcp.toolspec import Audience, SendPlan


def test_read_only_mode_wins_over_every_allowlist() -> None:
    everything = [spec.name for spec in catalogue()]
    policy = ToolPolicy.build(catalogue(), read_only=True, include=everything)
    offered = policy.select(catalogue())
    assert offered
    assert all(spec.read_only for spec in offered)
    assert {s.name for s in offered} == {s.name for s in catalogue() if s.read_only}


def test_exclude_wins_over_include_and_include_replaces_toolsets() -> None:
    names = [spec.name for spec in catalogue()]
    first, second = names[0], names[1]
    policy = ToolPolicy.build(catalogue(), include=[first, second], exclude=[second], toolsets=["account"])
    assert [s.name for s in policy.select(catalogue())] == [first]
    refusal = policy.refusal(next(s for s in catalogue() if s.name == second))
    assert refusal is not None
    assert "ESPUTNIK_EXCLUDE_TOOLS" in refusal


def test_toolsets_select_whole_domains() -> None:
    policy = ToolPolicy.build(catalogue(), toolsets=["account"])
    assert {s.toolset.value for s in policy.select(catalogue())} == {"account"}


def test_unknown_tool_or_toolset_names_fail_with_the_valid_ones() -> None:
    with pytest.raises(PolicyError) as caught:
        ToolPolicy.build(catalogue(), include=["send_emial"], toolsets=["mail"])
    message = str(caught.value)
    assert "send_emial" in message
    assert "mail" in message
    assert "search_contacts" in message  # the valid names are listed
    assert "messaging" in message


def _plan(*recipients: str) -> SendPlan:
    return SendPlan(
        channel="email", audience=Audience(recipients=tuple(recipients)), content="Hello", content_key="h:1"
    )


def test_recipient_cap_refuses_a_mass_send() -> None:
    refusal = check_recipients(_plan(*[f"r{i}@example.com" for i in range(101)]), max_recipients=100, allowed=[])
    assert refusal is not None
    assert refusal.guard == "max_recipients"
    assert check_recipients(_plan("a@example.com"), max_recipients=100, allowed=[]) is None


def test_staging_allowlist_refuses_real_customers() -> None:
    allowed = ["*@example.com", "+38050*"]
    assert check_recipients(_plan("qa@example.com", "+380501112233"), max_recipients=10, allowed=allowed) is None
    refusal = check_recipients(_plan("qa@example.com", "ceo@bigcustomer.com"), max_recipients=10, allowed=allowed)
    assert refusal is not None
    assert refusal.guard == "allowed_recipients"
    assert "bigcustomer.com" in refusal.message
    indirect = check_recipients(_plan("contact:123"), max_recipients=10, allowed=allowed)
    assert indirect is not None
    assert "by address" in indirect.message


def test_masking_keeps_recipients_recognisable_but_not_reusable() -> None:
    assert mask("olena.koval@example.com") == "o***l@example.com"
    assert mask("+380501234567") == "+38050*****67"
    assert "CUST-1001" not in mask("external:CUST-1001")
