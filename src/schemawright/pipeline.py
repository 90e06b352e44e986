"""The one module that wires steps together: the design STAGES, the spec checks that need
designed tables (SPEC_CHECKS), the DELIVERABLES and the CHECKS `validate` runs.  A new stage,
deliverable or check is one line in its registry; step packages never import each other's
wiring, so they import this module nowhere (tests/test_import_graph.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.conceptual.build import build_conceptual
from schemawright.documentation.capacity_chart import capacity_svg
from schemawright.documentation.dictionary import to_data_dictionary
from schemawright.documentation.dot import render_svg, to_dot
from schemawright.documentation.mermaid import to_mermaid
from schemawright.documentation.model_json import to_model_json
from schemawright.documentation.report import to_report
from schemawright.documentation.security import to_security_md
from schemawright.errors import SpecIssue
from schemawright.files import write_files
from schemawright.gcpause import paused_gc
from schemawright.indexing.first_cut import choose_indexes
from schemawright.indexing.spec_checks import query_problems
from schemawright.integrity.audit import add_audit
from schemawright.integrity.audit_trail import add_audit_trail
from schemawright.integrity.copies import add_copied_columns, keep_copies
from schemawright.integrity.invariants import enforce_rules
from schemawright.logical.build import build_logical
from schemawright.logical.normal_forms import check_normal_forms
from schemawright.logical.normalize import normalize_entities
from schemawright.partitioning import partition
from schemawright.partitioning.pruning import partition_checks
from schemawright.partitioning.spec_checks import partition_problems
from schemawright.performance.output import write_bench
from schemawright.performance.report import performance_section
from schemawright.performance import cached_proof, capacity_proof, pooled_proof, settings_compare
from schemawright.physical.build import build_physical
from schemawright.physical.namespace import unique_names
from schemawright.qa import to_data_quality, to_pgtap, to_plain_sql, to_readme
from schemawright.requirements import loader
from schemawright.requirements.pii_checks import pii_problems
from schemawright.requirements.references import key_columns, rule_columns
from schemawright.requirements.rule_checks import rule_problems
from schemawright.requirements.security_checks import security_problems
from schemawright.requirements.spec import Spec
from schemawright.requirements.table_checks import table_problems
from schemawright.scaling.capacity import CapacityPlan
from schemawright.scaling.plan import operations_files, plan_operations
from schemawright.scaling.table_storage import tune_table_storage
from schemawright.security.pii import protect_pii
from schemawright.security.roles import grant_privileges
from schemawright.security.tenancy import isolate_tenants
from schemawright.security.transport import pg_hba_conf, postgresql_conf
from schemawright.sql.postgresql import as_migration, render_down, render_up
from schemawright.validation.report import Check, ValidationReport
from schemawright.validation.attacks import attack_checks
from schemawright.validation.operations import (
    backup_proof,
    configuration_proof,
    distribution_proof,
    monitoring_proof,
    replication_proof,
)
from schemawright.validation.operations.context import OperationsRun
from schemawright.validation.rule_proofs import rule_checks
from schemawright.validation.transport_proof import transport_checks
from schemawright.validation.run import validate as run_validation

if TYPE_CHECKING:
    from schemawright.database import Database
    from schemawright.performance.results import BenchResult
    from schemawright.requirements.loader import Locator

# Each stage is a pure Design -> Design function; the first one reads the Spec.
STAGES = (build_conceptual, normalize_entities, build_logical, build_physical, add_audit, add_copied_columns,
          enforce_rules, protect_pii, isolate_tenants, choose_indexes, partition, keep_copies, add_audit_trail,
          grant_privileges, check_normal_forms, tune_table_storage, unique_names)

# Spec checks that need the tables the spec becomes: (spec, logical design with audit and copied columns, locator)
# -> issues.
SPEC_CHECKS: tuple[Callable[[Spec, m.Design, Locator], list[SpecIssue]], ...] = (
    rule_columns, key_columns, table_problems, partition_problems, query_problems, rule_problems, pii_problems,
    security_problems)

# Every generated file: path -> renderer of (design, the files rendered before it).
DELIVERABLES: dict[str, Callable[[m.Design, dict[str, str]], str]] = {
    "schema.sql": lambda design, _files: render_up(design),
    "migrations/0001_initial.up.sql": lambda _design, files: as_migration(files["schema.sql"]),
    "migrations/0001_initial.down.sql": lambda design, _files: as_migration(render_down(design)),
    "erd.mmd": lambda design, _files: to_mermaid(design),
    "erd.dot": lambda design, _files: to_dot(design),
    "data-dictionary.md": lambda design, _files: to_data_dictionary(design),
    "report.md": lambda design, _files: to_report(design),
    "model.json": lambda design, _files: to_model_json(design),
    "tests/pgtap/constraints.sql": lambda design, _files: to_pgtap(design),
    "tests/sql/constraints.sql": lambda design, _files: to_plain_sql(design),
    "tests/sql/data_quality.sql": lambda design, _files: to_data_quality(design),
    "tests/README.md": lambda design, _files: to_readme(design),
    # TLS, SCRAM and pgaudit: right for every PostgreSQL server, so written for every design.
    "config/postgresql.security.conf": lambda design, _files: postgresql_conf(design),
    "config/pg_hba.conf": lambda design, _files: pg_hba_conf(design),
    # After the configuration fragments: it names the ones written.
    "security.md": lambda design, files: to_security_md(design, files),
}

# Deliverables whose files depend on the design (operations.md and the configuration files its
# concerns write): design -> files by path, rendered after DELIVERABLES.
DELIVERABLE_GROUPS: tuple[Callable[[m.Design], dict[str, str]], ...] = (operations_files,)

# The checks `validate` runs after the access patterns, on the loaded scratch database:
# (db, design, enums=, seed=, member_url=) -> checks (member_url: see validation/run.py).
CHECKS: tuple[Callable[..., Iterator[Check]], ...] = (partition_checks, rule_checks, attack_checks, transport_checks)

# The proofs `validate --operations` runs, one per concern of operations.md, in its order.
OPERATION_CHECKS: tuple[Callable[[OperationsRun], Iterator[Check]], ...] = (
    capacity_proof.checks, configuration_proof.checks, settings_compare.checks, pooled_proof.checks,
    replication_proof.checks, backup_proof.checks, cached_proof.checks, distribution_proof.checks, monitoring_proof.checks)


def _spec_problems(spec: Spec, at: Locator) -> list[SpecIssue]:
    design = add_copied_columns(add_audit(build_logical(build_conceptual(spec))))
    return [issue for check in SPEC_CHECKS for issue in check(spec, design, at)]


def load_spec(path: str | Path) -> Spec:
    """Load and check a spec file, every check included; raises SpecErrors for bad input."""
    return loader.load_spec(path, design_checks=_spec_problems)


def parse_spec(text: str, file: str = "<spec>") -> Spec:
    """Check a spec's text, every check included; raises SpecErrors for bad input."""
    return loader.parse_spec(text, file, design_checks=_spec_problems)


def design_from_spec(spec: Spec) -> m.Design:
    with paused_gc():
        design = build_conceptual(spec)
        for stage in STAGES[1:]:
            design = stage(design)
    return design


def design_file(path: str | Path, normalize: bool = False) -> m.Design:
    """Load, validate and design; raises SpecErrors for bad input.  normalize: apply the
    normal-form splits even when the spec does not say `normalize: true`."""
    spec = load_spec(path)
    design = design_from_spec(spec.model_copy(update={"normalize": True}) if normalize else spec)
    return design.model_copy(update={"source": m.Source(kind="spec", path=str(path))})


def deliverables(design: m.Design) -> dict[str, str]:
    """Every generated file, by relative path; pure, so tests can compare bytes."""
    files: dict[str, str] = {}
    with paused_gc():
        for path, render in DELIVERABLES.items():
            files[path] = render(design, files)
        for group in DELIVERABLE_GROUPS:
            files.update(group(design))
    return files


def write_deliverables(design: m.Design, out: Path, performance: BenchResult | None = None) -> list[Path]:
    """Every deliverable under `out`; with `performance` (a bench run), report.md gains its
    "Performance at scale S" section and bench.md and the latency chart are written too."""
    files = deliverables(design)
    svg = render_svg(files["erd.dot"])
    if svg is not None:
        files["erd.svg"] = svg
    files["capacity.svg"] = capacity_svg(plan_operations(design, upto="capacity").section("capacity", CapacityPlan))
    if performance is None:
        return write_files(out, files)
    files["report.md"] = to_report(design, performance=performance_section(performance))
    return sorted(write_files(out, files) + write_bench(performance, out))


def validation_checks(db: Database, design: m.Design, *, enums: dict[str, tuple[str, ...]], seed: int,
                      member_url: str | None = None) -> Iterator[Check]:
    """Every registered check's results, in CHECKS order (validation/run.py runs them)."""
    for check in CHECKS:
        yield from check(db, design, enums=enums, seed=seed, member_url=member_url)


def validate(design: m.Design, up_sql: str, down_sql: str, database_url: str | None = None,
             progress: Callable[[str], None] | None = None, **options: int) -> ValidationReport:
    """validation.run.validate with every registered check (options: rows, runs, seed)."""
    return run_validation(design, up_sql, down_sql, database_url, progress, checks=validation_checks, **options)


def validate_operations(run: OperationsRun) -> Iterator[Check]:
    """Every operations proof's checks, in OPERATION_CHECKS order."""
    for proof in OPERATION_CHECKS:
        yield from proof(run)
