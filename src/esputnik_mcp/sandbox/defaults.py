"""What a program embedding the sandbox needs before it builds one: the base URL its in-process
transport answers, and the demo account's default senders. Importing this module loads nothing
else of the sandbox."""

from __future__ import annotations

# The base URL a client uses with ``Sandbox.transport()`` (``.invalid`` never resolves).
SANDBOX_BASE_URL = "http://sandbox.invalid/api"

# The demo account's email sender and SMS alpha name.
DEMO_EMAIL_SENDER = '"Lumen Home" <news@lumen-home.example>'
DEMO_SMS_SENDER = "LumenHome"
