"""postgres_exporter custom queries (monitoring/queries.yml) for what no collector exports.

- `schemawright_partitions_ahead_seconds{relname}`: how far the newest range partition reaches
  past now(), per range-partitioned table (the partition maintenance job keeps it ahead);
- `schemawright_pattern_calls`, `_seconds` (counters) and `_stddev_seconds` (gauge) per access
  pattern, from pg_stat_statements rows whose text carries the pattern's tag comment
  (PATTERN_TAG): the exporter's own stat_statements collector labels rows by queryid only and
  exports no standard deviation.

postgres_exporter names a custom metric `<query name>_<column>`; it reads the file given by
`--extend.query-path` (deprecated upstream in favour of sql_exporter, still supported).
"""

from __future__ import annotations

import yaml

PATTERN_TAG = "/* pattern:{name} */"  # the comment the application puts before each pattern's SQL

_PARTITIONS_SQL = """\
SELECT parent.relname,
       extract(epoch FROM max(substring(pg_get_expr(child.relpartbound, child.oid)
                                        FROM 'TO \\(''([^'']+)''\\)')::timestamptz) - now()) AS ahead_seconds
FROM pg_partitioned_table pt
JOIN pg_class parent ON parent.oid = pt.partrelid
JOIN pg_inherits i ON i.inhparent = parent.oid
JOIN pg_class child ON child.oid = i.inhrelid
WHERE pt.partstrat = 'r' AND parent.relname = ANY (ARRAY[{tables}])
  AND pg_get_expr(child.relpartbound, child.oid) <> 'DEFAULT'
GROUP BY parent.relname
"""

_PATTERNS_SQL = """\
SELECT substring(query FROM '/\\* pattern:(\\S+) \\*/') AS pattern,
       sum(calls) AS calls,
       sum(total_exec_time) / 1000 AS seconds,
       max(stddev_exec_time) / 1000 AS stddev_seconds
FROM pg_stat_statements
WHERE query ~ '/\\* pattern:\\S+ \\*/'
GROUP BY 1
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def partitions_sql(tables: tuple[str, ...]) -> str:
    return _PARTITIONS_SQL.replace("{tables}", ", ".join(_literal(t) for t in tables))


def patterns_sql() -> str:
    return _PATTERNS_SQL


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the SQL) as literal blocks, readable in the file."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def queries_yml(range_tables: tuple[str, ...], patterns: bool) -> str:
    queries: dict[str, object] = {}
    if range_tables:
        queries["schemawright_partitions"] = {
            "query": partitions_sql(range_tables),
            "metrics": [{"relname": {"usage": "LABEL", "description": "Range-partitioned table"}},
                        {"ahead_seconds": {"usage": "GAUGE",
                                           "description": "Seconds from now to the end of its newest partition"}}]}
    if patterns:
        queries["schemawright_pattern"] = {
            "query": patterns_sql(),
            "metrics": [{"pattern": {"usage": "LABEL", "description": "Access pattern (its tag comment)"}},
                        {"calls": {"usage": "COUNTER", "description": "Executions"}},
                        {"seconds": {"usage": "COUNTER", "description": "Execution time, seconds"}},
                        {"stddev_seconds": {"usage": "GAUGE",
                                            "description": "Standard deviation of one execution, seconds, since "
                                                           "pg_stat_statements was reset"}}]}
    header = ("# postgres_exporter --extend.query-path=queries.yml: metrics alerts.yml reads that no collector\n"
              "# exports. Patterns are found by the comment " + PATTERN_TAG.format(name="<name>")
              + " the application sends before each pattern's SQL\n# (pg_stat_statements keeps it in the "
              "statement's text).\n")
    return header + (yaml.dump(queries, Dumper=_Dumper, sort_keys=False, width=120) if queries else "{}\n")
