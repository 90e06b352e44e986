"""The design pipeline: pure stages over one immutable Design, and the writer at the edge."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from schemawright import model as m
from schemawright.conceptual.build import build_conceptual
from schemawright.files import write_files
from schemawright.gcpause import paused_gc
from schemawright.indexing.first_cut import choose_indexes
from schemawright.integrity.audit import add_audit
from schemawright.integrity.copies import keep_copies
from schemawright.logical.build import build_logical
from schemawright.logical.normal_forms import check_normal_forms
from schemawright.logical.normalize import normalize_entities
from schemawright.partitioning import partition
from schemawright.physical.build import build_physical
from schemawright.physical.namespace import unique_names
from schemawright.requirements.loader import load_spec
from schemawright.requirements.spec import Spec

if TYPE_CHECKING:
    from schemawright.performance.results import BenchResult

STAGES = (build_conceptual, normalize_entities, build_logical, build_physical, add_audit, choose_indexes, partition, keep_copies,
          check_normal_forms, unique_names)


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
    return design.model_copy(update={"source": {"kind": "spec", "path": str(path)}})


def deliverables(design: m.Design) -> dict[str, str]:
    """Every generated file, by relative path; pure, so tests can compare bytes."""
    with paused_gc():
        return _render_all(design)


def _render_all(design: m.Design) -> dict[str, str]:
    from schemawright.documentation.dot import to_dot
    from schemawright.documentation.dictionary import to_data_dictionary
    from schemawright.documentation.mermaid import to_mermaid
    from schemawright.documentation.model_json import to_model_json
    from schemawright.documentation.report import to_report
    from schemawright.sql.postgresql import as_migration, render_down, render_up

    up = render_up(design)
    return {
        "schema.sql": up,
        "migrations/0001_initial.up.sql": as_migration(up),
        "migrations/0001_initial.down.sql": as_migration(render_down(design)),
        "erd.mmd": to_mermaid(design),
        "erd.dot": to_dot(design),
        "data-dictionary.md": to_data_dictionary(design),
        "report.md": to_report(design),
        "model.json": to_model_json(design),
    }


def write_deliverables(design: m.Design, out: Path, performance: BenchResult | None = None) -> list[Path]:
    """Every deliverable under `out`; with `performance` (a bench run), report.md gains its
    "Performance at scale S" section and bench.md and the latency chart are written too."""
    from schemawright.documentation.dot import render_svg

    files = deliverables(design)
    svg = render_svg(files["erd.dot"])
    if svg is not None:
        files["erd.svg"] = svg
    if performance is None:
        return write_files(out, files)
    from schemawright.documentation.report import to_report
    from schemawright.performance.output import write_bench
    from schemawright.performance.report import performance_section

    files["report.md"] = to_report(design, performance=performance_section(performance))
    return sorted(write_files(out, files) + write_bench(performance, out))
