"""Proving a design on a real PostgreSQL: apply, load synthetic rows, run the access
patterns, roll back, and check the down migration leaves nothing behind."""

from schemawright.validation.report import Check, PatternResult, PlanSummary, TableFill, ValidationReport
from schemawright.validation.run import validate

__all__ = ["Check", "PatternResult", "PlanSummary", "TableFill", "ValidationReport", "validate"]
