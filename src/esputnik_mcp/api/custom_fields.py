"""The catalogue of additional (custom) contact fields: GET /v1/addressbooks (esputnik-api.md §4.11)."""

from __future__ import annotations

from esputnik_mcp.api._parse import parse
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.models import AddressBook, AddressBooks
from esputnik_mcp.api.retry import Safety

ADDRESS_BOOKS = Endpoint("GET", "/v1/addressbooks", Safety.READ, "getAddressBooks")


class CustomFieldsApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def catalogue(self) -> list[AddressBook]:
        """Every field catalogue, its groups and fields: the ids that a contact's ``fields`` use."""
        response = await self._http.call(ADDRESS_BOOKS)
        return parse(AddressBooks, response.data, ADDRESS_BOOKS).address_book
