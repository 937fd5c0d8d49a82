"""Formula KPIs (DESIGN §4): an arithmetic expression over other KPIs' values for the
same period, such as ``kpi:12 / kpi:7 * 100``.

A small recursive-descent parser, never ``eval``: it knows numbers, ``kpi:<id>``
names, ``+ - * /`` (``×`` and ``÷`` too), unary minus, parentheses and the functions
``min``, ``max`` and ``abs``, and nothing else. Pure: no database access; the services
check that the names are KPIs of the same organisation and that no cycle forms.

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := ("-" | "+") factor | primary
    primary    := number | "kpi:" digits | name "(" expression ("," expression)* ")" | "(" expression ")"
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_LENGTH = 500
MAX_DEPTH = 40

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)|(?P<kpi>kpi:\s*\d+)|(?P<name>[A-Za-z_]+)"
    r"|(?P<op>[-+*/×÷(),]))"
)
_FUNCTIONS: dict[str, tuple[int, int, Callable[..., float]]] = {
    # name: (fewest arguments, most arguments, function)
    "min": (1, 20, min),
    "max": (1, 20, max),
    "abs": (1, 1, abs),
}


class FormulaError(ValueError):
    """A formula that does not parse, or cannot be computed (a message for people)."""


class MissingInput(FormulaError):
    """An input KPI has no value for the period: no value is computed."""


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    kpi_id: int


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Num | Ref | Neg | BinOp | Call


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].strip()[:1]
            raise FormulaError(_("“%(char)s” is not allowed in a formula.") % {"char": bad})
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "op":
            value = {"×": "*", "÷": "/"}.get(value, value)
        out.append((kind, value))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FormulaError(_("The formula ends too early."))
        if value is not None and token[1] != value:
            raise FormulaError(_("Expected “%(want)s” before “%(got)s”.") % {"want": value, "got": token[1]})
        self.pos += 1
        return token

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(_("The formula is nested too deeply."))
        node = self.term()
        while (token := self.peek()) is not None and token[1] in ("+", "-"):
            self.take()
            node = BinOp(token[1], node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.factor()
        while (token := self.peek()) is not None and token[1] in ("*", "/"):
            self.take()
            node = BinOp(token[1], node, self.factor())
        return node

    def factor(self) -> Node:
        token = self.peek()
        if token is not None and token[1] in ("-", "+"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormulaError(_("The formula is nested too deeply."))
            inner = self.factor()
            self.depth -= 1
            return Neg(inner) if token[1] == "-" else inner
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return Num(float(value))
        if kind == "kpi":
            return Ref(int(value[4:].strip()))
        if kind == "name":
            return self.call(value)
        if value == "(":
            node = self.expression()
            self.take(")")
            return node
        raise FormulaError(_("“%(token)s” cannot stand here.") % {"token": value})

    def call(self, name: str) -> Node:
        spec = _FUNCTIONS.get(name.lower())
        if spec is None:
            raise FormulaError(
                _("“%(name)s” is not known: use kpi:<id>, numbers, + - * /, parentheses, min, max and abs.")
                % {"name": name}
            )
        self.take("(")
        args = [self.expression()]
        while (token := self.peek()) is not None and token[1] == ",":
            self.take()
            args.append(self.expression())
        self.take(")")
        fewest, most, _fn = spec
        if not fewest <= len(args) <= most:
            raise FormulaError(_("%(name)s takes %(n)d value(s).") % {"name": name.lower(), "n": fewest})
        return Call(name.lower(), tuple(args))


def parse(text: str) -> Node:
    """The formula's tree; ``FormulaError`` with a message when it does not parse."""
    text = (text or "").strip()
    if not text:
        raise FormulaError(_("The formula is empty."))
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("Keep the formula under %(n)d characters.") % {"n": MAX_LENGTH})
    parser = _Parser(_tokens(text))
    node = parser.expression()
    if parser.peek() is not None:
        raise FormulaError(_("Unexpected “%(token)s”.") % {"token": parser.tokens[parser.pos][1]})
    return node


def references(node: Node) -> set[int]:
    """The KPI ids the formula reads."""
    if isinstance(node, Ref):
        return {node.kpi_id}
    if isinstance(node, Neg):
        return references(node.operand)
    if isinstance(node, BinOp):
        return references(node.left) | references(node.right)
    if isinstance(node, Call):
        return set().union(*(references(a) for a in node.args))
    return set()


def evaluate(node: Node, values: Mapping[int, float]) -> float:
    """The formula's value from its inputs' values. ``MissingInput`` when an input has no
    value; ``FormulaError`` on a division by zero or a result that is not a finite number."""
    result = _eval(node, values)
    if not math.isfinite(result):
        raise FormulaError(_("The formula's result is not a finite number."))
    return result


def _eval(node: Node, values: Mapping[int, float]) -> float:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Ref):
        if node.kpi_id not in values:
            raise MissingInput(_("kpi:%(id)d has no value for this period.") % {"id": node.kpi_id})
        return float(values[node.kpi_id])
    if isinstance(node, Neg):
        return -_eval(node.operand, values)
    if isinstance(node, Call):
        return float(_FUNCTIONS[node.name][2](*(_eval(a, values) for a in node.args)))
    left, right = _eval(node.left, values), _eval(node.right, values)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        raise FormulaError(_("Division by zero: no value is recorded for this period."))
    return left / right
