"""The requirements file, as pydantic models.

These models are the single source of truth for the YAML format: the loader validates
against them, `schemawright schema` publishes their JSON Schema, and docs/spec.md
describes the same fields.  Unknown keys are errors (`extra="forbid"`) so a typo never
silently drops a requirement.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemawright import model as m

SEMANTIC_TYPES = (
    "id", "string", "text", "integer", "bigint", "decimal", "money", "boolean", "date",
    "time", "timestamp", "uuid", "email", "phone", "url", "enum", "json", "array", "list",
)
SemanticType = Literal[
    "id", "string", "text", "integer", "bigint", "decimal", "money", "boolean", "date",
    "time", "timestamp", "uuid", "email", "phone", "url", "enum", "json", "array", "list",
]
OnDelete = Literal["cascade", "restrict", "set null", "no action", "set default"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# The needs sections are the model's classes (defaults and descriptions defined once, in
# model.py), under the names this schema has always published.


class Naming(m.NamingStyle):
    """How names in the spec become SQL names."""


class DataRange(_Strict):
    """Bounds of generated values, inclusive: numbers, dates or timestamps."""

    min: int | float | str = Field(description="Smallest generated value, e.g. 0 or 2023-01-01.")
    max: int | float | str = Field(description="Largest generated value, e.g. 100 or 2025-12-31.")


class Zipf(_Strict):
    zipf: float = Field(gt=0, description="Zipf exponent: value k is drawn with weight 1/k^s (1.1 is typical).")


class DataProfile(_Strict):
    """How `schemawright generate` fills one attribute; every key is optional."""

    distinct: int | float | None = Field(
        None, gt=0, description="Distinct values: a count (>= 1), or a fraction of the rows (below 1).")
    skew: Literal["uniform"] | Zipf = Field(
        "uniform", description="Value frequencies: `uniform`, or `{zipf: 1.1}` for a few very common values.")
    null_fraction: float | None = Field(None, ge=0, le=1, description="Share of rows left NULL (optional attributes).")
    range: tuple[int | float | str, int | float | str] | DataRange | None = Field(
        None, description="`[min, max]` (or `{min: .., max: ..}`) for numbers, dates and timestamps.")


_SHORTHAND = re.compile(r"^\s*([a-z_]+)\s*(?:\((.*)\))?\s*$")


class Attribute(_Strict):
    """One attribute of an entity. Shorthand: `email: email`, `name: string(120)`,
    `price: decimal(10,2)`, `status: enum(open, closed)`."""

    type: SemanticType = Field(description="Semantic type.")
    required: bool = Field(False, description="NOT NULL.")
    unique: bool = Field(False, description="Values are unique across the table.")
    default: str | int | float | bool | None = Field(
        None, description="Default value: a literal, or an SQL expression written as `sql: now()`."
    )
    max_length: int | None = Field(None, gt=0, description="For string: maximum number of characters.")
    precision: int | None = Field(None, gt=0, le=1000, description="For decimal/money: total digits.")
    scale: int | None = Field(None, ge=0, le=1000, description="For decimal/money: digits after the point.")
    values: list[str] | None = Field(None, description="For enum: the allowed values, in order.")
    of: SemanticType | None = Field(None, description="For array/list: the element type.")
    min: int | float | None = Field(None, description="Smallest allowed value (numbers; for arrays, of every element).")
    max: int | float | None = Field(None, description="Largest allowed value (numbers; for arrays, of every element).")
    check: str | None = Field(None, description="An extra SQL check on this column, e.g. `value > 0` (use the column name).")
    description: str | None = Field(None, description="What the attribute means; becomes a column comment.")
    pii: bool = Field(False, description="Personally identifiable information.")
    column: str | None = Field(None, description="Override the column name.")
    sql_type: str | None = Field(None, description="Exact column type, kept verbatim instead of the type schemawright "
                                                   "would choose (used by `schemawright import`).")
    enum_type: str | None = Field(None, description="For enum: store as this PostgreSQL enum type (shared by name).")
    identity: bool = Field(False, description="GENERATED ALWAYS AS IDENTITY (for keys declared with primary_key).")
    generated: str | None = Field(None, description="GENERATED ALWAYS AS (expression) STORED.")
    data: DataProfile | None = Field(None, description="Synthetic data for `schemawright generate`: distinct, skew, "
                                                       "null_fraction, range.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        if isinstance(data, str):
            return parse_shorthand(data)
        return data

    @model_validator(mode="after")
    def _coherent(self) -> Attribute:
        if self.type == "enum" and not self.values:
            raise ValueError("an enum attribute needs `values: [...]` listing the allowed values")
        if self.type != "enum" and self.values:
            raise ValueError("`values` only applies to type enum")
        if self.type in ("array", "list") and self.of is None:
            raise ValueError(f"a {self.type} attribute needs `of: <element type>`, e.g. `of: string`")
        if self.of in ("array", "list", "id", "enum"):
            raise ValueError(f"`of: {self.of}` is not allowed; use a scalar element type such as string or integer")
        if self.max_length is not None and self.type not in ("string", "array", "list") and self.of != "string":
            raise ValueError("`max_length` only applies to type string")
        if self.scale is not None and self.precision is not None and self.scale > self.precision:
            raise ValueError("`scale` cannot exceed `precision`")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("`min` is greater than `max`")
        if self.data is not None and self.data.null_fraction and self.required:
            raise ValueError("a required attribute cannot have `data.null_fraction` above 0")
        return self


def parse_shorthand(text: str) -> dict[str, object]:
    """`string(120)` -> {type: string, max_length: 120}; raises ValueError when unreadable."""
    m = _SHORTHAND.match(text)
    if not m:
        raise ValueError(f"cannot read attribute shorthand {text!r}; write a type such as `string(120)` or a mapping")
    kind, args = m.group(1), m.group(2)
    out: dict[str, object] = {"type": kind}
    if args is None:
        return out
    parts = [p.strip() for p in args.split(",") if p.strip()]
    if kind == "enum":
        out["values"] = parts
    elif kind == "string" and len(parts) == 1 and parts[0].isdigit():
        out["max_length"] = int(parts[0])
    elif kind in ("decimal", "money") and 1 <= len(parts) <= 2 and all(p.isdigit() for p in parts):
        out["precision"] = int(parts[0])
        if len(parts) == 2:
            out["scale"] = int(parts[1])
    elif kind in ("array", "list") and len(parts) == 1:
        out["of"] = parts[0]
    else:
        raise ValueError(f"cannot read the arguments of {text!r}")
    return out


class IndexSpec(_Strict):
    """An index declared by hand (imported schemas keep theirs); schemawright adds its own."""

    name: str | None = None
    columns: list[str] = Field(min_length=1, description="Columns, `col desc`, or `(expression)`.")
    unique: bool = False
    using: str = Field("btree", description="Index method: btree, gin, gist, brin, hash ...")
    where: str | None = Field(None, description="Partial index predicate.")
    include: list[str] = Field(default_factory=list, description="Covering columns (INCLUDE).")


class Exclusion(_Strict):
    name: str
    definition: str = Field(description="What follows EXCLUDE, e.g. `USING gist (room WITH =, during WITH &&)`.")


class View(_Strict):
    name: str
    sql: str = Field(description="The SELECT that defines it.")
    materialized: bool = False
    description: str | None = None


class SqlObject(_Strict):
    """An object kept verbatim (function, trigger, domain, sequence, policy ...)."""

    kind: str = Field(description="function, procedure, trigger, domain, type, sequence, policy ...")
    name: str
    sql: str = Field(description="The complete CREATE statement.")
    table: str | None = Field(None, description="The table it belongs to, for triggers and policies.")


_PARTITION_SHORTHAND = re.compile(r"^\s*(auto|none|range|list|hash)\s*(?:\((.*)\))?\s*$")
_INTERVAL = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$", re.IGNORECASE)


def parse_interval(text: str) -> tuple[int, str]:
    """`1 month` -> (1, "month"); `3 months` -> (3, "month"); raises ValueError otherwise.
    Widths must tile the calendar from a fixed origin, so bounds are the same whoever computes them."""
    found = _INTERVAL.match(text)
    if not found:
        raise ValueError(f"cannot read interval {text!r}; write `1 day`, `1 week`, `1 month`, `3 months` or `1 year`")
    count, unit = int(found.group(1)), found.group(2).lower()
    if unit == "year":
        count, unit = count * 12, "month"
    if (unit in ("day", "week") and count != 1) or (unit == "month" and 12 % count and count != 12) or count < 1:
        raise ValueError(f"interval {text!r} does not divide the calendar evenly; use 1 day, 1 week, or 1, 2, 3, "
                         "4, 6 or 12 months")
    return count, unit


class Partition(_Strict):
    """How the partitioning step treats one entity.  Shorthand: `none`, `auto`,
    `range(recorded_at, 1 month)`, `list(region)`, `hash(customer_id, 8)`."""

    by: Literal["auto", "none", "range", "list", "hash"] = Field(
        "auto", description="auto: decide from volumes and access patterns; none: never partition; "
                            "range, list or hash: partition this way.")
    key: str | None = Field(None, description="Partition key column (required for range, list and hash).")
    interval: str | None = Field(None, description="range: width of each partition: `1 day`, `1 week`, `1 month`, "
                                                   "`3 months`, `1 year` (default: chosen from the growth).")
    anchor: date | None = Field(None, description="range: the date the first partitions start from (before it, only "
                                                  "partitions for the rows the volume declares now). Default: the "
                                                  "spec's `go_live`, else the day `design` runs.")
    ahead: int | None = Field(None, ge=0, le=120, description="range: partitions created ahead of the anchor "
                                                              "(default 4).")
    values: dict[str, list[str]] | None = Field(
        None, description="list: partition name suffix -> the key values it holds, e.g. `{eu: [de, fr]}` "
                          "(default: one partition per enum value).")
    partitions: int | None = Field(None, ge=2, le=1024, description="hash: number of partitions (default: from "
                                                                    "the volume).")
    bounds: dict[str, str] | None = Field(
        None, description="Partitions exactly as they exist: name -> bound as PostgreSQL writes it (`FOR VALUES "
                          "FROM (...) TO (...)`, `FOR VALUES IN (...)`, `FOR VALUES WITH (...)`, `DEFAULT`). "
                          "`schemawright import` writes it; no maintenance function is added.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        if not isinstance(data, str):
            return data
        found = _PARTITION_SHORTHAND.match(data)
        if not found:
            raise ValueError(f"cannot read partition {data!r}; write none, auto, range(column, 1 month), "
                             "list(column) or hash(column, 8)")
        by, args = found.group(1), [a.strip() for a in (found.group(2) or "").split(",") if a.strip()]
        out: dict[str, object] = {"by": by}
        if args:
            out["key"] = args[0]
        if len(args) > 2 or (len(args) == 2 and by not in ("range", "hash")) or (args and by in ("auto", "none")):
            raise ValueError(f"too many arguments in {data!r}; write range(column, 1 month), list(column) or "
                             "hash(column, 8)")
        if len(args) == 2 and by == "range":
            out["interval"] = args[1]
        elif len(args) == 2:
            if not args[1].isdigit():
                raise ValueError(f"the partition count in {data!r} must be a number, e.g. hash(customer_id, 8)")
            out["partitions"] = int(args[1])
        return out

    @model_validator(mode="after")
    def _coherent(self) -> Partition:
        if self.by in ("range", "list", "hash") and not self.key:
            raise ValueError(f"partition by {self.by} needs `key:`, the partition key column")
        if self.by == "none" and any(v is not None for v in (self.key, self.interval, self.anchor, self.ahead,
                                                                self.values, self.partitions, self.bounds)):
            raise ValueError("`by: none` takes no other keys")
        for name, allowed in (("interval", ("auto", "range")), ("anchor", ("auto", "range")),
                              ("ahead", ("auto", "range")), ("values", ("list",)), ("partitions", ("hash",))):
            if getattr(self, name) is not None and self.by not in allowed:
                raise ValueError(f"`{name}` applies to partition by {' or '.join(a for a in allowed if a != 'auto')}")
        if self.bounds is not None:
            if self.by not in ("range", "list", "hash"):
                raise ValueError("`bounds` needs `by: range`, `list` or `hash` and its `key`")
            extra = [k for k in ("interval", "anchor", "ahead", "values", "partitions") if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"`bounds` lists the partitions exactly; drop {', '.join(f'`{k}`' for k in extra)}")
        if self.interval is not None:
            parse_interval(self.interval)
        if self.values is not None and (not self.values or any(not v for v in self.values.values())):
            raise ValueError("`values` maps each partition name to a non-empty list of key values")
        return self


class Entity(_Strict):
    description: str | None = None
    table: str | None = Field(None, description="Override the table name.")
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    audit: bool | None = Field(None, description="Add created_at/updated_at/created_by/updated_by (overrides the project default).")
    key: Literal["identity", "uuid"] | None = Field(None, description="Override the surrogate key style for this entity.")
    primary_key: list[str] | None = Field(
        None, description="Columns of a natural or composite primary key; no surrogate `id` is added. [] for no key.")
    indexes: list[IndexSpec] = Field(default_factory=list, description="Indexes declared by hand.")
    primary_key_name: str | None = Field(None, description="Exact name of the primary key constraint.")
    exclusions: list[Exclusion] = Field(default_factory=list, description="EXCLUDE constraints.")
    partition: Partition | None = Field(
        None, description="Partitioning: none, auto (the default: decided from volumes and patterns), or "
                          "range(column, 1 month), list(column), hash(column, 8); a mapping adds anchor, ahead ...")


class Relationship(_Strict):
    """A relationship between two entities.

    one-to-many: `from` is the parent (one), `to` the child (many); the child gets the
    foreign key.  one-to-one: `to` gets a unique foreign key.  many-to-many: a junction
    table, optionally with its own attributes.
    """

    name: str | None = Field(None, description="Name (used for the junction table of a many-to-many).")
    from_: str = Field(alias="from", description="Entity on the `one` side (the parent).")
    to: str = Field(description="Entity on the `many` side (the child).")
    type: Literal["one-to-one", "one-to-many", "many-to-many"]
    required: bool = Field(True, description="Each `to` row must have a `from` row (foreign key NOT NULL).")
    at_least_one: bool = Field(False, description="Each `from` row must have at least one `to` row (documented rule).")
    on_delete: OnDelete | None = Field(None, description="What happens to children when the parent is deleted.")
    role: str | None = Field(None, description="Role name of the parent seen from the child; names the foreign key column (role_id).")
    attributes: dict[str, Attribute] = Field(default_factory=dict, description="Attributes of a many-to-many association.")
    columns: list[str] | None = Field(None, description="Foreign key columns on `to` (existing attributes are reused).")
    constraint: str | None = Field(None, description="Exact name of the foreign key constraint.")
    references: list[str] | None = Field(None, description="Referenced columns on `from` (default: its primary key).")
    description: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Relationship:
        if self.attributes and self.type != "many-to-many":
            raise ValueError("only a many-to-many relationship can carry `attributes`")
        if (self.columns or self.references) and self.type == "many-to-many":
            raise ValueError("`columns` and `references` apply to one-to-one and one-to-many relationships")
        if self.columns and self.references and len(self.columns) != len(self.references):
            raise ValueError("`columns` and `references` must have the same length")
        if self.from_ == self.to and self.required and self.type != "many-to-many" and not self.columns:
            raise ValueError(
                "a self-relationship must be `required: false` (the first row has no parent)"
            )
        if self.on_delete == "set null" and self.required:
            raise ValueError("`on_delete: set null` needs `required: false` (the foreign key must be nullable)")
        return self


class FunctionalDependency(_Strict):
    determinant: list[str] = Field(min_length=1, description="Attributes that determine ...")
    dependent: list[str] = Field(min_length=1, description="... these attributes.")


class OnePer(_Strict):
    """At most (or exactly) one row per group matches a condition."""

    per: list[str] = Field(min_length=1, description="Columns that form the group, e.g. [driver_id].")
    where: str = Field(description="SQL condition of the rows limited to one per group, e.g. `ended_at IS NULL`.")
    nulls_distinct: bool = Field(True, description="false: rows whose group columns are NULL collide too "
                                                   "(NULLS NOT DISTINCT).")


class NoOverlap(_Strict):
    """The periods of the rows of one group never overlap."""

    per: list[str] = Field(default_factory=list, description="Columns that form the group (a room, a clinician); "
                                                             "empty: no two rows overlap at all.")
    period: list[str] = Field(min_length=2, max_length=2, description="The two columns the period runs between: "
                                                                        "[starts_at, ends_at] (end excluded).")
    where: str | None = Field(None, description="Only rows matching this SQL condition take part, "
                                                "e.g. `status <> 'cancelled'`.")


class Aggregate(_Strict):
    """A condition on the rows of each group as a whole, checked when the transaction commits."""

    per: list[str] = Field(min_length=1, description="Columns that form the group (usually a foreign key).")
    check: str = Field(description="SQL boolean over aggregates of the group's rows, e.g. `sum(amount) = 0` or "
                                   "`count(*) >= 1`; `parent.<column>` reads the row the group's foreign key "
                                   "points at, e.g. `sum(quantity) <= parent.capacity`.")


class Immutable(_Strict):
    """Rows never change (append-only), or never change once they match a condition."""

    when: str = Field(description="SQL condition on the stored row, e.g. `status = 'posted'`.")


class Transitions(_Strict):
    """The allowed changes of a status column."""

    column: str = Field(description="The status column.")
    allowed: dict[str, list[str]] = Field(min_length=1, description="State -> the states it may change to.")
    initial: list[str] | None = Field(None, description="The states a new row may start in (default: any).")


class ParentCheck(_Strict):
    """A condition on a row together with the row its foreign key points at."""

    via: list[str] = Field(min_length=1, description="The foreign key columns of this entity, e.g. [period_id].")
    check: str = Field(description="SQL boolean; the row's columns by name, the parent's as `parent.<column>`, "
                                   "e.g. `posted_on >= parent.starts_on AND parent.status = 'open'`.")


class Matches(_Strict):
    """Columns of a row must match a row of another table (a path that must agree)."""

    columns: list[str] = Field(min_length=1, description="Columns of this entity, e.g. [driver_id, vehicle_id].")
    in_: str = Field(alias="in", description="Entity, or many-to-many relationship, whose rows they must match.")
    to: list[str] | None = Field(None, description="Its columns, in the same order (default: the same names).")


RULE_KINDS = ("unique", "check", "depends", "at_most_one", "exactly_one", "no_overlap", "aggregate", "immutable",
              "transitions", "when", "parent_check", "matches")


class Rule(_Strict):
    """A business rule: exactly one kind (unique, check, depends, at_most_one, exactly_one,
    no_overlap, aggregate, immutable, transitions, when/then, parent_check, matches)."""

    name: str | None = None
    entity: str = Field(description="Entity, or many-to-many relationship (its junction table), the rule is about.")
    unique: list[str] | None = Field(None, description="These columns are unique together.")
    check: str | None = Field(None, description="An SQL boolean expression over the entity's columns.")
    depends: FunctionalDependency | None = Field(None, description="A functional dependency X -> Y.")
    at_most_one: OnePer | None = Field(None, description="At most one row per group matches `where`.")
    exactly_one: OnePer | None = Field(None, description="Each group that has rows has exactly one matching `where`.")
    no_overlap: NoOverlap | None = Field(None, description="Periods of one group never overlap.")
    aggregate: Aggregate | None = Field(None, description="A condition on each group's rows, checked at commit.")
    immutable: bool | Immutable | None = Field(None, description="`true`: append-only (no UPDATE, DELETE or "
                                                                 "TRUNCATE); `{when: ...}`: rows matching it never "
                                                                 "change and are never deleted.")
    transitions: Transitions | None = Field(None, description="Allowed changes of a status column.")
    when: str | None = Field(None, description="Conditional requirement: when this SQL condition holds ...")
    then: str | None = Field(None, description="... this one must hold too.")
    parent_check: ParentCheck | None = Field(None, description="A condition across the row and its parent row.")
    matches: Matches | None = Field(None, description="Columns must match a row of another table.")
    constraint: str | None = Field(None, description="Exact name of the constraint it becomes.")
    message: str | None = Field(None, description="What the database says when the rule is broken (default: "
                                                  "the description, else a sentence made from the rule).")
    denormalized: str | None = Field(None, description="depends: keep this dependency inside the table on purpose; "
                                                       "the reason. A trigger keeps the repeated values consistent "
                                                       "and `--normalize` leaves the table as it is.")
    description: str | None = None

    @field_validator("unique")
    @classmethod
    def _some_columns(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("a unique rule needs at least 1 column; name the columns, e.g. `unique: [email]`")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        kinds = [k for k in RULE_KINDS if getattr(self, k) not in (None, False)]
        if len(kinds) != 1:
            raise ValueError(f"a rule needs exactly one of {', '.join(f'`{k}`' for k in RULE_KINDS)}"
                             + (f" (this one has {', '.join(kinds)})" if kinds else ""))
        if (self.when is None) != (self.then is None):
            raise ValueError("a conditional rule needs both `when` (the condition) and `then` (what must hold)")
        if self.denormalized is not None and self.depends is None:
            raise ValueError("`denormalized` applies to a `depends` rule only")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in RULE_KINDS if getattr(self, k) not in (None, False))


class AccessPattern(_Strict):
    """A query the application runs: SQL with :named parameters, or the structured form."""

    name: str
    query: str | None = Field(None, description="SQL against the designed tables, parameters as :name.")
    entity: str | None = Field(None, description="Structured form: the entity queried.")
    where: dict[str, str] | None = Field(
        None, description="Structured form: column -> operator (=, <, <=, >, >=, in, like, is null)."
    )
    order_by: list[str] | None = Field(None, description="Structured form: columns, with ` desc` where descending.")
    limit: int | None = Field(None, gt=0)
    frequency: float = Field(1.0, ge=0, description="Executions per second at peak.")
    latency_p95_ms: float | None = Field(None, gt=0, description="Target 95th percentile latency in ms.")
    kind: Literal["read", "write"] | None = Field(None, description="Inferred from the SQL when omitted.")
    returns: int | None = Field(None, ge=0, description=(
        "About how many rows one run returns (a read) or changes (a write): `bench` draws parameters that give "
        "about this many, and reports a pattern as not measured when its runs are far from it."))
    staleness_seconds: float | None = Field(None, ge=0, description=(
        "A read: how many seconds old its result may be, so a replica or a cache may serve it; omit when it must "
        "see every committed write (it then reads the primary and is never cached)."))
    cacheable: bool = Field(False, description="A read the team wants cached (operations.md plans the key, TTL and "
                                               "invalidation); needs `staleness_seconds`.")
    description: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> AccessPattern:
        if (self.query is None) == (self.entity is None):
            raise ValueError("an access pattern needs either `query` (SQL) or `entity` (structured form)")
        if self.query is not None and (self.where or self.order_by or self.limit):
            raise ValueError("`where`, `order_by` and `limit` belong to the structured form; put them in the SQL")
        if self.cacheable and self.staleness_seconds is None:
            raise ValueError("a cacheable pattern needs `staleness_seconds`: how old a cached result may be "
                             "(a cache serves results older than the last write until it is invalidated)")
        if self.kind == "write" and (self.cacheable or self.staleness_seconds is not None):
            raise ValueError("`cacheable` and `staleness_seconds` apply to reads only; remove them from a write")
        return self


class Volume(_Strict):
    rows: int = Field(ge=0, description="Expected rows now.")
    growth_per_month: int = Field(0, ge=0, description="New rows per month.")
    retention_months: int | None = Field(None, gt=0, description="Rows older than this are removed.")


class Transactions(m.Transactions):
    pass


Role = m.Role


# A custom setting's name, as set_config() accepts it: a prefix, a dot, a name (app.user_id).
_CUSTOM_SETTING = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


class Security(m.SecurityNeeds):
    @field_validator("tenant_setting", "user_setting", "key_setting")
    @classmethod
    def _custom_setting(cls, value: str) -> str:
        # Without a dot it would name one of PostgreSQL's own settings (current_setting('search_path')
        # returns one) or none set_config() accepts.
        if not _CUSTOM_SETTING.fullmatch(value):
            raise ValueError(f"{value!r} is not a custom setting name: write a prefix, a dot and a name, in letters, "
                             "digits and _ (app.user_id)")
        return value


class Availability(m.Operations):
    pass


class Machine(_Strict):
    """The target server; every field has the default operations.md says it assumed."""

    cores: int = Field(4, gt=0, le=1024, description="CPU cores.")
    memory_gb: float = Field(16, gt=0, le=65536, description="RAM in GiB.")
    storage: Literal["ssd", "hdd", "network"] = Field("ssd", description="ssd (local NVMe/SSD), hdd, or network "
                                                                       "(cloud block storage such as EBS).")
    disk_gb: float | None = Field(None, gt=0, description="Disk for the data directory; default: from the "
                                                          "capacity plan.")


class Denormalization(_Strict):
    """Redundancy chosen on purpose for read-heavy patterns, kept correct by the database."""

    name: str = Field(description="Name of the copy: the copied column, summary table or materialized view.")
    kind: Literal["copied_column", "summary_table", "materialized_view"]
    reason: str = Field(min_length=1, description="Why the copy is worth its cost (the read pattern it serves).")
    entity: str | None = Field(None, description="copied_column: the entity that receives the copy.")
    source: str | None = Field(None, description="copied_column: `Parent.attribute` to copy, reached through the "
                                                 "relationship from Parent to the entity.")
    query: str | None = Field(None, description="summary_table, materialized_view: the SELECT that computes it.")
    key: list[str] = Field(default_factory=list, description="summary_table, materialized_view: result columns that "
                                                             "are unique (primary key; needed to refresh a "
                                                             "materialized view without blocking readers).")
    refresh: str = Field("*/15 * * * *", description="summary_table, materialized_view: when to refresh, as a cron "
                                                     "schedule for pg_cron.")

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Denormalization:
        if self.kind == "copied_column":
            if not self.entity or not self.source:
                raise ValueError("a copied_column needs `entity` (who gets the copy) and `source` (`Parent.attribute`)")
            if self.source.count(".") != 1:
                raise ValueError(f"source {self.source!r} must be written `Parent.attribute`")
            if self.query:
                raise ValueError("`query` is for summary_table and materialized_view; a copied_column has `source`")
        else:
            if not self.query:
                raise ValueError(f"a {self.kind} needs `query`: the SELECT that computes it")
            if self.entity or self.source:
                raise ValueError(f"`entity` and `source` are for copied_column; a {self.kind} has `query`")
        return self


class Spec(_Strict):
    """A schemawright requirements file."""

    project: str = Field(description="Project name.")
    description: str | None = None
    go_live: date | None = Field(None, description="The day the system goes live, e.g. 2027-03-01: range partitions "
                                                   "start there. Without it they start at the day `design` runs "
                                                   "(SOURCE_DATE_EPOCH when set), recorded as a decision; give it "
                                                   "so schema.sql does not change with the day it is made.")
    database: Literal["postgresql", "mysql", "sqlite"] = "postgresql"
    naming: Naming = Field(default_factory=Naming)
    audit: bool = Field(False, description="Add audit columns to every entity.")
    derive_indexes: bool = Field(True, description="Add indexes for foreign keys and access patterns; false keeps "
                                                   "only declared indexes (as `schemawright import` writes).")
    entities: dict[str, Entity] = Field(min_length=1)
    relationships: list[Relationship] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    access_patterns: list[AccessPattern] = Field(default_factory=list)
    volumes: dict[str, Volume] = Field(default_factory=dict, description=(
        "Table -> volume: an entity, a many-to-many relationship (or its junction table's name), or a list "
        "attribute as `Entity.attribute` (or its table's name)."))
    extensions: list[str] = Field(default_factory=list, description="PostgreSQL extensions to create first.")
    views: list[View] = Field(default_factory=list, description="Views, created after the tables.")
    objects: list[SqlObject] = Field(default_factory=list, description="SQL objects kept verbatim (from imports).")
    normalize: bool = Field(False, description="Apply the proposed splits for declared dependencies that break 3NF/"
                                                "BCNF (also `design --normalize`); false only reports them.")
    denormalizations: list[Denormalization] = Field(default_factory=list, description="Redundancy kept on purpose: "
                                                    "copied columns, summary tables, materialized views.")
    transactions: Transactions = Field(default_factory=Transactions)
    security: Security = Field(default_factory=Security)
    availability: Availability = Field(default_factory=Availability)
    machine: Machine | None = Field(None, description="The server the database runs on (cores, memory_gb, storage); "
                                    "operations.md sizes the configuration for it (design's --cores, --memory-gb "
                                    "and --storage override it; default: 4 cores, 16 GiB, ssd, said as assumed).")

    @field_validator("database")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value != "postgresql":
            raise ValueError(f"database {value!r} is planned but not supported yet; use postgresql")
        return value


def spec_json_schema() -> dict:
    """The JSON Schema editors use; attributes may also be written as shorthand strings."""
    schema = Spec.model_json_schema(by_alias=True)
    shorthands = {
        "#/$defs/Attribute": {"type": "string", "pattern": _SHORTHAND.pattern, "description":
                              "Shorthand: a type, e.g. `email`, `string(120)`, `decimal(10,2)`, `enum(a, b)`."},
        "#/$defs/Partition": {"type": "string", "pattern": _PARTITION_SHORTHAND.pattern, "description":
                              "Shorthand: none, auto, range(column, 1 month), list(column), hash(column, 8)."},
    }

    def widen(node: object) -> None:
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if isinstance(value, dict) and value.get("$ref") in shorthands and len(value) == 1:
                    node[key] = {"anyOf": [value, shorthands[value["$ref"]]]}
                elif isinstance(value, dict) and "anyOf" in value and {"$ref": "#/$defs/Partition"} in value["anyOf"]:
                    value["anyOf"].insert(1, shorthands["#/$defs/Partition"])
                    widen(value)
                else:
                    widen(value)
        elif isinstance(node, list):
            for item in node:
                widen(item)

    widen(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "schemawright requirements"
    return schema
