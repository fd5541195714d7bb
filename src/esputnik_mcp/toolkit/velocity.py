"""The Apache Velocity of eSputnik (Yespo) message templates, rendered for a pre-send preview.

The person approving a send sees the message as its first recipients will get it. eSputnik renders
stored messages with the (Java) Velocity engine; this module renders the part of Velocity that
templates are documented to use, with Velocity 2.x semantics, and says what it could not resolve
rather than guess. What eSputnik's documentation says, and what here rests on it:

- "All external data is contained in the data object": ``$!data.get('parameter name')``,
  ``$!data.get('array name').get(0).get('parameter name')``, ``.size()``, ``#foreach($item in
  $data.get('array name'))`` with the counter ``$velocityCount`` (from 1) and ``#break``, ``#set``,
  and ``gt lt ge le == != and or not``. An index past the end of an array makes the send fail, so
  the preview reports it as a problem. https://docs.esputnik.com/docs/using-velocity-features-in-esputnik
  (also https://yespo.io/support/using-velocity-features-yespo).
- A smartsend recipient's ``jsonParam`` is such a JSON object, "used for emails with complex velocity
  templates": https://docs.esputnik.com/reference/using-smartsend-api-resource,
  https://docs.esputnik.com/docs/introduction-to-velocity.
- Newer pages use Velocity 2.4.1 notation on the same data without ``data.get`` (``$discount``,
  ``$!{discount}``, ``${discount|Free Shipping}``, ``$items[0].name``) and contact fields as
  ``${firstName}``, ``${email}`` (names case-insensitive); event and external data override contact
  fields of the same name: https://docs.yespo.io/docs/using-velocity-email,
  https://docs.yespo.io/docs/testing-troubleshooting-velocity, https://docs.yespo.io/docs/overview,
  https://docs-ua.esputnik.com/docs/vikoristannya-mozhlivostej-velocity-v-esputnik.
  :func:`recipient_context` builds a context on that reading. No page shows a ``$contact`` object.
- Email HTML wraps directives in comments (``<!--#if(...)-->``); Velocity leaves the comment marks,
  and so does this. ``%FIRSTNAME%`` merge tags are another mechanism and pass through as text.

Velocity 2.x behaviour kept (checked against apache/velocity-engine's DuckType and comparison
nodes): an unresolved ``$x`` stays as written and ``$!x`` renders nothing; ``#if`` is false for null,
false, zero, and empty strings, lists and maps; numeric strings compare as numbers; a line
holding only a directive leaves no blank line. Not rendered, and said so in ``problems``: arithmetic,
ranges, macros, ``#parse``/``#include``, methods other than map and list reads and a few String ones.
Nothing is evaluated as Python, the work is bounded (output, loop iterations, nesting), and a
malformed template is rendered as far as it goes, with what went wrong in ``problems``.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

MAX_OUTPUT = 200_000  # characters of rendered text, and of any string a template builds
MAX_ITERATIONS = 10_000  # #foreach iterations in one render, all loops together
MAX_DEPTH = 50  # nested blocks, parentheses, method arguments and string literals
MAX_PROBLEMS = 20
_LOOP_NAMES = ("foreach", "velocityCount")

_SPECIAL = re.compile(r"[$#\\]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAMES = "set|if|elseif|else|end|foreach|break"
_DIRECTIVE = re.compile(rf"#(?:\{{({_NAMES})\}}|({_NAMES})(?![A-Za-z0-9_]))")
_UNSUPPORTED = re.compile(r"#\{?(stop|include|parse|macro|define|evaluate)(?![A-Za-z0-9_])")
_LINE_END = re.compile(r"[ \t]*(?:\r?\n|\Z)")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?")
_TOKEN = re.compile(
    r"""\s*(?:(?P<num>-?\d+(?:\.\d+)?)(?![A-Za-z_0-9])|(?P<str>'(?:[^']|''){0,2000}'|"(?:[^"]|""){0,2000}")"""
    r"""|(?P<op>==|!=|>=|<=|&&|\|\||[()<>!=,\[\]])|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<ref>\$))"""
)
_LEVELS: tuple[dict[str, str], ...] = (
    {"||": "or", "or": "or"},
    {"&&": "and", "and": "and"},
    {"==": "==", "eq": "==", "!=": "!=", "ne": "!="},
    {"<": "<", "lt": "<", ">": ">", "gt": ">", "<=": "<=", "le": "<=", ">=": ">=", "ge": ">="},
)
_WORDS = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class Rendered:
    """A rendered template: its text; the references no value was found for (as written, without
    ``$``, ``!`` and braces: distinct, in order of first appearance); and what was malformed, or
    could not be rendered as eSputnik would."""

    text: str
    unresolved: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


class Lit(NamedTuple):
    value: Any


class Interp(NamedTuple):  # a double-quoted string: Velocity renders it as a template of its own
    nodes: tuple[Node, ...]


class Step(NamedTuple):  # $a.b ("prop"), $a.get('b') ("call"), $a[0] ("index")
    kind: str
    name: str
    args: tuple[Expr, ...] = ()


class Ref(NamedTuple):  # raw: as written, shown when nothing resolves; name: as reported
    head: str
    steps: tuple[Step, ...]
    raw: str
    quiet: bool
    name: str
    alt: Expr | None = None  # ${x|alternate}


class Op(NamedTuple):  # ("!",) on one operand, or a left-to-right chain of operators of one precedence
    ops: tuple[str, ...]
    operands: tuple[Expr, ...]


class SetVar(NamedTuple):
    name: str
    value: Expr


class If(NamedTuple):  # a None condition is #else
    branches: list[tuple[Expr | None, list[Node]]]


class Foreach(NamedTuple):
    var: str
    items: Expr
    body: list[Node]


class Break(NamedTuple):
    pass


Expr = Lit | Interp | Ref | Op
Node = str | Ref | SetVar | If | Foreach | Break


class _Malformed(Exception):
    pass


class _Stop(Exception):
    pass


class _BreakLoop(Exception):
    pass


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _note(problems: list[str], message: str) -> None:
    if message not in problems and len(problems) <= MAX_PROBLEMS:
        problems.append(message if len(problems) < MAX_PROBLEMS else "more problems not listed")


class _Parser:
    """Template text to nodes. Never raises: what is malformed goes to ``problems`` with its line,
    and the rest is parsed as well as it can be."""

    def __init__(self, text: str, depth: int, problems: list[str]) -> None:
        self.text, self.depth, self.problems = text, depth, problems
        self.root: list[Node] = []
        self.stack: list[tuple[If | Foreach, int]] = []  # open blocks and where they start

    @property
    def out(self) -> list[Node]:
        if not self.stack:
            return self.root
        node = self.stack[-1][0]
        return node.branches[-1][1] if isinstance(node, If) else node.body

    def problem(self, pos: int, message: str) -> None:
        _note(self.problems, f"line {self.text.count(chr(10), 0, pos) + 1}: {message}")

    def add(self, text: str) -> None:
        if text:
            self.out.append(text)

    def parse(self) -> list[Node]:
        i = 0
        while i < len(self.text):
            m = _SPECIAL.search(self.text, i)
            self.add(self.text[i : m.start() if m else None])
            i = self.special(m.start()) if m else len(self.text)
        for node, pos in self.stack:
            self.problem(pos, f"#{type(node).__name__.lower()} has no #end")
        return self.root

    def special(self, i: int) -> int:
        if self.text[i] == "\\":
            return self.escape(i)
        if self.text[i] == "#":
            return self.hash(i)
        found = self.ref(i, self.depth + len(self.stack))
        if found is None:
            self.add("$")
            return i + 1
        self.out.append(found[0])
        return found[1]

    def escape(self, i: int) -> int:
        """Pairs of backslashes print one; an odd one more keeps the reference or directive after
        them as written. Backslashes before anything else are plain text."""
        j = _skip(self.text, i, "\\")
        found = self.ref(j, self.depth + len(self.stack)) if self.text.startswith("$", j) else None
        directive = _DIRECTIVE.match(self.text, j)
        end = found[1] if found else directive.end() if directive else None
        if end is None:
            self.add(self.text[i:j])
            return j
        self.add("\\" * ((j - i) // 2))
        if (j - i) % 2 == 0:
            return j
        self.add(self.text[j:end])
        return end

    def hash(self, i: int) -> int:
        text = self.text
        if text.startswith("##", i):  # a line comment takes its line end with it
            newline = text.find("\n", i)
            end = len(text) if newline < 0 else newline
            self.gobble(i, end)
            return min(end + 1, len(text))
        if text.startswith("#*", i):
            end = text.find("*#", i + 2)
            if end >= 0:
                return self.gobble(i, end + 2)
            self.problem(i, "#* is never closed by *#; shown as written")
        m = _DIRECTIVE.match(text, i)
        if m is None:
            if (unsupported := _UNSUPPORTED.match(text, i)) is not None:
                self.problem(i, f"#{unsupported.group(1)} is not rendered by the preview; shown as written")
            self.add("#")
            return i + 1
        return self.directive(i, m.group(1) or m.group(2), m.end())

    def gobble(self, start: int, end: int) -> int:
        """Where text resumes after a directive at start:end. A line holding only the directive
        disappears whole, blanks and line end included (Velocity 2's default space gobbling)."""
        k = start
        while k > 0 and self.text[k - 1] in " \t":
            k -= 1
        rest = _LINE_END.match(self.text, end)
        if rest is None or (k > 0 and self.text[k - 1] != "\n"):
            return end
        lead, out = self.text[k:start], self.out
        if lead:
            if not (out and isinstance(out[-1], str) and out[-1].endswith(lead)):
                return end
            out[-1] = out[-1][: -len(lead)]
        return rest.end()

    def directive(self, i: int, name: str, end: int) -> int:
        depth = self.depth + len(self.stack)
        if name in ("if", "foreach") and depth >= MAX_DEPTH:
            self.problem(i, f"blocks nested deeper than {MAX_DEPTH}; the rest is shown as written")
            self.add(self.text[i:])
            return len(self.text)
        args: Any = None
        if name in ("set", "if", "elseif", "foreach"):
            start = _skip(self.text, end, " \t")
            try:
                args, end = self.arguments(name, start, depth + 1)
            except _Malformed as exc:
                close = self.text.find(")", start) if self.text.startswith("(", start) else -1
                self.problem(i, f"#{name}: {exc}" + ("" if close >= 0 else "; shown as written"))
                if close < 0:
                    self.add("#")
                    return i + 1
                end = close + 1
        after = self.gobble(i, end)
        self.apply(i, name, args)
        return after

    def arguments(self, name: str, j: int, depth: int) -> tuple[Any, int]:
        """``(cond)``, ``($name = value)`` or ``($item in list)``, read in place."""
        j = self.expect(j, "(")
        target = None
        if name in ("set", "foreach"):
            kind, _, start, _ = self.token(j)
            found = self.ref(start, depth) if kind == "ref" else None
            if found is None or found[0].steps:
                raise _Malformed("a plain $name must come first")
            target, j = found[0].head, self.expect(found[1], "=" if name == "set" else "in")
        value, j = self.expr(j, depth)
        return (value if target is None else (target, value)), self.expect(j, ")")

    def apply(self, i: int, name: str, args: Any) -> None:
        top = self.stack[-1][0] if self.stack else None
        if name in ("if", "foreach"):
            node: If | Foreach = If([(args or Lit(False), [])])
            if name == "foreach":
                var, items = args or ("item", Lit(()))
                node = Foreach(var, items, [])
            self.out.append(node)
            self.stack.append((node, i))
        elif name in ("elseif", "else"):
            if not isinstance(top, If) or top.branches[-1][0] is None:
                self.problem(i, f"#{name} {'after #else' if isinstance(top, If) else 'outside an #if'}; ignored")
            else:
                top.branches.append((None if name == "else" else args or Lit(False), []))
        elif name == "end":
            if top is None:
                self.problem(i, "#end closes nothing; ignored")
            else:
                self.stack.pop()
        elif name == "set" and args:
            self.out.append(SetVar(*args))
        elif name == "break":
            self.out.append(Break())

    # Expressions, read in place from self.text: each returns what it read and where it ended.

    def token(self, i: int) -> tuple[str, str, int, int]:
        m = _TOKEN.match(self.text, i)
        if m is None or m.lastgroup is None:
            rest = self.text[i : i + 100].lstrip()
            return ("bad" if rest else "end"), rest[:1], i, i
        return m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup), m.end()

    def expect(self, i: int, value: str) -> int:
        kind, token, _, end = self.token(i)
        if token != value or kind not in ("op", "word"):
            raise _Malformed(f"expected {value!r}, found {token[:20] or 'the end'!r}")
        return end

    def expr(self, i: int, depth: int, level: int = 0) -> tuple[Expr, int]:
        if depth > MAX_DEPTH:
            raise _Malformed(f"nested deeper than {MAX_DEPTH}")
        if level == len(_LEVELS):
            return self.unary(i, depth)
        first, i = self.expr(i, depth, level + 1)
        ops: list[str] = []
        operands = [first]
        while True:
            kind, token, _, end = self.token(i)
            op = _LEVELS[level].get(token) if kind in ("op", "word") else None
            if op is None:
                return (Op(tuple(ops), tuple(operands)) if ops else first), i
            operand, i = self.expr(end, depth, level + 1)
            ops.append(op)
            operands.append(operand)

    def unary(self, i: int, depth: int) -> tuple[Expr, int]:
        kind, token, start, end = self.token(i)
        if token in ("!", "not") and kind in ("op", "word"):
            operand, end = self.expr(end, depth + 1, len(_LEVELS))
            return Op(("!",), (operand,)), end
        if (kind, token) == ("op", "("):
            inner, i = self.expr(end, depth + 1)
            return inner, self.expect(i, ")")
        if kind == "ref":
            found = self.ref(start, depth + 1)
            if found is None:
                raise _Malformed("a '$' that starts no reference")
            return found
        return self.literal(kind, token, depth), end

    def literal(self, kind: str, token: str, depth: int) -> Expr:
        if kind == "num":
            return Lit(float(token) if "." in token else int(token))
        if kind == "word" and token in _WORDS:
            return Lit(_WORDS[token])
        if kind != "str":
            raise _Malformed(f"unexpected {token[:20]!r}" if token else "a value is missing")
        body = token[1:-1].replace(token[0] * 2, token[0])
        if token[0] == "'" or not _SPECIAL.search(body):
            return Lit(body)
        return Interp(tuple(_Parser(body, depth + 1, self.problems).parse()))

    def ref(self, i: int, depth: int) -> tuple[Ref, int] | None:
        """The reference at ``text[i] == '$'`` and where it ends; None when none starts there."""
        text = self.text
        quiet = text.startswith("!", i + 1)
        formal = text.startswith("{", i + 1 + quiet)
        m = _IDENT.match(text, i + 1 + quiet + formal)
        if m is None or depth > MAX_DEPTH:
            return None
        steps, j = [], m.end()
        while (step := self.step(j, depth)) is not None:
            steps.append(step[0])
            j = step[1]
        name, alt = text[m.start() : j], None
        if formal:
            if text.startswith("|", j):
                alt, j = self.alternate(j + 1, depth)
            if not text.startswith("}", j):
                return None
            j += 1
        return Ref(m.group(), tuple(steps), text[i:j], quiet, name, alt), j

    def step(self, j: int, depth: int) -> tuple[Step, int] | None:
        if self.text.startswith("[", j):
            found = self.call(j + 1, depth, "]")
            return (Step("index", "", found[0]), found[1]) if found and len(found[0]) == 1 else None
        m = _IDENT.match(self.text, j + 1) if self.text.startswith(".", j) else None
        if m is None or not self.text.startswith("(", m.end()):
            return (Step("prop", m.group()), m.end()) if m else None
        found = self.call(m.end() + 1, depth, ")")
        return (Step("call", m.group(), found[0]), found[1]) if found else None

    def call(self, j: int, depth: int, closer: str) -> tuple[tuple[Expr, ...], int] | None:
        """Arguments up to ``closer``; None if they do not read as expressions."""
        args: list[Expr] = []
        with contextlib.suppress(_Malformed):
            while (token := self.token(j))[1] != closer or token[0] != "op":
                j = self.expect(j, ",") if args else j
                arg, j = self.expr(j, depth + 1)
                args.append(arg)
            return tuple(args), token[3]
        return None

    def alternate(self, j: int, depth: int) -> tuple[Expr, int]:
        """``${x|alternate}``: an expression, or (as eSputnik's docs write it) bare text up to ``}``."""
        with contextlib.suppress(_Malformed):
            expr, k = self.expr(j, depth + 1)
            k = _skip(self.text, k, " \t")
            if self.text.startswith("}", k):
                return expr, k
        end = self.text.find("}", j)
        end = len(self.text) if end < 0 else end
        return Lit(self.text[j:end].strip()), end


def _number(value: Any) -> int | Decimal | None:
    """Velocity's number coercion: numbers, and strings that read as one (as ``BigDecimal``). A float
    is taken as the decimal it prints as, so that ``0.1`` from JSON equals ``'0.1'``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str) and len(value) < 60 and _NUMBER.fullmatch(value):
        return Decimal(value)
    return None


def _truthy(value: Any) -> bool:
    """Velocity 2's ``#if`` with its default empty check: null, false, zero, and empty strings,
    lists and maps are false."""
    if isinstance(value, str | Mapping | list | tuple):
        return len(value) > 0
    if isinstance(value, bool) or value is None:
        return value is True
    return not (isinstance(value, int | float | Decimal) and value == 0)


def _text(value: Any, depth: int = 0) -> str:
    """A value as Java prints it: ``true``, ``{key=value}``, ``[a, b]``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if depth > MAX_DEPTH:
        return "..."
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_text(k, depth + 1)}={_text(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v, depth + 1) for v in value) + "]"
    return str(value)


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    x, y = _number(left), _number(right)
    if x is not None and y is not None:
        return x == y
    return bool(left == right) if type(left) is type(right) else _text(left) == _text(right)


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get(key) if isinstance(key, str) else None
    if isinstance(value, list | tuple) and isinstance(key, int) and not isinstance(key, bool):
        if not 0 <= key < len(value):
            raise IndexError(f"index {key} is outside a list of {len(value)}")
        return value[key]
    return None


def _string(method: Callable[[str], Any]) -> Callable[[Any], Any]:
    return lambda value: method(value) if isinstance(value, str) else None


_METHODS: dict[tuple[str, int], Callable[..., Any]] = {
    ("get", 1): _index,
    ("size", 0): lambda v: len(v) if isinstance(v, Mapping | list | tuple) else None,
    ("isEmpty", 0): lambda v: len(v) == 0 if isinstance(v, str | Mapping | list | tuple) else None,
    ("containsKey", 1): lambda v, k: k in v if isinstance(v, Mapping) else None,
    ("length", 0): _string(lambda v: len(v.encode("utf-16-le")) // 2),  # Java counts UTF-16 units
    ("trim", 0): _string(str.strip),
    ("toUpperCase", 0): _string(str.upper),
    ("toLowerCase", 0): _string(str.lower),
    ("toString", 0): _text,
    ("equals", 1): _equal,
}


class _Renderer:
    def __init__(self, context: Mapping[str, Any], problems: list[str]) -> None:
        self.context, self.problems = context, problems
        self.vars: dict[str, Any] = {}
        self.out: list[str] = []
        self.size = self.iterations = 0
        self.unresolved: dict[str, None] = {}

    def emit(self, text: str) -> None:
        if len(text) > MAX_OUTPUT - self.size:
            self.out.append(text[: MAX_OUTPUT - self.size])
            _note(self.problems, f"the text is cut at {MAX_OUTPUT} characters")
            raise _Stop
        self.out.append(text)
        self.size += len(text)

    def nodes(self, nodes: Iterable[Node]) -> None:
        for node in nodes:
            if isinstance(node, str):
                self.emit(node)
            elif isinstance(node, Ref):
                self.emit(self.show(node))
            elif isinstance(node, SetVar):
                self.vars[node.name] = self.value(node.value)
            elif isinstance(node, If):
                self.nodes(next((b for c, b in node.branches if c is None or _truthy(self.value(c))), []))
            elif isinstance(node, Foreach):
                self.loop(node)
            else:
                raise _BreakLoop

    def show(self, ref: Ref) -> str:
        value = self.resolve(ref)
        if value is None:
            self.unresolved[ref.name] = None
        if ref.alt is not None and not _truthy(value):
            value = self.value(ref.alt)
        return _text(value) if value is not None else "" if ref.quiet else ref.raw

    def resolve(self, ref: Ref) -> Any:
        value = self.vars[ref.head] if ref.head in self.vars else self.context.get(ref.head)
        for step in ref.steps:
            if value is None:
                return None
            if step.kind == "prop":
                value = value.get(step.name) if isinstance(value, Mapping) else None
                continue
            method = _index if step.kind == "index" else _METHODS.get((step.name, len(step.args)))
            if method is None:
                _note(self.problems, f"{ref.raw}: the preview cannot call {step.name}(); shown as unresolved")
                return None
            try:
                value = method(value, *(self.value(arg) for arg in step.args))
            except IndexError as exc:
                _note(self.problems, f"{ref.raw}: {exc}, which makes eSputnik fail the send")
                return None
        return value

    def value(self, expr: Expr) -> Any:
        if isinstance(expr, Lit | Ref):
            return expr.value if isinstance(expr, Lit) else self.resolve(expr)
        if isinstance(expr, Interp):
            return self.interpolate(expr)
        if expr.ops == ("!",):
            return not _truthy(self.value(expr.operands[0]))
        left = self.value(expr.operands[0])
        for op, operand in zip(expr.ops, expr.operands[1:], strict=True):
            if op in ("and", "or"):  # short-circuit, as Java does
                left = _truthy(left if _truthy(left) == (op == "or") else self.value(operand))
            else:
                left = self.compare(op, left, self.value(operand))
        return left

    def compare(self, op: str, left: Any, right: Any) -> bool:
        if op in ("==", "!="):
            return _equal(left, right) == (op == "==")
        x, y = _number(left), _number(right)
        if x is None or y is None:
            _note(self.problems, f"'{_text(left)[:40]}' {op} '{_text(right)[:40]}' is false: not two numbers")
            return False
        return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]

    def interpolate(self, expr: Interp) -> str:
        saved = self.out, self.size
        self.out, self.size = [], 0
        try:
            self.nodes(expr.nodes)
            return "".join(self.out)
        finally:
            self.out, self.size = saved

    def loop(self, node: Foreach) -> None:
        items = self.value(node.items)
        items = list(items.values()) if isinstance(items, Mapping) else items  # a map: its values
        if not isinstance(items, list | tuple):
            if isinstance(node.items, Ref) and items is None:
                self.unresolved[node.items.name] = None
            elif items is not None:
                _note(self.problems, f"#foreach over {_text(items)[:40]!r}, which is not a list")
            return
        saved = {name: self.vars[name] for name in (node.var, *_LOOP_NAMES) if name in self.vars}
        try:
            for index, item in enumerate(items):
                if self.iterations >= MAX_ITERATIONS:
                    _note(self.problems, f"loops stopped after {MAX_ITERATIONS} iterations")
                    break
                self.iterations += 1
                last = index + 1 == len(items)
                foreach = {"index": index, "count": index + 1, "hasNext": not last, "first": index == 0, "last": last}
                self.vars.update({node.var: item, "foreach": foreach, "velocityCount": index + 1})
                self.nodes(node.body)
        except _BreakLoop:
            pass
        finally:
            for name in (node.var, *_LOOP_NAMES):
                self.vars.pop(name, None)
            self.vars.update(saved)


def render(template: str, context: Mapping[str, Any]) -> Rendered:
    """``template`` rendered with ``context`` (top-level names such as ``data``). Never raises: a
    preview that fails must still show what it has, and say where it stopped."""
    problems: list[str] = []
    renderer = _Renderer(context, problems)
    try:
        with contextlib.suppress(_Stop, _BreakLoop):  # the output cap, or a #break outside a loop
            renderer.nodes(_Parser(template, 0, problems).parse())
    except Exception as exc:  # a value in the context that cannot be read or printed
        _note(problems, f"the preview stopped: {type(exc).__name__}: {str(exc)[:100]}")
    return Rendered("".join(renderer.out), tuple(renderer.unresolved), tuple(problems))


_CHILDREN: dict[type, Callable[[Any], Iterable[Any]]] = {
    Ref: lambda r: (*(arg for step in r.steps for arg in step.args), r.alt),
    SetVar: lambda s: (s.value,),
    Foreach: lambda f: (f.items, *f.body),
    If: lambda i: (part for cond, body in i.branches for part in (cond, *body)),
    Op: lambda o: o.operands,
    Interp: lambda s: s.nodes,
}


def variables(template: str) -> tuple[str, ...]:
    """The top-level names ``template`` reads from its context (``data``, ``firstName``), in order
    of first appearance; names it assigns itself (``#set``, loop variables) are left out."""
    found: dict[str, None] = {}
    assigned = set(_LOOP_NAMES)

    def walk(item: Any) -> None:
        if isinstance(item, Ref):
            found[item.head] = None
        elif isinstance(item, SetVar | Foreach):
            assigned.add(item.name if isinstance(item, SetVar) else item.var)
        for part in _CHILDREN.get(type(item), lambda _: ())(item):
            walk(part)

    for node in _Parser(template, 0, []).parse():
        walk(node)
    return tuple(name for name in found if name not in assigned)


def _path(ref: Ref) -> str:
    """``data.get('orderId')`` as ``data.orderId``, ``$items[0].name`` as ``items[0].name``: the
    reference's head and its literal keys and indexes, up to the first step that is not one."""
    path = ref.head
    for step in ref.steps:
        key = step.args[0] if len(step.args) == 1 and isinstance(step.args[0], Lit) else None
        if step.kind == "prop":
            path += f".{step.name}"
        elif (step.kind == "index" or step.name == "get") and key is not None:
            value = key.value
            path += f".{value}" if isinstance(value, str) else f"[{value}]"
        else:
            break
    return path


def parameters(template: str) -> tuple[str, ...]:
    """What ``template`` reads from its context, each as a path (``firstName``, ``data.orderId``,
    ``data.items``), in order of first appearance: the variables a send must fill. References to
    names the template assigns itself (``#set``, loop variables) are left out."""
    found: dict[str, None] = {}
    assigned = set(_LOOP_NAMES)
    refs: list[Ref] = []

    def walk(item: Any) -> None:
        if isinstance(item, Ref):
            refs.append(item)
        elif isinstance(item, SetVar | Foreach):
            assigned.add(item.name if isinstance(item, SetVar) else item.var)
        for part in _CHILDREN.get(type(item), lambda _: ())(item):
            walk(part)

    for node in _Parser(template, 0, []).parse():
        walk(node)
    for ref in refs:
        if ref.head not in assigned:
            found[_path(ref)] = None
    return tuple(found)


def recipient_context(params: Mapping[str, Any] | None, contact: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a template reads for one smartsend recipient, on the reading of the docs above: contact
    fields (``firstName``, ``email``) as top-level names, and the recipient's ``jsonParam`` both as
    ``data`` and as top-level names, overriding contact fields of the same name. Names are matched
    exactly: the case-insensitivity the docs give contact fields is left to the caller."""
    data = dict(params or {})
    return {**(contact or {}), **data, "data": data}
