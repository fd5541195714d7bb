"""Promo codes: list, count, upload (esputnik-api.md §10.1).

A code has a ``code``, an ``expirationDate`` (``2017-12-31T23:59``, in the account's time zone), a
``discount`` (0-99), a free ``type`` label and an ``inUse`` flag. Uploading a code that exists
updates it; eSputnik's answer echoes the payload and says nothing of which codes were new.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, Field, model_validator

from esputnik_mcp.api._parse import json_in_string, parse, parse_list
from esputnik_mcp.api.errors import RequestValidationError, ResponseDecodeError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.limits import PROMO_CODE_MAX_DISCOUNT, PROMO_CODES_PER_REQUEST
from esputnik_mcp.api.models import OneOrMany, RequestModel, WireModel
from esputnik_mcp.api.paging import ChunkOutcome, Part, run_parts, split
from esputnik_mcp.api.retry import Safety

# The list is documented as a JSON string holding the list (SPEC getPromocodes).
LIST = Endpoint("GET", "/v1/promocodes", Safety.READ, "getPromocodes")
# Uploading the same codes with the same values again leaves the same codes: repeatable.
UPLOAD = Endpoint("POST", "/v1/promocodes", Safety.IDEMPOTENT, "insertPromoCodes_1")
# No response schema (SPEC getPromocodesCount): read as text, then as a number.
COUNT = Endpoint("GET", "/v1/promocodes/count", Safety.READ, "getPromocodesCount", expect="text")

EXPIRATION_FORMAT = "%Y-%m-%dT%H:%M"  # SPEC insertPromoCodes_1 example 2023-12-15T20:15


class PromoCode(WireModel):
    """One code of the list. The list's item shape is not documented (esputnik-api.md §21): the
    fields of the upload (``code`` as the support pages name it, or ``promocode``) are read, a bare
    string is read as the code, and anything else is kept."""

    code: str | None = Field(default=None, validation_alias=AliasChoices("code", "promocode", "promoCode"))
    expiration_date: str | None = None
    discount: int | None = None
    type: str | None = None
    in_use: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_code(cls, data: Any) -> Any:
        return {"code": data} if isinstance(data, str | int) else data


class PromoCodesUpload(RequestModel):
    """SPEC PromocodesPayloadDto: ``promocodes`` (lower-case c), ``expirationDate`` and ``discount``
    are required."""

    promocodes: list[str] = Field(min_length=1, max_length=PROMO_CODES_PER_REQUEST)
    expiration_date: str = Field(min_length=1)
    discount: int = Field(ge=0, le=PROMO_CODE_MAX_DISCOUNT)
    type: str | None = None
    in_use: bool | None = None


class PromoCodesEcho(WireModel):
    """The answer to an upload: the payload, echoed (SPEC insertPromoCodes_1)."""

    promocodes: OneOrMany[str] = Field(default_factory=list)
    expiration_date: str | None = None
    discount: int | None = None
    type: str | None = None
    in_use: bool | None = None


def expiration(moment: datetime) -> str:
    """``moment`` as an ``expirationDate``: minutes, no zone (eSputnik reads it in the account's)."""
    if moment.tzinfo is not None:
        raise RequestValidationError(
            "a promo code's expiry is read in the account's time zone: give it without a zone offset"
        )
    return moment.strftime(EXPIRATION_FORMAT)


def _filters(
    type: str | None, in_use: bool | None, active_due_days: int | None, discount: int | None
) -> dict[str, object | None]:
    if active_due_days is not None and active_due_days < 0:
        raise RequestValidationError(f"activeDueDays counts days from tomorrow; got {active_due_days}")
    if discount is not None and not 0 <= discount <= PROMO_CODE_MAX_DISCOUNT:
        raise RequestValidationError(f"a promo code's discount is 0-{PROMO_CODE_MAX_DISCOUNT}; got {discount}")
    return {"type": type, "inUse": in_use, "activeDueDays": active_due_days, "discount": discount}


class PromoCodesApi:
    def __init__(self, http: HttpCore, *, concurrency: int) -> None:
        self._http = http
        self._concurrency = concurrency

    async def codes(
        self,
        *,
        type: str | None = None,
        in_use: bool | None = None,
        active_due_days: int | None = None,
        discount: int | None = None,
    ) -> list[PromoCode]:
        """Every code matching the filters (eSputnik does not page this list). ``active_due_days``:
        still valid for that many days counting from tomorrow."""
        response = await self._http.call(LIST, params=_filters(type, in_use, active_due_days, discount))
        return parse_list(PromoCode, json_in_string(response.data, LIST), LIST)

    async def count(
        self, *, type: str | None = None, active_due_days: int | None = None, discount: int | None = None
    ) -> int:
        """How many codes eSputnik counts as available under the filters (it takes no ``inUse``)."""
        params = _filters(type, None, active_due_days, discount)
        del params["inUse"]
        response = await self._http.call(COUNT, params=params)
        return _count(str(response.data or ""), COUNT)

    async def upload(self, payload: PromoCodesUpload) -> PromoCodesEcho:
        """Create these codes, or update those that exist, with the payload's values."""
        if any(not code.strip() for code in payload.promocodes):
            raise RequestValidationError("a promo code must not be empty")
        response = await self._http.call(UPLOAD, json_body=payload.wire())
        return parse(PromoCodesEcho, response.data, UPLOAD)

    async def upload_chunked(
        self,
        codes: Sequence[str],
        *,
        expiration_date: str,
        discount: int,
        type: str | None = None,
        in_use: bool | None = None,
        positions: Sequence[int] | None = None,
        on_done: Callable[[ChunkOutcome[str, PromoCodesEcho]], Awaitable[None]] | None = None,
    ) -> list[ChunkOutcome[str, PromoCodesEcho]]:
        """Any number of codes with the same values, in requests of :data:`PROMO_CODES_PER_REQUEST`,
        a few at a time; one outcome per request. ``positions`` says where each code stands in the
        caller's list (default: where it stands in ``codes``)."""
        if not codes:
            raise RequestValidationError("no promo codes given")
        if any(not code.strip() for code in codes):
            raise RequestValidationError("a promo code must not be empty")
        if not expiration_date.strip():
            raise RequestValidationError("a promo code needs an expiration date")
        if not 0 <= discount <= PROMO_CODE_MAX_DISCOUNT:
            raise RequestValidationError(f"a promo code's discount is 0-{PROMO_CODE_MAX_DISCOUNT}; got {discount}")

        async def work(index: int, part: Part[str]) -> PromoCodesEcho:
            payload = PromoCodesUpload(
                promocodes=list(part.items),
                expiration_date=expiration_date,
                discount=discount,
                type=type,
                in_use=in_use,
            )
            return await self.upload(payload)

        parts = split(codes, PROMO_CODES_PER_REQUEST, positions)
        return await run_parts(parts, work, concurrency=self._concurrency, on_done=on_done)


def _count(text: str, endpoint: Endpoint) -> int:
    """A count answered as a number, a quoted number, or an object with one number in it."""
    value: Any = text.strip()
    with contextlib.suppress(ValueError):
        value = json.loads(value)
    if isinstance(value, dict):
        numbers = [v for v in value.values() if isinstance(v, int | str) and str(v).strip().isdigit()]
        value = numbers[0] if len(numbers) == 1 else None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        why = f"eSputnik's answer to {endpoint.name} is not a number"
        raise ResponseDecodeError(why, method=endpoint.method, path=endpoint.path)
    return int(value)
