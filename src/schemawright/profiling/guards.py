"""Guards against accidental dependencies: FDs that hold in this data by chance.

A determinant X is not split off when
- it holds NULLs (it would become a primary key, and keys cannot be NULL);
- it is a measurement (decimal or timestamp) and its name does not say it is an identifier:
  prices and times that happen to be unique determine everything in a small file;
- too few rows repeat a value of X (support, MIN_SUPPORT per column of X): the split would
  save almost nothing, and the FD is likely a coincidence of near-unique values, the more so
  the wider X is (a few columns together are nearly unique in a small file);
- too few values of X repeat at all: small integer columns in small files agree by chance.
When the dependencies were found on a sample, every attribute a split moves is re-checked on
all rows (the held-out rows included): exactly, or within the g3 threshold for approximate FDs.
Names (`*_id`, `*_code` ...) and inclusion dependencies into a column of another file whose name
agrees (small integer ranges include each other by chance) are signals for X:
they add SIGNAL_BONUS to its Normalize score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from schemawright.profiling import measures
from schemawright.profiling.file_profile import Profile
from schemawright.profiling.names import names_agree

MIN_SUPPORT = 0.05  # share of rows that must repeat a value of X, per column of X
MIN_REPEATED_VALUES = 3  # distinct values of X that occur at least twice
SIGNAL_BONUS = 0.1
_IDENTIFIER = re.compile(r"(^|_)(id|code|key|no|num|number|nr|ref|sku|zip|iso)$|^(id|zip|code)", re.IGNORECASE)
_MEASUREMENTS = {"decimal", "timestamp"}


def identifier_like(name: str) -> bool:
    return bool(_IDENTIFIER.search(name.strip()))


def rejection(profile: Profile, lhs: frozenset[str]) -> str | None:
    """Why X must not become the key of a split-off table, or None when it may."""
    nullable = sorted(a for a in lhs if profile.table.column(a).nullable)
    if nullable:
        return f"{', '.join(nullable)} hold(s) NULLs, and a primary key cannot"
    measured = sorted(a for a in lhs if profile.types[a].kind in _MEASUREMENTS and not identifier_like(a))
    if measured:
        kinds = ", ".join(f"{a} ({profile.types[a].kind})" for a in measured)
        return f"{kinds} is a measurement, not an identifier; its values determine others by chance"
    sample = profile.sample
    support, needed = measures.redundancy(sample, lhs), MIN_SUPPORT * len(lhs)
    if support < needed:
        return (f"only {support:.1%} of rows repeat a value of it (support below {needed:.0%}): "
                "a split would save little and the dependency may be chance")
    repeated = _repeated_values(profile, lhs)
    if repeated < MIN_REPEATED_VALUES:
        return f"only {repeated} value(s) of it repeat: too little evidence that the dependency is real"
    return None


def rejection_as_key(profile: Profile, key: frozenset[str]) -> str | None:
    """Why a unique column combination must not be a primary key: NULLs, or a measurement
    that is unique by chance (prices, times)."""
    if any(profile.table.column(a).nullable for a in key):
        return "holds NULLs"
    if any(profile.types[a].kind in _MEASUREMENTS and not identifier_like(a) for a in key):
        return "a measurement that is unique by chance"
    return None


def signal(profile: Profile, lhs: frozenset[str]) -> str | None:
    """A reason to believe in X beyond the data: its name, or an inclusion into another file."""
    referenced = sorted(f"{i.referenced_table}.{i.referenced}" for i in profile.inclusions
                        if i.dependent_table == profile.table.name and lhs == {i.dependent}
                        and names_agree(i.dependent, i.referenced, i.referenced_table))  # else maybe chance
    if referenced:
        return f"its values all occur in {', '.join(referenced)}"
    named = sorted(a for a in lhs if identifier_like(a))
    if named:
        return f"{', '.join(named)} is named like an identifier"
    return None


def verified(profile: Profile, lhs: frozenset[str], rhs: Iterable[str]) -> tuple[frozenset[str], dict[str, str]]:
    """The attributes of rhs that lhs determines on all rows, and why the others were dropped."""
    kept, dropped = set(), {}
    for attribute in sorted(rhs):
        if profile.approximate:
            error = measures.g3_error(profile.table, lhs, attribute)
            if error <= profile.approximate:
                kept.add(attribute)
            else:
                dropped[attribute] = f"g3 error {error:.4f} on all rows is above {profile.approximate}"
        elif not profile.sampled or measures.holds(profile.table, lhs, attribute):
            kept.add(attribute)
        else:
            dropped[attribute] = "held on the sample but not on the held-out rows"
    return frozenset(kept), dropped


def _repeated_values(profile: Profile, lhs: frozenset[str]) -> int:
    import numpy as np

    ids = measures.group_ids(profile.sample.codes(sorted(lhs)))
    return int((np.bincount(ids) >= 2).sum())
