"""The part of Apache Velocity that eSputnik message templates use, for rendering what a send
would deliver.

References: ``$name``, ``$!name`` (quiet: renders empty when unknown), ``${name}``, ``$!{name}``,
with ``.get('key')`` and ``.key`` steps (``$!data.get('orderId')``, ``${data.orderId}``). ``data``
is the send's own parameters (smartsend ``jsonParam``); other names are the contact's
(``firstName``, ``lastName``, ``email``, ``phone``, ``contactId``, ``externalCustomerId``), falling
back to the send's parameters. An unknown non-quiet reference stays as written, as in Velocity.

Directives: ``#if(condition)``, ``#elseif(condition)``, ``#else``, ``#end``, also in the braced
forms ``#{if}(…)``, ``#{else}``, ``#{end}``. A condition compares references and literals (strings,
numbers, ``true``, ``false``, ``null``) with ``== != > < >= <=`` (or ``eq ne gt lt ge le``) and
combines them with ``&& || !`` (or ``and or not``) and brackets. A lone reference is true unless it
is null, false, empty or zero: Velocity 2's default ("empty check"); which Velocity eSputnik runs
is not documented. A template whose directives do not parse has its references filled and its
directives left as written (Velocity would refuse it; the sandbox stays lenient).

``#set``, ``#foreach``, macros and comments are not interpreted: they stay as written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

REFERENCE = re.compile(
    r"\$(?P<quiet>!)?(?P<open>\{)?(?P<name>[A-Za-z_]\w*)"
    r"(?P<steps>(?:\.get\(\s*'[^']*'\s*\)|\.[A-Za-z_]\w*(?!\w|\())*)(?(open)\})"
)
_STEP = re.compile(r"\.get\(\s*'([^']*)'\s*\)|\.([A-Za-z_]\w*)")
_DIRECTIVE = re.compile(r"#(?:(?P<plain>if|elseif|else|end)\b|\{(?P<braced>if|elseif|else|end)\})")
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'[^']*'|\"[^\"]*\")|(?P<number>-?\d+(?:\.\d+)?)|(?P<op>==|!=|>=|<=|&&|\|\||[<>!()])"
    r"|(?P<word>[A-Za-z_]\w*)|(?P<ref>\$))"
)
_WORD_OPS = {"eq": "==", "ne": "!=", "gt": ">", "lt": "<", "ge": ">=", "le": "<=", "and": "&&", "or": "||", "not": "!"}
_COMPARISONS = ("==", "!=", ">", "<", ">=", "<=")


class _Unparsable(Exception):
    """The template's directives are not well formed."""


@dataclass
class _Branch:
    condition: str | None  # None: the #else branch
    body: list[_Node] = field(default_factory=list)


@dataclass
class _If:
    branches: list[_Branch]


_Node = str | _If


def render(template: str, variables: dict[str, Any], data: dict[str, Any]) -> str:
    """``template`` with its references filled and its ``#if`` blocks decided."""
    scope = _Scope(variables, data)
    try:
        nodes = _parse(template)
    except _Unparsable:
        return scope.fill(template)
    return scope.render(nodes)


def _parse(template: str) -> list[_Node]:
    """The template as text and ``#if`` blocks, each branch with its condition's source."""
    root: list[_Node] = []
    stack: list[_If] = []
    current = root
    position = 0
    while (match := _DIRECTIVE.search(template, position)) is not None:
        current.append(template[position : match.start()])
        position = match.end()
        word = match["plain"] or match["braced"]
        condition = None
        if word in ("if", "elseif"):
            condition, position = _condition_source(template, position)
        if word == "if":
            block = _If([_Branch(condition)])
            current.append(block)
            stack.append(block)
            current = block.branches[-1].body
            continue
        if not stack or (stack[-1].branches[-1].condition is None and word != "end"):
            raise _Unparsable  # #elseif/#else/#end outside #if, or after #else
        if word == "end":
            stack.pop()
            current = stack[-1].branches[-1].body if stack else root
        else:
            branch = _Branch(condition)
            stack[-1].branches.append(branch)
            current = branch.body
    if stack:
        raise _Unparsable  # an #if without #end
    current.append(template[position:])
    return root


def _condition_source(template: str, position: int) -> tuple[str, int]:
    """The text inside the brackets that follow ``#if``/``#elseif`` at ``position``, and where it ends."""
    while position < len(template) and template[position] in " \t":
        position += 1
    if position >= len(template) or template[position] != "(":
        raise _Unparsable
    depth, quote, index = 0, "", position
    while index < len(template):
        char = template[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return template[position + 1 : index], index + 1
        index += 1
    raise _Unparsable


@dataclass
class _Scope:
    variables: dict[str, Any]
    data: dict[str, Any]

    def lookup(self, name: str, steps: str) -> Any:
        value: Any = self.data if name == "data" else self.variables.get(name, self.data.get(name))
        keys = [get or prop for get, prop in _STEP.findall(steps)]
        if name == "data" and not keys:
            return None  # $data alone is not a value a template prints
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def fill(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            value = self.lookup(match["name"], match["steps"] or "")
            if value is None:
                return "" if match["quiet"] else match.group(0)
            return _text(value)

        return REFERENCE.sub(one, text)

    def render(self, nodes: list[_Node]) -> str:
        out = []
        for node in nodes:
            if isinstance(node, str):
                out.append(self.fill(node))
                continue
            for branch in node.branches:
                if branch.condition is None or self.holds(branch.condition):
                    out.append(self.render(branch.body))
                    break
        return "".join(out)

    def holds(self, condition: str) -> bool:
        """Whether ``condition`` is true; one that cannot be read is false."""
        try:
            return _Condition(self, condition).evaluate()
        except _Unparsable:
            return False


class _Condition:
    """A recursive-descent reader of one ``#if`` condition: or → and → not → comparison → operand."""

    def __init__(self, scope: _Scope, source: str) -> None:
        self.scope = scope
        self.tokens = self._tokens(source)
        self.index = 0

    def _tokens(self, source: str) -> list[tuple[str, Any]]:
        tokens: list[tuple[str, Any]] = []
        position = 0
        while source[position:].strip():
            match = _TOKEN.match(source, position)
            if match is None:
                raise _Unparsable
            position = match.end()
            if match["string"] is not None:
                tokens.append(("value", match["string"][1:-1]))
            elif match["number"] is not None:
                number = match["number"]
                tokens.append(("value", float(number) if "." in number else int(number)))
            elif match["op"] is not None:
                tokens.append(("op", match["op"]))
            elif match["word"] is not None:
                word = match["word"]
                if word in _WORD_OPS:
                    tokens.append(("op", _WORD_OPS[word]))
                elif word in ("true", "false", "null"):
                    tokens.append(("value", {"true": True, "false": False, "null": None}[word]))
                else:
                    raise _Unparsable
            else:
                reference = REFERENCE.match(source, match.start("ref"))
                if reference is None:
                    raise _Unparsable
                position = reference.end()
                tokens.append(("value", self.scope.lookup(reference["name"], reference["steps"] or "")))
        return tokens

    def evaluate(self) -> bool:
        result = self._or()
        if self.index != len(self.tokens):
            raise _Unparsable
        return _truthy(result)

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take_op(self, *ops: str) -> str | None:
        token = self._peek()
        if token is not None and token[0] == "op" and token[1] in ops:
            self.index += 1
            return str(token[1])
        return None

    def _or(self) -> Any:
        left = self._and()
        while self._take_op("||"):
            right = self._and()
            left = _truthy(left) or _truthy(right)
        return left

    def _and(self) -> Any:
        left = self._not()
        while self._take_op("&&"):
            right = self._not()
            left = _truthy(left) and _truthy(right)
        return left

    def _not(self) -> Any:
        if self._take_op("!"):
            return not _truthy(self._not())
        return self._comparison()

    def _comparison(self) -> Any:
        left = self._operand()
        op = self._take_op(*_COMPARISONS)
        if op is None:
            return left
        return _compare(left, op, self._operand())

    def _operand(self) -> Any:
        token = self._peek()
        if token is None:
            raise _Unparsable
        self.index += 1
        if token == ("op", "("):
            value = self._or()
            if not self._take_op(")"):
                raise _Unparsable
            return value
        if token[0] != "value":
            raise _Unparsable
        return token[1]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _compare(left: Any, op: str, right: Any) -> bool:
    """Numbers compare as numbers; ``==``/``!=`` compare anything else by its text, as Velocity
    compares values of different classes; ordering other values is false."""
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return {"==": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
    if op in ("==", "!="):
        same = (left is None and right is None) or (
            left is not None and right is not None and _text(left) == _text(right)
        )
        return same if op == "==" else not same
    return False


def _truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    number = _number(value)
    return number is None or number != 0


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
