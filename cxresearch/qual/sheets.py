"""Human coding round trip: blind coder sheets out, filled sheets in, merge, adjudicate.

A coder sheet (Excel ``.xlsx`` or CSV) has one row per sampled comment and the columns

``response_id`` | ``comment`` | ``code:<code>`` for every code | ``no_code`` | ``note``

A coder marks each code that applies (``1``, ``x``, ``yes`` …) or ``no_code`` when none
does; a row with no mark at all is *not coded yet* (a missing value for reliability, not
"no theme"). Every coder gets the same seeded sample (so agreement can be computed) in
their own seeded order, with nobody else's codes: the sheets are blind. The auto-coder can
be one of the coders (:func:`auto_sheet`), so its agreement with people is measured the
same way as theirs with each other.

:func:`read_sheet` refuses, naming the file, the column and the rows, a sheet with a code
column not in the codebook, a blank or duplicate ``response_id``, an id that was not in
the sample or a mark it cannot read; extra columns (anything else a coder added) are kept
out of the coding and listed in :attr:`CoderSheet.ignored_columns`.

:func:`read_reference` reads a reference (gold or adjudicated) coding in long form
(``response_id, code, sentiment``, one row per comment and code, ``code`` empty for "no
code"), the format :func:`write_reference` writes and the demo's true coding uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxresearch.csv_text import read_csv, write_csv
from cxresearch.errors import DataError
from cxresearch.qual.codebook import Codebook
from cxresearch.qual.coding import Coding, codes_from_lists
from cxresearch.xlsx import write_frames

__all__ = [
    "CODE_PREFIX",
    "NO_MARKS",
    "YES_MARKS",
    "CoderSheet",
    "adjudicate",
    "auto_sheet",
    "disagreements",
    "read_reference",
    "read_sheet",
    "sample_for_coding",
    "write_reference",
    "write_sheets",
]

CODE_PREFIX = "code:"
_BASE_COLUMNS = ("response_id", "comment")
_TRAILING = ("no_code", "note")
#: Cell values read as a mark (the code applies) and as no mark, case-folded.
YES_MARKS = {"1", "x", "yes", "y", "true", "kyllä", "k", "✓", "✔", "1.0"}
NO_MARKS = {"", "0", "no", "n", "false", "ei", "e", "0.0", "nan", "none"}


@dataclass(frozen=True)
class CoderSheet:
    """One coder's filled sheet.

    Attributes
    ----------
    coder
        The coder's name (the file name without its suffix, or given).
    codes
        Boolean frame indexed by ``response_id`` (rows the coder coded), one column per
        code (parents filled in from their children).
    not_coded
        Ids of the sample that the coder left without any mark.
    ignored_columns
        Columns that are neither the sheet's own nor a code (kept out, counted).
    notes
        The coder's notes by id (non-empty only).
    source
        The file read.
    comments
        The comment text by id, as the sheet shows it (for the adjudicator's list).
    """

    coder: str
    codes: pd.DataFrame
    not_coded: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    comments: Mapping[str, str] = field(default_factory=dict)


def sample_for_coding(ids: Sequence[Any], *, size: int, seed: int) -> list[str]:
    """A seeded random sample of comment ids (all of them when fewer than ``size``).

    Examples
    --------
    >>> sample_for_coding(["a", "b", "c", "d"], size=2, seed=1)
    ['b', 'c']
    """
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    unique = list(dict.fromkeys(str(i) for i in ids))
    if len(unique) != len(ids):
        raise ValueError("ids repeat: a comment can be sampled only once")
    rng = np.random.Generator(np.random.PCG64(seed))
    chosen = rng.choice(len(unique), size=min(size, len(unique)), replace=False)
    return [unique[i] for i in sorted(chosen)]


def _sheet_frame(ids: list[str], texts: Mapping[str, str], book: Codebook) -> pd.DataFrame:
    frame = pd.DataFrame({"response_id": ids, "comment": [texts[i] for i in ids]})
    for code in book.names:
        frame[CODE_PREFIX + code] = ""
    frame["no_code"] = ""
    frame["note"] = ""
    return frame


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".xlsx":
        write_frames(path, {"coding": frame})
    elif path.suffix == ".csv":
        write_csv(frame, path, encoding="utf-8-sig")
    else:
        raise ValueError(f"{path}: a coder sheet is .xlsx or .csv, not {path.suffix!r}")
    return path


def write_sheets(
    texts: Mapping[str, str] | pd.Series,
    codebook: Codebook,
    coders: Sequence[str],
    folder: str | Path,
    *,
    sample: int = 200,
    seed: int = 20261123,
    formats: Sequence[str] = ("xlsx",),
) -> dict[str, list[Path]]:
    """Write one blind coding sheet per coder with the same seeded sample of comments.

    Parameters
    ----------
    texts : mapping or Series
        Comment text by response id. Mask personal data first
        (:func:`cxresearch.qual.masking.mask_personal_data`): coders are people too.
    codebook : Codebook
    coders : sequence of str
        Coder names (file names): letters, digits, ``-`` and ``_``.
    folder : path
        Where the sheets go (``<folder>/<coder>.xlsx``).
    sample : int, optional
        How many comments each coder codes.
    seed : int, optional
        Seed of the sample and of each coder's row order.
    formats : sequence of {"xlsx", "csv"}

    Returns
    -------
    dict
        Coder -> files written.
    """
    series = pd.Series(texts, dtype=object) if not isinstance(texts, pd.Series) else texts
    series = series.dropna().astype(str)
    series.index = series.index.astype(str)
    names = list(coders)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"coders must be distinct names, got {names}")
    bad = [c for c in names if not c or not all(ch.isalnum() or ch in "-_" for ch in c)]
    if bad:
        raise ValueError(f"coder names {bad} are not plain names (letters, digits, '-', '_')")
    chosen = sample_for_coding(series.index.tolist(), size=sample, seed=seed)
    written: dict[str, list[Path]] = {}
    for k, coder in enumerate(names):
        # Each coder sees the comments in their own order, so order effects do not align.
        order = np.random.Generator(np.random.PCG64([seed, k])).permutation(len(chosen))
        by_id = {str(k): str(v) for k, v in series.items()}
        frame = _sheet_frame([chosen[i] for i in order], by_id, codebook)
        written[coder] = [_write(frame, Path(folder) / f"{coder}.{fmt}") for fmt in formats]
    return written


def auto_sheet(coding: Coding, ids: Sequence[str], codebook: Codebook) -> CoderSheet:
    """The auto-coder's codes for the sampled ids, as a coder sheet."""
    codes = coding.codes.copy()
    codes.index = codes.index.astype(str)
    missing = [i for i in ids if i not in codes.index]
    if missing:
        raise ValueError(f"ids not in the coding: {missing[:5]}")
    return CoderSheet(coder="auto", codes=codes.loc[list(ids), codebook.names], source="auto")


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".xlsx":
            return pd.read_excel(path, dtype=str, keep_default_na=False)
        if path.suffix == ".csv":
            return read_csv(path, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read coder sheet: {exc}") from exc
    raise DataError(f"{path}: a coder sheet is .xlsx or .csv, not {path.suffix!r}")


def _rows(mask: Any) -> list[int]:
    # spreadsheet row numbers: header is row 1
    return [int(i) + 2 for i in np.flatnonzero(np.asarray(mask))[:10]]


def read_sheet(
    path: str | Path,
    codebook: Codebook,
    *,
    sample: Sequence[str] | None = None,
    coder: str | None = None,
) -> CoderSheet:
    """Read and validate a filled coder sheet.

    Parameters
    ----------
    path : path
        The ``.xlsx`` or ``.csv`` file.
    codebook : Codebook
    sample : sequence of str, optional
        The ids that were sent out; an id outside it is an error, ids missing from the
        sheet count as not coded.
    coder : str, optional
        The coder's name; the file name without suffix by default.

    Raises
    ------
    DataError
        Naming the file, the column and the spreadsheet rows (header = row 1).
    """
    path = Path(path)
    table = _read_table(path)
    columns = [str(c).strip() for c in table.columns]
    table.columns = columns
    if "response_id" not in columns:
        raise DataError(f"{path}: no 'response_id' column (columns: {columns})")
    code_columns = [c for c in columns if c.startswith(CODE_PREFIX)]
    unknown = [c for c in code_columns if c[len(CODE_PREFIX) :] not in set(codebook.names)]
    if unknown:
        raise DataError(
            f"{path}: code column(s) {unknown} are not codes of codebook {codebook.name!r}; "
            "add them to the codebook or rename the column"
        )
    ignored = tuple(
        c for c in columns if c not in code_columns and c not in (*_BASE_COLUMNS, *_TRAILING)
    )
    ids = table["response_id"].str.strip()
    blank = ids == ""
    if blank.any():
        raise DataError(f"{path}: column response_id is blank on row(s) {_rows(blank)}")
    repeated = ids.duplicated(keep=False)
    if repeated.any():
        raise DataError(
            f"{path}: column response_id repeats {sorted(set(ids[repeated]))[:5]} on row(s) "
            f"{_rows(repeated)}"
        )
    if sample is not None:
        outside = ~ids.isin(set(sample))
        if outside.any():
            raise DataError(
                f"{path}: response_id(s) {ids[outside].tolist()[:5]} on row(s) "
                f"{_rows(outside)} were not in the sample sent to this coder"
            )
    marks: dict[str, np.ndarray] = {}
    for column in [*code_columns, *(["no_code"] if "no_code" in columns else [])]:
        cells = table[column].str.strip().str.casefold()
        bad = ~cells.isin(YES_MARKS | NO_MARKS)
        if bad.any():
            raise DataError(
                f"{path}: column {column!r} has unreadable mark(s) {sorted(set(cells[bad]))[:5]} "
                f"on row(s) {_rows(bad)}; use 1 or x for yes and leave the cell empty for no"
            )
        marks[column] = cells.isin(YES_MARKS).to_numpy()
    code_marks = np.column_stack([marks[c] for c in code_columns]) if code_columns else None
    any_code = code_marks.any(axis=1) if code_marks is not None else np.zeros(len(ids), bool)
    no_code = marks.get("no_code", np.zeros(len(ids), bool))
    both = any_code & no_code
    if both.any():
        raise DataError(f"{path}: row(s) {_rows(both)} mark both a code and no_code")
    done = any_code | no_code
    lists = pd.Series(
        [
            [c[len(CODE_PREFIX) :] for c, m in zip(code_columns, row, strict=True) if m]
            for row in (code_marks if code_marks is not None else np.zeros((len(ids), 0), bool))
        ],
        index=ids.to_numpy(),
        dtype=object,
    )[done]
    codes = codes_from_lists(lists, codebook)
    expected = list(sample) if sample is not None else ids.tolist()
    not_coded = tuple(i for i in expected if i not in set(codes.index))
    notes = {}
    if "note" in columns:
        notes = {i: n for i, n in zip(ids, table["note"].str.strip(), strict=True) if n}
    comments = {}
    if "comment" in columns:
        comments = dict(zip(ids, table["comment"], strict=True))
    return CoderSheet(
        coder=coder or path.stem,
        codes=codes,
        not_coded=not_coded,
        ignored_columns=ignored,
        notes=notes,
        source=str(path),
        comments=comments,
    )


def _stack(sheets: Sequence[CoderSheet], codebook: Codebook) -> tuple[list[str], np.ndarray]:
    """Ids coded by anyone and a coders × ids × codes array (NaN where not coded)."""
    names = [s.coder for s in sheets]
    if len(set(names)) != len(names):
        raise ValueError(f"coder names repeat: {names}")
    ids = sorted(set().union(*(s.codes.index for s in sheets)))
    cube = np.full((len(sheets), len(ids), len(codebook.names)), np.nan)
    for k, sheet in enumerate(sheets):
        frame = sheet.codes.reindex(columns=codebook.names)
        lookup = {i: j for j, i in enumerate(ids)}
        cube[k, [lookup[i] for i in frame.index], :] = frame.to_numpy(dtype=float)
    return ids, cube


def disagreements(sheets: Sequence[CoderSheet], codebook: Codebook) -> pd.DataFrame:
    """Every (comment, code) on which coders who coded the comment differ.

    Returns
    -------
    DataFrame
        ``response_id``, ``code``, ``yes`` (coders who marked it), ``no`` (who did not).
    """
    ids, cube = _stack(sheets, codebook)
    names = [s.coder for s in sheets]
    rows = []
    for j, rid in enumerate(ids):
        for c, code in enumerate(codebook.names):
            values = cube[:, j, c]
            yes = [names[k] for k in range(len(names)) if values[k] == 1]
            no = [names[k] for k in range(len(names)) if values[k] == 0]
            if yes and no:
                rows.append((rid, code, ", ".join(yes), ", ".join(no)))
    return pd.DataFrame(rows, columns=["response_id", "code", "yes", "no"])


def adjudicate(
    sheets: Sequence[CoderSheet],
    codebook: Codebook,
    *,
    decisions: Mapping[tuple[str, str], bool] | None = None,
) -> pd.DataFrame:
    """Final codes: the majority of the coders who coded a comment, ties by decision.

    Parameters
    ----------
    sheets : sequence of CoderSheet
    codebook : Codebook
    decisions : mapping, optional
        ``(response_id, code) -> bool`` for the ties (and to overrule a majority).

    Returns
    -------
    DataFrame of bool
        Indexed by response id, one column per code, parents filled in.

    Raises
    ------
    ValueError
        A tie without a decision; names the first (id, code) pairs.
    """
    ids, cube = _stack(sheets, codebook)
    yes = np.nansum(cube, axis=0)
    coded = np.sum(~np.isnan(cube), axis=0)
    final = yes * 2 > coded
    tie = (yes * 2 == coded) & (coded > 0)
    decisions = dict(decisions or {})
    position = {i: j for j, i in enumerate(ids)}
    column = {c: k for k, c in enumerate(codebook.names)}
    for (rid, code), value in decisions.items():
        if rid not in position or code not in column:
            raise ValueError(f"decision for ({rid!r}, {code!r}) names an unknown id or code")
        final[position[rid], column[code]] = bool(value)
        tie[position[rid], column[code]] = False
    if tie.any():
        pairs = [(ids[j], codebook.names[c]) for j, c in zip(*np.nonzero(tie), strict=True)]
        raise ValueError(f"{len(pairs)} tie(s) need a decision, e.g. {pairs[:5]}")
    lists = pd.Series(
        [[codebook.names[c] for c in np.flatnonzero(row)] for row in final], index=ids, dtype=object
    )
    return codes_from_lists(lists, codebook)


def write_reference(
    codes: pd.DataFrame, path: str | Path, *, sentiment: pd.DataFrame | None = None
) -> Path:
    """Write a codes frame (e.g. adjudicated) in the long reference format."""
    rows = []
    lookup: dict[tuple[str, str], str] = {}
    if sentiment is not None:
        lookup = {(str(r.id), str(r.code)): str(r.sentiment) for r in sentiment.itertuples()}
    for rid, row in codes.iterrows():
        marked = [c for c in codes.columns if row[c]]
        if not marked:
            rows.append((rid, "", ""))
        rows += [(rid, c, lookup.get((str(rid), c), "")) for c in marked]
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(pd.DataFrame(rows, columns=["response_id", "code", "sentiment"]), out)
    return out


def read_reference(path: str | Path, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a long reference coding (``response_id, code, sentiment``).

    Returns
    -------
    codes : DataFrame of bool
        Indexed by response id, one column per code (parents filled in).
    aspects : DataFrame
        ``id``, ``code``, ``sentiment`` for rows that give a sentiment.

    Raises
    ------
    DataError
        Missing columns, blank ids, a code not in the codebook, a repeated (id, code) or a
        sentiment other than positive/negative/mixed/neutral; names the file and rows.
    """
    path = Path(path)
    table = _read_table(path)
    missing = [c for c in ("response_id", "code") if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing} (have {list(table.columns)})")
    table["response_id"] = table["response_id"].str.strip()
    table["code"] = table["code"].str.strip()
    if "sentiment" not in table.columns:
        table["sentiment"] = ""
    blank = table["response_id"] == ""
    if blank.any():
        raise DataError(f"{path}: column response_id is blank on row(s) {_rows(blank)}")
    unknown = (table["code"] != "") & ~table["code"].isin(set(codebook.names))
    if unknown.any():
        raise DataError(
            f"{path}: column code has {sorted(set(table['code'][unknown]))[:5]} on row(s) "
            f"{_rows(unknown)}, not codes of codebook {codebook.name!r}"
        )
    repeated = table.duplicated(["response_id", "code"], keep=False)
    if repeated.any():
        raise DataError(f"{path}: (response_id, code) repeats on row(s) {_rows(repeated)}")
    bad = ~table["sentiment"].isin({"", "positive", "negative", "mixed", "neutral"})
    if bad.any():
        raise DataError(f"{path}: column sentiment has unknown values on row(s) {_rows(bad)}")
    lists = table.groupby("response_id", sort=True)["code"].agg(lambda s: [c for c in s if c])
    codes = codes_from_lists(lists, codebook)
    aspects = table.loc[
        (table["code"] != "") & (table["sentiment"] != ""), ["response_id", "code", "sentiment"]
    ].rename(columns={"response_id": "id"})
    return codes, aspects.reset_index(drop=True)
