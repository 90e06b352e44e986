"""Mistakes in the business rules of `rules:` are located errors at `check` time, pointing at
the key at fault, with a fix or the closest valid name, before design writes DDL that does
not apply (requirements/rule_checks.py, and sql_fragments.py for the SQL each rule holds)."""

from __future__ import annotations

import pytest

from schemawright.errors import SpecErrors
from schemawright.pipeline import parse_spec

ENTITIES = """\
project: rules_demo
entities:
  Period:
    attributes:
      starts_on: {type: date, required: true}
      ends_on: {type: date, required: true}
      status: {type: enum, values: [open, closed], required: true}
  Entry:
    attributes:
      posted_on: {type: date, required: true}
  Line:
    attributes:
      amount: {type: money, required: true}
      posted: {type: boolean, required: true}
  Room:
    attributes:
      name: {type: string, required: true}
  Booking:
    attributes:
      starts_at: {type: timestamp, required: true}
      ends_at: {type: timestamp, required: true}
      day: date
      label: string
      code: string
      extra: json
      status: {type: enum, values: [held, confirmed, cancelled], required: true}
  Driver:
    attributes:
      name: {type: string, required: true}
  Vehicle:
    attributes:
      plate: {type: string, required: true}
  Trip:
    attributes:
      status: {type: enum, values: [requested, accepted, in_progress, completed, cancelled], required: true}
      dropped_off_at: timestamp
  Log:
    attributes:
      message: text
relationships:
  - {from: Period, to: Entry, type: one-to-many}
  - {from: Entry, to: Line, type: one-to-many}
  - {from: Room, to: Booking, type: one-to-many}
  - {from: Driver, to: Trip, type: one-to-many}
  - {from: Vehicle, to: Trip, type: one-to-many}
  - {from: Driver, to: Vehicle, type: many-to-many, name: approval}
"""

# One rule of every kind, each as a reader would write it.
EVERY_KIND = """\
rules:
  - name: one_open_trip
    entity: Trip
    at_most_one: {per: [driver_id], where: "status IN ('accepted', 'in_progress')"}
  - name: one_requested
    entity: Trip
    exactly_one: {per: [vehicle_id], where: "status = 'requested'", nulls_distinct: false}
  - name: no_double_booking
    entity: Booking
    no_overlap: {per: [room_id], period: [starts_at, ends_at], where: "status <> 'cancelled'"}
  - name: entry_balances
    entity: Line
    aggregate: {per: [entry_id], check: "sum(amount) = 0 AND count(*) >= 2 AND max(parent.posted_on) IS NOT NULL"}
  - name: posted_lines_fixed
    entity: Line
    immutable: {when: "posted"}
  - name: log_append_only
    entity: Log
    immutable: true
  - name: trip_flow
    entity: Trip
    transitions:
      column: status
      initial: [requested]
      allowed:
        requested: [accepted, cancelled]
        accepted: [in_progress, cancelled]
        in_progress: [completed]
  - name: completed_has_dropoff
    entity: Trip
    when: "status = 'completed'"
    then: "dropped_off_at IS NOT NULL"
  - name: entry_in_open_period
    entity: Entry
    parent_check: {via: [period_id], check: "posted_on BETWEEN parent.starts_on AND parent.ends_on AND parent.status = 'open'"}
  - name: approved_vehicle
    entity: Trip
    matches: {columns: [driver_id, vehicle_id], in: approval}
    constraint: fk_trips_approved_vehicle
"""


def issues_of(rules: str, entities: str = ENTITIES) -> tuple[str, list]:
    text = entities + rules
    with pytest.raises(SpecErrors) as info:
        parse_spec(text, "spec.yaml")
    return text, info.value.issues


def at(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of `needle` in `text`."""
    offset = -1
    for _ in range(nth):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def assert_issue(rules: str, needle: str, message: str, hint: str | None = None, nth: int = 1,
                 entities: str = ENTITIES) -> None:
    """Exactly one issue, at `needle`, saying `message` (a part of it), with `hint` (a part)."""
    text, issues = issues_of(rules, entities)
    assert len(issues) == 1, "\n".join(i.format() for i in issues)
    issue = issues[0]
    assert (issue.line, issue.column) == at(text, needle, nth), issue.format()
    assert message in issue.message, issue.format()
    if hint is not None:
        assert hint in (issue.hint or ""), issue.format()


def rule(body: str) -> str:
    return "rules:\n" + body


# ---------------------------------------------------------------- passes


@pytest.mark.parametrize("enums", ["check", "type"])
def test_one_rule_of_every_kind_passes_check(enums):
    spec = parse_spec(ENTITIES.replace("project: rules_demo\n", f"project: rules_demo\nnaming: {{enums: {enums}}}\n")
                      + EVERY_KIND, "spec.yaml")
    assert len(spec.rules) == 10


# ---------------------------------------------------------------- columns of the rule's table


def test_at_most_one_per_names_a_missing_column():
    assert_issue(rule("  - {name: one_open, entity: Trip, at_most_one: {per: [drver_id], where: \"status = 'accepted'\"}}\n"),
                 "drver_id", "rule 'one_open': names column 'drver_id', which table 'trips' does not have",
                 "did you mean 'driver_id'?")


def test_exactly_one_where_names_a_missing_column():
    assert_issue(rule("  - name: one\n    entity: Trip\n    exactly_one: {per: [driver_id], where: \"stauts = 'requested'\"}\n"),
                 "\"stauts", "exactly_one.where names column 'stauts', which table 'trips' does not have",
                 "did you mean 'status'?")


def test_at_most_one_where_calling_now_is_refused_in_an_index_predicate():
    assert_issue(rule("  - name: one\n    entity: Trip\n    at_most_one: {per: [driver_id], where: \"dropped_off_at > now()\"}\n"),
                 "\"dropped_off_at", "calls now(), whose result changes", "compare stored columns only")


def test_transitions_column_is_missing():
    assert_issue(rule("  - name: flow\n    entity: Trip\n    transitions: {column: stauts, allowed: {requested: [accepted]}}\n"),
                 "stauts", "names column 'stauts', which table 'trips' does not have", "did you mean 'status'?")


# ---------------------------------------------------------------- no_overlap


def test_no_overlap_period_of_two_types():
    assert_issue(rule("  - name: nb\n    entity: Booking\n    no_overlap: {per: [room_id], period: [day, ends_at]}\n"),
                 "[day, ends_at]", "the period's columns differ in type: day is date and ends_at is timestamptz",
                 "same type")


def test_no_overlap_period_without_a_range_type():
    assert_issue(rule("  - name: nb\n    entity: Booking\n    no_overlap: {period: [label, code]}\n"),
                 "label, code", "the period's columns are text, which has no range type",
                 "date, timestamp, integer")


def test_no_overlap_period_names_a_missing_column():
    assert_issue(rule("  - name: nb\n    entity: Booking\n    no_overlap: {per: [room_id], period: [starts_at, end_at]}\n"),
                 "end_at]", "names column 'end_at'", "did you mean 'ends_at'?")


def test_no_overlap_group_column_gist_cannot_compare():
    assert_issue(rule("  - name: nb\n    entity: Booking\n    no_overlap: {per: [extra], period: [starts_at, ends_at]}\n"),
                 "extra]", "group column 'extra' is jsonb, which a GiST index cannot compare with =", "foreign key")


def test_no_overlap_where_that_escapes_its_parentheses():
    assert_issue(rule("  - name: nb\n    entity: Booking\n    no_overlap:\n      period: [starts_at, ends_at]\n"
                      "      where: \"status <> 'cancelled') -- \"\n"),
                 "\"status <>", "no_overlap.where is not one SQL expression", "one SQL expression")


# ---------------------------------------------------------------- aggregate


def test_aggregate_reads_a_column_outside_an_aggregate():
    assert_issue(rule("  - name: bal\n    entity: Line\n    aggregate: {per: [entry_id], check: \"sum(amount) = 0 AND posted\"}\n"),
                 "\"sum(amount)", "aggregate check reads column 'posted' outside an aggregate", "bool_and(posted")


def test_aggregate_without_an_aggregate():
    assert_issue(rule("  - name: bal\n    entity: Line\n    aggregate: {per: [entry_id], check: \"amount > 0\"}\n"),
                 "\"amount > 0", "has no aggregate", "`check` rule")


def test_aggregate_written_as_a_query():
    assert_issue(rule("  - name: bal\n    entity: Line\n    aggregate: {per: [entry_id], check: \"SELECT sum(amount) = 0 FROM lines\"}\n"),
                 "\"SELECT", "aggregate check is a whole query", "write the condition alone")


def test_aggregate_holding_two_statements():
    assert_issue(rule("  - name: bal\n    entity: Line\n    aggregate: {per: [entry_id], check: \"sum(amount) = 0); DROP TABLE lines; SELECT (1\"}\n"),
                 "\"sum(amount)", "aggregate check is not one SQL expression", "one SQL expression")


def test_aggregate_reading_parent_needs_a_foreign_key_group():
    assert_issue(rule("  - name: bal\n    entity: Line\n    aggregate: {per: [posted], check: \"count(*) <= parent.limit\"}\n"),
                 "[posted]", "the check reads parent.limit", "[entry_id] -> entries")


def test_aggregate_reading_a_missing_parent_column():
    assert_issue(rule("  - name: bal\n    entity: Line\n    aggregate: {per: [entry_id], check: \"count(*) <= max(parent.postd_on)\"}\n"),
                 "\"count(*)", "reads parent.postd_on, which table 'entries' (the parent) does not have",
                 "did you mean 'posted_on'?")


def test_aggregate_per_names_a_missing_column():
    assert_issue(rule("  - name: bal\n    entity: Line\n    aggregate: {per: [entry], check: \"sum(amount) = 0\"}\n"),
                 "entry]", "names column 'entry'", "did you mean 'entry_id'?")


# ---------------------------------------------------------------- parent_check


def test_parent_check_via_is_not_a_foreign_key():
    assert_issue(rule("  - name: inside\n    entity: Entry\n    parent_check: {via: [posted_on], check: \"parent.status = 'open'\"}\n"),
                 "[posted_on]", "[posted_on] is not the column list of a foreign key of entries",
                 "its foreign keys: [period_id] -> periods")


def test_parent_check_reads_a_missing_parent_column():
    assert_issue(rule("  - name: inside\n    entity: Entry\n    parent_check: {via: [period_id], check: \"parent.stauts = 'open'\"}\n"),
                 "\"parent.", "reads parent.stauts, which table 'periods' (the parent) does not have",
                 "did you mean 'status'?")


def test_parent_check_names_the_parent_table_instead_of_parent():
    assert_issue(rule("  - name: inside\n    entity: Entry\n    parent_check: {via: [period_id], check: \"periods.status = 'open'\"}\n"),
                 "\"periods.", "reads periods.status, but only this row's columns are in reach",
                 "or parent.status")


def test_parent_check_with_an_aggregate():
    assert_issue(rule("  - name: inside\n    entity: Entry\n    parent_check: {via: [period_id], check: \"count(*) > 0\"}\n"),
                 "\"count", "calls count(), an aggregate, but it is evaluated on one row", "`aggregate:` rule")


# ---------------------------------------------------------------- transitions


FLOW = """\
  - name: flow
    entity: Trip
    transitions:
      column: status
      initial: [requsted]
      allowed:
        requestd: [accepted]
        accepted: [in_progres, cancelled]
"""


@pytest.mark.parametrize("enums", ["check", "type"])
def test_transition_states_are_values_of_the_column(enums):
    entities = ENTITIES.replace("project: rules_demo\n", f"project: rules_demo\nnaming: {{enums: {enums}}}\n")
    text, issues = issues_of(rule(FLOW), entities)
    found = {((i.line, i.column), i.message.split(": ", 1)[1], i.hint) for i in issues}
    assert found == {
        (at(text, "requsted"), "state 'requsted' is not a value of trips.status", "did you mean 'requested'?"),
        (at(text, "requestd"), "state 'requestd' is not a value of trips.status", "did you mean 'requested'?"),
        (at(text, "in_progres,"), "state 'in_progres' is not a value of trips.status", "did you mean 'in_progress'?"),
    }


# ---------------------------------------------------------------- when / then, immutable


def test_then_names_a_missing_column():
    assert_issue(rule("  - name: done\n    entity: Trip\n    when: \"status = 'completed'\"\n    then: \"droped_off_at IS NOT NULL\"\n"),
                 "\"droped", "`then` names column 'droped_off_at'", "did you mean 'dropped_off_at'?")


def test_when_with_a_subquery():
    assert_issue(rule("  - name: done\n    entity: Trip\n    when: \"status IN (SELECT status FROM trips)\"\n    then: \"dropped_off_at IS NOT NULL\"\n"),
                 "\"status IN", "`when` holds a subquery, which PostgreSQL does not allow in a CHECK constraint")


def test_then_that_is_not_a_condition():
    assert_issue(rule("  - name: done\n    entity: Trip\n    when: \"status = 'completed'\"\n    then: \"dropped_off_at\"\n"),
                 "\"dropped_off_at\"", "`then` gives a datetime value, not a condition")


def test_then_escaping_its_check():
    assert_issue(rule("  - name: done\n    entity: Trip\n    when: \"status = 'completed'\"\n"
                      "    then: \"true)); DROP TABLE trips; CREATE TABLE x (c int CHECK ((true\"\n"),
                 "\"true))", "`then` is not one SQL expression")


def test_immutable_when_names_a_missing_column():
    assert_issue(rule("  - name: fixed\n    entity: Line\n    immutable: {when: \"postd\"}\n"),
                 "\"postd", "immutable.when names column 'postd'", "did you mean 'posted'?")


def test_immutable_when_holding_two_statements():
    assert_issue(rule("  - name: fixed\n    entity: Line\n    immutable: {when: \"posted; DELETE FROM lines\"}\n"),
                 "\"posted;", "immutable.when is not one SQL expression")


# ---------------------------------------------------------------- matches


def test_matches_in_names_neither_entity_nor_relationship():
    assert_issue(rule("  - name: ok\n    entity: Trip\n    matches: {columns: [driver_id, vehicle_id], in: aproval}\n"),
                 "aproval", "`in` names 'aproval', which is neither an entity nor a many-to-many relationship",
                 "did you mean 'approval'?")


def test_matches_to_of_another_length():
    assert_issue(rule("  - name: ok\n    entity: Trip\n    matches: {columns: [driver_id, vehicle_id], in: approval, to: [driver_id]}\n"),
                 "[driver_id]}", "2 column(s) in `columns` but 1 in `to`")


def test_matches_to_names_a_missing_column():
    assert_issue(rule("  - name: ok\n    entity: Trip\n    matches: {columns: [driver_id, vehicle_id], in: approval, to: [driver_id, vehicle]}\n"),
                 "vehicle]", "names column 'vehicle', which table 'approval' does not have", "did you mean 'vehicle_id'?")


def test_matches_columns_of_another_kind():
    assert_issue(rule("  - name: ok\n    entity: Trip\n    matches: {columns: [driver_id], in: Driver, to: [name]}\n"),
                 "driver_id]", "column 'driver_id' is bigint but must match drivers.name, which is text")


# ---------------------------------------------------------------- names


def test_rule_names_that_become_one_identifier():
    assert_issue(rule("  - {name: OneOpen, entity: Trip, at_most_one: {per: [driver_id], where: \"status = 'accepted'\"}}\n"
                      "  - {name: one_open, entity: Trip, at_most_one: {per: [vehicle_id], where: \"status = 'accepted'\"}}\n"),
                 "one_open", "rule 'one_open' and rule 'OneOpen' both become 'one_open'", "another name")


def test_constraint_on_a_rule_a_trigger_enforces():
    assert_issue(rule("  - {name: fixed, entity: Log, immutable: true, constraint: log_fixed}\n"),
                 "log_fixed", "`immutable` rules are enforced by a trigger", "drop `constraint:`")


def test_constraint_longer_than_postgresql_keeps():
    name = "ck_" + "x" * 70
    assert_issue(rule(f"  - {{name: done, entity: Trip, when: \"status = 'completed'\", then: \"dropped_off_at IS NOT NULL\", "
                      f"constraint: {name}}}\n"), name, "PostgreSQL cuts names at 63")


def test_two_rules_declaring_one_constraint():
    assert_issue(rule("  - {name: a, entity: Trip, when: \"status = 'completed'\", then: \"dropped_off_at IS NOT NULL\", constraint: ck_x}\n"
                      "  - {name: b, entity: Trip, when: \"status = 'requested'\", then: \"dropped_off_at IS NULL\", constraint: ck_x}\n"),
                 "ck_x", "constraint name 'ck_x' is declared by rule 'a' too", nth=2)


# ---------------------------------------------------------------- keys (requirements/plain_errors.py)


def test_misspelt_key_of_a_form_of_immutable_gets_did_you_mean():
    text, issues = issues_of(rule("  - {name: fixed, entity: Line, immutable: {wen: posted}}\n"))
    found = {((i.line, i.column), i.message, i.hint) for i in issues}
    assert found == {(at(text, "{wen"), "missing required key 'when' in rules[0].immutable", "add `when:`"),
                     (at(text, "wen:"), "unknown key 'wen' in rules[0].immutable", "did you mean 'when'?")}


def test_immutable_of_no_form_names_the_forms():
    assert_issue(rule("  - {name: fixed, entity: Line, immutable: yes please}\n"), "yes please",
                 "'yes please' is none of the forms this key takes: true or false; a mapping with `when`")


def test_misspelt_key_of_a_rule_kind_gets_did_you_mean():
    text, issues = issues_of(rule("  - {name: ok, entity: Trip, matches: {columns: [driver_id], inn: Driver}}\n"))
    assert ((at(text, "inn:")), "unknown key 'inn' in rules[0].matches", "did you mean 'in'?") in \
        {((i.line, i.column), i.message, i.hint) for i in issues}
