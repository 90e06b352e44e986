"""Located errors for bad input: file, line, column, what is wrong, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SpecIssue:
    file: str
    line: int  # 1-based
    column: int  # 1-based
    message: str
    hint: str | None = None

    def format(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: error: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class SpecErrors(Exception):
    """Every problem found in one input file (never only the first)."""

    def __init__(self, issues: list[SpecIssue]):
        # Two checks may find the same problem, one with a hint and one without: keep one.
        hinted = {(i.file, i.line, i.column, i.message) for i in issues if i.hint}
        kept = {i for i in issues if i.hint or (i.file, i.line, i.column, i.message) not in hinted}
        self.issues = sorted(kept, key=lambda i: (i.file, i.line, i.column, i.message, i.hint or ""))
        super().__init__("\n".join(i.format() for i in self.issues))


def print_spec_errors(console, exc: SpecErrors, nothing: str = "generated") -> None:  # noqa: ANN001 - rich Console
    """Every located problem, then the count and what was not done, the same for every command."""
    for issue in exc.issues:
        console.print(issue.format(), markup=False, soft_wrap=True)
    console.print(f"{len(exc.issues)} error(s); nothing was {nothing}.", style="bold red")


def closest(word: str, choices: object) -> str | None:
    """The valid name nearest to a misspelt one, for a 'did you mean' hint."""
    import difflib

    options = [str(c) for c in choices]  # type: ignore[union-attr]
    found = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if not found:
        lowered = {o.lower(): o for o in options}
        found = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
        found = [lowered[f] for f in found]
    return found[0] if found else None


def did_you_mean(word: str, choices: object) -> str | None:
    match = closest(word, choices)
    return f"did you mean {match!r}?" if match else None
