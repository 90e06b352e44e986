"""Security: personal data without a protection policy, tenants without row-level security,
row-level security that is not in force for everyone, policies that ignore who is asking,
and grants to PUBLIC."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import sqlglot
from sqlglot import exp

from schemawright import model as m
from schemawright.lint.context import SQL, Context, fix, q, words
from schemawright.lint.privileges import is_true, policies, public_grants, reads_session, row_security
from schemawright.lint.rule import Hit, Rule, register
from schemawright.sql import types

# Names that hold personal data, as runs of words inside a column name.
_PII_TEXT = ("email", "e_mail", "phone", "mobile", "phone_number", "ssn", "social_security_number",
             "passport", "passport_number", "national_id", "tax_id", "iban", "credit_card", "card_number",
             "first_name", "last_name", "full_name", "surname", "ip_address", "street", "address_line")
_PII_DATES = ("birth_date", "date_of_birth", "dob", "birthday", "birthdate")
_PROTECTED = {"hash", "hashed", "digest", "encrypted", "enc", "masked", "token", "hmac", "verified", "at",
              "confirmed", "opt", "count", "domain"}


def looks_personal(column: m.Column) -> bool:
    """A column whose name and type say personal data (email, phone, ssn, birth_date ...)."""
    parts = words(column.name)
    if set(parts) & _PROTECTED:
        return False
    joined = f"_{'_'.join(parts)}_"
    kind = types.family(column.sql_type or "text")
    if kind == "text" and any(f"_{term}_" in joined for term in _PII_TEXT):
        return True
    return kind == "datetime" and any(f"_{term}_" in joined for term in _PII_DATES)


@register
class UnprotectedPii(Rule):
    code = "SW601"
    name = "unprotected-pii"
    family = "security"
    severity = "warning"
    summary = "Personal data (flagged pii, or named email, phone, ssn, birth_date ...) has no protection policy."
    rationale = (
        "Personal data is regulated (GDPR, CCPA, HIPAA): who may read it, whether it is masked for "
        "analysts and encrypted at rest, and how it is erased must be decided and recorded. The design "
        "records that decision in security.pii (mask or encrypt); when it is missing or `none`, every "
        "column that holds or looks like personal data is reported.")
    example = "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, birth_date date);"
    fixed = ("-- spec: security: {pii: mask}   and   email: {type: email, pii: true}\n"
             "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, birth_date date);\n"
             "-- masked views or column grants for roles that must not see it")
    fix = "Decide how personal data is protected (security.pii: mask or encrypt) and flag the columns pii: true."

    def check(self, ctx: Context) -> Iterator[Hit]:
        security = ctx.design.security
        # Not the model's default: an imported schema that declares nothing protects nothing.
        declared = security.declared("pii")
        if declared and security.pii != "none":
            return
        views = masking_views(ctx.design)
        if not declared and (views or _encrypts(ctx.design)):
            # The schema shows its PII policy (masking views, encrypted columns): report only what a
            # masking view of the table still shows in clear.
            for table in ctx.design.tables:
                for view, masked in views.get(table.name, []):
                    for column in table.columns:
                        if column.name not in masked and (column.pii or looks_personal(column)):
                            yield Hit(table.name, column.name,
                                      f"{table.name}.{column.name} looks like personal data, and the masking view "
                                      f"{view} shows it in clear")
            return
        said = "security.pii is none" if declared else "security.pii is not declared"
        for table in ctx.design.tables:
            for column in table.columns:
                if column.pii or looks_personal(column):
                    why = "is flagged pii" if column.pii else "looks like personal data"
                    yield Hit(table.name, column.name,
                              f"{table.name}.{column.name} {why}, and the design records no protection "
                              f"({said})")


def masking_views(design: m.Design) -> dict[str, list[tuple[str, set[str]]]]:
    """table -> (view, the columns it masks) for each view over that one table that shows at
    least one of its columns as an expression under the column's own name (`left(email, 1) ||
    '***' AS email`): the shape of a masking view, the design's `<table>_masked` included."""
    out: dict[str, list[tuple[str, set[str]]]] = {}
    for view in design.views:
        try:
            tree = sqlglot.parse_one(view.sql, read="postgres")
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
            continue
        if not isinstance(tree, exp.Select):
            continue
        tables = list(tree.find_all(exp.Table))
        table = design.table(tables[0].name) if len(tables) == 1 else None
        if table is None:
            continue
        masked = set()
        for item in tree.expressions:
            if isinstance(item, exp.Alias) and not isinstance(item.this, exp.Column) and table.column(item.alias):
                masked.add(item.alias)
        if masked:
            out.setdefault(table.name, []).append((view.name, masked))
    return out


def _encrypts(design: m.Design) -> bool:
    """Columns held encrypted: bytea columns named as personal data (`pii: encrypt` makes them so)."""
    return any(types.family(c.sql_type or "") == "bytea" and looks_personal(c.model_copy(update={"sql_type": "text"}))
               for t in design.tables for c in t.columns)


@register
class TenantWithoutRls(Rule):
    code = "SW602"
    name = "tenant-without-rls"
    family = "security"
    severity = "warning"
    summary = "A multi-tenant table (it has the tenant column) has no row-level security policy."
    rationale = (
        "In a shared-schema multi-tenant database, one missing `WHERE tenant_id = ...` in one query leaks "
        "another customer's data. Row-level security makes the database add the tenant filter to every "
        "statement of the application's role, so isolation does not depend on every query being right. "
        "The tenant column is security.tenant_column (or this rule's `tenant_column` option).")
    example = ("CREATE TABLE projects (\n    id bigint PRIMARY KEY,\n    organization_id bigint NOT NULL\n);")
    fixed = ("CREATE TABLE projects (\n    id bigint PRIMARY KEY,\n    organization_id bigint NOT NULL\n);\n"
             "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;\n"
             "ALTER TABLE projects FORCE ROW LEVEL SECURITY;\n"
             "CREATE POLICY tenant_isolation ON projects\n"
             "    USING (organization_id = current_setting('app.tenant_id')::bigint);")
    fix = ("ENABLE and FORCE ROW LEVEL SECURITY, and CREATE POLICY ... USING (tenant_column = "
           "current_setting('app.tenant_id')).")
    options: ClassVar[dict[str, object]] = {"tenant_column": ""}

    def check(self, ctx: Context) -> Iterator[Hit]:
        tenant = str(ctx.option(self.code, "tenant_column") or ctx.design.security.tenant_column or "")
        if not tenant:
            return
        # The typed fields: what an imported schema enables (security.row_level_security) and what the
        # design enables and forces (row_security); SW603 tells whether it is in force for everyone.
        secured = set(ctx.design.row_security)
        for table in ctx.design.tables:
            column = table.column(tenant)
            if column is None or ctx.design.security.has_row_level_security(table.name) or table.name in secured:
                continue
            cast = column.sql_type or "bigint"
            yield Hit(table.name, tenant,
                      f"{table.name} holds rows of many tenants ({tenant}) but has no row-level security policy",
                      SQL.enable_row_level_security_sql(table.name) + " " + SQL.force_row_level_security_sql(table.name)
                      + " " + fix(SQL.create_policy_sql(
                          "tenant_isolation", table.name, f"{q(tenant)} = current_setting('app.tenant_id')::{cast}")))


@register
class RowSecurityNotInForce(Rule):
    code = "SW603"
    name = "rls-not-forced"
    family = "security"
    severity = "warning"
    summary = "Row-level security is not in force for everyone: not forced for the owner, or not enabled at all."
    rationale = (
        "ENABLE ROW LEVEL SECURITY alone leaves the table's owner, and every role that is a member of the owner, "
        "outside the policies: an application that connects as the role that ran the migrations, which is common, "
        "sees every tenant's rows. FORCE ROW LEVEL SECURITY subjects the owner too (only superusers and roles with "
        "BYPASSRLS are left out, which is what an operator role is for). Policies on a table whose row-level "
        "security is not enabled at all have no effect.")
    example = ("CREATE TABLE projects (id bigint PRIMARY KEY, organization_id bigint NOT NULL);\n"
               "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;\n"
               "CREATE POLICY tenant_isolation ON projects\n"
               "    USING (organization_id = current_setting('app.tenant_id')::bigint);")
    fixed = ("CREATE TABLE projects (id bigint PRIMARY KEY, organization_id bigint NOT NULL);\n"
             "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;\n"
             "ALTER TABLE projects FORCE ROW LEVEL SECURITY;\n"
             "CREATE POLICY tenant_isolation ON projects\n"
             "    USING (organization_id = current_setting('app.tenant_id')::bigint);")
    fix = "ALTER TABLE ... ENABLE ROW LEVEL SECURITY and ALTER TABLE ... FORCE ROW LEVEL SECURITY."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for table, state in row_security(ctx.design).items():
            if state.enabled and state.forced:
                continue
            if not state.enabled:
                if not state.policies:
                    continue  # FORCE alone, nothing to enforce: nothing to say
                yield Hit(table, None, f"{table} has row-level security policies ({', '.join(state.policies)}) but "
                                       "row-level security is not enabled: they have no effect",
                          fix(SQL.enable_row_level_security_sql(table)) + "; "
                          + fix(SQL.force_row_level_security_sql(table)))
            else:
                yield Hit(table, None, f"{table} has row-level security enabled but not forced: its owner, and every "
                                       "member of the owner role, bypasses the policies",
                          fix(SQL.force_row_level_security_sql(table)))


@register
class PolicyIgnoresSession(Rule):
    code = "SW604"
    name = "policy-ignores-session"
    family = "security"
    severity = "warning"
    summary = "A row-level security policy reads nothing of the session, so it lets every role see the same rows."
    rationale = (
        "A policy isolates tenants or users only if its expression depends on who is asking: a setting the "
        "application sets in each transaction (current_setting('app.tenant_id')), the role (current_user), or a "
        "function of the schema that reads them. A permissive policy for everyone (no TO role) whose USING or "
        "WITH CHECK reads only constants and the row's own columns (USING (true), USING (tenant_id = 42)) lets "
        "every role through alike, and permissive policies are OR-ed: one such policy opens the table. An INSERT "
        "policy WITH CHECK (true) is taken as intended (adding a row reveals none; a sign-up creates a tenant).")
    example = ("CREATE TABLE projects (id bigint PRIMARY KEY, organization_id bigint NOT NULL);\n"
               "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;\n"
               "ALTER TABLE projects FORCE ROW LEVEL SECURITY;\n"
               "CREATE POLICY everyone ON projects USING (true);")
    fixed = ("CREATE TABLE projects (id bigint PRIMARY KEY, organization_id bigint NOT NULL);\n"
             "ALTER TABLE projects ENABLE ROW LEVEL SECURITY;\n"
             "ALTER TABLE projects FORCE ROW LEVEL SECURITY;\n"
             "CREATE POLICY tenant_isolation ON projects\n"
             "    USING (organization_id = current_setting('app.tenant_id')::bigint);")
    fix = "Key the policy on the session: USING (tenant_column = current_setting('app.tenant_id')::type)."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for policy in policies(ctx.design, SQL):
            if not policy.permissive or policy.roles != ("public",):
                continue  # restrictive policies only narrow; a policy TO a role is keyed on the role
            if policy.command == "insert" and policy.using is None and is_true(policy.check):
                continue
            loose = [what for what, expression in (("USING", policy.using), ("WITH CHECK", policy.check))
                     if expression is not None and not reads_session(expression)]
            if loose:
                yield Hit(policy.table, None,
                          f"policy {policy.name} on {policy.table} ({policy.command.upper()}): its "
                          f"{' and '.join(loose)} reads nothing of the session (no current_setting(), current_user "
                          "or function of the schema), so every role gets the same rows",
                          anchor=None)


@register
class GrantToPublic(Rule):
    code = "SW605"
    name = "grant-to-public"
    family = "security"
    severity = "warning"
    summary = "A privilege on a table, sequence, schema or database is granted to PUBLIC (every role, now and later)."
    rationale = (
        "PUBLIC is every role of the cluster, including roles created later for other applications and any login "
        "an attacker obtains. A grant to PUBLIC of anything beyond PostgreSQL's own defaults (CONNECT and TEMPORARY "
        "on a database, USAGE on a schema, EXECUTE on a function) gives that to all of them: least privilege grants "
        "to the group role of each service instead. Read from the design's grants and from a SQL file's GRANT and "
        "ALTER DEFAULT PRIVILEGES statements (a live database's ACLs are not read).")
    example = ("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(12, 2) NOT NULL);\n"
               "GRANT ALL ON orders TO PUBLIC;")
    fixed = ("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric(12, 2) NOT NULL);\n"
             "CREATE ROLE shop_app NOLOGIN;\n"
             "GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO shop_app;")
    fix = "REVOKE it from PUBLIC and grant what each service needs to its group role."

    def check(self, ctx: Context) -> Iterator[Hit]:
        for grant in public_grants(ctx.design, ctx.source_text, ctx.source_kind):
            table = grant.table if grant.table and ctx.design.table(grant.table) else None
            yield Hit(table, None, f"{grant.what} is granted to PUBLIC: every role of the server, now and later, "
                                   "has it")
