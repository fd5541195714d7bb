"""The custom contact field catalogue (GET /v1/addressbooks) and the checking of field values."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from esputnik_mcp.sandbox.wire import one_or_many, prune

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

FIELD_TYPES = (
    "TEXTFIELD",
    "COMBOBOX",
    "CHECKBOXLIST",
    "TEXTAREA",
    "DATE",
    "NUMBER",
    "DATETIME",
    "DECIMAL",
    "TAGS",
)
TEXTFIELD_LENGTH = 255  # a guess: the reference gives no length for text fields
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")


@dataclass(frozen=True)
class FieldDef:
    id: int
    group_id: int
    name: str
    key: str
    type: str
    required: bool = False
    readonly: bool = False
    possible_values: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None


def fields(state: State) -> dict[int, FieldDef]:
    rows = state.conn.execute("SELECT * FROM fields ORDER BY id").fetchall()
    return {
        row["id"]: FieldDef(
            id=row["id"],
            group_id=row["group_id"],
            name=row["name"],
            key=row["field_key"],
            type=row["type"],
            required=bool(row["required"]),
            readonly=bool(row["readonly"]),
            possible_values=tuple(json.loads(row["possible_json"] or "[]")),
            min_value=row["min_value"],
            max_value=row["max_value"],
        )
        for row in rows
    }


def value_problem(field: FieldDef, value: str) -> str | None:
    """Why ``value`` does not fit ``field``, or None. An empty value clears the field.

    The reference names the field types but not their value formats; these checks (ISO dates,
    comma-separated CHECKBOXLIST values, whole NUMBERs within min/max) are guesses.
    """
    if value == "":
        return None
    check = _VALUE_CHECKS.get(field.type)
    return None if check is None else check(field, value)


def _text_problem(field: FieldDef, value: str) -> str | None:
    return f"is longer than {TEXTFIELD_LENGTH} characters" if len(value) > TEXTFIELD_LENGTH else None


def _choice_problem(field: FieldDef, value: str) -> str | None:
    return None if value in field.possible_values else f"must be one of: {', '.join(field.possible_values)}"


def _choices_problem(field: FieldDef, value: str) -> str | None:
    unknown = [v for v in (p.strip() for p in value.split(",")) if v not in field.possible_values]
    if unknown:
        return f"has values not among {', '.join(field.possible_values)}: {', '.join(unknown)}"
    return None


def _date_problem(field: FieldDef, value: str) -> str | None:
    try:
        date.fromisoformat(value)
    except ValueError:
        return "must be a date as YYYY-MM-DD"
    return None


def _datetime_problem(field: FieldDef, value: str) -> str | None:
    """The pattern keeps out what ``fromisoformat`` accepts but eSputnik's format does not
    (offsets, fractions); ``fromisoformat`` then refuses impossible dates and times."""
    problem = "must be a date and time as YYYY-MM-DDTHH:mm"
    if not _DATETIME.match(value):
        return problem
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return problem
    return None


def _number_problem(field: FieldDef, value: str) -> str | None:
    try:
        number = int(value)
    except ValueError:
        return "must be a whole number"
    if field.min_value is not None and number < field.min_value:
        return f"must be at least {field.min_value}"
    if field.max_value is not None and number > field.max_value:
        return f"must be at most {field.max_value}"
    return None


def _decimal_problem(field: FieldDef, value: str) -> str | None:
    try:
        float(value)
    except ValueError:
        return "must be a number"
    return None


# The check of each field type's values; TEXTAREA and TAGS take any text.
_VALUE_CHECKS: dict[str, Callable[[FieldDef, str], str | None]] = {
    "TEXTFIELD": _text_problem,
    "COMBOBOX": _choice_problem,
    "CHECKBOXLIST": _choices_problem,
    "DATE": _date_problem,
    "DATETIME": _datetime_problem,
    "NUMBER": _number_problem,
    "DECIMAL": _decimal_problem,
}


def address_book_ids(state: State) -> set[int]:
    return {row[0] for row in state.conn.execute("SELECT id FROM address_books")}


def address_books_json(state: State) -> dict[str, Any]:
    """SPEC AddressBooks, with ``addressBook``, ``fieldGroups`` and ``fields`` each a lone object
    when they hold one element."""
    conn = state.conn
    books = []
    for book in conn.execute("SELECT id, name FROM address_books ORDER BY id"):
        groups = []
        for group in conn.execute(
            "SELECT id, name, profile_key FROM field_groups WHERE address_book_id = ? ORDER BY id",
            (book["id"],),
        ):
            infos = [
                _field_json(field)
                for field in conn.execute("SELECT * FROM fields WHERE group_id = ? ORDER BY id", (group["id"],))
            ]
            groups.append({"name": group["name"], "profileKey": group["profile_key"], "fields": one_or_many(infos)})
        books.append({"addressBookId": book["id"], "name": book["name"], "fieldGroups": one_or_many(groups)})
    return {"addressBook": one_or_many(books)}


def _field_json(row: Any) -> dict[str, Any]:
    allowed = prune(
        {
            "possibleValues": json.loads(row["possible_json"]) if row["possible_json"] else None,
            "minValue": row["min_value"],
            "maxValue": row["max_value"],
        }
    )
    description: dict[str, Any] = {
        "type": row["type"],
        "required": bool(row["required"]),
        "readonly": bool(row["readonly"]),
    }
    if allowed:
        description["allowedValues"] = allowed
    return {"id": row["id"], "name": row["name"], "fieldKey": row["field_key"], "description": description}
