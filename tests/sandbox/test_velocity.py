"""The Velocity subset the sandbox renders stored messages with."""

from typing import Any

import pytest

from esputnik_mcp.sandbox.domain.velocity import render

CONTACT = {"firstName": "Olena", "contactId": 100001}
DATA: dict[str, Any] = {
    "orderId": "A-17",
    "total": 59.9,
    "count": 0,
    "tier": "Gold",
    "empty": "",
    "paid": True,
    "cart": {"items": {"first": "Lantern"}},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$!data.get('orderId') ${data.orderId} $data.orderId $!{data.orderId}", "A-17 A-17 A-17 A-17"),
        ("Hi ${firstName}, $firstName, $!{firstName}!", "Hi Olena, Olena, Olena!"),
        ("$!data.cart.items.first / $data.get('cart').get('items').first", "Lantern / Lantern"),
        ("[$!data.get('missing')][$!{data.missing}][$!nobody]", "[][][]"),
        ("$data.get('missing') ${data.missing} $nobody", "$data.get('missing') ${data.missing} $nobody"),
        ("$data alone", "$data alone"),
        ("$!data.total and $data.paid", "59.9 and true"),
        ("$firstName.toUpperCase()", "Olena.toUpperCase()"),  # methods are not called
        ("Price: 5$ or $5", "Price: 5$ or $5"),
    ],
)
def test_references(template: str, expected: str) -> None:
    assert render(template, CONTACT, DATA) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("#if($data.orderId)yes#end", "yes"),
        ("#if($data.missing)yes#end.", "."),
        ("#if($data.missing)a#elseif($data.tier == 'Gold')b#else c#end", "b"),
        ("#if($data.missing)a#elseif($data.tier == 'Silver')b#{else}c#{end}", "c"),
        ("#{if}($data.paid)paid#{end}", "paid"),
        ("#if ( $data.total > 50 && $data.total <= 59.9 )in range#end", "in range"),
        ("#if($data.total gt 100 or $data.tier eq 'Gold')ok#end", "ok"),
        ("#if(!$data.count)none#end #if(not $data.paid)unpaid#{else}paid#end", "none paid"),
        ("#if($data.empty)x#{else}empty#end", "empty"),
        ("#if($data.tier != \"Gold\" || ($data.count == 0 && $firstName == 'Olena'))y#end", "y"),
        ("#if($data.missing == null)no value#end", "no value"),
        ("#if($data.count == '0')text equal#end", "text equal"),
        ("#if($data.tier > 3)x#{else}not comparable#end", "not comparable"),
        ("#if($data.paid)#if($data.count)a#{else}b#end#{else}c#end", "b"),
        ("#if($data.orderId)Order ${data.orderId}#end", "Order A-17"),
    ],
)
def test_if_blocks(template: str, expected: str) -> None:
    assert render(template, CONTACT, DATA) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("#if($data.paid)never closed $!{firstName}", "#if(true)never closed Olena"),
        ("#end without if ${data.orderId}", "#end without if A-17"),
        ("#if($!data.missing)a#{else}b#else c#end", "#if()a#{else}b#else c#end"),
        ("#if($data.paid ??? )x#end", ""),  # an unreadable condition is false
    ],
)
def test_malformed_directives_are_left_as_written_with_references_filled(template: str, expected: str) -> None:
    assert render(template, CONTACT, DATA) == expected


def test_html_and_css_hashes_are_not_directives() -> None:
    html = '<p style="color:#e0e0e0">&#39;#endless #elsewhere #iffy&#39;</p><a href="#end-of-page">x</a>'
    assert render(html, CONTACT, DATA) == html
