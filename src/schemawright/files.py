"""Reading input files with located errors, and writing generated files: the edges of
every command, in one place."""

from __future__ import annotations

from pathlib import Path

from schemawright.errors import SpecErrors, SpecIssue


def read_text(path: Path, what: str, missing_hint: str, errors: type[SpecErrors] = SpecErrors) -> str:
    """The UTF-8 text of `path`, or `errors` with a located issue saying what went wrong."""
    name = str(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise errors([SpecIssue(name, 1, 1, f"{what} not found", missing_hint)]) from None
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as exc:
        raise errors([SpecIssue(name, 1, 1, f"cannot read the {what}: {exc}",
                                f"a {what} is a UTF-8 YAML file")]) from None


def write_files(out: Path, files: dict[str, str]) -> list[Path]:
    """Write `files` (relative path -> text) under `out`, in sorted order; returns the paths."""
    written = []
    for rel, text in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
