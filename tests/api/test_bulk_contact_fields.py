"""Which standard and custom fields a contact gives, as a bulk update names them: a bulk update
writes exactly the listed fields of an existing contact and clears those its data lacks."""

from __future__ import annotations

from esputnik_mcp.api.models import AddressInput, ChannelInput, ContactFieldInput, ContactInput


def test_a_contact_with_only_an_email_gives_only_the_email() -> None:
    contact = ContactInput(channels=[ChannelInput(type="email", value="a@example.com")])
    assert contact.bulk_contact_fields() == {"email"}
    assert contact.custom_field_ids() == frozenset()


def test_every_standard_field_given_is_named_as_contact_fields_lists_it() -> None:
    contact = ContactInput(
        first_name="Ann",
        last_name="Lee",
        channels=[
            ChannelInput(type="sms", value="+380501234567"),
            ChannelInput(type="viber", value="+380501234567"),
            ChannelInput(type="mobilepush", value="token-1"),
            ChannelInput(type="webpush", value="token-2"),
        ],
        address=AddressInput(town="Lviv", postcode="79000"),
        fields=[ContactFieldInput(id=7, value="x"), ContactFieldInput(id=9, value="")],
        external_customer_id="C-1",
        contact_key="k",
        language_code="uk",
        time_zone="Europe/Kyiv",
    )
    assert contact.bulk_contact_fields() == {
        "firstName",
        "lastName",
        "sms",
        "mobilepush",
        "webpush",
        "town",
        "postcode",
        "externalCustomerId",
        "contactKey",
        "languageCode",
        "timeZone",
    }
    assert contact.custom_field_ids() == {7, 9}


def test_an_empty_name_is_given_and_so_clears_the_field() -> None:
    contact = ContactInput(first_name="", channels=[ChannelInput(type="email", value="a@example.com")])
    assert "firstName" in contact.bulk_contact_fields()
