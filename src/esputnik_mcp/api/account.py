"""Account and balance (esputnik-api.md §3)."""

from __future__ import annotations

from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.models import AccountInfo, Balance
from esputnik_mcp.api.retry import Safety

ACCOUNT_INFO = Endpoint("GET", "/v1/account/info", Safety.READ, "getAccountInfo")
BALANCE = Endpoint("GET", "/v1/balance", Safety.READ, "getUserOrganisationBalance")


class AccountApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def info(self) -> AccountInfo:
        """The account's user email and organisation name; also the documented credentials check."""
        response = await self._http.call(ACCOUNT_INFO)
        return AccountInfo.model_validate(response.data or {})

    async def balance(self) -> Balance:
        """Balance, credit limit, currency and prepaid email/SMS counts."""
        response = await self._http.call(BALANCE)
        return Balance.model_validate(response.data or {})
