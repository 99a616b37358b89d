"""Where the audited rows come from: one DataFrame in memory, or CSV/Parquet files read chunk by chunk.

A :class:`Source` yields pandas DataFrames (*chunks*) with the same columns and dtypes whatever the
chunk size, so the statistics computed on them merge to the same numbers as on the whole file:

- every chunk of a CSV is read with the dtypes pandas infers for the *whole* file, worked out in a
  first pass (a column that is integer in one chunk and has a gap in another is float in both; a
  column with any text is text everywhere);
- Parquet files are read in batches of rows with the schema of the files (unified across files).

Globs (``'decisions/2026-*.parquet'``) expand to their files in sorted order; a path with ``://``
is opened through fsspec when the filesystem package for it is installed.
"""

from __future__ import annotations

import csv
import glob as globbing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from raudit.errors import InputError

__all__ = ["Source", "open_source", "load_data", "check_unique_columns", "existing_file", "DEFAULT_CHUNK_ROWS", "DATA_SUFFIXES",
           "EMPTY_FILE", "UNPARSABLE", "OTHER_COLUMNS"]

#: Rows per chunk when streaming.
DEFAULT_CHUNK_ROWS = 200_000
CSV_SUFFIXES = (".csv", ".txt", ".tsv", "")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: The errors raised in more than one place (tests match them).
EMPTY_FILE = "data file {path} is empty"
UNPARSABLE = "cannot parse data file {path}: {error}"
OTHER_COLUMNS = "{path} has other columns than {first}"
#: What a data file (read whole) or a raw reference may end in.
DATA_SUFFIXES = (".csv", ".parquet", ".pq")


@dataclass(frozen=True)
class Source:
    """Rows to audit: a DataFrame (``frame``) or files (``paths``) of one format, read in chunks of ``chunk_rows``.

    Attributes
    ----------
    kind : {"frame", "csv", "parquet"}
    columns : tuple of str
        Column names, in file order.
    dtypes : dict of str to str
        The dtype each column is read with (numpy/pandas names), the same for every chunk.
    delimiter : str
        CSV delimiter (sniffed from the first file's header).
    """

    kind: Literal["frame", "csv", "parquet"]
    columns: tuple[str, ...]
    frame: pd.DataFrame | None = None
    paths: tuple[str, ...] = ()
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    dtypes: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","

    @property
    def description(self) -> str:
        """The source in words, for the report."""
        if self.kind == "frame":
            return "an in-memory DataFrame"
        n = len(self.paths)
        return f"{n} {self.kind.upper()} file{'s' if n != 1 else ''} read in chunks of {self.chunk_rows:,} rows"

    def chunks(self, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """Yield the rows in order, chunk by chunk, restricted to ``columns`` when given."""
        wanted = list(columns) if columns is not None else list(self.columns)
        if self.kind == "frame":  # in slices too: a model's transient memory (e.g. a dense one-hot matrix) stays bounded
            assert self.frame is not None
            for start in range(0, max(len(self.frame), 1), self.chunk_rows):
                yield self.frame.iloc[start:start + self.chunk_rows][wanted]
            return
        for path in self.paths:
            yield from self._file_chunks(path, wanted)

    def _file_chunks(self, path: str, wanted: list[str]) -> Iterator[pd.DataFrame]:
        try:
            if self.kind == "parquet":
                import pyarrow.parquet as pq

                with _open(path) as fh:  # pre_buffer=False: pyarrow's read-ahead buffers otherwise grow with the rows read
                    for batch in pq.ParquetFile(fh, pre_buffer=False).iter_batches(batch_size=self.chunk_rows, columns=wanted):
                        yield _typed(batch.to_pandas(), self.dtypes)
                return
            dtypes = {c: t for c, t in self.dtypes.items() if c in wanted}
            with _open(path) as fh:
                reader = pd.read_csv(fh, sep=self.delimiter, usecols=wanted, dtype=dtypes, chunksize=self.chunk_rows,
                                     keep_default_na=True)
                for chunk in reader:
                    yield _typed(chunk[wanted], self.dtypes)
        except InputError:
            raise
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputError(f"cannot read data file {path}: {exc}".strip()) from None


def _typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Cast a chunk to the file-wide dtypes."""
    out = {}
    for c in frame.columns:
        t = dtypes.get(c)
        col = frame[c]
        if t is None or str(col.dtype) == t:
            out[c] = col
        else:
            out[c] = col.astype(t)  # type: ignore[call-overload]
    return pd.DataFrame(out, index=frame.index)


def _open(path: str) -> Any:
    if "://" in path:
        try:
            import fsspec
        except ImportError:
            raise InputError(f"{path} is a URL; reading it needs fsspec and the package for its filesystem",
                             hint="pip install fsspec (and e.g. s3fs or gcsfs)") from None
        try:
            return fsspec.open(path, "rb").open()
        except (ImportError, ValueError) as exc:
            raise InputError(f"cannot open {path}: {exc}", hint="install the fsspec package for that filesystem") from None
    return open(path, "rb")


def _expand(data: str | Path | Sequence[str | Path]) -> list[str]:
    items = [data] if isinstance(data, (str, Path)) else list(data)
    paths: list[str] = []
    for item in items:
        text = str(item)
        if "://" in text:
            if any(ch in text for ch in "*?["):
                import fsspec

                fs, _, found = fsspec.get_fs_token_paths(text)
                paths += [fs.unstrip_protocol(p) for p in sorted(found)]
            else:
                paths.append(text)
            continue
        if any(ch in text for ch in "*?["):
            found = sorted(globbing.glob(text))
            if not found:
                raise InputError(f"no data file matches {text!r}", hint=f"check the pattern; the current folder is {Path.cwd()}")
            paths += found
            continue
        p = Path(text)
        if not p.exists():
            raise InputError(f"data file not found: {p}", hint=f"check the path; the current folder is {Path.cwd()}")
        if not p.is_file():
            raise InputError(f"data path is not a file: {p}")
        paths.append(text)
    return paths


# size: CSV and Parquet sources differ in how a schema and dtypes are found; both refuse the same mistakes
def open_source(data: str | Path | Sequence[str | Path], *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Source:
    """A streaming :class:`Source` over CSV or Parquet files (a path, a glob, or a list of them).

    Reads the schema (Parquet) or runs a first pass over the CSV to fix one dtype per column
    for every chunk. Duplicate column names are refused, as for in-memory data.

    Raises
    ------
    InputError
        No file matches, mixed formats, unreadable files, different columns in different files,
        duplicate column names.
    """
    paths = _expand(data)
    suffixes = {Path(p.split("?")[0]).suffix.lower() for p in paths}
    if suffixes <= set(PARQUET_SUFFIXES):
        kind: Literal["csv", "parquet"] = "parquet"
    elif suffixes <= set(CSV_SUFFIXES):
        kind = "csv"
    else:
        raise InputError(f"the data files mix formats ({', '.join(sorted(suffixes))})",
                         hint="stream CSV files or Parquet files, not both in one audit")
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schemas = []
        for p in paths:
            try:
                with _open(p) as fh:
                    schemas.append(pq.read_schema(fh))
            except (OSError, pa.ArrowInvalid) as exc:
                raise InputError(f"cannot read data file {p}: {exc}") from None
        columns = tuple(schemas[0].names)
        for p, s in zip(paths, schemas):
            check_unique_columns(s.names, where=p)
            if tuple(s.names) != columns:
                raise InputError(OTHER_COLUMNS.format(path=p, first=paths[0]), hint="stream files with the same columns")
        unified = pa.unify_schemas(schemas, promote_options="permissive")
        kinds = {f.name: str(f.type.to_pandas_dtype()().dtype) if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
                 or pa.types.is_boolean(f.type) else "str" for f in unified}
        return Source("parquet", columns, paths=tuple(paths), chunk_rows=chunk_rows, dtypes=kinds)
    header = _header_line(Path(paths[0])) if "://" not in paths[0] else ""
    delimiter = "\t" if suffixes == {".tsv"} else _sniff_delimiter(header)
    columns = tuple(next(csv.reader([header], delimiter=delimiter), [])) if header else ()
    check_unique_columns(columns, where=paths[0])
    dtypes: dict[str, str] = {}
    for p in paths:
        try:
            with _open(p) as fh:
                for chunk in pd.read_csv(fh, sep=delimiter, chunksize=chunk_rows, low_memory=False):
                    if tuple(chunk.columns) != columns and columns:
                        raise InputError(OTHER_COLUMNS.format(path=p, first=paths[0]), hint="stream files with the same columns")
                    columns = tuple(chunk.columns)
                    for c in chunk.columns:
                        dtypes[c] = _unify(dtypes.get(c), str(chunk[c].dtype))
        except InputError:
            raise
        except pd.errors.EmptyDataError:
            raise InputError(EMPTY_FILE.format(path=p), hint="the file must have a header row and data rows") from None
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InputError(UNPARSABLE.format(path=p, error=exc).strip()) from None
    return Source("csv", tuple(str(c) for c in columns), paths=tuple(paths), chunk_rows=chunk_rows, dtypes=dtypes,
                  delimiter=delimiter)


def _unify(a: str | None, b: str) -> str:
    """The dtype pandas would give a column whose chunks have dtypes ``a`` and ``b``."""
    if a is None or a == b:
        return b
    if {a, b} <= {"int64", "float64"}:
        return "float64"
    return "str"  # text anywhere (or booleans mixed with anything else): text everywhere, as pandas reads the whole file


def existing_file(path: str | Path, what: str) -> Path:
    """``path`` as a readable file, else an :class:`InputError` that says what is wrong with it (``what``: "model", "data")."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file not found: {p}", hint=f"check the path; the current folder is {Path.cwd()}")
    if not p.is_file():
        raise InputError(f"{what} path is not a file: {p}")
    try:
        with p.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise InputError(f"cannot read {what} file {p}: {exc.strerror}") from None
    return p


def load_data(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    The CSV delimiter is sniffed (comma, semicolon, tab or pipe) from the
    header; duplicate column names are an error rather than pandas' silent
    ``x.1`` renaming.

    Raises
    ------
    InputError
        Missing, unreadable, unparsable or empty files, or duplicate column names.
    """
    p = existing_file(path, "data")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            check_unique_columns(pq.read_schema(p).names, where=str(p))
            df = pd.read_parquet(p)
        elif suffix in (".csv", ".txt", ".tsv", ""):
            header = _header_line(p)
            sep = "\t" if suffix == ".tsv" else _sniff_delimiter(header)
            check_unique_columns(next(csv.reader([header], delimiter=sep), []), where=str(p))
            df = pd.read_csv(p, sep=sep, low_memory=False)
        else:
            raise InputError(f"unsupported data file {p.name!r}", hint="raudit reads .csv and .parquet files")
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(EMPTY_FILE.format(path=p), hint="the file must have a header row and at least one data row") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise InputError(UNPARSABLE.format(path=p, error=exc).strip()) from None
    except ImportError as exc:
        raise InputError(f"reading {p.name} needs an extra library: {exc}", hint="pip install pyarrow") from None
    if df.empty:
        raise InputError(f"data file {p} has a header but no rows", hint="audit a file with at least one labelled row")
    df.columns = [str(c) for c in df.columns]
    return df


def check_unique_columns(columns: Sequence[Any], *, where: str) -> None:
    """Refuse duplicate column names: pandas would rename the second ``x`` to ``x.1`` and the model could read the wrong one.

    Raises
    ------
    InputError
        Naming each duplicated column.
    """
    names = [str(c) for c in columns]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    dup = [n for n, k in seen.items() if k > 1]
    if dup:
        raise InputError(f"{where} has duplicate column names: {', '.join(repr(d) for d in dup)}",
                         hint="give every column a unique name; raudit will not guess which one the model should read")


def _header_line(p: Path) -> str:
    with p.open("rb") as fh:
        raw = fh.readline(1 << 20)
    try:
        return raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(f"data file {p} is not UTF-8 text", hint="save the CSV as UTF-8") from None


def _sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV header: comma unless another candidate splits the header into more fields."""
    counts = {sep: len(next(csv.reader([header], delimiter=sep), [])) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] > counts[","] else ","
