"""`schemawright lint`: review a schema against the quality criteria the designer uses.

Rules live in `lint.rules` (one module per family) and register themselves with
`lint.rule.register`; `lint.engine.lint(design, config)` runs them; `lint.output` writes
text, JSON and SARIF; `lint.docs` generates docs/lint-rules.md from the registry.
"""

from schemawright.lint.config import LintConfig, LintConfigError, load_config
from schemawright.lint.engine import Finding, lint
from schemawright.lint.rule import REGISTRY, Rule, all_rules, register

all_rules()  # import the rule families so REGISTRY is complete

__all__ = ["REGISTRY", "Finding", "LintConfig", "LintConfigError", "Rule", "all_rules", "lint", "load_config",
           "register"]
