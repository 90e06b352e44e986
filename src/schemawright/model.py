"""The one immutable model every pipeline stage reads and returns.

Stages never mutate: each returns `design.model_copy(update=...)` with new tuples.  The
same classes describe a schema designed from requirements and (later) one imported from
an existing database, so documentation, validation and advice work on both.
`model.json` is `Design.model_dump_json()`, and its JSON Schema is
`Design.model_json_schema()` (published in docs/model.schema.json).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SerializerFunctionWrapHandler, model_serializer


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------- sections (the spec's needs, the source)


class _Section(_Frozen):
    """Settings whose defaults live here, once; readers read the attributes and never guess.
    model.json records only the settings that were given (a spec gives them all, an importer
    those it knows), so a section nobody declared stays `{}` there."""

    @model_serializer(mode="wrap")
    def _given(self, handler: SerializerFunctionWrapHandler):  # no return type: the JSON Schema keeps the fields
        fields = type(self).model_fields
        given = {*self.model_fields_set, *(fields[n].alias for n in self.model_fields_set if fields[n].alias)}
        return {k: v for k, v in handler(self).items() if k in given}

    def declared(self, setting: str) -> bool:
        """Whether the setting was given rather than left at its default (an imported schema
        declares no needs: lint and the report say so instead of assuming the default)."""
        return setting in self.model_fields_set


class NamingStyle(_Section):
    """The spec's `naming:` section (the spec's `Naming` is this class)."""

    tables: Literal["plural", "singular"] = Field(
        "plural", description="Table names: plural (customers) or singular (customer).")
    keys: Literal["identity", "uuid"] = Field(
        "identity", description="Surrogate primary keys: bigint identity or uuid.")
    case: Literal["snake", "preserve"] = Field(
        "snake", description="snake: CustomerOrder -> customer_order; preserve: keep names as written (quoted when "
                             "needed).")
    enums: Literal["check", "type"] = Field(
        "check", description="Enums as a CHECK constraint (default) or a PostgreSQL enum type.")


class Naming(NamingStyle):
    """How names become SQL names, and whether indexing derives indexes (the spec's top-level
    `derive_indexes`)."""

    derive_indexes: bool = Field(True, description="Add indexes for foreign keys and access patterns; false keeps "
                                                   "only declared indexes.")


class Transactions(_Section):
    isolation: Literal["read committed", "repeatable read", "serializable"] = "read committed"
    atomic: tuple[str, ...] = Field(default_factory=tuple, description="Operations that must be atomic, in words.")


class Role(_Frozen):
    name: str
    description: str | None = None
    read: tuple[str, ...] = Field(default_factory=tuple, description="Entities it may read ('*' for all).")
    write: tuple[str, ...] = Field(default_factory=tuple, description="Entities it may write ('*' for all).")
    append: tuple[str, ...] = Field(default_factory=tuple, description="Entities it may only add rows to (INSERT, "
                                                                         "no UPDATE or DELETE): an access log.")
    read_columns: tuple[str, ...] = Field(default_factory=tuple, description="`Entity.attribute` it may read when "
                                          "it may not read the whole entity: read of some columns only.")
    pii: bool | None = Field(None, description="Reads PII in clear. Default: a role that writes the entity does; "
                                               "others read masked values (pii: mask) or none (pii: encrypt).")


class SecurityNeeds(_Section):
    """The spec's `security:` section (the spec's `Security` is this class)."""

    roles: tuple[Role, ...] = Field(default_factory=tuple)
    tenant_column: str | None = Field(None, description="Column that isolates tenants (row-level security).")
    pii: Literal["none", "mask", "encrypt"] = Field("mask", description="How PII columns are protected.")
    shared: tuple[str, ...] = Field(default_factory=tuple, description="Tenant-owned entities whose rows with no "
                                    "tenant (tenant column NULL) every tenant may read: platform-wide reference data.")
    audit_trail: tuple[str, ...] = Field(default_factory=tuple, description="Entities whose every change is recorded "
                                         "in the append-only audit trail (who, when, old and new values).")
    tenant_setting: str = Field("app.tenant_id", description="Session setting that holds the current tenant; set "
                                "with SET LOCAL (set_config(..., true)) in each transaction.")
    user_setting: str = Field("app.user_id", description="Session setting that names the application's end user "
                              "(created_by, updated_by, the audit trail); else current_user.")
    key_setting: str = Field("app.pii_key", description="Session setting that holds the PII encryption key (pii: "
                             "encrypt); set by the application per transaction, never stored in the database.")


class Security(SecurityNeeds):
    """Security needs, and what the schema already enforces."""

    row_level_security: tuple[str, ...] = Field(
        default_factory=tuple, description="Tables with row-level security enabled or a policy (from an imported "
                                           "schema's ALTER TABLE ... ENABLE ROW LEVEL SECURITY and CREATE POLICY).")

    def has_row_level_security(self, table: str) -> bool:
        return table in self.row_level_security

    @classmethod
    def enforced_by(cls, objects: tuple[SchemaObject, ...], **needs: object) -> Security:
        """`needs`, plus the tables that kept objects (a policy, ENABLE ROW LEVEL SECURITY) put under
        row-level security; given only when there are some."""
        kinds = ("policy", "row level security", "rls")
        tables = tuple(sorted({o.table for o in objects if o.table and o.kind.lower() in kinds}))
        return cls(**needs, **({"row_level_security": tables} if tables else {}))


class Operations(_Section):
    """Availability needs (the spec's `availability:`); the operations stage plans from them."""

    replicas: int = Field(0, ge=0)
    rpo_seconds: int | None = Field(None, ge=0, description="Recovery point objective.")
    rto_seconds: int | None = Field(None, ge=0, description="Recovery time objective.")
    backup_retention_days: int | None = Field(None, gt=0, description="Days of backups (and WAL) kept for "
                                              "point-in-time recovery; default: from the RPO and the volumes' "
                                              "retention (operations.md says which).")
    app_connections: int | None = Field(None, gt=0, description="Client connections the application opens at "
                                        "most, every instance together; default: from the patterns' rates.")


class Machine(_Section):
    """The server the design is provisioned on (the spec's `machine:` or design's flags); the
    operations stage sizes memory, WAL, parallelism and planner costs for it."""

    cores: int = Field(4, gt=0, le=1024, description="CPU cores.")
    memory_gb: float = Field(16, gt=0, le=65536, description="RAM in GiB.")
    storage: Literal["ssd", "hdd", "network"] = Field("ssd", description="Kind of storage the data lives on.")
    disk_gb: float | None = Field(None, gt=0, description="Disk for the data directory; default: from the "
                                  "capacity plan.")
    given: bool = Field(False, description="True when the spec or the flags gave the machine; False: the "
                        "defaults above were assumed.")


class Source(_Section):
    """Where the model came from. Each importer gives the settings it knows."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    kind: Literal["spec", "sql", "dbml", "database"] | None = Field(
        None, description="spec, sql or dbml file, or a live database; None: built in code.")
    path: str | None = Field(None, description="The file read.")
    url: str | None = Field(None, description="The database read, its password hidden.")
    dialect: str | None = Field(None, description="Dialect of the source (postgresql, mysql, sqlite, dbml ...).")
    schema_name: str | None = Field(None, alias="schema", description="The database schema imported.")
    server_version: int | None = Field(None, description="server_version_num of the database read.")
    skipped: dict[str, int] = Field(default_factory=dict, description="Statements with no design in them, by kind: "
                                                                      "counted, not imported.")
    ignored_statements: dict[str, int] = Field(default_factory=dict, description="Statements not imported, by kind.")
    column_types: dict[str, str] = Field(default_factory=dict, description="table.column -> the type as written.")
    database_type: str | None = Field(None, description="dbml: the project's database_type.")
    table_groups: dict[str, tuple[str, ...]] = Field(default_factory=dict, description="dbml: TableGroup -> tables.")
    sticky_notes: dict[str, str] = Field(default_factory=dict, description="dbml: sticky note name -> text.")
    positions: dict[str, tuple[int, int]] = Field(
        default_factory=dict, description="`table` or `table.column` -> (line, column) in the file, where an "
                                          "importer recorded them (lint locates findings there first).")

    @property
    def imported(self) -> bool:
        """Read from an existing schema (not designed from a spec or built in code)."""
        return self.kind in ("sql", "dbml", "database")


class Decision(_Frozen):
    """An automatic choice and why it was made; every one appears in report.md."""

    step: str = Field(description="Pipeline step that made it: logical, physical, indexing, integrity ...")
    subject: str = Field(description="What it is about, e.g. customers.email.")
    choice: str
    reason: str


# ---------------------------------------------------------------- conceptual (step 2)


class DataProfile(_Frozen):
    """How synthetic data at scale fills an attribute (the spec's `data:`)."""

    distinct: int | float | None = Field(None, description="Distinct values: a count, or a fraction of rows below 1.")
    zipf: float | None = Field(None, description="Zipf exponent of value frequencies; None = uniform.")
    null_fraction: float | None = None
    low: int | float | str | None = Field(None, description="Smallest generated value.")
    high: int | float | str | None = Field(None, description="Largest generated value.")


class Attribute(_Frozen):
    name: str
    type: str = Field(description="Semantic type from the spec.")
    required: bool = False
    unique: bool = False
    default: str | int | float | bool | None = None
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] = ()
    of: str | None = None
    min: int | float | None = None
    max: int | float | None = None
    check: str | None = None
    description: str | None = None
    pii: bool = False
    column: str | None = None
    sql_type: str | None = None
    enum_type: str | None = None
    identity: bool = False
    generated: str | None = None
    data: DataProfile | None = None


class DeclaredIndex(_Frozen):
    name: str | None = None
    columns: tuple[str, ...]
    unique: bool = False
    using: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()


class Entity(_Frozen):
    name: str
    description: str | None = None
    table: str | None = None
    attributes: tuple[Attribute, ...] = ()
    audit: bool = False
    key: Literal["identity", "uuid"] = "identity"
    primary_key: tuple[str, ...] | None = Field(None, description="Natural/composite key columns; None = surrogate id.")
    indexes: tuple[DeclaredIndex, ...] = ()
    primary_key_name: str | None = None
    exclusions: tuple["Exclusion", ...] = ()
    partition: PartitionRequest | None = Field(None, description="The spec's `partition:` option; None = decide.")


class PartitionRequest(_Frozen):
    """What the spec asks of the partitioning step for one entity (`partition:`)."""

    by: Literal["auto", "none", "range", "list", "hash"] = "auto"
    key: str | None = Field(None, description="Partition key column.")
    interval: str | None = Field(None, description="range: partition width, e.g. `1 month`.")
    anchor: str | None = Field(None, description="range: ISO date the first partitions start from.")
    ahead: int | None = Field(None, description="range: partitions created ahead of the anchor's.")
    values: tuple[tuple[str, tuple[str, ...]], ...] = Field((), description="list: (partition suffix, values).")
    partitions: int | None = Field(None, description="hash: number of partitions.")
    bounds: tuple[tuple[str, str], ...] = Field((), description="(partition, bound) exactly as they exist.")


Cardinality = Literal["one-to-one", "one-to-many", "many-to-many"]


class Relationship(_Frozen):
    name: str
    parent: str = Field(description="Entity on the `one` side (`from` in the spec).")
    child: str = Field(description="Entity on the `many` side (`to` in the spec).")
    cardinality: Cardinality
    required: bool = Field(True, description="Each child row has a parent (FK NOT NULL).")
    at_least_one: bool = Field(False, description="Each parent row has at least one child.")
    on_delete: str = "restrict"
    role: str | None = None
    attributes: tuple[Attribute, ...] = ()
    columns: tuple[str, ...] = Field((), description="Explicit foreign key columns on the child.")
    references: tuple[str, ...] = Field((), description="Referenced parent columns (default: its primary key).")
    constraint: str | None = Field(None, description="Exact foreign key constraint name.")
    description: str | None = None


RuleKind = Literal["unique", "check", "depends", "at_most_one", "exactly_one", "no_overlap", "aggregate", "immutable",
                   "transitions", "conditional", "parent_check", "matches"]


class Rule(_Frozen):
    name: str
    entity: str
    kind: RuleKind
    columns: tuple[str, ...] = Field((), description="unique: the columns; depends: the determinant; at_most_one, "
                                                     "exactly_one, no_overlap, aggregate: the group; parent_check: the "
                                                     "foreign key; matches: the columns that must match.")
    dependent: tuple[str, ...] = Field((), description="depends: the dependent attributes.")
    expression: str | None = Field(None, description="check, aggregate, parent_check: the SQL condition; "
                                                     "conditional: what must hold (`then`).")
    condition: str | None = Field(None, description="at_most_one, exactly_one, no_overlap: which rows take part; "
                                                    "conditional: when it applies; immutable: which stored rows "
                                                    "never change (None: all of them, append-only).")
    period: tuple[str, ...] = Field((), description="no_overlap: the start and end columns.")
    nulls_distinct: bool = Field(True, description="at_most_one, exactly_one: NULL groups do not collide.")
    transitions: tuple[tuple[str, str], ...] = Field((), description="transitions: allowed (from, to) changes.")
    initial: tuple[str, ...] = Field((), description="transitions: states a new row may start in (empty: any).")
    target: str | None = Field(None, description="matches: the entity or relationship whose rows must match.")
    target_columns: tuple[str, ...] = Field((), description="matches: its columns.")
    constraint: str | None = Field(None, description="Exact constraint name, when declared.")
    message: str | None = Field(None, description="What the database says when the rule is broken.")
    denormalized: str | None = Field(None, description="depends: kept inside the table on purpose, for this reason.")
    description: str | None = None
    enforced_by: tuple[str, ...] = Field((), description="Constraints, indexes and triggers that enforce it "
                                                         "(filled by integrity).")


class AccessPattern(_Frozen):
    name: str
    sql: str = Field(description="SQL with :named parameters (structured patterns are compiled to SQL).")
    frequency: float = 1.0
    latency_p95_ms: float | None = None
    kind: Literal["read", "write"] = "read"
    description: str | None = None
    returns: int | None = Field(None, description="About how many rows one run returns (a read) or changes (a "
                                "write), as the spec says; None: not said.")
    staleness_seconds: float | None = Field(None, description="How old a read's result may be (a replica or a "
                                            "cache may serve it); None: it must see every committed write.")
    cacheable: bool = Field(False, description="The team wants this read cached (operations.md plans it).")
    tables: tuple[str, ...] = Field((), description="Tables the pattern touches (filled by indexing).")
    served_by: tuple[str, ...] = Field((), description="Indexes or key constraints that serve it (filled by indexing).")


class Volume(_Frozen):
    entity: str
    rows: int
    growth_per_month: int = 0
    retention_months: int | None = None


# ---------------------------------------------------------------- logical / physical (steps 3-4)


class Column(_Frozen):
    name: str
    semantic: str = Field(description="Semantic type it came from (id, string, money, fk ...).")
    sql_type: str = Field("", description="PostgreSQL type, set by the physical stage.")
    nullable: bool = True
    default: str | None = Field(None, description="SQL default expression.")
    identity: bool = Field(False, description="GENERATED ALWAYS AS IDENTITY.")
    generated: str | None = Field(None, description="GENERATED ALWAYS AS (expression) STORED: the expression.")
    description: str | None = None
    pii: bool = False
    source: str | None = Field(None, description="Entity.attribute it came from.")
    plaintext_type: str | None = Field(None, description="pii: encrypt: the type of the value the column holds "
                                       "encrypted (its sql_type is then bytea: pgp_sym_encrypt ciphertext).")
    blind_index_of: str | None = Field(None, description="pii: encrypt: the encrypted column whose keyed hash "
                                       "(pii_blind) this column holds, for equality lookups and uniqueness; the "
                                       "table's PII trigger fills it.")


class PrimaryKey(_Frozen):
    name: str
    columns: tuple[str, ...]


class ForeignKey(_Frozen):
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str = "restrict"
    relationship: str | None = None
    set_null: tuple[str, ...] = Field((), description="ON DELETE SET NULL of these columns only (a composite key "
                                                       "whose tenant column must keep its value).")
    reason: str = Field("", description="Why it is as it is (COMMENT ON CONSTRAINT): a key left unindexed on "
                            "purpose says so here, so every reader of the DDL (and lint) sees it.")


class Unique(_Frozen):
    name: str
    columns: tuple[str, ...]
    reason: str = ""
    include: tuple[str, ...] = Field((), description="Non-key columns stored in the key's index (INCLUDE), for "
                                                     "index-only scans without a second index on the same key.")


class Check(_Frozen):
    name: str
    expression: str
    reason: str = ""


class IndexColumn(_Frozen):
    expression: str = Field(description="A column name, or an expression in parentheses.")
    descending: bool = False


class Index(_Frozen):
    name: str
    table: str
    columns: tuple[IndexColumn, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    nulls_distinct: bool = Field(True, description="False: NULLS NOT DISTINCT (a unique index where NULLs collide).")
    reason: str = ""
    patterns: tuple[str, ...] = Field((), description="Access patterns this index serves.")


class Exclusion(_Frozen):
    name: str
    definition: str = Field(description="What follows EXCLUDE, e.g. `USING gist (room WITH =, during WITH &&)`.")


class PartitionBound(_Frozen):
    """Which rows a partition takes (rendered by the SQL generator).  Values are SQL literals
    of the key's type, as written: `'2024-01-01'`, `42`, `MINVALUE`."""

    kind: Literal["range", "list", "hash", "default"]
    lower: tuple[str, ...] = Field((), description="range: the inclusive lower bound, one value per key column.")
    upper: tuple[str, ...] = Field((), description="range: the exclusive upper bound, one value per key column.")
    values: tuple[str, ...] = Field((), description="list: the values the partition takes.")
    modulus: int | None = Field(None, description="hash: the number of partitions.")
    remainder: int | None = Field(None, description="hash: the remainder this partition takes.")


class Partition(_Frozen):
    """One partition of a partitioned table."""

    name: str
    bound: PartitionBound


class Partitioning(_Frozen):
    """A declarative partitioning scheme (step 6), rendered as PARTITION BY ... and PARTITION OF."""

    method: Literal["range", "list", "hash"]
    columns: tuple[str, ...] = Field(description="Partition key columns.")
    interval: str | None = Field(None, description="range: width of each partition, e.g. `1 month`.")
    anchor: str | None = Field(None, description="range: ISO date the first partitions start from (go-live, or "
                                                 "the design date).")
    retention_months: int | None = Field(None, description="range: partitions older than this are dropped.")
    ahead: int = Field(0, description="range: partitions kept ready ahead of the current one.")
    partitions: tuple[Partition, ...] = Field((), description="Initial partitions, DEFAULT included.")
    default_partition: str | None = Field(None, description="Partition that takes rows no other accepts.")
    maintenance_function: str | None = Field(None, description="Function that creates ahead and drops expired "
                                                                "partitions (run it daily).")
    maintenance: str = Field("", description="The maintenance plan, in words.")


class Table(_Frozen):
    name: str
    kind: Literal["entity", "junction", "list"] = "entity"
    entity: str | None = Field(None, description="Entity (or relationship) it implements.")
    description: str | None = None
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    uniques: tuple[Unique, ...] = ()
    checks: tuple[Check, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    plaintext_checks: tuple[Check, ...] = Field((), description="pii: encrypt: CHECKs that read encrypted columns; "
                                                "the table's PII trigger tests them on the decrypted values (a CHECK "
                                                "constraint sees only ciphertext).")
    partitioning: Partitioning | None = Field(None, description="Declarative partitioning (step 6); None = plain.")
    storage: tuple[tuple[str, str], ...] = Field((), description="Storage parameters (name, value), e.g. fillfactor "
                                                 "and per-table autovacuum settings: WITH (...) on the table, or on "
                                                 "each partition of a partitioned one (the scaling step).")

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


class EnumType(_Frozen):
    name: str
    values: tuple[str, ...]


class TriggerEvent(_Frozen):
    """A change that fires a trigger."""

    kind: Literal["insert", "update", "delete", "truncate"]
    columns: tuple[str, ...] = Field((), description="update: only when one of these columns is set (UPDATE OF).")


class Trigger(_Frozen):
    name: str
    table: str
    function: str = Field(description="The function it runs (a `Function` of the design, or one kept).")
    timing: Literal["before", "after", "instead_of"] = "before"
    events: tuple[TriggerEvent, ...] = (TriggerEvent(kind="update"),)
    level: Literal["row", "statement"] = Field("row", description="Once per changed row, or once per statement.")
    deferred: bool = Field(False, description="A constraint trigger, DEFERRABLE INITIALLY DEFERRED: it runs when "
                                              "the transaction commits (after ROW triggers only).")
    old_table: str | None = Field(None, description="REFERENCING OLD TABLE AS this name (statement triggers).")
    new_table: str | None = Field(None, description="REFERENCING NEW TABLE AS this name (statement triggers).")
    condition: str | None = Field(None, description="WHEN (condition): it fires only for rows matching it.")
    reason: str = ""


class FunctionArgument(_Frozen):
    name: str
    type: str


class Function(_Frozen):
    """A function the design creates; the SQL generator writes CREATE FUNCTION around the body."""

    name: str
    arguments: tuple[FunctionArgument, ...] = ()
    returns: str = Field("trigger", description="The type it returns (`trigger`, `void`, `text` ...).")
    returns_set: bool = Field(False, description="Returns a set of rows of that type (SETOF).")
    language: str = "plpgsql"
    body: str = Field(description="The code between the dollar quotes, in `language`.")
    security_definer: bool = Field(False, description="Runs with its owner's privileges (SECURITY DEFINER, with a "
                                                      "fixed search_path): writes what its callers may not.")
    volatility: Literal["volatile", "stable", "immutable"] = "volatile"
    owner: str | None = Field(None, description="The role that owns it when not the schema's owner (ALTER FUNCTION "
                                                "... OWNER TO): a SECURITY DEFINER function runs with its rights.")


# ---------------------------------------------------------------- security (step 9)


class DatabaseRole(_Frozen):
    """A role the design creates (NOLOGIN: people and services log in as members of it)."""

    name: str
    kind: Literal["owner", "group", "operator", "auditor", "checker"] = Field(
        description="owner: owns every object, the only one allowed DDL; group: a spec role; operator: bypasses "
                    "row-level security for support and maintenance; auditor: reads the audit trail; checker: owns "
                    "the business rules' functions, which run with its rights (SECURITY DEFINER) and see every "
                    "tenant's rows, whoever writes.")
    spec_role: str | None = Field(None, description="The spec's role it implements (kind group).")
    bypass_rls: bool = False
    description: str = ""


class Grant(_Frozen):
    """One GRANT: what a role may do to one object."""

    role: str
    privileges: tuple[str, ...] = Field(description="SELECT, INSERT, UPDATE, DELETE, USAGE, EXECUTE ...")
    on: Literal["table", "sequence", "function", "schema"]
    target: str = Field(description="Table, view, sequence or function name (a function with its argument types).")
    columns: tuple[str, ...] = Field((), description="Column privileges: only these columns.")
    reason: str = ""


class Policy(_Frozen):
    """A row-level security policy (permissive, for PUBLIC: every role but the operator's sees through it)."""

    name: str
    table: str
    command: Literal["all", "select", "insert", "update", "delete"]
    using: str | None = Field(None, description="Rows it lets a command see (SELECT, UPDATE, DELETE).")
    check: str | None = Field(None, description="Rows it lets a command write (INSERT, UPDATE): WITH CHECK.")
    reason: str = ""


class View(_Frozen):
    name: str
    sql: str = Field(description="The SELECT that defines it.")
    materialized: bool = False
    security_barrier: bool = Field(False, description="WITH (security_barrier): no caller's condition runs before "
                                   "the view's own (a masking view).")
    description: str | None = None


class SchemaObject(_Frozen):
    """An object kept from an existing schema but not analysed (function, trigger, sequence,
    domain ...), so documentation lists it and nothing is silently lost."""

    kind: str
    name: str
    sql: str = ""
    table: str | None = None


class ImportNote(_Frozen):
    """A statement an importer could not understand: reported with its place, then skipped."""

    line: int
    column: int = 1
    statement: str
    reason: str


class Denormalization(_Frozen):
    """Redundancy chosen on purpose (spec `denormalizations:`)."""

    name: str
    kind: Literal["copied_column", "summary_table", "materialized_view"]
    reason: str
    entity: str | None = None
    source: str | None = Field(None, description="copied_column: `Parent.attribute`.")
    query: str | None = None
    key: tuple[str, ...] = ()
    refresh: str = "*/15 * * * *"
    upkeep: str = Field("", description="What keeps the copy correct (filled by integrity).")


class ProposedSplit(_Frozen):
    """A table split out to remove a normal-form violation: columns moved, keyed by the determinant."""

    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


class NormalFormViolation(_Frozen):
    determinant: tuple[str, ...]
    dependent: tuple[str, ...]
    breaks: Literal["2NF", "3NF", "BCNF"]
    explanation: str
    rule: str | None = Field(None, description="The spec rule that declared the dependency.")
    split: ProposedSplit | None = None
    kept: str | None = Field(None, description="Denormalised on purpose: the reason.")


class NormalForm(_Frozen):
    """The highest normal form a table meets under its keys and declared dependencies."""

    table: str
    level: Literal["1NF", "2NF", "3NF", "BCNF"]
    keys: tuple[tuple[str, ...], ...] = ()
    violations: tuple[NormalFormViolation, ...] = ()


class Design(_Frozen):
    """Everything schemawright knows about one schema."""

    # `operations` keeps the name users write (`availability`) in model.json.
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    project: str
    dialect: str = "postgresql"
    description: str | None = None
    go_live: str | None = Field(None, description="ISO date the system goes live: range partitions start there.")
    # conceptual
    entities: tuple[Entity, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    rules: tuple[Rule, ...] = ()
    access_patterns: tuple[AccessPattern, ...] = ()
    volumes: tuple[Volume, ...] = ()
    transactions: Transactions = Field(default_factory=Transactions)
    security: Security = Field(default_factory=Security)
    operations: Operations = Field(default_factory=Operations, alias="availability",
                                   description="Availability needs (the spec's and model.json's `availability`).")
    machine: Machine = Field(default_factory=Machine, description="The target server (operations stage).")
    naming: Naming = Field(default_factory=Naming)
    normalize: bool = Field(False, description="Apply the proposed normal-form splits (else report them).")
    denormalizations: tuple[Denormalization, ...] = ()
    # logical / physical
    normal_forms: tuple[NormalForm, ...] = Field((), description="Normal form of every table (logical stage).")
    tables: tuple[Table, ...] = ()
    enums: tuple[EnumType, ...] = ()
    indexes: tuple[Index, ...] = ()
    extensions: tuple[str, ...] = ()
    functions: tuple[Function, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    # security (step 9): roles, grants, row-level security (tables with ENABLE and FORCE)
    roles: tuple[DatabaseRole, ...] = ()
    grants: tuple[Grant, ...] = ()
    row_security: tuple[str, ...] = Field((), description="Tables with row-level security enabled and forced.")
    policies: tuple[Policy, ...] = ()
    decisions: tuple[Decision, ...] = ()
    # existing schemas (importers)
    views: tuple[View, ...] = ()
    objects: tuple[SchemaObject, ...] = ()
    source: Source = Field(default_factory=Source, description="Where the model came from: kind, path or URL, dialect.")
    import_notes: tuple[ImportNote, ...] = ()

    # Stages look tables up inside loops: an index by name, rebuilt whenever `tables` is a
    # different tuple (model_copy copies private attributes, so identity is what counts).
    _index: tuple[tuple[Table, ...], dict[str, Table], dict[str, Table]] | None = PrivateAttr(default=None)
    _by_table: tuple[tuple[Index, ...], dict[str, tuple[Index, ...]]] | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        # The lookup caches below are private and filled on use: two equal designs compare equal
        # whichever of them was read from.
        return type(other) is type(self) and self.__dict__ == other.__dict__  # type: ignore[union-attr]

    __hash__ = _Frozen.__hash__

    def _tables_index(self) -> tuple[tuple[Table, ...], dict[str, Table], dict[str, Table]]:
        if self._index is None or self._index[0] is not self.tables:
            by_entity: dict[str, Table] = {}
            # An entity's table, else a many-to-many junction by its relationship's name (rules,
            # volumes and roles may name one: requirements.references.table_names).
            for kind in ("entity", "junction"):
                for t in self.tables:
                    if t.kind == kind and t.entity is not None:
                        by_entity.setdefault(t.entity, t)
            self._index = (self.tables, {t.name: t for t in self.tables}, by_entity)
        return self._index

    def table(self, name: str) -> Table | None:
        return self._tables_index()[1].get(name)

    def table_for_entity(self, entity: str) -> Table | None:
        return self._tables_index()[2].get(entity)

    def indexes_on(self, table: str) -> tuple[Index, ...]:
        if self._by_table is None or self._by_table[0] is not self.indexes:
            grouped: dict[str, list[Index]] = {}
            for index in self.indexes:
                grouped.setdefault(index.table, []).append(index)
            self._by_table = (self.indexes, {k: tuple(v) for k, v in grouped.items()})
        return self._by_table[1].get(table, ())

    def unique_keys(self, table: Table) -> list[tuple[str, ...]]:
        """Column sets whose values are unique in `table`: primary key, unique constraints,
        and full unique indexes on plain columns."""
        keys = [table.primary_key.columns] if table.primary_key else []
        keys += [u.columns for u in table.uniques]
        for index in self.indexes_on(table.name):
            columns = tuple(c.expression for c in index.columns)
            if index.unique and not index.where and all(table.column(c) for c in columns):
                keys.append(columns)
        return [k for k in dict.fromkeys(keys) if k]
