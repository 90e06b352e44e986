"""The optional `profile` extra (desbordante is AGPL, so it is not a core dependency)."""

from __future__ import annotations

INSTALL = "pip install 'schemawright[profile]'"


class ProfilerMissing(Exception):
    """A package of the `profile` extra is not installed; the message says how to install it."""

    def __init__(self, package: str):
        self.package = package
        super().__init__(f"`schemawright normalize` needs the optional package {package!r}, which is not installed; "
                         f"install the profiling extra with: {INSTALL}"
                         + (" (desbordante is AGPL-licensed, so it is optional)" if package == "desbordante" else ""))


def desbordante():  # noqa: ANN201 - the module
    try:
        import desbordante as module
    except ImportError:
        raise ProfilerMissing("desbordante") from None
    return module


def pyarrow_csv():  # noqa: ANN201 - (pyarrow, pyarrow.csv, pyarrow.compute)
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.csv
    except ImportError:
        raise ProfilerMissing("pyarrow") from None
    return pyarrow, pyarrow.csv, pyarrow.compute
