"""Closing the loop as data: the follow-up list, its import, and its status for the report.

``cxresearch loop export params/CLIENT.yaml`` writes the follow-up list: every response of
the loop's waves from a detractor (NPS 0–6) or a low CSAT/CES answer whose author agreed
to be contacted (``contact_ok``), with the owner of its touchpoint and a due date from the
SLA, its comment (personal data masked) and the contact details of ``journey.loop.contacts``,
as CSV and Excel in the client's follow-up folder (``followup/<client>`` unless params
name another), never under ``reports/``. Owners fill in ``status``, ``action`` and
``closed_at``; ``cxresearch loop import FILE`` validates the list and stores the statuses
in ``<folder>/status.csv``, keeping the previous file under ``<folder>/history/``.

The report reads only ``status.csv`` (status, owner, dates): contact details, comments
and the owners' action notes stay in the follow-up folder and never reach HTML or PDF.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from cxresearch.csv_text import unguard_frame, write_csv
from cxresearch.errors import DataError, ParamsError
from cxresearch.journey.files import params_file, read_params_table, read_table, to_timestamps
from cxresearch.journey.spec import LoopSpec
from cxresearch.params import Params, load_params, project_root
from cxresearch.qual.masking import mask_personal_data
from cxresearch.stats.journey import followup_rows
from cxresearch.xlsx import write_frames

__all__ = [
    "ITEM_COLUMNS",
    "STATUS_COLUMNS",
    "ImportResult",
    "LoopFiles",
    "export_list",
    "followup_items",
    "import_list",
    "loop_files",
    "read_status",
]

#: Columns of the exported list that come from the responses (contacts follow them).
ITEM_COLUMNS = (
    "client", "response_id", "respondent_id", "wave", "submitted_at", "due_at", "owner",
    "touchpoint", "channel", "customer_type", "reasons", "nps", "csat", "ces", "comment",
)  # fmt: skip
#: Columns the owners fill in (the import reads them).
WORK_COLUMNS = ("status", "action", "closed_at")
#: Columns of ``status.csv``: no contact detail, no comment.
STATUS_COLUMNS = ("response_id", "owner", "due_at", "status", "closed_at", "action", "updated_at")
_TIME = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class LoopFiles:
    """Where one client's follow-up files live."""

    folder: Path
    status: Path
    history: Path

    def export(self, tag: str, suffix: str) -> Path:
        return self.folder / f"followup-{tag}{suffix}"


def _loop(params: Params) -> LoopSpec:
    if params.journey is None or params.journey.loop is None:
        raise ParamsError(f"{params.path}: no journey.loop section: nothing to follow up")
    return params.journey.loop


def loop_files(params: Params) -> LoopFiles:
    """The client's follow-up folder, inside the project and outside ``reports/``."""
    root = project_root(params.path)
    written = _loop(params).folder_for(params.client)
    folder = params_file(params, written)
    reports = (root / "reports").resolve()
    if folder.is_relative_to(reports):
        raise ParamsError(
            f"{params.path}: journey.loop.folder {written!r} is inside reports/; the follow-up "
            "list holds contact details and must be kept apart from the reports"
        )
    return LoopFiles(folder, folder / "status.csv", folder / "history")


def _client_rows(params: Params) -> pd.DataFrame:
    from cxresearch.data import select_rows
    from cxresearch.session import load_client_data

    # Read as the reports read it (every data file, the whole data: block, cached).
    frame = load_client_data(params)
    frame = select_rows(frame, params.data.filter, source=f"{params.path}: data.filter")
    return frame[frame["wave"].isin(params.waves.ordered)]


def _format_time(values: pd.Series) -> pd.Series:
    return values.dt.strftime(_TIME).where(values.notna(), "")


def read_status(path: Path, *, params: Params | None = None) -> pd.DataFrame:
    """``status.csv`` typed (dates parsed); an empty frame with its columns if there is none.

    With ``params`` the file is read through the project's cache
    (:func:`~cxresearch.journey.files.read_params_table`), as the report reads it.
    """
    if not path.is_file():
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in STATUS_COLUMNS})
        for column in ("due_at", "closed_at", "updated_at"):
            empty[column] = pd.Series(dtype="datetime64[ns]")
        return empty
    table = read_table(path) if params is None else read_params_table(params, path)
    missing = [c for c in STATUS_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path}: column(s) {missing} missing from the follow-up status file")
    for column in ("due_at", "closed_at", "updated_at"):
        table[column] = to_timestamps(table, column, path, ids=table["response_id"])
    return table[list(STATUS_COLUMNS)]


def followup_items(params: Params, rows: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """The follow-up items among ``rows`` with owner, due date and their current status.

    ``rows`` are responses (a client's or one run's); only the loop's waves count (the
    current wave unless ``journey.loop.waves`` is ``all``). Items not in ``status`` yet
    have the first status (``open``) and no closed date.
    """
    loop = _loop(params)
    if loop.waves == "current":
        rows = rows[rows["wave"] == params.waves.current]
    items = followup_rows(rows, csat_max=loop.csat_max, ces_max=loop.ces_max)
    touchpoint = (
        items["touchpoint"] if "touchpoint" in items.columns else pd.Series(None, index=items.index)
    )
    items["owner"] = touchpoint.map(lambda t: loop.owners.get(str(t), loop.default_owner))
    items["due_at"] = items["submitted_at"] + pd.Timedelta(hours=loop.sla_hours)
    state = status.set_index("response_id")
    known = items["response_id"].map(lambda r: r in state.index)
    for column in ("status", "action", "closed_at", "updated_at"):
        items[column] = items["response_id"].map(state[column]) if len(state) else None
    items["status"] = items["status"].where(known, loop.statuses[0])
    items["owner"] = items["response_id"].map(state["owner"]).where(known, items["owner"])
    for column in ("closed_at", "updated_at"):
        items[column] = pd.to_datetime(items[column])
    return items


def _contacts(params: Params, items: pd.DataFrame) -> pd.DataFrame:
    loop = _loop(params)
    if loop.contacts is None:
        return pd.DataFrame(index=items.index)
    spec = loop.contacts
    path = params_file(params, spec.path)
    table = read_table(path)
    missing = [c for c in [spec.key, *spec.columns] if c not in table.columns]
    if missing:
        raise DataError(f"{path}: column(s) {missing} not in the contacts file")
    repeated = table[spec.key].duplicated(keep=False) & table[spec.key].notna()
    if repeated.any():
        first = table.loc[repeated, spec.key].drop_duplicates().head(5).tolist()
        raise DataError(f"{path}: column {spec.key!r} repeats ids, e.g. {first}")
    lookup = table.set_index(spec.key)[spec.columns]
    keys = items[spec.key].astype("str")
    return pd.DataFrame({c: keys.map(lookup[c]) for c in spec.columns}, index=items.index)


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _instructions(params: Params) -> pd.DataFrame:
    from cxresearch.present.labels import get_labels

    labels = get_labels(params.language)
    loop = _loop(params)
    rows = [
        (key, labels.get(f"journey.loop_list.{key}"))
        for key in ("response_id", "due_at", "owner", "reasons", "status", "action", "closed_at")
    ]
    rows.append(("statuses", ", ".join(loop.statuses)))
    rows.append(("closed", ", ".join(loop.closed)))
    return pd.DataFrame(rows, columns=["column", labels.get("journey.loop_list.meaning")])


def export_list(params_path: str | Path) -> list[Path]:
    """Write the follow-up list of a client as CSV and Excel; return the two paths.

    Items keep the status, action and closed date already imported for them, so a list
    exported again after an import carries on where the owners left off.

    Raises
    ------
    ParamsError
        No ``journey.loop`` section, or a folder outside the project or inside ``reports/``.
    DataError
        Bad data, contacts or status file (naming the file, column and rows).
    """
    params = load_params(Path(params_path))
    files = loop_files(params)
    status = read_status(files.status)
    items = followup_items(params, _client_rows(params), status)
    out = items.reindex(columns=[c for c in ITEM_COLUMNS if c in items.columns]).copy()
    for column in ("submitted_at", "due_at"):
        out[column] = _format_time(out[column])
    for column in ("nps", "csat", "ces"):
        if column in out.columns:
            out[column] = out[column].astype("Int64").astype("str").replace("<NA>", "")
    if "comment" in out.columns:
        # The owner reads the comment for context and reaches the customer through the
        # contact columns; other personal data a customer wrote (a colleague's number, an
        # identity code) is masked as in the reports.
        out["comment"] = out["comment"].map(
            lambda text: mask_personal_data(text) if isinstance(text, str) else text
        )
    out = pd.concat([out, _contacts(params, items)], axis=1)
    out["status"] = items["status"]
    out["action"] = items["action"].fillna("")
    out["closed_at"] = _format_time(items["closed_at"])
    out = out.fillna("")
    loop = _loop(params)
    tag = params.waves.current if loop.waves == "current" else "all"
    written = []
    csv_path = files.export(tag, ".csv")
    with _atomic(csv_path) as tmp:
        write_csv(out, tmp)  # comments starting with "=" etc. stay text in a spreadsheet
    written.append(csv_path)
    xlsx_path = files.export(tag, ".xlsx")
    with _atomic(xlsx_path) as tmp:
        write_frames(tmp, {"followup": out, "instructions": _instructions(params)})
    written.append(xlsx_path)
    return written


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    status: Path
    kept: Path | None
    rows: int
    changed: int
    closed: int


class _Problems:
    """Problems per column, each with its spreadsheet row (1 = first row after the header)."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.by_column: dict[str, list[str]] = {}

    def add(self, column: str, rows: np.ndarray, ids: pd.Series, message: str) -> None:
        shown = [f"row {int(i) + 1} ({ids.iloc[int(i)]!r})" for i in rows[:5]]
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        self.by_column.setdefault(column, []).append(f"{message}: {', '.join(shown)}{more}")

    def raise_if_any(self) -> None:
        if self.by_column:
            lines = [f"{self.source}: the follow-up list was not imported (nothing changed):"]
            for column, messages in self.by_column.items():
                lines += [f"  column {column!r}: {m}" for m in messages]
            raise DataError("\n".join(lines))


def _params_for(table: pd.DataFrame, file: Path, params_path: str | Path | None) -> Params:
    if params_path is not None:
        return load_params(Path(params_path))
    if "client" not in table.columns or table["client"].dropna().nunique() != 1:
        raise DataError(
            f"{file}: cannot tell the client (the 'client' column should hold one name); "
            "give the params file with --params"
        )
    client = str(table["client"].dropna().iloc[0])
    candidate = Path("params") / f"{client}.yaml"
    if not candidate.is_file():
        raise ParamsError(f"{file}: client {client!r}: no params file {candidate}; use --params")
    return load_params(candidate)


def _validate(
    table: pd.DataFrame, file: Path, loop: LoopSpec, items: pd.DataFrame, status: pd.DataFrame
) -> pd.DataFrame:
    problems = _Problems(file)
    missing = [c for c in ("response_id", *WORK_COLUMNS) if c not in table.columns]
    if missing:
        raise DataError(f"{file}: column(s) {missing} missing; the list needs {list(WORK_COLUMNS)}")
    table = table.reset_index(drop=True)
    ids = table["response_id"].astype("str").where(table["response_id"].notna(), "")
    blank = np.flatnonzero(ids.eq("").to_numpy())
    if blank.size:
        problems.add("response_id", blank, ids, "blank id")
    repeated = np.flatnonzero((ids.duplicated(keep=False) & ids.ne("")).to_numpy())
    if repeated.size:
        problems.add("response_id", repeated, ids, "id listed more than once")
    known = set(items["response_id"]) | set(status["response_id"])
    unknown = np.flatnonzero((~ids.isin(known) & ids.ne("")).to_numpy())
    if unknown.size:
        problems.add("response_id", unknown, ids, "not a follow-up item of this client")
    state = table["status"].astype("str").str.strip().where(table["status"].notna(), "")
    bad = np.flatnonzero((~state.isin(loop.statuses)).to_numpy())
    if bad.size:
        problems.add("status", bad, ids, f"status must be one of {loop.statuses}")
    try:
        closed_at = to_timestamps(table, "closed_at", file, ids=ids)
    except DataError as exc:
        problems.by_column.setdefault("closed_at", []).append(str(exc).split(": ", 1)[-1])
        closed_at = pd.Series(pd.NaT, index=table.index)
    is_closed = state.isin(loop.closed)
    no_date = np.flatnonzero((is_closed & closed_at.isna()).to_numpy())
    if no_date.size:
        problems.add("closed_at", no_date, ids, "a closed item needs its closed date")
    early_date = np.flatnonzero((~is_closed & state.ne("") & closed_at.notna()).to_numpy())
    if early_date.size:
        problems.add("closed_at", early_date, ids, "a closed date on an item that is not closed")
    answered = ids.map(items.set_index("response_id")["submitted_at"])
    before = np.flatnonzero((closed_at < answered).fillna(False).to_numpy(dtype=bool))
    if before.size:
        problems.add("closed_at", before, ids, "closed before the customer answered")
    problems.raise_if_any()
    action = table["action"].astype("str").where(table["action"].notna(), "")
    return pd.DataFrame(
        {"response_id": ids, "status": state, "closed_at": closed_at, "action": action}
    )


def import_list(file: str | Path, *, params_path: str | Path | None = None) -> ImportResult:
    """Validate an updated follow-up list and store its statuses (keeping the previous file).

    Parameters
    ----------
    file : path
        The list the owners filled in (CSV or Excel, as exported).
    params_path : path, optional
        The client's params; by default ``params/<client>.yaml`` after the list's ``client``.

    Raises
    ------
    DataError
        Naming the file, column and rows: a missing column, an unknown or repeated id, a
        status outside the allowed set, a closed item without a closed date or a closed
        date before the answer. Nothing is written then.
    """
    path = Path(file)
    table = read_table(path)
    if path.suffix.lower() == ".csv":  # exported by write_csv: formula-like cells guarded
        table = unguard_frame(table)
    params = _params_for(table, path, params_path)
    loop = _loop(params)
    files = loop_files(params)
    status = read_status(files.status)
    items = followup_items(params, _client_rows(params), status)
    update = _validate(table, path, loop, items, status)
    now = pd.Timestamp(datetime.now(timezone.utc).replace(tzinfo=None)).floor("min")
    previous = status.set_index("response_id")
    merged = items.set_index("response_id")[["owner", "due_at"]].copy()
    for column in ("status", "closed_at", "action", "updated_at"):
        merged[column] = previous[column] if len(previous) else None
    # Items stored earlier that are no longer in the data's loop waves are kept as they are.
    merged = pd.concat([merged, previous.loc[~previous.index.isin(merged.index)]])
    upd = update.set_index("response_id")
    old = merged.loc[upd.index]
    same_date = (old["closed_at"] == upd["closed_at"]) | (
        old["closed_at"].isna() & upd["closed_at"].isna()
    )
    changed = (
        old["status"].fillna(loop.statuses[0]).ne(upd["status"])
        | ~same_date
        | old["action"].fillna("").ne(upd["action"])
    )
    merged.loc[upd.index, ["status", "closed_at", "action"]] = upd[
        ["status", "closed_at", "action"]
    ].to_numpy()
    merged.loc[changed[changed].index, "updated_at"] = now
    merged["status"] = merged["status"].fillna(loop.statuses[0])
    out = merged.reset_index()[list(STATUS_COLUMNS)]
    for column in ("due_at", "closed_at", "updated_at"):
        out[column] = _format_time(pd.to_datetime(out[column]))
    out = out.fillna("")
    kept = None
    if files.status.is_file():
        stamp = now.strftime("%Y%m%dT%H%M")
        kept = files.history / f"status-{stamp}.csv"
        n = 1
        while kept.exists():
            n += 1
            kept = files.history / f"status-{stamp}-{n}.csv"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(files.status.read_bytes())
    with _atomic(files.status) as tmp:
        out.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
    return ImportResult(
        status=files.status,
        kept=kept,
        rows=len(update),
        changed=int(changed.sum()),
        closed=int(update["status"].isin(loop.closed).sum()),
    )
