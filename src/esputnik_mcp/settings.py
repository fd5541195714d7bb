"""Settings, read from the environment (prefix ``ESPUTNIK_``) and from a ``.env`` file.

The README's settings table is generated from the field descriptions below
(``scripts/gen_docs.py``); this module is the one description of every setting.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_BASE_URL = "https://esputnik.com/api"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ESPUTNIK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    api_key: Annotated[
        SecretStr | None,
        Field(
            description=(
                "eSputnik API key (Profile → Settings → API). Unset: the server runs on the built-in "
                "sandbox and sends nothing to eSputnik."
            )
        ),
    ] = None
    base_url: Annotated[
        str,
        Field(description="API root; `https://yespo.io/api` works too. Paths such as `/v1/contact` follow it."),
    ] = DEFAULT_BASE_URL
    connect_timeout: Annotated[
        float, Field(gt=0, le=30, description="Seconds to establish a connection to eSputnik.")
    ] = 5.0
    read_timeout: Annotated[
        float, Field(gt=0, le=54, description="Seconds to wait for eSputnik's answer to one request.")
    ] = 30.0
    request_deadline: Annotated[
        float,
        Field(
            gt=0,
            le=54,
            description="Overall seconds for one API call, retries and waits included (kept below 55 s).",
        ),
    ] = 50.0
    max_retries: Annotated[
        int,
        Field(
            ge=0,
            le=5,
            description=(
                "Retries of a read or idempotent write after a connection failure, timeout, 429 or 5xx. "
                "Sends are retried only when they provably never reached eSputnik."
            ),
        ),
    ] = 2
    max_retry_after: Annotated[
        float,
        Field(
            ge=0,
            le=54,
            description="Longest `Retry-After` wait honoured, in seconds; a longer one fails at once.",
        ),
    ] = 30.0
    bulk_concurrency: Annotated[
        int,
        Field(ge=1, le=16, description="Chunks of a bulk job (contacts, orders, sends) in flight at once."),
    ] = 4
    email_sender: Annotated[
        str | None,
        Field(description='Default `from` of send_email, e.g. `"Shop" <news@shop.example>`; an account sender.'),
    ] = None
    sms_sender: Annotated[
        str | None,
        Field(description="Default alpha name (`from`) of send_sms, one of the account's SMS senders."),
    ] = None
    max_response_bytes: Annotated[
        int,
        Field(ge=1024, description="Largest eSputnik response body accepted, in bytes."),
    ] = 16 * 1024 * 1024

    sandbox_db: Annotated[
        str | None,
        Field(
            description="SQLite file of the built-in sandbox (used when no API key is set); `:memory:` for a "
            "throwaway one. Default: `sandbox.sqlite3` in the data directory."
        ),
    ] = None
    http_tokens: Annotated[
        list[SecretStr],
        NoDecode,
        Field(
            description="Bearer tokens accepted by `serve --http`, comma-separated. Required for HTTP unless "
            "`--dev-no-auth` on a loopback address. They authenticate MCP clients and never reach eSputnik."
        ),
    ] = []
    http_allowed_hosts: Annotated[
        list[str],
        NoDecode,
        Field(
            description="Host header values `serve --http` accepts, comma-separated (`host:*`: any port). "
            "Default: loopback names only; set it when serving behind a public name."
        ),
    ] = []
    http_allowed_origins: Annotated[
        list[str],
        NoDecode,
        Field(description="Origin header values `serve --http` accepts from browsers, comma-separated."),
    ] = []
    read_only: Annotated[
        bool,
        Field(
            description="Serve only read-only tools; every write and send tool is not registered at all. Wins over "
            "every other tool setting."
        ),
    ] = False
    toolsets: Annotated[
        list[str],
        NoDecode,
        Field(
            description="Toolsets to serve, comma-separated: contacts, segments, messaging, events, orders, account. "
            "Default: all."
        ),
    ] = []
    tools: Annotated[
        list[str],
        NoDecode,
        Field(description="Serve exactly these tools, comma-separated (replaces ESPUTNIK_TOOLSETS). Default: unset."),
    ] = []
    exclude_tools: Annotated[
        list[str], NoDecode, Field(description="Never serve these tools, comma-separated; wins over ESPUTNIK_TOOLS.")
    ] = []
    send_confirmation: Annotated[
        Literal["auto", "elicit", "token", "off"],
        Field(
            description="How a person approves sends and irreversible deletions: `elicit` on this server's approval "
            "page (URL elicitation), else in a client form, and refuses when the client can do neither; `token` "
            "returns a preview and a single-use token to call again with (a guard against honest mistakes only); "
            "`auto` the strongest the client supports; `off` sends at once (automation only)."
        ),
    ] = "auto"
    max_recipients: Annotated[
        int, Field(ge=1, le=100_000, description="Most recipients one send call may have; more is refused.")
    ] = 100
    max_broadcast_audience: Annotated[
        int,
        Field(
            ge=1,
            le=100_000_000,
            description="Most people a send to segments (a broadcast, an SMS or Viber message to a segment) may "
            "reach, counted from the segments' members; more is refused.",
        ),
    ] = 10_000
    allowed_recipients: Annotated[
        list[str],
        NoDecode,
        Field(
            description="If set, sends may only go to recipients matching these patterns, comma-separated, e.g. "
            "`*@example.com,+38050*` (for staging accounts). Default: unset (anyone)."
        ),
    ] = []
    sends_per_minute: Annotated[
        int,
        Field(ge=1, description="Send tool calls allowed per minute per caller (bearer token, or the stdio client)."),
    ] = 10
    writes_per_minute: Annotated[
        int, Field(ge=1, description="Other write tool calls allowed per minute per caller.")
    ] = 60
    reads_per_minute: Annotated[int, Field(ge=1, description="Read tool calls allowed per minute per caller.")] = 300
    sends_per_minute_total: Annotated[
        int, Field(ge=1, description="Send tool calls allowed per minute from all callers together, on all replicas.")
    ] = 30
    writes_per_minute_total: Annotated[
        int, Field(ge=1, description="Other write tool calls per minute from all callers together.")
    ] = 180
    reads_per_minute_total: Annotated[
        int, Field(ge=1, description="Read tool calls per minute from all callers together.")
    ] = 900
    state_db: Annotated[
        str | None,
        Field(
            description="SQLite file of the send ledger, confirmation tokens, audit log, rate counters and webhook "
            "inbox, when ESPUTNIK_DATABASE_URL is unset. Default: `state.sqlite3` in the data directory "
            "(`sandbox-state.sqlite3` on the sandbox)."
        ),
    ] = None
    database_url: Annotated[
        SecretStr | None,
        Field(
            description="`postgresql://user:password@host:5432/db`: keep the ledger, tokens, audit log and rate "
            "counters in PostgreSQL, shared by every replica (needs `pip install esputnik-mcp[postgres]`). "
            "Unset: SQLite (ESPUTNIK_STATE_DB)."
        ),
    ] = None
    audit_retention_days: Annotated[
        int,
        Field(
            ge=1,
            le=3650,
            description="Days audit records are kept; older ones, expired tokens and settled ledger entries past "
            "their window are pruned.",
        ),
    ] = 90
    request_state_key: Annotated[
        SecretStr | None,
        Field(
            description="Secret that seals the state of a confirmation asked by elicitation (protocol 2026-07-28), "
            "so that the answer completes on any replica. Set the same value on every replica; unset: one "
            "per process."
        ),
    ] = None
    http_max_connections: Annotated[
        int,
        Field(
            ge=8,
            le=100_000,
            description="Most open connections `serve --http` holds; beyond it, connections that have not "
            "finished a request are closed first.",
        ),
    ] = 1000
    http_header_timeout: Annotated[
        float, Field(gt=0, le=120, description="Seconds a client has to send a request's headers.")
    ] = 10.0
    http_body_timeout: Annotated[
        float, Field(gt=0, le=600, description="Seconds a client has to send a request's body.")
    ] = 30.0
    http_stream_timeout: Annotated[
        float, Field(gt=0, le=3600, description="Seconds an idle response stream (SSE) is kept open.")
    ] = 60.0
    public_url: Annotated[
        str | None,
        Field(
            description="The address people reach `serve --http` at, e.g. `https://mcp.example.com`, for links to "
            "the approval page. Default: the Host a request came to; over stdio, a loopback port opened on need."
        ),
    ] = None
    webhook_path: Annotated[
        str,
        Field(
            pattern=r"^/[A-Za-z0-9._~/-]*$",
            description="Path of the inbox for eSputnik's data-export webhook under `serve --http`.",
        ),
    ] = "/webhooks/esputnik"
    webhook_basic_auth: Annotated[
        SecretStr | None,
        Field(
            description="`user:password` eSputnik's webhook must present (the export form's Authentication). "
            "The inbox is served only when this or ESPUTNIK_WEBHOOK_HEADER is set."
        ),
    ] = None
    webhook_header: Annotated[
        SecretStr | None,
        Field(
            description="`Name: secret`, a header eSputnik's webhook must send (the export form's Headers), e.g. "
            "`X-Webhook-Secret: …`. With ESPUTNIK_WEBHOOK_BASIC_AUTH too, both must match."
        ),
    ] = None
    webhook_max_bytes: Annotated[
        int,
        Field(ge=1024, le=100 * 1024 * 1024, description="Largest webhook body the inbox takes (413 above)."),
    ] = 5 * 1024 * 1024
    activity_retention_days: Annotated[
        int,
        Field(
            ge=1,
            le=3650,
            description="Days webhook events are kept. Hard bounces, unsubscribes and spam complaints keep "
            "holding their address back after that.",
        ),
    ] = 90
    sandbox_webhook_url: Annotated[
        str | None,
        Field(
            description="Where the built-in sandbox posts its delivery events, as eSputnik's webhook would. "
            "Unset: on the sandbox, they go straight into this server's own inbox."
        ),
    ] = None
    sandbox_webhook_basic_auth: Annotated[
        SecretStr | None,
        Field(description="`user:password` the sandbox's webhook posts with."),
    ] = None
    sandbox_webhook_header: Annotated[
        SecretStr | None,
        Field(description="`Name: value` header the sandbox's webhook posts with."),
    ] = None
    log_format: Annotated[
        Literal["text", "json"],
        Field(description="`text` lines, or `json`: one JSON object per line for log collectors."),
    ] = "text"
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"],
        Field(description="Log level of the server's stderr log."),
    ] = "INFO"

    @field_validator(
        "http_tokens",
        "http_allowed_hosts",
        "http_allowed_origins",
        "toolsets",
        "tools",
        "exclude_tools",
        "allowed_recipients",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://esputnik.com/api")
        host = urlsplit(value).hostname or ""
        if value.startswith("http://") and not _loopback(host):
            # The API key travels in every request's Authorization header: never in clear over a network.
            raise ValueError(
                "must use https:// (plain http:// would send the API key in clear); only a loopback host may use http://"
            )
        return value

    @field_validator("request_state_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                'must be at least 32 characters of secret randomness: python -c "import secrets; '
                'print(secrets.token_hex(32))"'
            )
        return value

    @field_validator("webhook_basic_auth", "sandbox_webhook_basic_auth")
    @classmethod
    def _user_and_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        user, colon, password = value.get_secret_value().partition(":")
        if not colon or not user or not password:
            raise ValueError("must be user:password")
        return value

    @field_validator("webhook_header", "sandbox_webhook_header")
    @classmethod
    def _header_and_value(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        name, colon, secret = value.get_secret_value().partition(":")
        if not colon or not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name.strip()) or not secret.strip():
            raise ValueError('must be "Name: value", e.g. "X-Webhook-Secret: 3f9c…"')
        if name.strip().lower() in ("authorization", "host", "content-length", "content-type"):
            raise ValueError(f"{name.strip()} is not a header the webhook can be checked by; choose another name")
        return value

    @field_validator("api_key")
    @classmethod
    def _blank_key_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @property
    def sandbox_path(self) -> str:
        """Where the embedded sandbox keeps its state."""
        if self.sandbox_db:
            return self.sandbox_db
        from esputnik_mcp.paths import user_data_dir

        return str(user_data_dir() / "sandbox.sqlite3")

    @property
    def state_path(self) -> str:
        """Where the ledger, confirmation tokens, audit log and webhook inbox are kept: a file of its
        own on the sandbox, so that nothing of the demo account mixes with a real one's."""
        if self.state_db:
            return self.state_db
        from esputnik_mcp.paths import user_data_dir

        return str(user_data_dir() / ("sandbox-state.sqlite3" if self.sandbox else "state.sqlite3"))

    @property
    def sandbox(self) -> bool:
        """True when no API key is configured: the server talks to the built-in sandbox."""
        return self.api_key is None
