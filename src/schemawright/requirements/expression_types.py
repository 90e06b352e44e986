"""The type of a spec's SQL expression, as far as it can be told without a server, and the
mistakes PostgreSQL refuses when it creates the table: comparing values of unrelated types, a
function that does not exist or takes other types, a default or generated value of another
type than its column, a generated column calling now(), a constant divided by zero, nextval()
of a sequence the spec does not create, a literal its type cannot read.

Types are told apart by family (integer, numeric, text, datetime ...: sql/types.py).  Whatever cannot be
told (an operator of an extension, a function's overloads) is left to PostgreSQL: None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pglast

from schemawright.requirements import pg_builtins
from schemawright.sql import types
from schemawright.sql.types import family

_NUMBERS = {"integer", "numeric", "float"}
_TEXT_ONLY = {"integer", "numeric", "float", "boolean", "uuid", "datetime", "time", "interval", "inet", "json",
              "jsonb"}  # families a text function or a regular expression match does not take
_COMPARISONS = {"=", "<>", "!=", "<", ">", "<=", ">="}
_ARITHMETIC = {"+", "-", "*", "/", "%", "^"}
_REGEX = {"~", "~*", "!~", "!~*"}
# Built-in functions whose result family is known, and those that read only text.
_RESULTS = {
    "now": "datetime", "clock_timestamp": "datetime", "statement_timestamp": "datetime", "date_trunc": "datetime",
    "transaction_timestamp": "datetime", "to_timestamp": "datetime", "make_date": "datetime",
    "gen_random_uuid": "uuid", "random": "float", "nextval": "integer", "currval": "integer",
    "char_length": "integer", "character_length": "integer", "length": "integer", "octet_length": "integer",
    "lower": "text", "upper": "text", "btrim": "text", "ltrim": "text", "rtrim": "text", "md5": "text",
    "concat": "text", "concat_ws": "text", "replace": "text", "substr": "text", "left": "text", "right": "text",
    "lpad": "text", "rpad": "text", "initcap": "text", "to_char": "text", "format": "text", "age": "interval",
}
_TEXT_FUNCTIONS = {"char_length", "character_length", "btrim", "ltrim", "rtrim", "md5", "initcap", "lpad", "rpad",
                   "left", "right", "replace", "substr", "lower", "upper", "length"}
_SEQUENCE_FUNCTIONS = {"nextval", "currval", "setval"}


@dataclass
class Scope:
    """What an expression can see: its table's columns (name -> SQL type), the functions and
    sequences the spec creates, and whether an extension may add functions of its own."""

    columns: dict[str, str]
    functions: set[str] = field(default_factory=set)
    sequences: set[str] = field(default_factory=set)
    extensions: bool = False


def expression_problems(text: str, scope: Scope, target: str | None = None, generated: bool = False,
                        condition: bool = False) -> list[str]:
    """What PostgreSQL would refuse in `text` (one expression; unreadable text is reported
    elsewhere).  `target`: the SQL type the value is stored in (a default or a generated
    column); `generated`: the expression computes a stored column, so it must be immutable;
    `condition`: a CHECK or index predicate, which must be boolean."""
    try:
        node = pglast.parse_sql(f"SELECT ({text}\n)")[0].stmt(skip_none=True)["targetList"][0]["val"]
    except (pglast.parser.ParseError, IndexError, KeyError, TypeError):
        return []
    typer = _Typer(scope, generated)
    found = typer.infer(node)
    if condition and found == "unknown" and _is_string(node):
        if node["val"]["sval"].strip().lower() not in _BOOLEAN_WORDS:
            typer.problems.append(f"is the string {node['val']['sval']!r}, not a condition: PostgreSQL requires "
                                  "it to be boolean")
    elif condition and found not in (None, "null", "unknown", "boolean"):
        typer.problems.append(f"gives {_a(found)} value, not a condition: PostgreSQL requires it to be boolean")
    if target is not None and (column := family(target)) is not None:
        if found == "unknown" and _is_string(node):
            if problem := literal_problem(node["val"]["sval"], target):
                typer.problems.append(f"holds {problem}")
        elif found not in (None, "null", "unknown") and not _assignable(found, column):
            typer.problems.append(f"gives {_a(found)} value, and the column is {target}")
    return list(dict.fromkeys(typer.problems))


def literal_problem(value: str, sql_type: str) -> str | None:
    """Why PostgreSQL cannot read the quoted literal `value` as `sql_type`, or None."""
    from schemawright.requirements.values import _temporal_or_uuid

    read, text = types.parse(sql_type), value.strip()
    kind, base = read.family, read.base
    if kind == "integer":
        high = types.integer_high(base) or 0
        try:
            number = int(text)
        except ValueError:
            return f"{value!r} is not an integer"
        written = sql_type.strip().lower().split("(")[0]
        return None if -high - 1 <= number <= high else f"{value!r} is out of range for {written}"
    if kind in ("numeric", "float"):
        try:
            Decimal(text)
        except InvalidOperation:
            return f"{value!r} is not a number"
        return None
    if kind == "boolean":
        return None if text.lower() in _BOOLEAN_WORDS else f"{value!r} is not a boolean"
    if kind in ("datetime", "time", "uuid"):
        temporal = "date" if base == "date" else "time" if kind == "time" else "uuid" if kind == "uuid" else "timestamp"
        if text.lower() in _SPECIAL_WORDS.get(kind, ()):
            return None  # PostgreSQL's special values: now, today, epoch, infinity, allballs ...
        return f"{value!r} is not a {temporal}" if _temporal_or_uuid(temporal, value) else None
    if kind in ("bit", "interval", "inet", "money"):
        return _other_literal_problem(value, read)
    return None


# The words PostgreSQL reads as a value of a date, timestamp or time type (case and spaces aside).
_SPECIAL_WORDS = {
    "datetime": {"now", "today", "tomorrow", "yesterday", "epoch", "infinity", "-infinity"},
    "time": {"now", "allballs"},
}
# The unit words of PostgreSQL's interval input (its deltatktbl), compared on their first 10 letters.
_INTERVAL_WORDS = {w[:10] for w in (
    "ago c cent centuries century d day days dec decade decades decs h hour hours hr hrs m microsecon mil "
    "millennia millennium millisecon mils min mins minute minutes mon mons month months ms msec msecond "
    "mseconds msecs s sec second seconds secs us usec usecond useconds usecs w week weeks y year years yr "
    "yrs microsecond microseconds millisecond milliseconds").split()}


def _other_literal_problem(value: str, read: types.SqlType) -> str | None:
    """Bit strings, intervals, network addresses and money: what their input functions surely
    refuse (anything this cannot tell is left to PostgreSQL)."""
    text, kind = value.strip(), read.family
    if kind == "bit":
        digits, hexadecimal = value, False
        if value[:1] in ("b", "B", "x", "X"):
            digits, hexadecimal = value[1:], value[:1] in ("x", "X")
        allowed = "0123456789abcdefABCDEF" if hexadecimal else "01"
        if bad := next((c for c in digits if c not in allowed), None):
            return f"{value!r} is not a bit string ({bad!r} is not a {'hexadecimal' if hexadecimal else 'binary'} digit)"
        length = len(digits) * (4 if hexadecimal else 1)
        size = int(read.args[0]) if read.args and read.args[0].isdigit() else (1 if read.base == "bit" else None)
        if size is not None and (length > size or (read.base == "bit" and length != size)):
            return f"{value!r} has {length} bit(s), and the type is {read.text}"
        return None
    if kind == "interval":
        if text.lower() in ("infinity", "-infinity") or re.match(r"[Pp][0-9Tt]", text):
            return None  # PostgreSQL 17's infinities; ISO 8601 (P1D, PT1H) is left to PostgreSQL
        unknown = next((w for w in re.findall(r"[A-Za-z]+", text) if w.lower()[:10] not in _INTERVAL_WORDS), None)
        if not any(c.isdigit() for c in text) or unknown or re.search(r"\d+-\d+-\d+", text):
            return f"{value!r} is not an interval" + (f" ({unknown!r} is not a unit)" if unknown else "")
        return None
    if kind == "inet":
        if not text or re.search(r"[^0-9A-Fa-f:./]", text):
            return f"{value!r} is not a network address"
        return None
    # money: letters without a digit (its symbols come from lc_monetary, so little else is sure)
    return f"{value!r} is not an amount of money" if re.fullmatch(r"[^0-9]*[A-Za-z][^0-9]*", text) else None


# What PostgreSQL reads as a boolean (its parse_bool: a prefix of true, false, yes or no, on, off, 1, 0).
_BOOLEAN_WORDS = {w[:n] for w in ("true", "false", "yes", "no") for n in range(1, len(w) + 1)} | \
    {"on", "of", "off", "1", "0"}


def _assignable(value: str, column: str) -> bool:
    """PostgreSQL stores a value of family `value` in a column of family `column` (an implicit
    or assignment cast, or the text conversion every type has)."""
    return value == column or column == "text" or {value, column} <= _NUMBERS or {value, column} == {"json", "jsonb"} \
        or (column == "money" and value in ("integer", "numeric"))  # int4, int8 and numeric cast to money


def _comparable(a: str | None, b: str | None) -> bool:
    if a in (None, "null", "unknown") or b in (None, "null", "unknown") or a == b:
        return True
    return {a, b} <= _NUMBERS or {a, b} == {"json", "jsonb"}


def _is_string(node: dict) -> bool:
    return node.get("@") == "A_Const" and (node.get("val") or {}).get("@") == "String"


def _is_constant(node: dict) -> bool:
    return node.get("@") == "A_Const" or (node.get("@") == "TypeCast" and _is_constant(node["arg"]))


class _Typer:
    def __init__(self, scope: Scope, generated: bool):
        self.scope, self.generated, self.problems = scope, generated, []

    def infer(self, node: object) -> str | None:  # noqa: C901, PLR0911, PLR0912 - one case per node kind
        """The family of `node`'s value ("unknown": a quoted literal not yet given a type; "null")."""
        if not isinstance(node, dict):
            return None
        kind = node.get("@")
        if kind == "A_Const":
            if node.get("isnull"):
                return "null"
            return {"Integer": "integer", "Float": "numeric", "String": "unknown", "Boolean": "boolean",
                    "BitString": "bit"}.get((node.get("val") or {}).get("@"))
        if kind == "ColumnRef":
            last = (node.get("fields") or ({},))[-1]
            sql_type = self.scope.columns.get(last.get("sval", "")) if isinstance(last, dict) else None
            return family(sql_type) if sql_type else None
        if kind == "TypeCast":
            names = [n.get("sval", "") for n in node["typeName"].get("names") or ()]
            inner = self.infer(node["arg"])
            target = (family(names[-1]) if names else None)
            if target and node["typeName"].get("arrayBounds"):
                return target + "[]"
            if target and inner == "unknown" and _is_string(node["arg"]):
                if problem := literal_problem(node["arg"]["val"]["sval"], names[-1]):
                    self.problems.append(f"holds {problem}")
            return target
        if kind == "A_Expr":
            return self._operator(node)
        if kind == "BoolExpr":
            for arg in node.get("args") or ():
                found = self.infer(arg)
                if found not in (None, "null", "unknown", "boolean"):
                    self.problems.append(f"uses {_a(found)} value as a condition (in AND, OR or NOT)")
            return "boolean"
        if kind in ("NullTest", "BooleanTest"):
            self.infer(node.get("arg"))
            return "boolean"
        if kind == "FuncCall":
            return self._function(node)
        if kind == "SQLValueFunction":
            if self.generated:
                self.problems.append("reads the current date, time or user, which a generated column cannot "
                                     "(its value must follow from the row alone)")
            op = node["op"]["name"]
            return "datetime" if "DATE" in op or "TIMESTAMP" in op else "time" if "TIME" in op else "text"
        if kind in ("CoalesceExpr", "MinMaxExpr"):
            found = [self.infer(arg) for arg in node.get("args") or ()]
            return self._common(found, "COALESCE" if kind == "CoalesceExpr" else "GREATEST or LEAST")
        if kind == "CaseExpr":
            for when in node.get("args") or ():
                self.infer(when.get("expr"))
            found = [self.infer(w.get("result")) for w in node.get("args") or ()] + [self.infer(node.get("defresult"))]
            return self._common(found, "CASE")
        if kind == "CollateClause":
            return self.infer(node.get("arg"))
        if kind in ("RowExpr", "A_ArrayExpr"):
            self._walk(node.get("args") or node.get("elements"))
            return "row" if kind == "RowExpr" else "array"
        self._walk(node)
        return None

    def _walk(self, node: object) -> None:
        """Look inside a node this typer does not read, for the calls and comparisons in it."""
        if isinstance(node, dict):
            if node.get("@") in ("A_Expr", "FuncCall", "TypeCast", "BoolExpr", "SQLValueFunction"):
                self.infer(node)
                return
            for value in node.values():
                self._walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                self._walk(value)

    def _common(self, found: list[str | None], what: str) -> str | None:
        known = [f for f in found if f not in (None, "null", "unknown")]
        for other in known[1:]:
            if not _comparable(known[0], other):
                self.problems.append(f"mixes {known[0]} and {other} values in one {what}")
                return None
        return known[0] if known else None

    def _compare(self, left_node: dict, left: str | None, right_node: dict, right: str | None, op: str) -> None:
        if not _comparable(left, right):
            self.problems.append(f"compares {_a(left)} value with {_a(right)} value (`{op}`)")
            return
        for literal, other in ((right_node, left), (left_node, right)):
            if other not in (None, "null", "unknown", "text") and _is_string(literal):
                sql_type = {"datetime": "timestamp", "time": "time", "numeric": "numeric", "float": "double precision",
                            "integer": "bigint", "uuid": "uuid", "boolean": "boolean", "interval": "interval",
                            "inet": "inet", "bit": "bit varying", "money": "money"}.get(other)
                if sql_type and (problem := literal_problem(literal["val"]["sval"], sql_type)):
                    self.problems.append(f"holds {problem}")

    def _operator(self, node: dict) -> str | None:  # noqa: PLR0911 - one case per kind of operator
        kind = node["kind"]["name"]
        names = [n.get("sval") for n in node.get("name") or ()]
        op = names[-1] if names else ""
        lexpr, rexpr = node.get("lexpr"), node.get("rexpr")
        left = self.infer(lexpr) if lexpr is not None else None
        if isinstance(rexpr, (list, tuple)):  # IN (...), BETWEEN a AND b
            for item in rexpr:
                self._compare(lexpr, left, item, self.infer(item), "IN" if kind == "AEXPR_IN" else "BETWEEN")
            return "boolean"
        right = self.infer(rexpr)
        if kind in ("AEXPR_LIKE", "AEXPR_ILIKE") or (kind == "AEXPR_OP" and op in _REGEX and lexpr is not None):
            if left in _TEXT_ONLY:
                self.problems.append(f"matches {_a(left)} value against a text pattern; compare it, or cast it "
                                     "with ::text first")
            return "boolean"
        if kind in ("AEXPR_DISTINCT", "AEXPR_NOT_DISTINCT", "AEXPR_NULLIF") or (kind == "AEXPR_OP" and op in _COMPARISONS):
            self._compare(lexpr, left, rexpr, right, op)
            return left if kind == "AEXPR_NULLIF" else "boolean"
        if kind != "AEXPR_OP" or len(names) != 1:
            return None
        if lexpr is None:  # a prefix operator: -x, +x, @x (absolute value), |/x (square root)
            return right if op in ("-", "+", "@", "|/", "||/") and right in _NUMBERS | {"interval"} else None
        if op in ("/", "%") and lexpr is not None and _is_constant(lexpr) and _is_zero(rexpr):
            self.problems.append("divides a constant by zero")
        if op == "||":
            return "text" if "text" in (left, right) or "unknown" in (left, right) else None
        if op in _ARITHMETIC and lexpr is not None:
            odd = next((f for f in (left, right) if f in ("text", "boolean", "uuid")), None)
            if odd:
                self.problems.append(f"uses `{op}` on {_a(odd)} value, which has no such operator")
                return None
            if left in _NUMBERS and right in _NUMBERS:
                return "integer" if left == right == "integer" and op != "^" else "numeric"
            if left == "datetime" and op == "-" and right == "datetime":
                return None  # an interval, or an integer for dates
            return left if left in ("datetime", "time", "interval") and op in ("+", "-") else None
        return None

    def _function(self, node: dict) -> str | None:
        names = [n.get("sval", "") for n in node.get("funcname") or ()]
        name = names[-1] if names else ""
        args = node.get("args") or ()
        found = [self.infer(arg) for arg in args]
        if len(names) > 1 and names[0] != "pg_catalog":
            return None  # a function of another schema: the spec or an extension makes it
        known = name in pg_builtins.FUNCTIONS or name in self.scope.functions
        if not known and not self.scope.extensions:
            self.problems.append(f"calls {name}(), which PostgreSQL does not have and the spec does not create "
                                 "(in `objects:`)")
            return None
        if name in self.scope.functions:
            return None
        if self.generated and name in pg_builtins.NEVER_IMMUTABLE:
            self.problems.append(f"calls {name}(), whose result can change from one call to the next, which a "
                                 "generated column cannot (its value must follow from the row alone)")
        if name in _TEXT_FUNCTIONS and found and found[0] in _TEXT_ONLY and not (name == "length" and found[0] == "bytea"):
            self.problems.append(f"calls {name}() on {_a(found[0])} value; it takes text (cast with ::text first)")
        if name in _SEQUENCE_FUNCTIONS and args and _is_string(args[0]):
            sequence = args[0]["val"]["sval"]
            if sequence.strip().strip('"').split(".")[-1] not in self.scope.sequences:
                self.problems.append(f"calls {name}() on sequence {sequence!r}, which the spec does not create "
                                     "(add it to `objects:`, or use an identity column)")
        if name in ("abs", "round", "trunc", "ceil", "floor") and found:
            return found[0] if found[0] in _NUMBERS else None
        return _RESULTS.get(name)


def _a(word: str | None) -> str:
    return f"an {word}" if str(word)[:1] in "aeio" else f"a {word}"  # a uuid


def _is_zero(node: object) -> bool:
    if not isinstance(node, dict) or node.get("@") != "A_Const":
        return False
    value = node.get("val") or {}
    try:
        return Decimal(str(value.get("ival", value.get("fval", "x")))) == 0
    except InvalidOperation:
        return False
