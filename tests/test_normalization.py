"""Normalisation theory checked against brute-force definitions on small random schemas,
plus textbook examples with known answers.

Every brute-force helper below follows the definition literally (fixpoint closure, all
subsets, all FDs of F+, a naive chase, joins of real instances), so it shares no code
and no shortcut with schemawright.normalization.
"""

from __future__ import annotations

from itertools import chain, combinations, product

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from schemawright.normalization import (
    FD,
    ClosureIndex,
    ProjectionTooLarge,
    TooManyKeys,
    UnknownAttributes,
    analyse,
    candidate_keys,
    canonical_cover,
    closure,
    decompose_bcnf,
    equivalent,
    fd,
    implies,
    is_lossless,
    merged,
    preservation,
    prime_attributes,
    project,
    synthesize_3nf,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- brute force


def subsets(attrs):
    items = sorted(attrs)
    return [frozenset(c) for c in chain.from_iterable(combinations(items, n) for n in range(len(items) + 1))]


def bf_closure(attrs, fds):
    result = set(attrs)
    while True:
        before = len(result)
        for f in fds:
            if f.lhs <= result:
                result |= f.rhs
        if len(result) == before:
            return frozenset(result)


def bf_fplus(universe, fds):
    """Every non-trivial X -> A of F+ over the universe."""
    return [(x, a) for x in subsets(universe) for a in sorted(bf_closure(x, fds) - x)]


def bf_keys(universe, fds):
    supers = [x for x in subsets(universe) if bf_closure(x, fds) >= universe]
    return {k for k in supers if not any(s < k for s in supers)}


def bf_level(universe, fds):
    """The highest normal form, from the definitions over all of F+."""
    keys = bf_keys(universe, fds)
    prime = frozenset().union(*keys)
    fplus = bf_fplus(universe, fds)

    def superkey(x):
        return bf_closure(x, fds) >= universe

    second = not any(a not in prime and any(x < k for k in keys) for x, a in fplus)
    third = all(superkey(x) or a in prime for x, a in fplus)
    bcnf = all(superkey(x) for x, _ in fplus)
    if not second:
        return "1NF"
    if not third:
        return "2NF"
    return "BCNF" if bcnf else "3NF"


def bf_projection(fds, part):
    """F+ projected onto part, as X -> (X+ ∩ part) for every X ⊆ part."""
    return [FD(x, bf_closure(x, fds) & part) for x in subsets(part)]


def bf_chase(universe, parts, fds):
    """The tableau chase, naively: compare every pair of rows under every FD until stable."""
    cols = sorted(universe)
    rows = [{a: ("a", a) if a in part else ("b", i, a) for a in cols} for i, part in enumerate(parts)]
    changed = True
    while changed:
        changed = False
        for f in fds:
            for r1, r2 in product(rows, rows):
                if all(r1[a] == r2[a] for a in f.lhs):
                    for a in f.rhs:
                        if r1[a] != r2[a]:
                            keep, drop = sorted([r1[a], r2[a]])  # ("a", ..) sorts before ("b", ..)
                            for r in rows:
                                if r[a] == drop:
                                    r[a] = keep
                            changed = True
    return any(all(r[a][0] == "a" for a in cols) for r in rows)


def instance(universe, fds, rnd, rows=6, domain=3):
    """Random rows over a tiny domain, repaired until they satisfy every FD."""
    cols = sorted(universe)
    table = [{a: rnd.randrange(domain) for a in cols} for _ in range(rows)]
    changed = True
    while changed:
        changed = False
        for f in fds:
            for r1, r2 in product(table, table):
                if all(r1[a] == r2[a] for a in f.lhs):
                    for a in f.rhs:
                        if r1[a] != r2[a]:
                            keep, drop = sorted([r1[a], r2[a]])
                            for r in table:
                                if r[a] == drop:
                                    r[a] = keep
                            changed = True
    return {tuple(r[a] for a in cols) for r in table}, cols


def join_of_projections(table, cols, parts):
    joined = [dict()]
    for part in parts:
        part = sorted(part)
        projected = {tuple((a, row[cols.index(a)]) for a in part) for row in table}
        joined = [
            {**left, **dict(right)}
            for left in joined
            for right in projected
            if all(left.get(a, v) == v for a, v in right)
        ]
    return {tuple(r[a] for a in cols) for r in joined}


def satisfies(table, cols, fds):
    return all(
        not all(r1[cols.index(a)] == r2[cols.index(a)] for a in f.lhs)
        or all(r1[cols.index(a)] == r2[cols.index(a)] for a in f.rhs)
        for f in fds
        for r1, r2 in product(table, table)
    )


# --------------------------------------------------------------------------- random schemas


@st.composite
def schemas(draw, max_attributes=6, max_fds=6):
    n = draw(st.integers(1, max_attributes))
    universe = [chr(ord("a") + i) for i in range(n)]
    sets = st.sets(st.sampled_from(universe), max_size=3)
    fds = draw(st.lists(st.builds(FD, sets, st.sets(st.sampled_from(universe), min_size=1, max_size=2)), max_size=max_fds))
    return frozenset(universe), fds


@st.composite
def schemas_with_parts(draw):
    universe, fds = draw(schemas())
    parts = draw(st.lists(st.sets(st.sampled_from(sorted(universe)), min_size=1), min_size=1, max_size=4))
    return universe, fds, [frozenset(p) for p in parts]


# --------------------------------------------------------------------------- properties


@PROPERTY
@given(schemas(), st.data())
def test_closure_matches_fixpoint(schema, data):
    universe, fds = schema
    index = ClosureIndex(fds)
    for x in data.draw(st.lists(st.sets(st.sampled_from(sorted(universe))), min_size=1, max_size=5)):
        assert index.closure(x) == bf_closure(x, fds) == closure(x, fds)


@PROPERTY
@given(schemas(), schemas())
def test_implies_and_equivalent_match_fplus(first, second):
    universe, fds = first
    _, other = second
    other = [f for f in other if f.attributes <= universe]
    for f in other:
        assert implies(fds, f) == (f.rhs <= bf_closure(f.lhs, fds))
    same = all(bf_closure(x, fds) == bf_closure(x, other) for x in subsets(universe))
    assert equivalent(fds, other) == same


@PROPERTY
@given(schemas(), st.randoms(use_true_random=False))
def test_canonical_cover_is_minimal_equivalent_and_order_independent(schema, rnd):
    universe, fds = schema
    cover = canonical_cover(fds)
    assert cover == sorted(cover)
    assert all(bf_closure(x, fds) == bf_closure(x, cover) for x in subsets(universe))
    for i, f in enumerate(cover):
        assert len(f.rhs) == 1 and not f.rhs <= f.lhs
        others = cover[:i] + cover[i + 1 :]
        assert not f.rhs <= bf_closure(f.lhs, others), f"{f} is redundant"
        for b in f.lhs:
            assert not f.rhs <= bf_closure(f.lhs - {b}, fds), f"{b} is extraneous in {f}"
    shuffled = list(fds)
    rnd.shuffle(shuffled)
    assert canonical_cover(shuffled) == cover
    assert all(bf_closure(x, fds) == bf_closure(x, merged(cover)) for x in subsets(universe))


@PROPERTY
@given(schemas())
def test_candidate_keys_match_all_subsets(schema):
    universe, fds = schema
    keys = candidate_keys(universe, fds)
    assert set(keys) == bf_keys(universe, fds)
    assert keys == sorted(keys, key=lambda k: (len(k), sorted(k)))
    assert prime_attributes(universe, fds) == frozenset().union(*keys)


# Not 2NF (a, c -> d with a, c inside the key a, c, e), yet no FD of the canonical cover shows
# it: the cover derives d from b, c. A check of the cover alone would wrongly say 2NF.
PARTIAL_ONLY_IN_FPLUS = (
    frozenset("abcde"),
    [fd("a c", "b"), fd("a b e", "d e"), fd("b e", "c d"), fd("b c", "a c"), fd("b c", "c d")],
)


@PROPERTY
@given(schemas())
@example(PARTIAL_ONLY_IN_FPLUS)
def test_normal_form_matches_definitions(schema):
    universe, fds = schema
    report = analyse("r", universe, fds)
    assert report.level == bf_level(universe, fds)
    assert set(report.keys) == bf_keys(universe, fds)
    # Every violation names a real dependency of F+ that really breaks the form it names.
    keys = bf_keys(universe, fds)
    prime = frozenset().union(*keys)
    for v in report.violations:
        assert v.fd.rhs and v.fd.rhs <= bf_closure(v.fd.lhs, fds) - v.fd.lhs
        assert not bf_closure(v.fd.lhs, fds) >= universe
        if v.form == "2NF":
            assert any(v.fd.lhs < k for k in keys) and not v.fd.rhs & prime
        elif v.form == "3NF":
            assert not v.fd.rhs & prime
        else:
            assert v.fd.rhs <= prime
        assert all(a in v.explanation for a in v.fd.rhs | v.fd.lhs)


@PROPERTY
@given(schemas(), st.data())
def test_projection_has_the_closures_of_fplus(schema, data):
    universe, fds = schema
    part = frozenset(data.draw(st.sets(st.sampled_from(sorted(universe)), min_size=1)))
    projected = project(fds, part)
    assert all(f.attributes <= part for f in projected)
    for x in subsets(part):
        assert bf_closure(x, projected) & part == bf_closure(x, fds) & part


@PROPERTY
@given(schemas_with_parts(), st.randoms(use_true_random=False))
def test_lossless_matches_chase_and_real_joins(case, rnd):
    universe, fds, parts = case
    verdict = is_lossless(universe, parts, fds)
    assert verdict == bf_chase(universe, parts, fds)
    if len(parts) == 2:  # the binary test: the shared attributes determine one side
        shared = bf_closure(parts[0] & parts[1], fds)
        covered = parts[0] | parts[1] == universe
        assert verdict == (covered and (parts[0] <= shared or parts[1] <= shared))
    if verdict:
        for _ in range(5):
            table, cols = instance(universe, fds, rnd)
            assert satisfies(table, cols, fds)
            assert join_of_projections(table, cols, parts) == table


@PROPERTY
@given(schemas_with_parts())
def test_preservation_matches_union_of_projections(case):
    universe, fds, parts = case
    preserved, lost = preservation(fds, parts)
    union = [g for part in parts for g in bf_projection(fds, part)]
    assert sorted(preserved + lost) == sorted(set(fds))
    for f in set(fds):
        assert (f in preserved) == (f.rhs <= bf_closure(f.lhs, union))


def check_decomposition(universe, fds, result, form):
    names = [r.name for r in result.relations]
    assert len(set(names)) == len(names) and names == sorted(names)
    assert frozenset().union(*(r.attributes for r in result.relations)) == universe
    parts = [frozenset(r.attributes) for r in result.relations]
    assert result.lossless == bf_chase(universe, parts, fds)
    union = [g for part in parts for g in bf_projection(fds, part)]
    cover = canonical_cover(fds)
    assert sorted(result.preserved + result.lost) == cover
    for f in cover:
        assert (f in result.preserved) == (f.rhs <= bf_closure(f.lhs, union))
    for r, part in zip(result.relations, parts):
        local = bf_projection(fds, part)
        assert all(bf_closure(x, r.fds) & part == bf_closure(x, local) & part for x in subsets(part))
        assert frozenset(r.key) in bf_keys(part, local)
        assert bf_level(part, local) in form


@PROPERTY
@given(schemas(), st.randoms(use_true_random=False))
def test_3nf_synthesis(schema, rnd):
    universe, fds = schema
    result = synthesize_3nf("r", universe, fds)
    check_decomposition(universe, fds, result, ("3NF", "BCNF"))
    assert result.lossless and not result.lost
    parts = [frozenset(r.attributes) for r in result.relations]
    assert not any(p < q for p in parts for q in parts), "a subsumed relation was kept"
    shuffled = list(fds)
    rnd.shuffle(shuffled)
    assert synthesize_3nf("r", sorted(universe, reverse=True), shuffled) == result


@PROPERTY
@given(schemas(), st.randoms(use_true_random=False))
def test_bcnf_decomposition(schema, rnd):
    universe, fds = schema
    result = decompose_bcnf("r", universe, fds)
    check_decomposition(universe, fds, result, ("BCNF",))
    assert result.lossless
    shuffled = list(fds)
    rnd.shuffle(shuffled)
    assert decompose_bcnf("r", universe, shuffled) == result
    # Any choice of violation still ends in BCNF, losslessly.
    last = decompose_bcnf("r", universe, fds, choose=lambda violations: violations[-1])
    check_decomposition(universe, fds, last, ("BCNF",))
    assert last.lossless


# --------------------------------------------------------------------------- textbook examples

CUSTOMER = "customer_id name zip city"
CUSTOMER_FDS = [fd("customer_id", "name zip city"), fd("zip", "city")]


def test_fd_text_parsing_and_order():
    assert fd("a b", "c") == fd(["b", "a"], "c") == fd("a, b", ["c"]) == FD(frozenset("ab"), frozenset("c"))
    assert str(fd("zip", "state city")) == "zip -> city, state"
    assert str(fd([], "x")) == "{} -> x"
    assert sorted([fd("b", "a"), fd("a b", "c"), fd("a", "c")]) == [fd("a", "c"), fd("a b", "c"), fd("b", "a")]
    assert sorted([fd("a b", "c"), fd("a", "c")]) == sorted([fd("a", "c"), fd("a b", "c")])


def test_keys_of_the_classic_abcde():
    # Ullman/Silberschatz: R(A,B,C,D,E), A -> BC, CD -> E, B -> D, E -> A.
    fds = [fd("A", "B C"), fd("C D", "E"), fd("B", "D"), fd("E", "A")]
    assert candidate_keys("A B C D E", fds) == [frozenset("A"), frozenset("E"), frozenset("BC"), frozenset("CD")]
    assert closure("B", fds) == frozenset("BD")
    assert closure("C D", fds) == frozenset("ABCDE")
    assert analyse("r", "A B C D E", fds).level == "3NF"


def test_canonical_cover_of_the_classic_abc():
    # Silberschatz: A -> BC, B -> C, A -> B, AB -> C has the canonical cover A -> B, B -> C.
    fds = [fd("A", "B C"), fd("B", "C"), fd("A", "B"), fd("A B", "C")]
    assert canonical_cover(fds) == [fd("A", "B"), fd("B", "C")]
    assert merged([fd("A", "B"), fd("A", "C"), fd("B", "C")]) == [fd("A", "B C"), fd("B", "C")]


def test_zip_city_explanation():
    report = analyse("customer", CUSTOMER, CUSTOMER_FDS)
    assert report.level == "2NF"
    assert report.keys == (frozenset({"customer_id"}),)
    (violation,) = report.violations
    assert violation.form == "3NF" and violation.fd == fd("zip", "city")
    assert violation.explanation == (
        "city depends on zip, which is not a key of customer: every customer in the same zip repeats the city; "
        "move city to a table keyed by zip"
    )


def test_partial_dependency_explanation():
    fds = [fd("order_id product_id", "quantity"), fd("order_id", "placed_at")]
    report = analyse("order_line", "order_id product_id quantity placed_at", fds)
    assert report.level == "1NF"
    (violation,) = report.violations
    assert violation.form == "2NF" and violation.fd == fd("order_id", "placed_at")
    assert "which is only part of the key (order_id, product_id) of order_line" in violation.explanation
    assert "every order_line with the same order_id repeats the placed_at" in violation.explanation


def test_street_city_zip_is_3nf_and_bcnf_loses_a_dependency():
    fds = [fd("street city", "zip"), fd("zip", "city")]
    report = analyse("address", "street city zip", fds)
    assert report.level == "3NF"
    assert [(v.form, v.fd) for v in report.violations] == [("BCNF", fd("zip", "city"))]
    assert "3NF allows it because city is part of the key (city, street)" in report.violations[0].explanation
    result = decompose_bcnf("address", "street city zip", fds)
    assert [(r.name, r.attributes, r.key) for r in result.relations] == [
        ("address", ("street", "zip"), ("street", "zip")),
        ("zip", ("city", "zip"), ("zip",)),
    ]
    assert result.lossless and result.lost == (fd("city street", "zip"),)
    assert synthesize_3nf("address", "street city zip", fds).relations[0].attributes == ("city", "street", "zip")


def test_3nf_synthesis_of_the_banker_example():
    # Silberschatz's cust_banker_branch is already in 3NF. The textbook synthesis splits off
    # (customer_id, branch_name, employee_id); its left side and (customer_id, employee_id)
    # determine each other, so Bernstein's merge of equivalent keys gives the relation back whole.
    fds = [
        fd("customer_id employee_id", "branch_name type"),
        fd("employee_id", "branch_name"),
        fd("customer_id branch_name", "employee_id"),
    ]
    attributes = "customer_id employee_id branch_name type"
    assert analyse("cust_banker_branch", attributes, fds).level == "3NF"
    result = synthesize_3nf("cust_banker_branch", attributes, fds)
    assert [(r.name, r.attributes, r.key) for r in result.relations] == [
        ("cust_banker_branch", ("branch_name", "customer_id", "employee_id", "type"), ("branch_name", "customer_id")),
    ]
    assert result.lossless and not result.lost


def test_3nf_synthesis_merges_equivalent_keys():
    # emp_id and ssn determine each other: one employee table with both, not two joined 1:1.
    fds = [fd("emp_id", "ssn name"), fd("ssn", "emp_id dept"), fd("dept", "dept_name")]
    result = synthesize_3nf("employee", "emp_id ssn name dept dept_name", fds)
    assert [(r.name, r.attributes, r.key) for r in result.relations] == [
        ("dept", ("dept", "dept_name"), ("dept",)),
        ("employee", ("dept", "emp_id", "name", "ssn"), ("emp_id",)),
    ]
    assert result.lossless and not result.lost


def test_customer_decompositions_name_tables_after_determinants():
    for result in (synthesize_3nf("customer", CUSTOMER, CUSTOMER_FDS), decompose_bcnf("customer", CUSTOMER, CUSTOMER_FDS)):
        assert [(r.name, r.attributes, r.key) for r in result.relations] == [
            ("customer", ("customer_id", "name", "zip"), ("customer_id",)),
            ("zip", ("city", "zip"), ("zip",)),
        ]
        assert result.lossless and not result.lost


def test_synthesis_adds_a_key_relation_for_a_lossless_join():
    result = synthesize_3nf("enrolment", "student course grade_scale", [fd("course", "grade_scale")])
    assert [(r.name, r.attributes) for r in result.relations] == [
        ("course", ("course", "grade_scale")),
        ("enrolment", ("course", "student")),
    ]
    assert result.lossless


def test_preservation_needs_more_than_one_pass():
    # The classic cycle: D -> A is preserved by AB, BC, CD only through C, then B, then A.
    fds = [fd("A", "B"), fd("B", "C"), fd("C", "D"), fd("D", "A")]
    preserved, lost = preservation(fds, ["A B", "B C", "C D"])
    assert preserved == sorted(fds) and lost == []
    assert preservation(fds, ["A B", "C D"]) == ([fd("A", "B"), fd("C", "D")], [fd("B", "C"), fd("D", "A")])


def test_partial_dependency_found_outside_the_cover():
    universe, fds = PARTIAL_ONLY_IN_FPLUS
    report = analyse("r", universe, fds)
    assert report.level == "1NF"
    assert ("2NF", fd("a c", "d")) in [(v.form, v.fd) for v in report.violations]


def test_relation_names_stay_unique():
    # Determinant "r" collides with the relation's own name.
    result = decompose_bcnf("r", "r s t", [fd("r", "s"), fd("s", "t")])
    assert [r.name for r in result.relations] == sorted({r.name for r in result.relations})
    assert len(result.relations) == 2


def test_key_explosion_is_guarded():
    # n independent pairs a_i <-> b_i: every choice of one attribute per pair is a key, 2^n keys.
    n = 11
    attrs = [f"{p}{i}" for i in range(n) for p in "ab"]
    fds = [f for i in range(n) for f in (fd(f"a{i}", f"b{i}"), fd(f"b{i}", f"a{i}"))]
    assert len(candidate_keys(attrs, fds)) == 2**n
    with pytest.raises(TooManyKeys) as raised:
        candidate_keys(attrs, fds, limit=100)
    assert len(raised.value.keys) > 100
    assert all(closure(k, fds) == frozenset(attrs) and len(k) == n for k in raised.value.keys)
    assert "more than 100 candidate keys" in str(raised.value) and "pass a higher limit" in str(raised.value)


def test_unknown_attributes_are_named():
    with pytest.raises(UnknownAttributes) as raised:
        candidate_keys("a b", [fd("a", "c")])
    assert "a -> c names 'c', which the relation does not have" in str(raised.value)
    assert "add the attribute to the relation or drop it from the dependency" in str(raised.value)
    with pytest.raises(UnknownAttributes, match=r"part \(a, x\) names 'x', which the relation does not have"):
        is_lossless("a b", ["a x", "b"], [])


def test_constant_attributes_get_their_own_named_relation():
    result = synthesize_3nf("r", "a b", [fd([], "a")])
    assert [(r.name, r.attributes, r.key) for r in result.relations] == [("a", ("a",), ()), ("r", ("b",), ("b",))]
    assert result.lossless and not result.lost


def test_projection_guard():
    # Eliminating the hub attribute h pairs each of the 2 x 30 attributes with the other side:
    # x_i -> h and h -> y_j resolve to 900 x_i -> y_j, which a limit of 500 refuses.
    fds = [fd(f"x{i}", "h") for i in range(30)] + [fd("h", f"y{j}") for j in range(30)]
    target = [f"x{i}" for i in range(30)] + [f"y{j}" for j in range(30)]
    with pytest.raises(ProjectionTooLarge, match="needs more than 500 dependencies; split the relation first"):
        project(fds, target, max_fds=500)
    assert len(project(fds, target)) == 900
    # A wide relation whose attributes all hang off one key projects instantly, even when
    # many of its columns determine attributes outside it.
    wide = [fd("id", [f"c{i}" for i in range(60)])] + [fd(f"c{i}", f"d{i}") for i in range(60)]
    assert project(wide, ["id"] + [f"c{i}" for i in range(60)]) == canonical_cover(wide[:1])


def test_choose_must_return_an_offered_violation():
    with pytest.raises(ValueError, match="not one of the violations offered"):
        decompose_bcnf("customer", CUSTOMER, CUSTOMER_FDS, choose=lambda violations: fd("name", "city"))


def test_real_instance_of_a_lossy_decomposition_gains_rows():
    fds = [fd("a", "b")]
    parts = [frozenset("ab"), frozenset("bc")]
    assert not is_lossless("a b c", parts, fds)
    table = {(1, 0, 1), (2, 0, 2)}
    assert join_of_projections(table, ["a", "b", "c"], parts) > table
