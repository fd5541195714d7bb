"""Broadcasts: a stored message sent to whole segments, now or at a set time and speed; list, read
and cancel them (esputnik-api.md §8).

Creating a broadcast sends to everyone in its segments, so it is unrepeatable: retried only when it
provably never reached eSputnik. ``startDate`` is ``YYYY-MM-DDTHH:mm`` read in the account's time
zone (SPEC NewBroadcastRequest; DOC getting-started), which the client does not know: a start is
given as a date-time without a zone, in the account's time, and one with a zone is refused rather
than shifted. Broadcast ids and ``messageId`` are strings in the reference (§20.12).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from esputnik_mcp.api._parse import page, parse
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.limits import BROADCASTS_DEFAULT_ROWS
from esputnik_mcp.api.models import RequestModel, WireModel
from esputnik_mcp.api.paging import Page, check_page
from esputnik_mcp.api.retry import Safety

CREATE = Endpoint("POST", "/v1/broadcast", Safety.UNREPEATABLE, "createBroadcast")
FIND = Endpoint("GET", "/v1/broadcasts", Safety.READ, "findBroadcasts")
GET = Endpoint("GET", "/v1/broadcast/{broadcast_id}", Safety.READ, "getBroadcast")
# Documented without a response schema: whatever comes back is read as text.
CANCEL = Endpoint("DELETE", "/v1/broadcast/{broadcast_id}", Safety.IDEMPOTENT, "deleteBroadcast", expect="text")

BatchIntervalUnit = Literal["MINUTE", "HOUR", "DAY", "MONTH"]
"""The unit of a broadcast's speed: ``batchSize`` messages per minute, hour, day or month (SPEC)."""

START_FORMAT = "%Y-%m-%dT%H:%M"
_START = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_INT32_MAX = 2**31 - 1

SegmentIds = list[Annotated[int, Field(ge=1, le=_INT32_MAX)]]


def _text(value: Any) -> Any:
    """An id the reference types as a string, given as a number."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def start_date(moment: datetime) -> str:
    """``moment`` as ``startDate`` (``YYYY-MM-DDTHH:mm``). It must carry no zone: eSputnik reads it in
    the account's time zone, which the client does not know."""
    if moment.tzinfo is not None:
        raise RequestValidationError(
            "a broadcast's start is read in the account's time zone: give it without a time zone"
        )
    return moment.strftime(START_FORMAT)


class NewBroadcast(RequestModel):
    """SPEC NewBroadcastRequest: ``message_id`` and ``groups`` (segment ids) are required; without
    ``start_date`` it starts at once; the speed is ``batch_size`` messages per ``batch_interval_unit``,
    both or neither; ``domain`` is for web push, ``app_id`` for mobile push and Telegram."""

    message_id: Annotated[str, BeforeValidator(_text), Field(min_length=1)]
    groups: SegmentIds = Field(min_length=1)
    excluded_groups: SegmentIds | None = None
    title: str | None = None
    start_date: str | None = None
    batch_size: int | None = Field(default=None, ge=1, le=_INT32_MAX)
    batch_interval_unit: BatchIntervalUnit | None = None
    domain: str | None = Field(default=None, min_length=1)
    app_id: str | None = Field(default=None, min_length=1)

    @field_validator("start_date")
    @classmethod
    def _start(cls, value: str | None) -> str | None:
        if value is not None and not _START.fullmatch(value):
            raise ValueError(
                f"{value!r} is not YYYY-MM-DDTHH:mm (eSputnik reads it in the account's time zone, without a zone)"
            )
        if value is not None:
            datetime.strptime(value, START_FORMAT)  # a real date and time
        return value

    @model_validator(mode="after")
    def _speed_and_segments(self) -> NewBroadcast:
        if (self.batch_size is None) != (self.batch_interval_unit is None):
            raise ValueError("a broadcast's speed needs both batch_size and batch_interval_unit, or neither")
        both = sorted(set(self.groups) & set(self.excluded_groups or ()))
        if both:
            raise ValueError(f"segment {both[0]} is both in groups and in excluded_groups")
        return self


class Broadcast(WireModel):
    """SPEC BroadcastView. Its ids are strings; ``group_id`` names the segment (several: the sandbox
    joins them with commas, eSputnik's form for several is not documented)."""

    broadcast_id: Annotated[str | None, BeforeValidator(_text)] = None
    title: str | None = None
    message_id: Annotated[str | None, BeforeValidator(_text)] = None
    group_id: Annotated[str | None, BeforeValidator(_text)] = None
    start_date: str | None = None
    batch_size: int | None = None
    batch_interval_unit: str | None = None

    @property
    def segment_ids(self) -> list[int]:
        """The segment ids ``group_id`` holds (none when it holds none that is a number)."""
        return [int(part) for part in re.split(r"[,;\s]+", self.group_id or "") if part.isdigit()]


def _broadcast_id(broadcast_id: int | str) -> str:
    text = str(broadcast_id).strip()
    if isinstance(broadcast_id, bool) or not text or not text.isdigit():
        raise RequestValidationError(f"a broadcast id is a number such as 3459207; got {broadcast_id!r}")
    return text


class BroadcastsApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def create(self, broadcast: NewBroadcast) -> Broadcast:
        """Create (schedule) a broadcast: it sends the message to every member of the segments, less
        the members of the excluded ones, from its start at its speed."""
        response = await self._http.call(CREATE, json_body=broadcast.wire())
        return parse(Broadcast, response.data, CREATE)

    async def find(self, *, start_index: int = 1, max_rows: int = BROADCASTS_DEFAULT_ROWS) -> Page[Broadcast]:
        """One page of the account's broadcasts (SPEC findBroadcasts: ``maxrows`` default 10, max 500)."""
        check_page(start_index, max_rows)
        response = await self._http.call(FIND, params={"startindex": start_index, "maxrows": max_rows})
        return page(Broadcast, response, FIND, start_index, max_rows)

    async def get(self, broadcast_id: int | str) -> Broadcast:
        """Broadcast ``broadcast_id``; an unknown one raises :class:`NotFoundError`."""
        response = await self._http.call(GET, path_params={"broadcast_id": _broadcast_id(broadcast_id)})
        return parse(Broadcast, response.data, GET)

    async def cancel(self, broadcast_id: int | str) -> str:
        """Cancel a scheduled broadcast, which then sends nothing. Only one that has not started can be
        cancelled (SPEC deleteBroadcast: "cancelling a scheduled broadcast"); eSputnik's answer, as text."""
        response = await self._http.call(CANCEL, path_params={"broadcast_id": _broadcast_id(broadcast_id)})
        return str(response.data or "")
