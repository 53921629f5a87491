"""The coder-sheet round trip for one client: export, import, adjudicate (``cxresearch coding``).

The command-line face of :mod:`cxresearch.qual.sheets`, working from a client's params:

1. :func:`export_sheets` (``cxresearch coding export PARAMS --coders anna ville``) takes
   the comments of a run (the rows the qualitative report codes), masks personal data as
   the reports do (``privacy.names`` too), and writes one blind sheet per coder with the
   same seeded sample, plus ``sample.csv`` (the ids sent out), to the client's coding
   folder (``coding/<client>`` by default).
2. :func:`import_sheets` (``cxresearch coding import PARAMS SHEET ...``) validates the
   filled sheets against the codebook and the sample (errors name the file, column and
   rows), counts what each coder did, measures their agreement per theme, and writes
   ``disagreements.csv`` beside the sheets (id, code, who marked it, who did not, the
   masked comment) with an empty ``decision`` column for the adjudicator.
3. :func:`adjudicate_sheets` (``cxresearch coding adjudicate PARAMS SHEET ...``) merges
   the sheets by majority, applies the decisions (``1``/``x`` = the code applies, ``0`` =
   it does not), refuses ties left undecided, and writes the final codes as a reference
   coding (``adjudicated.csv``) that ``coding.reference`` in the params can name.

Every path given on the command line must resolve, after symlinks, inside the project of
the params and outside ``reports/`` (which ``make report`` rewrites): the sheets hold
customers' comments. A file that would be replaced (a coder's sheet, decisions already
written, an adjudicated coding) is refused unless ``force`` is given, so nobody's coding
work is overwritten by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cxresearch.csv_text import read_csv, write_csv
from cxresearch.errors import DataError, ParamsError
from cxresearch.params import Params, load_params, project_root, resolve_data_path
from cxresearch.qual.codebook import Codebook, load_codebook
from cxresearch.qual.masking import mask_personal_data
from cxresearch.qual.quality import agreement_by_code
from cxresearch.qual.sheets import (
    NO_MARKS,
    YES_MARKS,
    CoderSheet,
    adjudicate,
    disagreements,
    read_sheet,
    sample_for_coding,
    write_reference,
    write_sheets,
)

__all__ = [
    "DISAGREEMENTS_FILE",
    "SAMPLE_FILE",
    "ExportResult",
    "ImportResult",
    "adjudicate_sheets",
    "export_sheets",
    "import_sheets",
]

SAMPLE_FILE = "sample.csv"
DISAGREEMENTS_FILE = "disagreements.csv"
ADJUDICATED_FILE = "adjudicated.csv"


def _confine(params: Params, path: str | Path, what: str) -> Path:
    """``path`` (as given, relative to the working directory) resolved inside the project."""
    root = project_root(params.path).resolve()
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(root):
        raise ParamsError(
            f"{what} {str(path)!r} resolves to {resolved}, outside the project folder {root}; "
            "coder sheets hold customers' comments and stay in the project"
        )
    if resolved.is_relative_to(root / "reports"):
        raise ParamsError(
            f"{what} {str(path)!r} is inside reports/, which `make report` rewrites; "
            "use the coding folder (coding/<client>)"
        )
    return resolved


def _codebook(params: Params) -> Codebook:
    if params.coding is None:
        raise ParamsError(f"{params.path}: coder sheets need a 'coding:' section (a codebook)")
    return load_codebook(resolve_data_path(params.path, params.coding.codebook))


def _refuse_existing(paths: Sequence[Path], force: bool) -> None:
    there = [str(p) for p in paths if p.exists()]
    if there and not force:
        raise DataError(
            f"{', '.join(there)} already exist(s); a filled sheet or decision would be lost. "
            "Move them away or use --force to replace them"
        )


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_sheets` wrote."""

    sheets: dict[str, list[Path]]
    sample: Path
    comments: int
    sampled: int


def export_sheets(
    params_path: str | Path,
    coders: Sequence[str],
    *,
    run: str = "all",
    folder: str | Path | None = None,
    sample: int = 200,
    seed: int = 20261123,
    formats: Sequence[str] = ("xlsx",),
    force: bool = False,
) -> ExportResult:
    """Write a blind coding sheet per coder for one run's comments (masked).

    Parameters
    ----------
    params_path : path
        The client's params (with a ``coding:`` section).
    coders : sequence of str
        Coder names (letters, digits, ``-``, ``_``): the sheets' file names.
    run : str, optional
        Whose comments: a run of the params (default ``all``).
    folder : path, optional
        Where the sheets go; default ``<project>/coding/<client>``.
    sample, seed, formats
        As :func:`cxresearch.qual.sheets.write_sheets`.
    force : bool, optional
        Replace sheets that already exist (refused by default).

    Raises
    ------
    ParamsError
        No ``coding:`` section, a folder outside the project or inside ``reports/``, bad
        coder names.
    DataError
        Sheets already there (without ``force``), no comments in the run.
    """
    from cxresearch.session import open_run

    session = open_run(params_path, run)
    params = session.params
    book = _codebook(params)
    default = project_root(params.path) / "coding" / params.client
    target = _confine(params, folder if folder is not None else default, "coding folder")
    rows = session.responses
    has_text = rows["comment"].notna() & rows["comment"].astype(str).str.strip().ne("")
    comments = rows[has_text.to_numpy()].set_index("response_id")["comment"]
    if comments.empty:
        raise DataError(f"{params.path}: run {run!r} has no comments to code")
    names = list(params.privacy.names)
    texts = comments.astype(str).map(lambda text: mask_personal_data(text, names=names))
    texts.index = texts.index.astype(str)
    planned = [target / f"{c}.{fmt}" for c in coders for fmt in formats]
    _refuse_existing([*planned, target / DISAGREEMENTS_FILE], force)
    try:
        written = write_sheets(
            texts, book, list(coders), target, sample=sample, seed=seed, formats=formats
        )
    except ValueError as exc:  # coder names, sample size, file format
        raise ParamsError(str(exc)) from None
    # The same seeded draw as write_sheets: the ids every coder got, for the import's check.
    chosen = sample_for_coding(texts.index.tolist(), size=sample, seed=seed)
    sample_path = target / SAMPLE_FILE
    write_csv(pd.DataFrame({"response_id": chosen}), sample_path)
    return ExportResult(written, sample_path, len(texts), len(chosen))


def _read_sheets(params: Params, book: Codebook, paths: Sequence[str | Path]) -> list[CoderSheet]:
    if not paths:
        raise ParamsError("name at least one filled coder sheet")
    sheets = []
    for given in paths:
        path = _confine(params, given, "coder sheet")
        sample_file = path.parent / SAMPLE_FILE
        sample = None
        if sample_file.is_file():
            ids = read_csv(sample_file)
            if "response_id" not in ids.columns:
                raise DataError(f"{sample_file}: no 'response_id' column")
            sample = ids["response_id"].str.strip().tolist()
        sheets.append(read_sheet(path, book, sample=sample))
    coders = [s.coder for s in sheets]
    repeated = sorted({c for c in coders if coders.count(c) > 1})
    if repeated:
        raise DataError(
            f"coder(s) {repeated} given twice (a coder is named by the sheet's file name; "
            "give each coder's sheet once, in one format)"
        )
    return sheets


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_sheets` found: per coder counts, agreement, disagreements."""

    coders: pd.DataFrame
    agreement: pd.DataFrame | None
    disagreements: int
    written: Path | None


def import_sheets(
    params_path: str | Path, sheets: Sequence[str | Path], *, force: bool = False
) -> ImportResult:
    """Validate filled coder sheets, measure agreement and list disagreements.

    With two sheets or more, ``disagreements.csv`` (``response_id, code, yes, no,
    comment, decision``) is written beside the first sheet for the adjudicator; one that already
    holds decisions is not replaced unless ``force``.

    Raises
    ------
    DataError
        A sheet that does not validate (file, column and rows named), an id outside the
        sample, the same coder twice, decisions that would be lost.
    ParamsError
        A sheet outside the project or inside ``reports/``; no ``coding:`` section.
    """
    params = load_params(Path(params_path))
    book = _codebook(params)
    read = _read_sheets(params, book, sheets)
    counts = pd.DataFrame(
        {
            "coded": [len(s.codes) for s in read],
            "not_coded": [len(s.not_coded) for s in read],
            "notes": [len(s.notes) for s in read],
            "ignored_columns": [", ".join(s.ignored_columns) for s in read],
            "file": [s.source for s in read],
        },
        index=pd.Index([s.coder for s in read], name="coder"),
    )
    if len(read) < 2:
        return ImportResult(counts, None, 0, None)
    agreement = agreement_by_code(
        {s.coder: s.codes for s in read},
        codes=book.themes,
        bootstrap=params.coding.bootstrap if params.coding is not None else 1000,
    )
    table = disagreements(read, book)
    out = Path(read[0].source).parent / DISAGREEMENTS_FILE
    if out.is_file() and not force and _decided(out):
        raise DataError(
            f"{out} already holds decisions; adjudicate with it, or move it away (or use "
            "--force) to list the disagreements again"
        )
    texts: dict[str, str] = {}
    for sheet in read:  # the comment as the first sheet holding it shows it
        texts = {**sheet.comments, **texts}
    table["comment"] = table["response_id"].map(texts).fillna("")
    write_csv(table.assign(decision=""), out)
    return ImportResult(counts, agreement, len(table), out)


def _decided(path: Path) -> bool:
    table = read_csv(path)
    return "decision" in table.columns and bool(table["decision"].str.strip().ne("").any())


def read_decisions(path: Path) -> dict[tuple[str, str], bool]:
    """The adjudicator's decisions: ``(response_id, code) -> bool`` for filled rows.

    Raises
    ------
    DataError
        Missing columns or a decision that is not a yes/no mark, naming the file and rows.
    """
    try:
        table = read_csv(path, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read decisions: {exc}") from exc
    missing = [c for c in ("response_id", "code", "decision") if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing} (have {list(table.columns)})")
    cells = table["decision"].str.strip().str.casefold()
    bad = ~cells.isin(YES_MARKS | NO_MARKS)
    if bad.any():
        rows = [int(i) + 2 for i in bad.to_numpy().nonzero()[0][:10]]
        raise DataError(
            f"{path}: column 'decision' has unreadable value(s) {sorted(set(cells[bad]))[:5]} "
            f"on row(s) {rows}; use 1 or x when the code applies, 0 when it does not"
        )
    filled = cells.ne("")
    return {
        (rid.strip(), code.strip()): value in YES_MARKS
        for rid, code, value in zip(
            table["response_id"][filled], table["code"][filled], cells[filled], strict=True
        )
    }


def adjudicate_sheets(
    params_path: str | Path,
    sheets: Sequence[str | Path],
    *,
    decisions: str | Path | None = None,
    output: str | Path | None = None,
    force: bool = False,
) -> tuple[Path, int]:
    """Final codes from filled sheets and the adjudicator's decisions, as a reference coding.

    Parameters
    ----------
    params_path, sheets
        As :func:`import_sheets`.
    decisions : path, optional
        The filled ``disagreements.csv``; by default the one beside the first sheet, if any.
    output : path, optional
        Where the reference coding goes; default ``adjudicated.csv`` beside the first sheet.
    force : bool, optional
        Replace an existing output file.

    Returns
    -------
    (path, comments)
        The file written and how many comments it codes.

    Raises
    ------
    DataError
        Ties without a decision (the first named), a decision for an unknown id or code,
        bad sheets or decisions, an existing output without ``force``.
    """
    params = load_params(Path(params_path))
    book = _codebook(params)
    read = _read_sheets(params, book, sheets)
    if not any(len(s.codes) for s in read):
        raise DataError(f"no comment is coded yet in {', '.join(s.source for s in read)}")
    folder = Path(read[0].source).parent
    decided: dict[tuple[str, str], bool] = {}
    source = None
    if decisions is not None:
        source = _confine(params, decisions, "decisions file")
    elif (folder / DISAGREEMENTS_FILE).is_file():
        source = folder / DISAGREEMENTS_FILE
    if source is not None:
        decided = read_decisions(source)
    target = _confine(params, output if output is not None else folder / ADJUDICATED_FILE, "output")
    _refuse_existing([target], force)
    try:
        final = adjudicate(read, book, decisions=decided)
    except ValueError as exc:
        if "tie" not in str(exc):  # a decision naming an id or code the sheets do not have
            raise DataError(f"{source}: {exc}") from None
        where = source or folder / DISAGREEMENTS_FILE
        raise DataError(
            f"{exc}; fill the decision column of {where} (1 = the code applies, 0 = it does "
            "not; `cxresearch coding import` lists them) and run adjudicate again"
        ) from None
    return write_reference(final, target), len(final)
