"""Reading CSV files: delimiter sniffing, header detection, located errors.

Every problem in a file is reported as file:line:column with a fix, never as a traceback.
pyarrow parses the bulk and dictionary-encodes each column (see table.py), so a million-row
file never exists as a million Python row lists.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np

from schemawright.errors import SpecErrors, SpecIssue
from schemawright.profiling.extra import pyarrow_csv
from schemawright.profiling.table import NULL_TOKENS, Column, DataTable

DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
Progress = Callable[[int, int], None]  # (characters done, characters in all)


def read_csv(path: Path, delimiter: str | None = None, header: bool | None = None,
             progress: Progress | None = None) -> DataTable:
    """The file as a DataTable; `delimiter`/`header` None means sniff them from the data."""
    name = str(path)
    text = _decoded(path)
    if not text.strip():
        raise SpecErrors([SpecIssue(name, 1, 1, "the file is empty", "give a CSV file with at least one data row")])
    dialect = _dialect(text, delimiter)
    if header is None:
        header = _has_header(text, dialect)
    first = _first_row(csv.reader(io.StringIO(text[:_SNIFF_BYTES * 16], newline=""), dialect), name)
    names = _header_names(first, name) if header else [f"column{i + 1}" for i in range(len(first))]
    columns = _parsed(path, text, dialect, names, header, progress)
    if not columns or len(columns[0].codes) == 0:
        raise SpecErrors([SpecIssue(name, 1, 1, "the file has a header but no data rows",
                                    "add data rows, or pass --no-header if the first row is data")])
    return DataTable(name=_stem(path), path=name, columns=columns)


def _decoded(path: Path) -> str:
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecErrors([SpecIssue(name, 1, 1, "CSV file not found", "check the path")]) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise SpecErrors([SpecIssue(name, 1, 1, f"cannot read the CSV file: {exc.strerror}",
                                    "give a readable CSV file")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecErrors([SpecIssue(
            name, line, column, f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`)")]) from None


def _dialect(text: str, delimiter: str | None) -> type[csv.Dialect] | csv.Dialect:
    if delimiter is not None:
        class Given(csv.excel):
            pass
        Given.delimiter = delimiter
        return Given
    try:
        return csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel  # one column, or nothing to tell from: the standard dialect


def _has_header(text: str, dialect: object) -> bool:
    sample = text[:_SNIFF_BYTES]
    try:
        if csv.Sniffer().has_header(sample):
            return True
    except csv.Error:
        return True
    # The sniffer votes by type and length and misses `k,v` over `1,p`: a first row whose cell is
    # not a number above a column of numbers is a header too.
    rows = [r for r in csv.reader(io.StringIO(sample, newline=""), dialect) if r]  # type: ignore[arg-type]
    rows = rows[:-1] if len(rows) > 2 else rows  # the last line of the sample may be cut short
    first, rest = rows[0], rows[1:]
    for i, cell in enumerate(first):
        below = [r[i] for r in rest if i < len(r)]
        if below and cell.strip() and not _number(cell) and all(_number(v) for v in below):
            return True
    return False


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _first_row(reader: object, name: str) -> list[str]:
    for row in reader:  # type: ignore[attr-defined]
        if row:
            return row
    raise SpecErrors([SpecIssue(name, 1, 1, "the file has no rows", "give a CSV file with data rows")])


def _header_names(row: list[str], name: str) -> list[str]:
    issues = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(row):
        label = raw.strip()
        if not label:
            issues.append(SpecIssue(name, 1, i + 1, f"column {i + 1} has an empty name in the header",
                                    "name every column, or pass --no-header if the first row is data"))
        elif label in seen:
            issues.append(SpecIssue(name, 1, i + 1, f"column name {label!r} appears twice (columns "
                                    f"{seen[label] + 1} and {i + 1})", "give each column its own name"))
        seen.setdefault(label, i)
    if issues:
        raise SpecErrors(issues)
    return [r.strip() for r in row]


def _parsed(path: Path, text: str, dialect: object, names: list[str], header: bool,
            progress: Progress | None) -> list[Column]:
    """Parse with pyarrow (C++, about ten times faster than the csv module on a million rows) and
    dictionary-encode each column; on a parse error, find its line with the csv module."""
    pa, pa_csv, pc = pyarrow_csv()
    d = dialect
    parse = pa_csv.ParseOptions(delimiter=d.delimiter, quote_char=d.quotechar or False,  # type: ignore[attr-defined]
                                double_quote=d.doublequote, escape_char=d.escapechar or False,  # type: ignore[attr-defined]
                                newlines_in_values=True, ignore_empty_lines=True)
    read = pa_csv.ReadOptions(column_names=names, skip_rows=1 if header else 0, block_size=8 << 20)
    convert = pa_csv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                    quoted_strings_can_be_null=False, null_values=[])
    total = len(text)
    data = text.encode("utf-8")
    batches = []
    try:
        with pa_csv.open_csv(pa.BufferReader(data), read_options=read, parse_options=parse,
                             convert_options=convert) as stream:
            done = 0
            for batch in stream:
                batches.append(batch)
                done += batch.nbytes
                if progress:
                    progress(min(done, total), total)
    except pa.ArrowInvalid as exc:
        raise _located_parse_error(str(path), text, dialect, len(names), str(exc)) from None
    if progress:
        progress(total, total)
    table = pa.Table.from_batches(batches, schema=pa.schema([(n, pa.string()) for n in names]))
    columns = []
    for name in names:
        array = table.column(name)
        if getattr(d, "skipinitialspace", False):
            array = pc.utf8_ltrim(array, characters=" ")
        encoded = array.combine_chunks().dictionary_encode() if len(array) else None
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32) if encoded else np.zeros(0, np.int32)
        values = [None if v in NULL_TOKENS else v for v in encoded.dictionary.to_pylist()] if encoded else []
        null_code = values.index(None) if None in values else None
        columns.append(Column(name, codes, values, null_code))
    return columns


def _located_parse_error(name: str, text: str, dialect: object, width: int, detail: str) -> SpecErrors:
    reader = csv.reader(io.StringIO(text, newline=""), dialect)  # type: ignore[arg-type]
    try:
        for row in reader:
            if row and len(row) != width:
                return SpecErrors([SpecIssue(
                    name, reader.line_num, 1, f"this row has {len(row)} fields, the first row has {width}",
                    f"quote fields that contain the delimiter {dialect.delimiter!r}, or give --delimiter")])  # type: ignore[attr-defined]
    except csv.Error as exc:
        return SpecErrors([SpecIssue(name, reader.line_num, 1, f"cannot read the CSV: {exc}",
                                     "check the quoting on this line")])
    return SpecErrors([SpecIssue(name, 1, 1, f"cannot read the CSV: {detail}", "check the delimiter and quoting")])


def _stem(path: Path) -> str:
    return path.name.rsplit(".", 1)[0] if "." in path.name else path.name
