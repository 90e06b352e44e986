"""Step 10, documentation: pure functions from a Design to the documents a reader gets.

erd.mmd (`to_mermaid`), erd.dot (`to_dot`) and erd.svg (`render_svg`, when Graphviz is
installed), data-dictionary.md (`to_data_dictionary`), report.md (`to_report`) and
model.json (`to_model_json`, schema in `model_json_schema`).
"""

from schemawright.documentation.dictionary import to_data_dictionary
from schemawright.documentation.dot import render_svg, to_dot
from schemawright.documentation.mermaid import to_mermaid
from schemawright.documentation.model_json import model_json_schema, to_model_json
from schemawright.documentation.report import to_report

__all__ = [
    "model_json_schema",
    "render_svg",
    "to_data_dictionary",
    "to_dot",
    "to_mermaid",
    "to_model_json",
    "to_report",
]
