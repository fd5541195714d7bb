"""The audit log's fingerprint of a call's arguments: the same for the same arguments whatever the
confirmation token, different when an argument differs, and different between tools."""

from __future__ import annotations

from pydantic import BaseModel

from esputnik_mcp.server.gate import arguments_digest


class Send(BaseModel):
    email: str
    subject: str
    confirmation_token: str | None = None


def test_equal_arguments_give_one_digest_whatever_the_token() -> None:
    first = arguments_digest("send_email", Send(email="a@shop.example", subject="Hi", confirmation_token="t1"))
    second = arguments_digest("send_email", Send(email="a@shop.example", subject="Hi", confirmation_token="t2"))
    assert first == second
    assert len(first) == 16


def test_a_changed_argument_or_tool_changes_the_digest() -> None:
    base = arguments_digest("send_email", Send(email="a@shop.example", subject="Hi"))
    assert base != arguments_digest("send_email", Send(email="a@shop.example", subject="Hi!"))
    assert base != arguments_digest("send_sms", Send(email="a@shop.example", subject="Hi"))
