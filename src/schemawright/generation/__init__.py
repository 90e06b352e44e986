"""Synthetic data at scale: `schemawright generate` (DESIGN.md step "validators").

`generate(design, database_url, scale, seed, progress)` fills every table with rows that
satisfy its constraints and follow the spec's `data:` distributions, loaded with COPY.
"""

from schemawright.generation.columns import GenerationError
from schemawright.generation.run import GenerationResult, TableResult, generate, plan

__all__ = ["GenerationError", "GenerationResult", "TableResult", "generate", "plan"]
