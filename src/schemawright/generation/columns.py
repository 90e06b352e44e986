"""One column's synthetic values, vectorised: drawn as numbers, rendered as text.

A column's values live as a numpy array of "raw" numbers (the integer itself, numeric
units of 10^-scale, seconds or days since 1970, or a code that a formatter turns into
text such as `user42@example.com`).  Distinct raw values always render to distinct
text, which is how unique keys are kept by construction, and a foreign key column is
rendered with its parent column's formatter from the parent's raw values.

The rules a value must obey come from the same place the small-scale generator reads
them (validation.rules / validation.values): IN lists and enums, numeric bounds, length
limits and regular expressions of CHECK constraints; the spec's `data:` adds distinct
counts, skew, null fraction and ranges.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from random import Random

import numpy as np

from schemawright import model as m
from schemawright.generation.distributions import distinct_count, draw_codes
from schemawright.sql import types
from schemawright.validation.regex import example, matches
from schemawright.validation.values import ColumnProfile, generate

DEFAULT_NULL_FRACTION = 0.1  # optional columns without `data.null_fraction`
HISTORY_DAYS = 730  # default time range: two years before the anchor date ...
FUTURE_DAYS = 30  # ... to a month after it
_EPOCH = date(1970, 1, 1)


class GenerationError(Exception):
    """A column or table whose rules cannot be met at the requested size."""


@dataclass
class ColumnGen:
    column: m.Column
    profile: ColumnProfile
    kind: str  # int, numeric, float, bool, choice, text, date, timestamp, time, uuid, json, other
    data: m.DataProfile | None = None
    lo: int | float = 0  # natural range of random values (raw units)
    hi: int | float = 0
    cap: int | float | None = None  # largest raw value the column accepts (for distinct codes)
    floor: int | None = None  # smallest raw value an integer or numeric column accepts (its CHECK, else its type)
    scale: int = 0  # numeric: digits after the point
    choices: tuple[str, ...] = ()
    temporal_position: int | None = None  # k-th time column of the row (ordered within a row)
    null_fraction: float = 0.0
    render_text: Callable[[np.ndarray], list[str | None]] | None = field(default=None, repr=False)
    seed_key: str = ""
    text_capacity: int | None = None  # text: distinct values its format can render (None: enough)

    # ---------------------------------------------------------------- capacity

    def capacity(self) -> int | None:
        """How many distinct values the column can hold (None: practically unbounded)."""
        if self.kind == "bool":
            return 2
        if self.kind == "choice":
            return len(self.choices)
        if self.kind in ("int", "numeric", "date", "timestamp", "time"):
            top = self.cap if self.cap is not None else self.hi
            return int(top - self.lo + 1)
        if self.kind == "text":
            return self.text_capacity
        return None

    # ---------------------------------------------------------------- drawing

    def from_codes(self, codes: np.ndarray, spread: int | None = None) -> np.ndarray:
        """Raw values for codes 0, 1, 2 ...: distinct codes give distinct values. With
        `spread` (the number of codes), values are spaced over the natural range."""
        codes = codes.astype(np.int64)
        if self.kind in ("int", "numeric", "date", "timestamp", "time"):
            lo = int(self.lo)
            step = 1
            if spread:
                step = max(1, int((int(self.hi) - lo + 1) // max(spread, 1)))
            limit = self.cap if self.cap is not None else self.hi
            top = int(codes.max()) if codes.size else 0
            if lo + top * step > limit:
                step = 1
            if lo + top > limit:
                raise GenerationError(f"column {self.column.name}: cannot make {top + 1} distinct values "
                                      f"between {self.lo} and {limit}")
            return lo + codes * step
        if self.kind == "float":
            return float(self.lo) + codes.astype(np.float64)
        if self.kind in ("bool", "choice"):
            size = self.capacity() or 1
            if codes.size and int(codes.max()) >= size:
                raise GenerationError(f"column {self.column.name}: only {size} distinct values possible")
            return codes
        return codes

    def draw(self, rng: np.random.Generator, n: int, rows: int, row_time: np.ndarray | None = None) -> np.ndarray:
        """`n` random raw values (of a table of `rows` rows), following the spec's `data:`."""
        data = self.data
        distinct = distinct_count(data, rows)
        zipf = data.zipf if data else None
        if distinct is not None or zipf:
            size = self.capacity()
            d = distinct if distinct is not None else (size if size is not None else max(rows, 1))
            if size is not None:
                d = min(d, size)
            d = max(1, min(d, 10_000_000))
            codes = draw_codes(rng, n, d, zipf)
            if self.kind in ("bool", "choice", "text", "uuid", "json", "other"):
                return codes
            return self.from_codes(codes, spread=d)
        kind = self.kind
        if kind == "bool":
            return rng.integers(0, 2, n, dtype=np.int64)
        if kind == "choice":
            return rng.integers(0, len(self.choices), n, dtype=np.int64)
        if kind in ("int", "numeric", "date", "timestamp", "time"):
            ranged = data is not None and data.low is not None
            if row_time is not None and self.temporal_position is not None and not ranged and kind != "time":
                gap = 1 if kind == "date" else 86_400
                values = row_time + self.temporal_position * gap + rng.integers(0, max(gap // 2, 1), n)
                return np.clip(values, int(self.lo), int(self.cap if self.cap is not None else self.hi))
            return rng.integers(int(self.lo), int(self.hi) + 1, n, dtype=np.int64)
        if kind == "float":
            return rng.uniform(float(self.lo), float(self.hi), n)
        return rng.integers(0, max(rows, 1) * 4 + 16, n, dtype=np.int64)

    # ---------------------------------------------------------------- rendering

    def render(self, raw: np.ndarray, nulls: np.ndarray | None = None) -> list[str | None]:
        """Each raw value as PostgreSQL's text input for the column, None for NULL (`nulls`
        marks them).  The strings are not escaped: COPY's own writer does that."""
        out = self._render(raw)
        if nulls is not None and nulls.any():
            for i in np.flatnonzero(nulls).tolist():
                out[i] = None
        return out

    def _render(self, raw: np.ndarray) -> list[str | None]:
        kind = self.kind
        if kind == "int":
            return list(map(str, raw.tolist()))
        if kind == "numeric":
            if self.scale == 0:
                return list(map(str, raw.tolist()))
            s = self.scale
            if raw.size and int(np.abs(raw).max()) >= 2 ** 50:
                return [str(Decimal(int(v)).scaleb(-s)) for v in raw.tolist()]
            # the integer's digits with the point put in: half the time of formatting v / 10**s as a
            # float.  Below 10**s, 10**s is added for the digits the point needs, its 1 made a 0.
            units = np.abs(raw)
            short = units < 10 ** s
            out = [t[:-s] + "." + t[-s:] for t in map(str, (units + short * 10 ** s).tolist())]
            for i in np.flatnonzero(short).tolist():
                out[i] = "0" + out[i][1:]
            for i in np.flatnonzero(raw < 0).tolist():
                out[i] = "-" + out[i]
            return out
        if kind == "float":
            return list(map(repr, raw.tolist()))
        if kind == "bool":
            return np.array(["f", "t"], dtype=object)[raw].tolist()
        if kind == "choice":
            return np.array(self.choices, dtype=object)[raw].tolist()
        if kind == "date":
            days, index = np.unique(raw, return_inverse=True)  # each distinct day formatted once
            return days.astype("datetime64[D]").astype(str).astype(object)[index.reshape(-1)].tolist()
        if kind == "timestamp":
            return _timestamps(raw)
        if kind == "time":
            return [s[11:] for s in (raw % 86_400).astype("datetime64[s]").astype(str).tolist()]
        if kind == "uuid":
            return _uuids(raw, self.seed_key)
        if kind == "json":
            return [f'{{"n": {c}, "tag": "t{c % 7}"}}' for c in raw.tolist()]
        assert self.render_text is not None
        return self.render_text(raw)


# -------------------------------------------------------------------- building


def build_column(column: m.Column, profile: ColumnProfile, data: m.DataProfile | None, *, anchor: date,
                 temporal_position: int | None, seed_key: str, rows: int) -> ColumnGen:
    base = profile.base
    rules = profile.rules
    nullable = column.nullable
    null_fraction = 0.0
    if nullable:
        null_fraction = data.null_fraction if data is not None and data.null_fraction is not None \
            else DEFAULT_NULL_FRACTION
    gen = ColumnGen(column=column, profile=profile, kind="other", data=data, null_fraction=null_fraction,
                    seed_key=seed_key, temporal_position=temporal_position)
    if profile.array:
        gen.kind = "text"
        gen.render_text = _array_renderer(profile, seed_key)
        return gen
    if rules.allowed or profile.enum_values:
        gen.kind = "choice"
        gen.choices = tuple(rules.allowed or profile.enum_values)
        return gen
    family = types.family_of(base)
    if family == "integer":
        gen.kind = "int"
        _numeric_bounds(gen, Decimal(1), Decimal(types.integer_high(base)), data)
        return gen
    if base == "numeric" or base == "money":
        gen.kind = "numeric"
        if base == "numeric" and profile.args:
            scale = profile.args[1] if len(profile.args) > 1 else 0
            type_high = Decimal(10) ** (profile.args[0] - scale) - Decimal(1).scaleb(-scale)
        else:
            scale, type_high = 2, Decimal("1e12")
        gen.scale = scale
        _numeric_bounds(gen, Decimal(1).scaleb(-scale), type_high, data)
        return gen
    if family == "float":
        gen.kind = "float"
        _numeric_bounds(gen, Decimal(1), Decimal("1e15"), data, integral=False)
        return gen
    if family == "boolean":
        gen.kind = "bool"
        return gen
    if family == "datetime":
        gen.kind = "date" if base == "date" else "timestamp"
        _time_bounds(gen, anchor, data)
        return gen
    if family == "time":
        gen.kind = "time"
        gen.lo, gen.hi, gen.cap = 0, 86_399, 86_399
        return gen
    if base == "uuid":
        gen.kind = "uuid"
        return gen
    if base in ("json", "jsonb"):
        gen.kind = "json"
        return gen
    if family == "text":
        gen.kind = "text"
        gen.render_text, gen.text_capacity = _text_renderer(column, profile, rows, seed_key)
        return gen
    gen.kind = "other"
    gen.render_text = _fallback_renderer(profile, seed_key)
    return gen


def _numeric_bounds(gen: ColumnGen, step: Decimal, type_high: Decimal, data: m.DataProfile | None,
                    integral: bool = True) -> None:
    rules = gen.profile.rules
    low = None if rules.low is None else rules.low + (step if rules.low_strict else 0)
    high = None if rules.high is None else rules.high - (step if rules.high_strict else 0)
    hard_low = low if low is not None else -type_high
    hard_high = high if high is not None else type_high
    nat_low = low if low is not None else (min(Decimal(1), hard_high) if high is None or high >= 1 else high - 1000)
    nat_high = high if high is not None else min(nat_low + 1000, type_high)
    if data is not None and data.low is not None:
        try:
            nat_low = max(Decimal(str(data.low)), hard_low)
            nat_high = min(Decimal(str(data.high)), hard_high)
        except ArithmeticError:
            raise GenerationError(f"column {gen.column.name}: `data.range` must be numbers") from None
    nat_high = max(nat_high, nat_low)
    unit = Decimal(1).scaleb(-gen.scale) if gen.kind == "numeric" else Decimal(1)
    if not integral:
        gen.lo, gen.hi, gen.cap = float(nat_low), float(nat_high), float(hard_high)
        return
    gen.floor = int((hard_low / unit).to_integral_value(rounding="ROUND_CEILING"))
    gen.lo = int((nat_low / unit).to_integral_value(rounding="ROUND_CEILING"))
    gen.hi = int((nat_high / unit).to_integral_value(rounding="ROUND_FLOOR"))
    gen.cap = int((hard_high / unit).to_integral_value(rounding="ROUND_FLOOR"))
    gen.hi = max(gen.hi, gen.lo)


# `+730 days`, `-1 year`: a bound relative to the day the data is made (a certificate's expiry
# must lie ahead of today whenever the data is made, which a fixed date stops doing).
_RELATIVE = re.compile(r"^([+-])\s*(\d+)\s*(day|days|month|months|year|years)$")


def _time_value(value: object, kind: str, name: str, today: date) -> int:
    text = str(value).strip()
    relative = _RELATIVE.match(text)
    if relative:
        sign, count, unit = relative.groups()
        days = int(count) * {"d": 1, "m": 30, "y": 365}[unit[0]] * (1 if sign == "+" else -1)
        text = (today + timedelta(days=days)).isoformat()
    try:
        if kind == "date":
            return (date.fromisoformat(text[:10]) - _EPOCH).days
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GenerationError(f"column {name}: `data.range` value {text!r} is not a date (YYYY-MM-DD), a "
                              "timestamp, or a time from today such as `+730 days` or `-1 year`") from None
    if moment.tzinfo is not None:
        moment = moment.replace(tzinfo=None) - moment.utcoffset()  # type: ignore[operator]
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def _time_bounds(gen: ColumnGen, anchor: date, data: m.DataProfile | None) -> None:
    start, end = anchor - timedelta(days=HISTORY_DAYS), anchor + timedelta(days=FUTURE_DAYS)
    if gen.kind == "date":
        lo, hi = (start - _EPOCH).days, (end - _EPOCH).days
        cap = (date(9999, 12, 31) - _EPOCH).days
    else:
        lo, hi = (start - _EPOCH).days * 86_400, (end - _EPOCH).days * 86_400
        cap = (date(9999, 12, 31) - _EPOCH).days * 86_400
    if data is not None and data.low is not None:
        today = anchor + timedelta(days=FUTURE_DAYS)  # the default range ends on the day the data is made
        lo = _time_value(data.low, gen.kind, gen.column.name, today)
        hi = _time_value(data.high, gen.kind, gen.column.name, today)
        if gen.kind != "date" and len(str(data.high).strip()) <= 10:
            hi += 86_399  # a date as the upper bound of a timestamp range includes that whole day
        if hi < lo:
            raise GenerationError(f"column {gen.column.name}: `data.range` minimum is after its maximum")
    gen.lo, gen.hi, gen.cap = lo, hi, cap


# -------------------------------------------------------------------- text formats


def _stem(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())[:16] or "value"


_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _base36(n: int) -> str:
    out = []
    while True:
        n, d = divmod(n, 36)
        out.append(_B36[d])
        if not n:
            return "".join(reversed(out))


def _letters(codes: np.ndarray, width: int) -> list[str]:
    digits = np.empty((codes.size, width), dtype=np.uint8)
    rest = codes.astype(np.int64).copy()
    for position in range(width - 1, -1, -1):
        digits[:, position] = 65 + rest % 26
        rest //= 26
    return [bytes(row).decode() for row in digits] if width else [""] * codes.size


def _styles(stem: str, semantic: str, name: str) -> list[tuple[str, Callable[[np.ndarray], list[str]]]]:
    kind = semantic if semantic in ("email", "phone", "url") else next(
        (k for k in ("email", "phone", "url") if name.lower().endswith(k)), "")
    plain = f"{stem}-"
    styles: list[tuple[str, Callable[[np.ndarray], list[str]]]] = []
    if kind == "email":
        styles.append(("email", lambda c: [f"{stem}{v}@example.com" for v in c.tolist()]))
    elif kind == "phone":
        styles.append(("phone", lambda c: [f"+1{2_000_000_000 + v}" for v in c.tolist()]))
    elif kind == "url":
        styles.append(("url", lambda c: [f"https://example.com/{stem}/{v}" for v in c.tolist()]))
    styles += [
        ("plain", lambda c: [plain + s for s in map(str, c.tolist())]),
        ("key", lambda c: ["K" + _base36(v) for v in c.tolist()]),
        ("digits", lambda c: list(map(str, c.tolist()))),
        ("hex", lambda c: [format(v, "x") for v in c.tolist()]),
        ("mac", lambda c: [":".join(f"{(0x020000000000 + v) >> s & 255:02x}" for s in (40, 32, 24, 16, 8, 0))
                           for v in c.tolist()]),
    ]
    return styles


_SAMPLE = np.array([0, 1, 2, 9, 10, 35, 36, 99, 123, 4567, 99_999], dtype=np.int64)


Renderer = Callable[[np.ndarray], list[str]]


def _text_renderer(column: m.Column, profile: ColumnProfile, rows: int, seed_key: str) -> tuple[Renderer, int | None]:
    """The first format that fits the column's rules, and how many distinct values it can
    render (None: at least as many as rows; a two-letter code has only 676)."""
    rules = profile.rules
    limit = rules.max_length
    if profile.base in ("varchar", "char") and profile.args:
        limit = min(limit, profile.args[0]) if limit is not None else profile.args[0]
    min_length = rules.min_length or (profile.args[0] if profile.base == "char" and profile.args else 0)
    if profile.base == "char" and profile.args:
        width = profile.args[0]
        letters = lambda c: _letters(c, width)
        if _fits(letters(_SAMPLE), rules.patterns, limit, min_length):
            return letters, _letter_capacity(width)
    stem = _stem(column.name)
    top = max(rows * 4 + 16, 100_000)
    if limit is not None:
        room = limit - len(str(top)) - 1
        stem = stem[:max(room, 1)] if room >= 1 else stem[:0]
    candidates = _styles(stem, profile.semantic, column.name)
    letter_width = None
    if limit is not None:
        letter_width = min(limit, max(1, len(str(top)) - 1))
        candidates.append(("letters", lambda c: _letters(c, letter_width)))
        lower_letters = lambda c: [s.lower() for s in _letters(c, letter_width)]
        candidates.append(("lower letters", lower_letters))
    samples = np.concatenate([_SAMPLE, np.array([top], dtype=np.int64)])
    for name, style in candidates:
        capacity = _letter_capacity(letter_width) if name.endswith("letters") else None
        rendered = style(samples)
        if _fits(rendered, rules.patterns, limit, min_length):
            return style, capacity
        padded = [_pad(v, min_length) for v in rendered]
        if min_length and _fits(padded, rules.patterns, limit, min_length):
            return (lambda c, style=style: [_pad(v, min_length) for v in style(c)]), capacity
        if not rules.patterns and limit is not None:
            # the last `limit` characters: distinct only for the last `limit` digits of the code
            return ((lambda c, style=style: [_pad(v[-limit:] if limit > 0 else "", min_length) for v in style(c)]),
                    10 ** limit if limit < 18 else None)
    if rules.patterns:
        return _regex_renderer(profile, seed_key, limit), None
    return candidates[0][1], None


def _letter_capacity(width: int | None) -> int | None:
    if width is None or width >= 13:  # 26^13 > 2^62: more than any table holds
        return None
    return 26 ** width


def _pad(value: str, length: int) -> str:
    return value + "x" * (length - len(value)) if len(value) < length else value


def _fits(values: list[str], patterns: tuple[tuple[str, bool], ...], limit: int | None, min_length: int) -> bool:
    for value in values:
        if limit is not None and len(value) > limit:
            return False
        if len(value) < min_length:
            return False
        if not all(matches(p, value, i) for p, i in patterns):
            return False
    return True


def _regex_renderer(profile: ColumnProfile, seed_key: str, limit: int | None) -> Callable[[np.ndarray], list[str]]:
    """Values built from the pattern itself: slow, used only when no fast format matches.
    Distinct codes usually give distinct values; a repeat is refused by the database and
    the row regenerated or dropped."""
    pattern, ignore_case = profile.rules.patterns[0]

    def render(codes: np.ndarray) -> list[str]:
        out = []
        for code in codes.tolist():
            rng = Random(f"{seed_key}:{code}")
            value = None
            for _ in range(8):
                value = example(pattern, rng, ignore_case)
                if value is not None and (limit is None or len(value) <= limit) and all(
                        matches(p, value, i) for p, i in profile.rules.patterns):
                    break
            out.append(value if value is not None else "")
        return out

    return render


def _escape_array_element(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_renderer(profile: ColumnProfile, seed_key: str) -> Callable[[np.ndarray], list[str]]:
    from dataclasses import replace

    scalar = replace(profile, array=False)

    def render(codes: np.ndarray) -> list[str]:
        out = []
        for code in codes.tolist():
            rng = Random(f"{seed_key}:{code}")
            elements = [generate(scalar, code * 2 + k, rng, 0, True) for k in range(2)]
            out.append("{" + ",".join("NULL" if e is None else _escape_array_element(e) for e in elements) + "}")
        return out

    return render


def _fallback_renderer(profile: ColumnProfile, seed_key: str) -> Callable[[np.ndarray], list[str | None]]:
    """Any other type (inet, interval, ranges ...): the small-scale generator, row by row."""

    def render(codes: np.ndarray) -> list[str | None]:
        return [generate(profile, code, Random(f"{seed_key}:{code}"), 0, True) for code in codes.tolist()]

    return render


_CLOCK = np.array([f" {h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)], dtype=object)


def _timestamps(seconds: np.ndarray) -> list[str]:
    """Seconds since 1970 as `YYYY-MM-DD HH:MM:SS`: each distinct day formatted once, the time of
    day looked up (three times faster than numpy's datetime64 to str)."""
    days = np.floor_divide(seconds, 86_400)
    distinct, index = np.unique(days, return_inverse=True)
    dates = distinct.astype("datetime64[D]").astype(str).astype(object)
    return (dates[index.reshape(-1)] + _CLOCK[seconds - days * 86_400]).tolist()


def _uuids(codes: np.ndarray, key: str) -> list[str]:
    """A version-4 shaped UUID per code, a pure function of (key, code): unique in practice."""
    salt = np.uint64(int.from_bytes(key.encode()[:8].ljust(8, b"\0"), "little") | 1)
    with np.errstate(over="ignore"):
        a = _mix(codes.astype(np.uint64) * np.uint64(2) + salt)
        b = _mix(codes.astype(np.uint64) * np.uint64(2) + salt + np.uint64(1))
    a = (a & np.uint64(0xFFFFFFFFFFFF0FFF)) | np.uint64(0x4000)
    b = (b & np.uint64(0x3FFFFFFFFFFFFFFF)) | np.uint64(0x8000000000000000)
    out = []
    for x, y in zip(a.tolist(), b.tolist()):
        h = f"{x:016x}{y:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))
