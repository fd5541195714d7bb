"""The Velocity subset eSputnik templates use: the documented examples first, then Velocity 2.x
semantics, malformed templates, and the bounds on the work."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from esputnik_mcp.toolkit.velocity import (
    MAX_ITERATIONS,
    MAX_OUTPUT,
    Rendered,
    recipient_context,
    render,
    variables,
)

ORDER: dict[str, Any] = {
    "parameter name": "value",
    "discount": "5%",
    "link": "https://example.site.com/items_for_sale",
    "array name": [{"name": "Tea", "parameter name": "green"}, {"name": "Cake", "parameter name": "lemon"}],
    "codes": ["A1", "B2"],
}


def rendered(template: str, context: dict[str, Any] | None = None) -> str:
    return render(template, {"data": ORDER} if context is None else context).text


# --- eSputnik's documented examples -----------------------------------------------------------
# https://docs.esputnik.com/docs/using-velocity-features-in-esputnik
# (the same page: https://yespo.io/support/using-velocity-features-yespo)


def test_a_single_parameter_from_the_data_object() -> None:
    assert rendered("$!data.get('parameter name')") == "value"


def test_array_elements_by_index_values_and_objects() -> None:
    assert rendered("$!data.get('codes').get(0)") == "A1"
    assert rendered("$!data.get('array name').get(0).get('parameter name')") == "green"


def test_an_index_past_the_end_is_a_problem_because_the_send_would_fail() -> None:
    result = render("[$!data.get('codes').get(2)]", {"data": ORDER})
    assert result.text == "[]"
    assert result.unresolved == ("data.get('codes').get(2)",)
    assert any("index 2 is outside a list of 2" in p and "fail the send" in p for p in result.problems)


def test_the_array_size() -> None:
    assert rendered("$!data.get('array name').size()") == "2"


def test_the_foreach_loop_and_velocity_count() -> None:
    template = "#foreach($item in $data.get('array name'))\n$velocityCount: $item.get('name') ...\n#end"
    assert rendered(template) == "1: Tea ...\n2: Cake ...\n"


def test_break_stops_the_loop_on_a_condition() -> None:
    items = [{"name": f"n{i}"} for i in range(9)]
    template = (
        "#foreach($item in $data.get('array name'))\n$velocityCount: $item.get('name')\n"
        "#if( $velocityCount > 5 ) #break #end\n#end"
    )
    text = rendered(template, {"data": {"array name": items}})
    assert text.split() == ["1:", "n0", "2:", "n1", "3:", "n2", "4:", "n3", "5:", "n4", "6:", "n5"]


def test_assignment() -> None:
    assert rendered("#set($var='value')$var") == "value"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("$n gt 4", True),
        ("$n > 5", False),
        ("$n lt 6", True),
        ("$n < 5", False),
        ("$n ge 5", True),
        ("$n >= 6", False),
        ("$n le 5", True),
        ("$n <= 4", False),
        ("$n == 5", True),
        ("$n eq 4", False),
        ("$n != 4", True),
        ("$n ne 5", False),
        ("$n > 1 and $n < 9", True),
        ("$n > 1 && $n > 9", False),
        ("$n > 9 or $n == 5", True),
        ("$n > 9 || $n == 4", False),
        ("not ($n == 4)", True),
        ("!$n == 4", False),  # ! binds first, as in Velocity's grammar: (!$n) == 4
        ("!($n == 5)", False),
        ("($n > 9 || $n == 5) && !($n == 4)", True),
    ],
)
def test_comparison_and_logical_operators(condition: str, expected: bool) -> None:
    assert rendered(f"#if({condition})yes#{{else}}no#end", {"n": 5}) == ("yes" if expected else "no")


# https://docs.esputnik.com/docs/introduction-to-velocity: the object a smartsend call passes.
def test_the_smartsend_example_object() -> None:
    text = rendered("<a href=\"$!data.get('link')\">$!data.get('discount') off</a>")
    assert text == '<a href="https://example.site.com/items_for_sale">5% off</a>'


# https://docs.yespo.io/docs/using-velocity-email: the data is JSON, keys read as $key.
def test_keys_as_top_level_names() -> None:
    data = {"firstName": "Helen", "discount": "15%", "deliveryMethod": "express"}
    assert rendered("Hello, $firstName! Your discount: $discount.", data) == "Hello, Helen! Your discount: 15%."


def test_email_directives_wrapped_in_html_comments() -> None:
    # Velocity leaves the comment marks around the directives: empty comments, invisible in HTML.
    template = "<!--#foreach($item in $items)-->\n  <p>$item.name — $item.cost</p>\n<!--#end-->"
    items = [{"name": "Tea", "cost": 3}, {"name": "Cake", "cost": 4.5}]
    expected = "<!---->\n  <p>Tea — 3</p>\n<!---->\n  <p>Cake — 4.5</p>\n<!---->"
    assert rendered(template, {"items": items}) == expected


def test_short_form_channels_use_directives_on_their_own_lines() -> None:
    template = "Your order:\n#foreach($item in $items)\n$item.name\n#end\nThanks"
    assert rendered(template, {"items": [{"name": "Tea"}, {"name": "Cake"}]}) == "Your order:\nTea\nCake\nThanks"


# https://docs.yespo.io/docs/testing-troubleshooting-velocity
def test_contact_fields_in_formal_notation_and_an_event_array_by_index() -> None:
    context = {"firstName": "Helen", "email": "helen@example.com", "items": [{"name": "Tea"}]}
    assert rendered("${firstName} <${email}>: $items[0].name", context) == "Helen <helen@example.com>: Tea"


def test_a_missing_variable_shows_as_written() -> None:
    result = render("Hi $firstName, your $deliveryMethod order", {})
    assert result.text == "Hi $firstName, your $deliveryMethod order"
    assert result.unresolved == ("firstName", "deliveryMethod")


# https://docs-ua.esputnik.com/docs/vikoristannya-mozhlivostej-velocity-v-esputnik: the notations.
@pytest.mark.parametrize(
    ("template", "with_value", "without"),
    [
        ("[$discount]", "[5%]", "[$discount]"),
        ("[$!discount]", "[5%]", "[]"),
        ("[${discount}]", "[5%]", "[${discount}]"),
        ("[$!{discount}]", "[5%]", "[]"),
        ("[${discount|Free Shipping}]", "[5%]", "[Free Shipping]"),
        ("[${discount|'Free Shipping'}]", "[5%]", "[Free Shipping]"),
    ],
)
def test_reference_notations(template: str, with_value: str, without: str) -> None:
    assert rendered(template, {"discount": "5%"}) == with_value
    result = render(template, {})
    assert (result.text, result.unresolved) == (without, ("discount",))


# --- Velocity 2.x semantics -------------------------------------------------------------------


def test_property_and_map_access_in_every_form() -> None:
    data = {"data": {"orderId": 7, "items": [1, 2], "name": "Ann"}}
    template = "$data.orderId ${data.items} $data.get(\"name\") $data.get('name').length() $!data.name.toUpperCase()"
    assert rendered(template, data) == "7 [1, 2] Ann 3 ANN"


def test_values_print_as_java_prints_them() -> None:
    data = {"t": True, "f": 12.5, "m": {"a": 1, "b": None}, "l": ["x", 2, False]}
    assert rendered("$t $f $m $l", data) == "true 12.5 {a=1, b=null} [x, 2, false]"


def test_unresolved_names_are_distinct_in_order_of_first_appearance() -> None:
    result = render("$b $a $!b ${a} $data.get('x') $data.x", {"data": {}})
    assert result.unresolved == ("b", "a", "data.get('x')", "data.x")


def test_a_json_null_is_unresolved() -> None:
    result = render("[$!data.name][$data.name]", {"data": {"name": None}})
    assert (result.text, result.unresolved) == ("[][$data.name]", ("data.name",))


def test_conditions_are_not_reported_as_unresolved() -> None:
    result = render("#if($!data.promo)Code: $data.promo#{else}No code#end", {"data": {}})
    assert (result.text, result.unresolved) == ("No code", ())


def test_elseif_chains() -> None:
    template = "#if($n > 10)big#elseif($n > 3)mid#elseif($n > 0)small#{else}none#end"
    assert [rendered(template, {"n": n}) for n in (11, 5, 1, 0)] == ["big", "mid", "small", "none"]


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        *[(None, False), (False, False), ("", False), ([], False), ({}, False), (0, False), (0.0, False)],
        *[(True, True), ("false", True), (" ", True), ("0", True), (-1, True), ([0], True), ({"a": 1}, True)],
    ],
)
def test_truthiness(value: Any, truthy: bool) -> None:
    # Velocity 2's DuckType.asEmpty (since 2017, so in the 2.4.1 eSputnik's docs name): null, false,
    # zero and empty are false; a string is empty only when it has no characters at all.
    # https://github.com/apache/velocity-engine (velocity-engine-core/.../util/DuckType.java)
    assert rendered("#if($v)T#{else}F#end", {"v": value}) == ("T" if truthy else "F")


def test_numeric_strings_compare_as_numbers() -> None:
    # ASTComparisonNode coerces both sides with DuckType.asNumber (a BigDecimal from a string).
    assert rendered("#if($total > 100)big#end", {"total": "150.50"}) == "big"
    assert rendered("#if($total == 150)same#end", {"total": "150.0"}) == "same"
    assert rendered("#if($a == $b)same#end", {"a": "5", "b": 5}) == "same"
    assert rendered("#if($a == $b)same#{else}differ#end", {"a": "true", "b": True}) == "same"


def test_a_float_equals_the_decimal_it_prints_as() -> None:
    assert rendered("#if($p == '0.1')same#end #if($p < 0.2)less#end", {"p": 0.1}) == "same less"


def test_ordering_something_that_is_not_a_number_is_false_and_a_problem() -> None:
    result = render("#if($name > 5)x#{else}y#end", {"name": "Ann"})
    assert result.text == "y"
    assert result.problems == ("'Ann' > '5' is false: not two numbers",)


def test_equality_with_null() -> None:
    assert rendered("#if($nothing == $missing)both#end #if($x != $nothing)set#end", {"x": 1}) == "both set"


def test_foreach_state_and_separators() -> None:
    template = "#foreach($c in $codes)$c#if($foreach.hasNext), #end#end|$foreach.count"
    result = render(template, {"codes": ["a", "b", "c"]})
    assert result.text == "a, b, c|$foreach.count"  # the loop state ends with the loop


def test_foreach_over_a_map_iterates_its_values_and_restores_the_loop_variable() -> None:
    context = {"m": {"x": 1, "y": 2}, "item": "outer"}
    assert rendered("#foreach($item in $m)$item,#end$item", context) == "1,2,outer"


def test_nested_loops_and_index() -> None:
    template = "#foreach($r in $rows)#foreach($c in $r)$foreach.index#end;#end"
    assert rendered(template, {"rows": [[1, 2], [3]]}) == "01;0;"


def test_foreach_over_a_missing_list_is_reported() -> None:
    result = render("[#foreach($i in $data.items)$i#end]", {"data": {}})
    assert (result.text, result.unresolved) == ("[]", ("data.items",))


def test_set_from_references_literals_and_interpolated_strings() -> None:
    template = "#set($n = $data.name)#set($g = \"Hi $n!\")#set($s = 'Hi $n!')#set($b = true)#set($d = 2.5)$g $s $b $d"
    assert rendered(template, {"data": {"name": "Ann"}}) == "Hi Ann! Hi $n! true 2.5"


def test_escaping() -> None:
    assert rendered("\\$name \\\\$name \\${name} \\#if($x) \\n", {"name": "Ann"}) == "$name \\Ann ${name} #if($x) \\n"


def test_comments_leave_nothing() -> None:
    assert rendered("a ## gone\nb #* gone\ntoo *# c\n## whole line\nd") == "a b  c\nd"


def test_a_line_holding_only_a_directive_leaves_no_blank_line() -> None:
    template = "<ul>\n  #foreach($i in $l)\n  <li>$i</li>\n  #end\n</ul>\n  #set($x = 1)\nend"
    assert rendered(template, {"l": [1, 2]}) == "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\nend"


def test_text_that_only_looks_like_velocity_passes_unchanged() -> None:
    text = '<p style="color:#fff">Price: $5, 100$ #1 #ending $ # $.x $!</p><a href="#top">&amp;</a>'
    assert render(text, {}) == Rendered(text)


def test_a_break_outside_a_loop_stops_the_template() -> None:
    assert rendered("before#break after") == "before"


def test_nothing_is_evaluated_as_python() -> None:
    context = {"data": {"x": "y"}}
    template = "$data.__class__ $data.get('x').__class__ $data.keys() $data.x.format() #set($z = __import__)$z"
    result = render(template, context)
    assert result.text == "$data.__class__ $data.get('x').__class__ $data.keys() $data.x.format() $z"
    assert "line 1: #set: unexpected '__import__'" in result.problems


def test_methods_the_preview_cannot_call_are_problems() -> None:
    result = render("$!data.x.replace('a', 'b')", {"data": {"x": "a"}})
    assert result.text == ""
    assert result.problems == ("$!data.x.replace('a', 'b'): the preview cannot call replace(); shown as unresolved",)


@pytest.mark.parametrize("directive", ["#parse('x.vm')", "#include('x')", "#macro(m)", "#stop"])
def test_directives_the_preview_does_not_run_are_shown_and_reported(directive: str) -> None:
    result = render(f"a {directive} b", {})
    assert result.text == f"a {directive} b"
    assert "is not rendered by the preview" in result.problems[0]


# --- variables() ------------------------------------------------------------------------------


def test_variables_are_the_top_level_names_read() -> None:
    template = (
        '#set($greeting = "Hi $!contact.firstName")$greeting ${firstName}\n'
        "#foreach($item in $data.get('items'))$item.name $foreach.count $velocityCount#end\n"
        "#if($total > $limit.get($key))x#end \\$escaped ${x|$fallback}"
    )
    assert variables(template) == ("contact", "firstName", "data", "total", "limit", "key", "x", "fallback")


def test_variables_of_a_malformed_template_do_not_raise() -> None:
    assert variables("#if($a ==)#end#end $b #foreach(") == ("b",)


# --- recipient_context() ----------------------------------------------------------------------


def test_the_recipient_context_reads_params_both_ways_and_over_contact_fields() -> None:
    context = recipient_context({"discount": "5%", "firstName": "Nell"}, {"firstName": "Helen", "email": "h@x.io"})
    template = "$firstName $email $discount $!data.get('discount') $!data.email"
    assert render(template, context).text == "Nell h@x.io 5% 5% "
    assert recipient_context(None) == {"data": {}}


# --- malformed templates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "text", "problem"),
    [
        ("a#end b", "a b", "line 1: #end closes nothing; ignored"),
        ("#if(true)\nopen", "open", "line 1: #if has no #end"),
        ("x\n#if($a == )y#end z", "x\n z", "line 2: #if: unexpected ')'"),
        ("#if($a ==)y#{else}n#end", "n", "line 1: #if: unexpected ')'"),
        ("#if ok", "#if ok", "line 1: #if: expected '(', found 'ok'; shown as written"),
        ("#if($a", "#if(1", "line 1: #if: expected ')', found 'the end'; shown as written"),
        ("#else x", " x", "line 1: #else outside an #if; ignored"),
        ("#if(true)a#else b#else c#end", "a", "line 1: #else after #else; ignored"),
        ("#elseif($x)a", "a", "line 1: #elseif outside an #if; ignored"),
        ("#set($a.b = 1)x", "x", "line 1: #set: a plain $name must come first"),
        ("#foreach($i $l)x#end!", "!", "line 1: #foreach: expected 'in', found '$'"),
        ("#* never closed", "#* never closed", "line 1: #* is never closed by *#; shown as written"),
        ("#if([1..3])x#end", "", "line 1: #if: unexpected '['"),
        ("#if($a - 1)x#end", "", "line 1: #if: expected ')', found '-'"),
    ],
)
def test_malformed_templates_render_what_they_can(template: str, text: str, problem: str) -> None:
    result = render(template, {"a": 1})
    assert (result.text, result.problems) == (text, (problem,))


def test_a_value_that_cannot_be_printed_stops_the_preview_without_raising() -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no")

    result = render("before $x after", {"x": Unprintable()})
    assert (result.text, result.problems) == ("before ", ("the preview stopped: RuntimeError: no",))


def test_problems_are_listed_up_to_a_limit() -> None:
    problems = render("#end\n" * 100, {}).problems
    assert len(problems) == 21
    assert problems[-1] == "more problems not listed"


def test_random_templates_never_raise() -> None:
    pieces = ["$", "#", "\\", "!", "{", "}", "(", ")", "[", "]", "'", '"', ".", "|", "=", " ", "\n", "a", "1"]
    pieces += ["#if(", "#end", "#else", "#elseif(", "#foreach(", " in ", "#set(", "#break", "$a", "$!b", "${c"]
    pieces += ["#*", "*#", "##", ".get(", ".size()", "==", "&&", "||", "true", "$l", "#{end}", "'x'"]
    generator = random.Random(20_240_601)
    context = {"a": 1, "b": "x", "c": {"d": [1, 2]}, "l": [1, 2, 3]}
    for _ in range(2_000):
        template = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 30)))
        result = render(template, context)
        assert not any(p.startswith("the preview stopped") for p in result.problems), template
        variables(template)


# --- bounds -----------------------------------------------------------------------------------


def test_the_output_is_cut_at_its_limit() -> None:
    result = render("#foreach($i in $l)$text#end", {"l": list(range(5_000)), "text": "x" * 100})
    assert len(result.text) == MAX_OUTPUT
    assert result.problems == (f"the text is cut at {MAX_OUTPUT} characters",)


def test_loops_stop_after_their_iterations_in_all() -> None:
    result = render("#foreach($r in $l)#foreach($c in $l)x#end#end", {"l": list(range(1_000))})
    # Each outer iteration costs one plus its 1000 inner ones: 9 whole, then 990 inner in the tenth.
    assert result.text == "x" * (MAX_ITERATIONS - 10)
    assert result.problems == (f"loops stopped after {MAX_ITERATIONS} iterations",)


def test_strings_built_by_doubling_are_bounded() -> None:
    result = render('#set($s = "x")#foreach($i in $l)#set($s = "$s$s")#end$s', {"l": list(range(64))})
    assert len(result.text) <= MAX_OUTPUT
    assert f"the text is cut at {MAX_OUTPUT} characters" in result.problems


def test_deep_nesting_is_refused_not_recursed() -> None:
    blocks = render("#if(true)" * 60 + "x" + "#end" * 60, {})
    assert "line 1: blocks nested deeper than 50; the rest is shown as written" in blocks.problems
    parens = render("#if(" + "(" * 200 + "true" + ")" * 200 + ")x#end", {})
    assert parens.problems[0].startswith("line 1: #if: nested deeper than 50")
    nots = render("#if(" + "!" * 500 + "true)x#end", {})
    assert nots.problems[0].startswith("line 1: #if: nested deeper than 50")
    calls = render("$a" + ".get($a" * 100 + ")" * 100, {"a": {}})
    assert calls.text.startswith("{}.get({}.get(")  # too deep to be one reference: read as several


def test_the_result_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        render("x", {}).text = "y"  # type: ignore[misc]
