"""`normalize`: files -> profiles -> decompositions -> one proposal -> spec -> deliverables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schemawright.profiling import discovery
from schemawright.profiling.budget import SearchBudget
from schemawright.profiling.cross_file import link_files
from schemawright.profiling.csv_reader import Progress, read_csv
from schemawright.profiling.decompose import Chooser, best, decompose
from schemawright.profiling.entities import merge_entities
from schemawright.profiling.extra import desbordante, pyarrow_csv
from schemawright.profiling.file_profile import Profile, profile_table
from schemawright.profiling.names import file_table
from schemawright.profiling.proposal import Proposal, propose
from schemawright.profiling.spec_writer import to_spec_yaml

DEFAULT_MAX_LHS = 3
SPEC_FILE = "spec.yaml"
REPORT_FILE = "normalize.md"


@dataclass(frozen=True)
class Options:
    delimiter: str | None = None
    header: bool | None = None  # None: detect
    sample: int | None = None  # rows to discover dependencies on; None: all up to DEFAULT_SAMPLE
    max_lhs: int | None = DEFAULT_MAX_LHS
    approximate: float | None = None  # g3 threshold
    time_budget: float | None = None  # seconds for the search (budget.py); None: unbounded
    max_dependencies: int | None = None  # most dependencies one discovery may keep; None: no cap

    def budget(self) -> SearchBudget | None:
        if self.time_budget is None and self.max_dependencies is None:
            return None
        return SearchBudget(self.time_budget, self.max_dependencies)


@dataclass
class Result:
    proposal: Proposal
    profiles: list[Profile]
    spec_yaml: str
    project: str
    sources: list[str] = field(default_factory=list)
    approximate: float | None = None
    notes: list[str] = field(default_factory=list)  # where the search budget cut the search short


class BadOptions(ValueError):
    """Option values that cannot work; each problem with its fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def check_options(options: Options) -> None:
    issues = []
    if options.delimiter is not None and len(options.delimiter) != 1:
        issues.append(f"--delimiter must be one character, got {options.delimiter!r}; "
                      "write e.g. --delimiter ';' or --delimiter $'\\t' for tabs")
    if options.approximate is not None and not 0 <= options.approximate < 1:
        issues.append(f"--approximate must be in [0, 1), got {options.approximate}; "
                      "it is the share of rows that may break a dependency (g3): 0.01 allows 1%")
    if options.max_lhs is not None and options.max_lhs < 1:
        issues.append(f"--max-lhs must be at least 1, got {options.max_lhs}; "
                      "3 suits normalisation, larger values find wider determinants, slowly")
    if options.time_budget is not None and not options.time_budget > 0:
        issues.append(f"--time-budget must be more than 0 seconds, got {options.time_budget}; e.g. --time-budget 60")
    if options.max_dependencies is not None and options.max_dependencies < 1:
        issues.append(f"--max-dependencies must be at least 1, got {options.max_dependencies}; e.g. 20000")
    if options.sample is not None and options.sample < 2:
        issues.append(f"--sample must be at least 2 rows, got {options.sample}; e.g. --sample 100000")
    if issues:
        raise BadOptions(issues)


def normalize(paths: list[Path], options: Options, step: Callable[[str], None] | None = None,
              reading: Callable[[str], Progress] | None = None, choose: Chooser = best) -> Result:
    """Profile every file and propose one normalised schema; raises BadOptions or SpecErrors for
    bad input and ProfilerMissing when the `profile` extra is not installed."""
    check_options(options)
    desbordante(), pyarrow_csv()  # say that the extra is missing before reading a large file
    say = step or (lambda _: None)
    tables = []
    for path in paths:
        say(f"reading {path}")
        tables.append(read_csv(path, options.delimiter, options.header, reading(str(path)) if reading else None))
    budget = options.budget()  # the clock starts after reading: it bounds the search
    profiles = []
    for table in tables:
        profiles.append(profile_table(table, options.max_lhs, options.sample, options.approximate,
                                      lambda text, name=table.name: say(f"{name}: {text}"), budget))
    found: list[discovery.Inclusion] = []
    if len(tables) > 1:
        say("discovering inclusion dependencies across files")
        found = discovery.inclusions(tables)
        for profile in profiles:
            profile.inclusions = found
    proposal, taken = Proposal(), set()
    for profile in profiles:
        say(f"{profile.table.name}: decomposing")
        # A person's time to answer is not the search's: --interactive splits without a deadline.
        propose(profile, decompose(profile, choose, budget if choose is best else None), taken, proposal)
    if len(tables) > 1:
        say("merging tables of the same entity across files")
        data = merge_entities(proposal, found)
        link_files(proposal, found, data)
    project = file_table(tables[0].name, set()) if len(tables) == 1 else "normalized"
    sources = [str(p) for p in paths]
    return Result(proposal, profiles, to_spec_yaml(proposal, project, sources), project, sources, options.approximate,
                  list(budget.notes) if budget else [])
