"""The QA hand-off `design` writes under tests/: the constraint and rule proofs of
validation.attempts as a pgTAP suite (`to_pgtap`) and as plain SQL for psql (`to_plain_sql`),
data-quality queries for the rules a schema cannot check on rows already stored
(`to_data_quality`), and a README saying how to run them (`to_readme`)."""

from schemawright.qa.data_quality import to_data_quality
from schemawright.qa.pgtap import to_pgtap
from schemawright.qa.plain import to_plain_sql
from schemawright.qa.readme import to_readme

__all__ = ["to_data_quality", "to_pgtap", "to_plain_sql", "to_readme"]
