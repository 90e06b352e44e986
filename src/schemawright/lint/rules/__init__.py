"""The rule families; importing this package registers every rule."""

from schemawright.lint.rules import (  # noqa: F401 - imported for their @register side effect
    indexing,
    integrity,
    maintainability,
    naming,
    normalisation,
    security,
    types,
)
