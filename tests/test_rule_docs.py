"""What the documentation says about business rules (issue 11, the QA hand-off): each rule in
the data dictionary with its kind in words, what enforces it (linked) and the SQLSTATE and
constraint name a broken one raises; a Mermaid state diagram per `transitions` rule; the
summary in report.md; the rules' queue table as machinery, never an entity of the ERD."""

from __future__ import annotations

import re
from itertools import takewhile
from pathlib import Path

import pytest

from schemawright import model as m
from schemawright.commands.docs import load as load_for_docs
from schemawright.documentation.dictionary import to_data_dictionary
from schemawright.documentation.rules import state_diagram
from schemawright.documentation.site import docs_site
from schemawright.pipeline import deliverables, design_file

SPEC = """\
project: ledger
entities:
  Period:
    attributes:
      starts_on: {type: date, required: true}
      ends_on: {type: date, required: true}
      status: {type: enum, values: [open, closed], required: true, default: open}
  Entry:
    attributes:
      posted_on: {type: date, required: true}
  Line:
    attributes:
      amount: {type: money, required: true}
      status: {type: enum, values: [draft, posted], required: true, default: draft}
      posted_on: {type: date, required: true}
  Driver:
    attributes:
      name: {type: string, required: true}
  Address:
    attributes:
      street: {type: string, required: true}
      postal_code: {type: string, required: true}
      region: {type: string, required: true}
      is_primary: {type: boolean, required: true, default: false}
  Shift:
    attributes:
      started_at: {type: timestamp, required: true}
      ended_at: {type: timestamp}
      state: {type: enum, values: [open, closed, void], required: true, default: open}
  AccessLog:
    attributes:
      seen_at: {type: timestamp, required: true}
relationships:
  - {from: Period, to: Line, type: one-to-many}
  - {from: Period, to: Entry, type: one-to-many}
  - {from: Entry, to: Line, type: one-to-many}
  - {from: Driver, to: Shift, type: one-to-many}
  - {from: Driver, to: Address, type: one-to-many}
rules:
  - name: entry_balances
    entity: Line
    aggregate: {per: [entry_id], check: "sum(amount) = 0"}
  - name: posted_lines_never_change
    entity: Line
    description: Posted lines are final.
    immutable: {when: "status = 'posted'"}
  - name: log_is_append_only
    entity: AccessLog
    immutable: true
  - name: line_inside_open_period
    entity: Line
    parent_check: {via: [period_id], check: "posted_on BETWEEN parent.starts_on AND parent.ends_on"}
  - name: line_period_is_entry_period
    entity: Line
    matches: {columns: [entry_id, period_id], in: Entry, to: [id, period_id]}
  - name: one_primary_address
    entity: Address
    exactly_one: {per: [driver_id], where: "is_primary"}
  - name: one_open_shift_per_driver
    entity: Shift
    at_most_one: {per: [driver_id], where: "state = 'open'"}
  - name: shifts_never_overlap
    entity: Shift
    no_overlap: {per: [driver_id], period: [started_at, ended_at], where: "state <> 'void'"}
  - name: shift_life_cycle
    entity: Shift
    transitions: {column: state, initial: [open], allowed: {open: [closed, void]}}
  - name: closed_shift_has_end
    entity: Shift
    when: "state = 'closed'"
    then: "ended_at IS NOT NULL"
  - name: periods_ordered
    entity: Period
    check: "starts_on <= ends_on"
  - name: postal_code_fixes_region
    entity: Address
    depends: {determinant: [postal_code], dependent: [region]}
    denormalized: addresses are snapshots
"""


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "ledger.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def design(spec_path) -> m.Design:
    return design_file(spec_path)


@pytest.fixture(scope="module")
def files(design) -> dict[str, str]:
    return deliverables(design)


def _section(doc: str, table: str) -> str:
    """One table's section of the data dictionary."""
    return doc.split(f"## `{table}`", 1)[1].split("[Back to the table list]", 1)[0]


def _rule(doc: str, name: str) -> str:
    """A rule's entry: its line and its sub-items."""
    start = doc.index(f"`{name}` (")
    rest = doc[start:].split("\n")
    return "\n".join([rest[0], *takewhile(lambda line: line.startswith("  - "), rest[1:])])


def test_each_rule_is_told_in_its_tables_section(files):
    doc = files["data-dictionary.md"]
    expected = {"lines": ["entry_balances", "posted_lines_never_change", "line_inside_open_period",
                          "line_period_is_entry_period"],
                "access_logs": ["log_is_append_only"], "addresses": ["one_primary_address", "postal_code_fixes_region"],
                "shifts": ["one_open_shift_per_driver", "shifts_never_overlap", "shift_life_cycle",
                           "closed_shift_has_end"], "periods": ["periods_ordered"]}
    for table, rules in expected.items():
        section = _section(doc, table)
        assert "**Business rules**" in section, table
        for rule in rules:
            assert f'<a id="rule-{rule.replace("_", "-")}"></a>`{rule}` (' in section, rule
    assert "`entry_balances` (condition on each group, checked at commit): the rows of each `entry_id` group " \
           "satisfy `sum(amount) = 0` when the transaction commits." in doc
    assert "`log_is_append_only` (append-only): rows are never updated, deleted or truncated." in doc
    assert "`posted_lines_never_change` (frozen once a condition holds): a row where `status = 'posted'` is never " \
           "updated or deleted. Posted lines are final." in doc
    assert "`one_primary_address` (exactly one per group): each `driver_id` group that has rows has exactly one " \
           "row where `is_primary`." in doc
    assert "`line_period_is_entry_period` (must match a row of another table): (`entry_id`, `period_id`) matches " \
           "(`id`, `period_id`) of a row of `entries`." in doc
    assert "`closed_shift_has_end` (conditional requirement): when `state = 'closed'`, then " \
           "`ended_at IS NOT NULL`." in doc


@pytest.mark.parametrize(("rule", "enforced", "broken"), [
    ("one_open_shift_per_driver", "partial unique index `uq_shifts_one_open_shift_per_driver`",
     "SQLSTATE `23505` unique_violation, constraint `uq_shifts_one_open_shift_per_driver`"),
    ("shifts_never_overlap", "exclusion constraint `ex_shifts_shifts_never_overlap`",
     "SQLSTATE `23P01` exclusion_violation, constraint `ex_shifts_shifts_never_overlap`"),
    ("closed_shift_has_end", "CHECK constraint `ck_shifts_closed_shift_has_end`",
     "SQLSTATE `23514` check_violation, constraint `ck_shifts_closed_shift_has_end`"),
    ("shift_life_cycle", "trigger `trg_shifts_shift_life_cycle` (BEFORE INSERT OR UPDATE OF state, for each row)",
     "SQLSTATE `23514` check_violation, constraint `shift_life_cycle`"),
    ("posted_lines_never_change", "trigger `trg_lines_posted_lines_never_change` (BEFORE UPDATE OR DELETE, "
                                  "for each row)",
     "SQLSTATE `23514` check_violation, constraint `posted_lines_never_change`"),
    ("log_is_append_only", "trigger `trg_access_logs_log_is_append_only_truncate` (BEFORE TRUNCATE, for each "
                           "statement)",
     "SQLSTATE `23514` check_violation, constraint `log_is_append_only`, raised by the UPDATE, DELETE or "
     "TRUNCATE"),
    ("line_period_is_entry_period", "foreign key `fk_lines_line_period_is_entry_period`",
     "SQLSTATE `23503` foreign_key_violation, constraint `fk_lines_line_period_is_entry_period`"),
    ("entry_balances", "deferred constraint trigger [`trg_entry_balances_at_commit`](#rule-machinery) on the "
                       "[rules' queue](#rule-machinery) (AFTER INSERT, for each row, deferred to commit)",
     "SQLSTATE `23514` check_violation, constraint `entry_balances`, raised at COMMIT"),
    ("one_primary_address", "partial unique index `uq_addresses_one_primary_address`",
     "SQLSTATE `23505` unique_violation, constraint `uq_addresses_one_primary_address`, raised by the INSERT "
     "or UPDATE that makes a second matching row; or `23514` check_violation, constraint `one_primary_address`, "
     "raised at COMMIT"),
    ("periods_ordered", "CHECK constraint `ck_periods_periods_ordered`",
     "SQLSTATE `23514` check_violation, constraint `ck_periods_periods_ordered`"),
    ("postal_code_fixes_region", "trigger `trg_addresses_postal_code_fixes_region_check` (BEFORE INSERT OR "
                                 "UPDATE, for each row); trigger `trg_addresses_postal_code_fixes_region_sync`",
     "SQLSTATE `23514` check_violation, no constraint name, raised by the INSERT or UPDATE of a row that "
     "disagrees with the others"),
])
def test_each_rule_says_what_enforces_it_and_what_a_violation_raises(files, rule, enforced, broken):
    entry = _rule(files["data-dictionary.md"], rule)
    assert "  - Enforced by: " in entry and enforced in entry, entry
    assert "  - When broken: " + broken in entry, entry


def test_a_copied_column_says_its_triggers_and_that_nothing_is_refused():
    design = design_file(Path(__file__).resolve().parents[1] / "src/schemawright/requirements/example.yaml")
    entry = _rule(to_data_dictionary(design), "book_title_copy")
    assert ("Enforced by: trigger `trg_loans_book_title_fill` (BEFORE INSERT OR UPDATE OF book_id, book_title, for "
            "each row); trigger [`trg_books_title_push`](#table-books) on `books` (AFTER UPDATE OF title, for each "
            "row).") in entry
    assert "  - When broken: never refused: its triggers write the copies themselves" in entry


def test_trigger_rules_give_the_message_they_raise(files):
    doc = files["data-dictionary.md"]
    assert "its message is `rule posted_lines_never_change: Posted lines are final.`" in doc
    assert "its message begins `rule shift_life_cycle:`" in doc
    assert "message" not in _rule(doc, "shifts_never_overlap")  # the server's own message: nothing to say


def test_group_checks_name_the_triggers_that_queue_them_with_links(files):
    entry = _rule(files["data-dictionary.md"], "entry_balances")
    # sum(amount) holds on an empty group, so a new entry needs no trigger of its own.
    assert ("  - Groups to check are queued by statement-level triggers: `trg_lines_entry_balances_insert`, "
            "`trg_lines_entry_balances_update`, `trg_lines_entry_balances_delete` (AFTER INSERT, AFTER UPDATE, "
            "AFTER DELETE).") in entry


def test_triggers_list_their_timing_and_whether_deferred(files):
    doc = files["data-dictionary.md"]
    assert ("- `trg_lines_entry_balances_insert`: AFTER INSERT, for each statement, runs "
            "`queue_lines_entry_balances`") in doc
    assert ("- `trg_entry_balances_at_commit`: AFTER INSERT, for each row, deferred to commit, when "
            "`NEW.rule = 'entry_balances' AND NEW.key LIKE '@%'`, runs `check_lines_entry_balances`") in doc
    assert "- `trg_shifts_shift_life_cycle`: BEFORE INSERT OR UPDATE OF state, for each row, runs" in doc


def test_a_transitions_rule_has_its_state_diagram(files, design):
    doc = files["data-dictionary.md"]
    diagram = "```mermaid\nstateDiagram-v2\n    [*] --> open\n    open --> closed\n    open --> void\n```"
    assert diagram in _section(doc, "shifts")
    assert doc.count("stateDiagram-v2") == 1
    site, _ = docs_site(design)
    assert diagram in site["tables/shifts.md"]  # the site's table page tells the rules too


def test_state_diagram_of_odd_state_names():
    rule = m.Rule(name="trip", entity="Trip", kind="transitions", columns=("status",),
                  initial=("requested",), transitions=(("requested", "in progress"), ("in progress", "end"),
                                                       ("requested", 's2'), ("requested", 'a"b<c>#1;%`')))
    assert state_diagram(rule) == (
        "stateDiagram-v2\n"
        '    state "in progress" as s2\n'
        '    state "end" as s3\n'  # a keyword of the diagram's grammar
        '    state "s2" as s4\n'  # named like a generated id
        '    state "a#quot;b#lt;c#gt;#35;1#59;#37;#96;" as s5\n'  # entity codes show the name as it is
        "    [*] --> requested\n"
        "    requested --> s2\n    s2 --> s3\n    requested --> s4\n    requested --> s5\n")
    anywhere = m.Rule(name="t", entity="T", kind="transitions", columns=("status",),
                      transitions=(("a", "b"),))
    assert state_diagram(anywhere) == "stateDiagram-v2\n    a --> b\n"  # no initial states: any, no [*]


def test_report_has_a_business_rules_summary(files):
    report = files["report.md"]
    assert "- [Business rules](#business-rules)" in report
    summary = report.split('<a id="business-rules"></a>', 1)[1].split("<a id=", 1)[0]
    assert "| Rule | Table | Kind | Enforced by | Refused with (SQLSTATE, constraint) |" in summary
    assert ("| [`one_open_shift_per_driver`](data-dictionary.md#rule-one-open-shift-per-driver) | `shifts` | "
            "at most one per group | partial unique index `uq_shifts_one_open_shift_per_driver` | "
            "`23505` `uq_shifts_one_open_shift_per_driver` |") in summary
    assert ("| [`entry_balances`](data-dictionary.md#rule-entry-balances) | `lines` | condition on each group, "
            "checked at commit | deferred constraint trigger `trg_entry_balances_at_commit` | "
            "`23514` `entry_balances` at commit |") in summary
    assert len(re.findall(r"^\| \[`", summary, re.M)) == 12
    anchors = set(re.findall(r'<a id="(rule-[^"]+)"></a>', files["data-dictionary.md"]))
    assert set(re.findall(r"data-dictionary\.md#(rule-[^)]+)\)", summary)) <= anchors


def test_links_of_the_dictionary_resolve(files):
    doc = files["data-dictionary.md"]
    targets = re.findall(r'<a id="([^"]+)"></a>', doc)
    assert len(targets) == len(set(targets))
    assert set(re.findall(r"\]\(#([^)]+)\)", doc)) <= set(targets)


def test_the_rules_queue_is_machinery_not_an_entity(files, design):
    assert all(t.name != "rule_checks_pending" for t in design.tables)
    for name in ("erd.mmd", "erd.dot"):
        assert "rule_checks_pending" not in files[name], name
    doc = files["data-dictionary.md"]
    assert doc.count("rule_checks_pending") == 1  # named once, in its section
    machinery = doc.split('<a id="rule-machinery"></a>', 1)[1]
    assert "`rule_checks_pending` is internal machinery of the business rules, not part of the data model" \
        in machinery
    assert "rules checked at commit (`entry_balances`, `one_primary_address`)" in machinery
    site, _ = docs_site(design)
    assert "rule_checks_pending" not in site["README.md"]  # not an "other object kept as it is"
    assert not any("rule_checks_pending" in path for path in site)


def test_docs_of_a_schema_read_back_from_sql_keep_the_queue_out_of_the_erd(files, tmp_path):
    sql = tmp_path / "schema.sql"
    sql.write_text(files["schema.sql"], encoding="utf-8")
    read_back = load_for_docs(str(sql), None, None)
    assert "rule_checks_pending" not in {t.name for t in read_back.tables}
    site, _ = docs_site(read_back)
    assert "rule_checks_pending" not in site["erd.mmd"] and "rule_checks_pending" not in site["erd.dot"]
    assert not any("rule_checks_pending" in path for path in site)
    assert '<a id="rule-machinery"></a>' in site["data-dictionary.md"]
