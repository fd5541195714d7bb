"""Shared contact parameter types: eSputnik's name rules and custom field values."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from esputnik_mcp.toolkit.params import ContactFirstName, CustomFieldValues

NAMES = TypeAdapter(ContactFirstName)
FIELDS = TypeAdapter(CustomFieldValues)


@pytest.mark.parametrize(
    "name",
    [
        "Olena",
        "Mary-Jane",
        "O'Brien",
        "Дарʼя",
        "Квітка-Основʼяненко",
        "Evans Jr.",
        "Nguyễn Văn A",
        "R2D2",
        "Zoë",
    ],
)
def test_names_within_the_rules_pass_unchanged(name: str) -> None:
    assert NAMES.validate_python(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("1234", "has no letters"),
        ("-- --", "has no letters"),
        ("Agent 0071", "more than 3 digits"),
        ("-Ann", "contains '-'"),
        ("Ann-", "contains '-'"),
        ("Ann 'Lee'", 'contains "\'"'),
        ("Ann_Lee", "contains '_'"),
        ("Smith.", "a dot may only end a word of up to 3 characters"),
        ("Anna Maria Luisa Teresa", "too many words"),
        ("A B C D", "too many words"),
        ("A" * 41, "at most 40 characters"),
    ],
)
def test_names_outside_the_rules_are_refused(name: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        NAMES.validate_python(name)


def test_custom_field_values_become_text() -> None:
    assert FIELDS.validate_python({"5": "gold", 6: 42, "7": 12.5, "8": 3.0, "9": ""}) == {
        5: "gold",
        6: "42",
        7: "12.5",
        8: "3",
        9: "",
    }


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}])
def test_custom_field_values_that_are_not_text_or_numbers_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="must be text or a number"):
        FIELDS.validate_python({"5": value})
