"""Product recommendations for a contact: GET /v2/contacts/recoms/{dataSourceId} (esputnik-api.md
§15.3). Each algorithm has its own data source, so one request gives one kind of recommendation;
how many products come back is set on the data source (no paging)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from esputnik_mcp.api._parse import parse_list
from esputnik_mcp.api.errors import RequestValidationError
from esputnik_mcp.api.http import Endpoint, HttpCore
from esputnik_mcp.api.models import OneOrMany, WireModel
from esputnik_mcp.api.retry import Safety

RECOMMENDATIONS = Endpoint("GET", "/v2/contacts/recoms/{dataSourceId}", Safety.READ, "contactRecoms")


def _stock_flag(value: Any) -> Any:
    """``isInStock`` is an int (SPEC ContactRecom); a boolean or an empty string is read too."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and not value.strip():
        return None
    return value


class Recommendation(WireModel):
    """SPEC ContactRecom; the feed's own ``tags_*`` fields stay in ``model_extra``."""

    id: str | None = None
    name: str | None = None
    url: str | None = None
    price: float | None = None
    descr: str | None = None
    brand: str | None = None
    category: OneOrMany[str] = Field(default_factory=list)
    is_in_stock: Annotated[int | None, BeforeValidator(_stock_flag)] = None

    @property
    def in_stock(self) -> bool | None:
        return None if self.is_in_stock is None else self.is_in_stock > 0


def _joined(values: Sequence[str] | None, what: str) -> str | None:
    """``products`` and ``category`` are typed as strings with arrays as examples (SPEC
    contactRecoms): they go as one comma-joined value, which a server reading either a list or a
    string takes; a comma inside one value would be ambiguous and is refused."""
    if not values:
        return None
    cleaned = [value.strip() for value in values]
    if any(not value or "," in value for value in cleaned):
        raise RequestValidationError(f"each {what} must be non-empty and hold no comma")
    return ",".join(dict.fromkeys(cleaned))


class RecommendationsApi:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    async def for_contact(
        self,
        data_source_id: int,
        *,
        contact_id: int | None = None,
        email: str | None = None,
        phone: str | None = None,
        external_customer_id: str | None = None,
        web_id: str | None = None,
        products: Sequence[str] | None = None,
        category: Sequence[str] | None = None,
    ) -> list[Recommendation]:
        """The products data source ``data_source_id`` recommends to the contact named by at least one
        of its identifiers; ``products`` for product-based algorithms, ``category`` for
        category-based ones."""
        if not 1 <= data_source_id < 2**31:
            raise RequestValidationError(f"a data source id is a positive 32-bit integer; got {data_source_id}")
        who = {
            "contactId": contact_id,
            "email": email,
            "phone": phone,
            "externalCustomerId": external_customer_id,
            "webId": web_id,
        }
        named = {k: v for k, v in who.items() if v is not None and str(v).strip()}
        if not named:
            raise RequestValidationError("name the contact by contactId, email, phone, externalCustomerId or webId")
        params: dict[str, object | None] = {
            **named,
            "products": _joined(products, "product id"),
            "category": _joined(category, "category id"),
        }
        response = await self._http.call(RECOMMENDATIONS, path_params={"dataSourceId": data_source_id}, params=params)
        return parse_list(Recommendation, response.data, RECOMMENDATIONS)
