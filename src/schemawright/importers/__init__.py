"""Importers: existing schemas (SQL DDL, live databases, DBML) into the pipeline's model.

Each importer returns the same `Design` the design stages produce, so documentation,
lint and advice work on existing schemas too.  `target.load_target` picks the right one
for a file or a database URL.
"""
