"""How the sandbox reads requests and writes answers the way eSputnik does.

Errors are plain text (eSputnik's error bodies are text, not JSON: esputnik-api.md §19);
lists that hold one element become a bare object (§20.1); paged searches answer a bare array
with the total in the ``TotalCount`` header (§2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.responses import Response

JSON_TYPE = "application/json; charset=UTF-8"
TEXT_TYPE = "text/plain; charset=UTF-8"

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """An error answer: status and a short plain-text body."""

    def __init__(self, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return text_reply(self.text, status=self.status, headers=self.headers)


def bad_request(text: str) -> ApiError:
    return ApiError(400, text)


def not_found(text: str) -> ApiError:
    return ApiError(404, text)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_reply(data: Any, *, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(data).encode(), status_code=200, headers=dict(headers or {}), media_type=JSON_TYPE)


def text_reply(text: str, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A plain-text answer. The reference declares JSON for success strings but shows bare
    text; sending them as text/plain is a guess."""
    return Response(text.encode(), status_code=status, headers=dict(headers or {}), media_type=TEXT_TYPE)


def empty_reply() -> Response:
    """200 with no body: the answer of operations documented without a response schema."""
    return Response(b"", status_code=200)


def paged_reply(items: Sequence[Any], total: int) -> Response:
    return json_reply(list(items), headers={"TotalCount": str(total)})


def one_or_many(items: Sequence[Any]) -> Any:
    """A list as eSputnik sends it: a lone object for one element, else an array."""
    return items[0] if len(items) == 1 else list(items)


def prune(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without null members (a guess that eSputnik leaves unset fields out rather than
    sending nulls; the sample answers in the reference have no nulls)."""
    return {k: v for k, v in data.items() if v is not None}


# --- request bodies --------------------------------------------------------------------------


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"Malformed JSON in the request body: {exc}") from None


def parse_body(model: type[M], body: bytes, *, what: str = "request body") -> M:
    """The JSON body as ``model``, checked strictly (types, required and unknown fields)."""
    if not body.strip():
        raise bad_request(f"The {what} is required")
    return validate(model, parse_json(body), what=what)


def validate(model: type[M], data: Any, *, what: str = "request body") -> M:
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise bad_request(f"Invalid {what}: {describe(exc)}") from None


def describe(exc: ValidationError, limit: int = 5) -> str:
    """A short, readable list of what is wrong, e.g. ``contacts[0].channels[0].type: ...``."""
    problems = []
    for error in exc.errors()[:limit]:
        where = location(error["loc"]) or "body"
        kind = error["type"]
        if kind == "extra_forbidden":
            problems.append(f"{where}: unknown field")
        elif kind == "missing":
            problems.append(f"{where}: required field is missing")
        else:
            problems.append(f"{where}: {error['msg']}")
    more = exc.error_count() - limit
    if more > 0:
        problems.append(f"and {more} more")
    return "; ".join(problems)


def location(loc: Iterable[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


# --- query strings ---------------------------------------------------------------------------


class Query:
    """A query string read strictly: only the operation's documented names, typed values.

    Refusing unknown names catches a misspelt parameter (``firstName`` for ``firstname``)
    that eSputnik would silently ignore.
    """

    def __init__(self, params: Mapping[str, str], allowed: Iterable[str]) -> None:
        allowed_set = set(allowed)
        unknown = sorted(set(params) - allowed_set)
        if unknown:
            raise bad_request(
                f"Unknown query parameter(s): {', '.join(unknown)}; "
                f"this method takes {', '.join(sorted(allowed_set)) or 'none'}"
            )
        self._params = params

    def text(self, name: str) -> str | None:
        return self._params.get(name)

    def required(self, name: str) -> str:
        value = self._params.get(name)
        if value is None or not value.strip():
            raise bad_request(f"The query parameter {name} is required")
        return value

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        raw = self._params.get(name)
        if raw is None:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise bad_request(f"The query parameter {name} must be an integer; got {raw!r}") from None
        if not low <= value <= high:
            raise bad_request(f"The query parameter {name} must be between {low} and {high}; got {value}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._params.get(name)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise bad_request(f"The query parameter {name} must be true or false; got {raw!r}")
        return lowered == "true"

    def paging(self, max_rows: int) -> tuple[int, int]:
        """``startindex`` (1-based, default 1) and ``maxrows`` (default and maximum ``max_rows``).

        A ``maxrows`` over the maximum is refused rather than capped (a guess)."""
        start = self.integer("startindex", 1, low=1, high=2**31 - 1)
        rows = self.integer("maxrows", max_rows, low=1, high=max_rows)
        return start, rows


def path_int(value: str, what: str, *, bits: int = 32) -> int:
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"The {what} must be an integer; got {value!r}") from None
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise bad_request(f"The {what} is out of range: {value}")
    return number
