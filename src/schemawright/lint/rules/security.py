"""Security: personal data without a protection policy, tenants without row-level security."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from schemawright import model as m
from schemawright.lint.context import SQL, Context, fix, q, words
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
        said = "security.pii is none" if declared else "security.pii is not declared"
        for table in ctx.design.tables:
            for column in table.columns:
                if column.pii or looks_personal(column):
                    why = "is flagged pii" if column.pii else "looks like personal data"
                    yield Hit(table.name, column.name,
                              f"{table.name}.{column.name} {why}, and the design records no protection "
                              f"({said})")


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
             "CREATE POLICY tenant_isolation ON projects\n"
             "    USING (organization_id = current_setting('app.tenant_id')::bigint);")
    fix = "ENABLE ROW LEVEL SECURITY and CREATE POLICY ... USING (tenant_column = current_setting('app.tenant_id'))."
    options: ClassVar[dict[str, object]] = {"tenant_column": ""}

    def check(self, ctx: Context) -> Iterator[Hit]:
        tenant = str(ctx.option(self.code, "tenant_column") or ctx.design.security.tenant_column or "")
        if not tenant:
            return
        for table in ctx.design.tables:
            column = table.column(tenant)
            if column is None or ctx.design.security.has_row_level_security(table.name):
                continue
            cast = column.sql_type or "bigint"
            yield Hit(table.name, tenant,
                      f"{table.name} holds rows of many tenants ({tenant}) but has no row-level security policy",
                      SQL.enable_row_level_security_sql(table.name) + " " + fix(SQL.create_policy_sql(
                          "tenant_isolation", table.name, f"{q(tenant)} = current_setting('app.tenant_id')::{cast}")))
