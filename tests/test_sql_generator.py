"""The SQL generator: dialect flags really change the output, and gaps are reported, not dropped."""

from __future__ import annotations

import pytest

from schemawright import model as m
from schemawright.sql import partition_bounds
from schemawright.sql.generator import Generator
from schemawright.sql.postgresql import PostgresGenerator, as_migration, render_up

INDEX = m.Index(name="ix_orders_open", table="orders", columns=(m.IndexColumn(expression="placed_at"),),
                where="status = 'open'", include=("total",))
TABLE = m.Table(name="orders", columns=(m.Column(name="id", semantic="id", sql_type="bigint", nullable=False),),
                primary_key=m.PrimaryKey(name="pk_orders", columns=("id",)), description="Orders.")


class NoTransactions(PostgresGenerator):
    transactional_ddl = False


class NoConcurrently(PostgresGenerator):
    supports_concurrently = False


def test_migration_is_one_transaction_only_where_ddl_is_transactional():
    script = "CREATE TABLE t (a int);\n"
    assert as_migration(script) == "BEGIN;\n\n" + script + "\nCOMMIT;\n"
    assert NoTransactions().migration(script) == script


def test_concurrently_only_where_the_dialect_has_it():
    assert PostgresGenerator().create_index_sql(INDEX, concurrently=True).startswith(
        "CREATE INDEX CONCURRENTLY ix_orders_open ON orders")
    generator = NoConcurrently()
    sql = generator.create_index_sql(INDEX, concurrently=True)
    assert sql.startswith("CREATE INDEX ix_orders_open ON orders") and "CONCURRENTLY" not in sql
    assert any("CONCURRENTLY" in gap for gap in generator.gaps)
    assert "CONCURRENTLY" not in generator.drop_index_sql("ix_orders_open", concurrently=True)


def test_what_a_dialect_cannot_say_is_reported_not_dropped_silently():
    generator = Generator()
    sql = generator.create_index_sql(INDEX)
    assert sql == "CREATE INDEX ix_orders_open ON orders (placed_at);"
    assert len(generator.gaps) == 2 and "partial index" in generator.gaps[1] and "INCLUDE" in generator.gaps[0]
    design = m.Design(project="p", tables=(TABLE,))
    script = generator.up_script(design)
    assert "COMMENT ON" not in script and any("comment" in gap for gap in generator.gaps)
    assert "COMMENT ON TABLE orders IS 'Orders.';" in render_up(design)


def test_statements_a_fix_or_an_advisor_needs():
    g = PostgresGenerator()
    unique = m.Unique(name="uq_orders_code", columns=("code",))
    assert g.add_constraint_sql("orders", unique) == "ALTER TABLE orders\n    ADD CONSTRAINT uq_orders_code UNIQUE (code);"
    assert g.drop_constraint_sql("order", "Odd Name") == 'ALTER TABLE "order" DROP CONSTRAINT "Odd Name";'
    assert g.comment_sql("COLUMN", ("orders", "user"), "it's") == "COMMENT ON COLUMN orders.\"user\" IS 'it''s';"
    assert g.create_index_sql(INDEX.model_copy(update={"name": ""})).startswith("CREATE INDEX ON orders")
    assert g.sql(INDEX) == g.create_index_sql(INDEX) and g.sql(TABLE) == g.create_table_sql(TABLE)


def test_schema_qualified_table_names_and_unnamed_constraints():
    """An imported schema's tables are schema.table: quoted part by part where asked for."""
    g, whole = PostgresGenerator(qualified_names=True), PostgresGenerator()
    assert g.set_not_null_sql("billing.Invoices", "total") == 'ALTER TABLE billing."Invoices" ALTER COLUMN total SET NOT NULL;'
    assert whole.set_not_null_sql("billing.Invoices", "total").startswith('ALTER TABLE "billing.Invoices" ')
    fk = m.ForeignKey(name="", columns=("customer_id",), ref_table="crm.customers", ref_columns=(), on_delete="")
    assert g.add_foreign_key_sql("billing.invoices", fk) == (
        "ALTER TABLE billing.invoices\n    ADD FOREIGN KEY (customer_id)\n    REFERENCES crm.customers;")


def test_row_level_security_is_a_dialect_fact():
    g = PostgresGenerator()
    assert g.enable_row_level_security_sql("projects") == "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;"
    assert g.create_policy_sql("tenant_isolation", "projects", "org_id = 1") == (
        "CREATE POLICY tenant_isolation ON projects\n    USING (org_id = 1);")
    plain = Generator()
    plain.create_policy_sql("tenant_isolation", "projects", "org_id = 1")
    assert plain.gaps == ["table projects: policy tenant_isolation"] and not g.gaps


def test_what_if_session_setup_statements():
    g = PostgresGenerator()
    assert g.set_storage_parameters_sql(("public", "Readings_1"), {"autovacuum_enabled": "false"}) == (
        'ALTER TABLE public."Readings_1" SET (autovacuum_enabled = false);')
    assert g.reset_storage_parameters_sql(("readings",), ["autovacuum_enabled"]) == (
        "ALTER TABLE readings RESET (autovacuum_enabled);")
    assert g.create_statistics_sql("sw_expr_stats_1", "users", ["(lower(email))"]) == (
        "CREATE STATISTICS sw_expr_stats_1 ON (lower(email)) FROM users;")
    assert g.drop_statistics_sql("sw_expr_stats_1", if_exists=True) == "DROP STATISTICS IF EXISTS sw_expr_stats_1;"
    assert g.drop_table_sql("_stage", if_exists=True) == "DROP TABLE IF EXISTS _stage;"


@pytest.mark.parametrize("text", [
    "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')",
    "FOR VALUES FROM (1, minvalue) TO (10, maxvalue)",
    "FOR VALUES IN ('eu', NULL, 3)",
    "FOR VALUES WITH (MODULUS 8, REMAINDER 3)",
    "DEFAULT",
])
def test_partition_bounds_parse_into_the_model_and_render_back(text):
    bound = partition_bounds.parse(text)
    assert PostgresGenerator().partition_bound_sql(bound) == text
    assert partition_bounds.parse(PostgresGenerator().partition_bound_sql(bound)) == bound


def test_a_bound_that_is_not_one_is_refused():
    for text in ("FOR VALUES FROM (1) TO", "DEFAULT; DROP ROLE x", "(a int)"):
        with pytest.raises(partition_bounds.BadPartitionBound):
            partition_bounds.parse(text)


def test_triggers_and_functions_are_written_by_the_generator():
    trigger = m.Trigger(name="trg", table="order", function="fill", timing="before",
                        events=(m.TriggerEvent(kind="insert"), m.TriggerEvent(kind="update", columns=("a", "Odd"))))
    assert PostgresGenerator().trigger_sql(trigger) == (
        'CREATE TRIGGER trg BEFORE INSERT OR UPDATE OF a, "Odd" ON "order"\n    FOR EACH ROW EXECUTE FUNCTION fill();')
    statement = trigger.model_copy(update={"level": "statement", "timing": "after", "events": (m.TriggerEvent(kind="delete"),)})
    assert "AFTER DELETE ON" in PostgresGenerator().sql(statement) and "FOR EACH STATEMENT" in PostgresGenerator().sql(statement)
    function = m.Function(name="refresh", returns="text", returns_set=True, body="BEGIN RETURN NEXT 'x'; END;",
                          arguments=(m.FunctionArgument(name="days", type="int"),))
    assert PostgresGenerator().function_sql(function) == (
        "CREATE FUNCTION refresh(days int) RETURNS SETOF text\nLANGUAGE plpgsql AS $$\nBEGIN RETURN NEXT 'x'; END;\n$$;")
    assert PostgresGenerator().drop_function_sql(function) == "DROP FUNCTION refresh(int);"
    nested = function.model_copy(update={"body": "BEGIN EXECUTE $q$SELECT 1$q$; END;"})
    assert PostgresGenerator().function_sql(nested).endswith("AS $fn$\nBEGIN EXECUTE $q$SELECT 1$q$; END;\n$fn$;")
    generator = Generator()
    assert "$" not in generator.function_sql(function) and "'BEGIN RETURN NEXT ''x''; END;'" in generator.function_sql(function)
    design = m.Design(project="p", tables=(TABLE,), functions=(function,), triggers=(trigger,))
    assert "CREATE FUNCTION" not in generator.up_script(design)
    assert any("functions refresh" in gap for gap in generator.gaps) and any("triggers trg" in gap for gap in generator.gaps)


def test_summary_table_statements():
    g = PostgresGenerator()
    assert g.create_table_as_sql("daily", "SELECT 1 AS day", with_data=False) == (
        "CREATE TABLE daily AS\nSELECT 1 AS day\nWITH NO DATA;")
    key = m.PrimaryKey(name="pk_daily", columns=("day",))
    assert g.one_line(g.add_constraint_sql("daily", key)) == "ALTER TABLE daily ADD CONSTRAINT pk_daily PRIMARY KEY (day);"
