"""Batch rendering of client reports: validate every params file, execute, render, record.

``cxresearch report`` runs :func:`run_reports`. The steps, in order:

1. :func:`validate_clients` reads every params file and its data once (mapping, scales,
   column check, ``data.filter`` and each run's filter, current wave), so a typo fails in
   seconds. A bad client is reported and skipped; the others go on.
2. Each client × run × analysis whose cache key (:func:`~cxresearch.report.manifest.cache_key`)
   matches its manifest entry is skipped as up to date; the others go to an executor
   (:mod:`cxresearch.report.executors`: a local pool of threads, each driving one kernel
   process, or a Dask cluster), which executes ``notebooks/<analysis>.ipynb`` with
   papermill and renders it into bytes (:mod:`cxresearch.report.job`; the execution itself
   — kernel, failures, stabilised notebooks — is in :mod:`cxresearch.report.execute`).
   One progress display (:mod:`cxresearch.report.progress`) counts them.
3. This process alone writes the results: each file to a temporary file beside its target,
   all moved into place only when all were written, so a failure never replaces an earlier
   good report; the failing executed notebook is kept as ``<analysis>.failed.ipynb``.
4. Manifests and ``reports/index.html`` are written; the exit code is 2 if a params file or
   its data was bad, else 1 if a notebook failed, else 0 (130 when the batch was stopped).

A batch stops cleanly on request (:class:`~cxresearch.report.cancel.Cancellation`, which
the CLI connects to Ctrl-C and SIGTERM): queued reports are not started, running kernels
are interrupted and killed, their temporary files removed, and the manifests and the index
are written for what finished. Every message a person reads (progress, summary, index,
manifest errors) has personal data masked (:func:`cxresearch.errors.reader_message`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cxresearch.analyses import SCORE_COLUMNS, analysis
from cxresearch.errors import CxError, ParamsError, reader_message
from cxresearch.params import DATA_ROOT_VARIABLE, Params, find_params, load_params
from cxresearch.report import manifest as mf
from cxresearch.report.cancel import EXIT_INTERRUPTED, Cancellation, remove_stale_files
from cxresearch.report.execute import ExecutionFailure
from cxresearch.report.executors import STOP_GRACE_SECONDS, Executor, LocalExecutor
from cxresearch.report.job import Rendered, RenderTask, commit, failed_result, render_task
from cxresearch.report.progress import Progress

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_OK",
    "STOP_GRACE_SECONDS",
    "BatchResult",
    "ClientCheck",
    "ReportJob",
    "ReportOutcome",
    "render_job",
    "run_reports",
    "validate_clients",
]

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


@dataclass
class ClientCheck:
    """Outcome of validating one params file (step 1)."""

    path: Path
    params: Params | None = None
    frame: Any = None  # the client's rows (after data.filter), when asked to keep them
    data_sha256: str = ""
    rows: int = 0  # the client's rows after data.filter
    headline: str = ""  # the index page's headline (HTML), computed from the rows
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # columns ignored and why

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ReportJob:
    """One client × run × analysis to render."""

    params: Params
    check: ClientCheck
    run: str
    analysis: str
    notebook: Path
    folder: Path  # <output>/<client>/<run>
    key: str

    @property
    def label(self) -> str:
        return f"{self.params.client}/{self.run}/{self.analysis}"

    @property
    def exports(self) -> tuple[str, ...]:
        """Files the analysis' notebook may export beside the report (e.g. ``banner.xlsx``)."""
        return analysis(self.analysis).exports

    def outputs(self) -> list[Path]:
        """The report's own files (exports are listed by what the notebook wrote)."""
        names = [f"{self.analysis}.ipynb", f"{self.analysis}.html"]
        if "pdf" in self.params.report.formats:
            names.append(f"{self.analysis}.pdf")
        return [self.folder / name for name in names]


@dataclass
class ReportOutcome:
    job: ReportJob
    status: str  # "ok" | "failed" | "up to date" | "cancelled"
    seconds: float = 0.0
    failure: ExecutionFailure | None = None
    kept: Path | None = None  # the .failed.ipynb of a failure
    data_sha256: str = ""  # the data bytes the notebook analysed (its run record)
    exported: tuple[Path, ...] = ()  # declared exports the notebook wrote, now beside it


@dataclass
class BatchResult:
    """What :func:`run_reports` did."""

    checks: list[ClientCheck]
    outcomes: list[ReportOutcome] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: str = ""  # why the batch stopped early ("SIGINT"...), "" if it did not

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if any(not c.ok for c in self.checks):
            return EXIT_INVALID
        if any(o.status == "failed" for o in self.outcomes):
            return EXIT_FAILED
        return EXIT_OK


def default_params(root: str | Path) -> list[Path]:
    """``<root>/params/*.yaml`` (and ``*.yml``), sorted; ParamsError if there are none."""
    found = find_params(Path(root) / "params")
    if not found:
        raise ParamsError(f"no params files (*.yaml) in {Path(root) / 'params'}")
    return found


def validate_client(
    path: str | Path,
    *,
    root: str | Path,
    data_root: str | Path | None = None,
    keep_frame: bool = True,
) -> ClientCheck:
    """Validate one params file and its data; never raises for bad input.

    Loads the params (every file they name must be inside the project or ``data_root``),
    loads the data once with the params' mapping and scales, checks that every column the
    params name exists, applies ``data.filter`` (the rows left must all be the params'
    client's, :meth:`~cxresearch.params.Params.check_one_client`) and each run's filter (a
    value that never occurs is an error), checks that every run has answers in the current
    wave, that each analysis has its notebook and that a ``report.min_base`` the params set
    is not larger than the client's data. The first problem becomes ``error``, with
    personal data masked. The index page's headline is computed here; the client's rows
    are kept in ``frame`` only with ``keep_frame`` (a batch keeps none of them).
    """
    from cxresearch.consistency import check_against_data
    from cxresearch.data import select_rows
    from cxresearch.data.cache import recall, remember
    from cxresearch.present.format import suppress_threshold
    from cxresearch.report.index import headline_html
    from cxresearch.session import cache_folder, load_client_data

    check = ClientCheck(path=Path(path))
    root = Path(root).resolve()
    try:
        # By absolute path: Params resolves relative data paths from its file's location,
        # which must not depend on the working directory (the batch changes it).
        params = load_params(Path(path).resolve(), data_root=data_root)
        check.params = params
        key = None if keep_frame else _check_key(params)
        known = recall(cache_folder(params), str(params.path), key) if key else None
        if known is not None:
            # The same params checked against the same bytes by the same code: only what
            # is outside the data is looked at again (notebooks and side files may be gone).
            check_analyses(params, None, root=root)
            check.notes, check.rows = list(known["notes"]), int(known["rows"])
            check.headline, check.data_sha256 = str(known["headline"]), str(known["data_sha256"])
            return check
        frame = load_client_data(params)
        check.notes = list(frame.attrs.get("ignored_columns") or [])
        params.check_columns(list(frame.columns))
        where = f"{params.path}"
        frame = select_rows(frame, params.data.filter, source=f"{where}: data.filter")
        params.check_one_client(frame)
        check_against_data(params, frame)
        current = params.waves.current
        for i, run in enumerate(params.runs):
            rows = select_rows(frame, run.filter, source=f"{where}: runs[{i}].filter ({run.name})")
            # As cxresearch.session.open_run requires: the current wave has answers in every
            # run (earlier waves may be missing; the report then shows the waves it has).
            if "wave" in rows.columns and not rows["wave"].eq(current).any():
                raise ParamsError(
                    f"{where}: waves.current: no responses in wave {current!r} after the "
                    f"filters of run {run.name!r} (data {params.data_path})"
                )
        check_analyses(params, frame, root=root)
        explicit = "min_base" in params.report.model_fields_set
        if explicit and params.report.min_base > len(frame):
            # Every result would be flagged as a small base and most hidden: a typo such as
            # min_base: 1.0e9, not a choice. (The default on a tiny test file is not refused.)
            raise ParamsError(
                f"{where}: report.min_base: {params.report.min_base} is larger than the "
                f"client's data ({len(frame)} rows): every result would be hidden or flagged; "
                f"results under n = {suppress_threshold(params.report.min_base):g} are not shown"
            )
        check.rows = len(frame)
        check.headline = headline_html(params, frame)
        check.frame = frame if keep_frame else None
        check.data_sha256 = str(frame.attrs.get("source_sha256") or "") or mf.data_sha256(params)
        if key:
            fields = ("notes", "rows", "headline", "data_sha256")
            remember(
                cache_folder(params), str(params.path), key, {f: getattr(check, f) for f in fields}
            )
    except CxError as exc:
        check.error = _reader_error(str(exc), root, check.params)
    except Exception as exc:  # a bug or an unforeseen file problem: report it, go on
        text = f"{path}: unexpected {type(exc).__name__}: {exc}"
        check.error = _reader_error(text, root, check.params)
    return check


def _check_key(params: Params) -> str | None:
    """Key of a successful check: the data's cache key, the params' bytes, the side files.

    None when the data cache is off or a data file cannot be read.
    """
    from cxresearch.data.cache import data_key

    found = data_key(params.data_paths, params.data.options())
    if found is None:
        return None
    inputs = {
        name: {
            item: mf.file_sha256(path) if path.is_file() else "missing"
            for item, path in analysis(name).inputs(params).items()
        }
        for name in params.report.analyses
    }
    payload = {"data": found[0], "params": params.sha256, "inputs": inputs}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def _reader_error(message: str, root: Path, params: Params | None) -> str:
    names = tuple(params.privacy.names) if params is not None else ()
    return reader_message(_relative_to(message, root), names=names)


def check_analyses(params: Params, frame: Any, *, root: Path) -> None:
    """Every listed analysis has its notebook and, when it needs scores, a score with answers.

    Raises ParamsError naming ``report.analyses`` (the columns an analysis needs are
    checked with the others by :meth:`~cxresearch.params.Params.check_columns`).
    """
    where = f"{params.path}: report.analyses"
    for name in params.report.analyses:
        spec = analysis(name)
        notebook = spec.notebook_path(root)
        if not notebook.is_file():
            raise ParamsError(f"{where} lists {name!r} but {notebook} does not exist")
        for key, path in spec.inputs(params).items():
            if not path.is_file():
                raise ParamsError(f"{params.path}: {key}: file {path} does not exist")
        spec.check(params, root)  # e.g. the codebook's own validation
        if (
            frame is not None
            and spec.needs_scores
            and not any(
                column in frame.columns and frame[column].notna().any() for column in SCORE_COLUMNS
            )
        ):
            raise ParamsError(
                f"{where} lists {name!r}, which needs answers to at least one of "
                f"{list(SCORE_COLUMNS)}, but the client's data {params.data_path.name} has none"
            )


def _relative_to(message: str, root: Path) -> str:
    # Messages name files by absolute path; within the project the relative path is what
    # the user typed and is all the index page should show of this machine's folders.
    return message.replace(f"{root}{os.sep}", "")


def validate_clients(
    paths: Sequence[str | Path],
    *,
    root: str | Path,
    data_root: str | Path | None = None,
    keep_frames: bool = False,
) -> list[ClientCheck]:
    """Validate every params file; a client name used twice is an error for the later file.

    Each client's rows are dropped once checked (``keep_frames`` keeps them): a batch of
    many big clients holds one client's data at a time.
    """
    checks = [
        validate_client(p, root=root, data_root=data_root, keep_frame=keep_frames) for p in paths
    ]
    seen: dict[str, Path] = {}
    for check in checks:
        if check.params is None or not check.ok:
            continue
        first = seen.setdefault(check.params.client, check.path)
        if first != check.path:
            this, other = (mf.display_path(p, root) for p in (check.path, first))
            check.error = (
                f"{this}: client {check.params.client!r} is also used by {other}; "
                "their reports would overwrite each other"
            )
    return checks


def plan_jobs(checks: Sequence[ClientCheck], *, root: Path, output: Path) -> list[ReportJob]:
    """Every client × run × analysis of the valid checks, with its cache key."""
    versions = mf.package_versions()
    sources = mf.package_sources_sha256()
    notebook_sha: dict[Path, str] = {}
    jobs = []
    for check in checks:
        if not check.ok or check.params is None:
            continue
        params = check.params
        for run in params.runs:
            for name in params.report.analyses:
                notebook = analysis(name).notebook_path(root)
                if notebook not in notebook_sha:
                    notebook_sha[notebook] = mf.file_sha256(notebook)
                inputs = {
                    item: mf.file_sha256(path) if path.is_file() else "missing"
                    for item, path in analysis(name).inputs(params).items()
                }
                key = mf.cache_key(
                    data_sha256=check.data_sha256,
                    params_sha256=params.sha256,
                    notebook_sha256=notebook_sha[notebook],
                    sources_sha256=sources,
                    versions=versions,
                    run=run.name,
                    analysis=name,
                    inputs=inputs,
                )
                folder = output / params.client / run.name
                jobs.append(ReportJob(params, check, run.name, name, notebook, folder, key))
    return jobs


def _previous_entries(output: Path, client: str) -> dict[tuple[str, str], dict[str, Any]]:
    manifest = mf.read_manifest(mf.manifest_path(output, client)) or {}
    entries = manifest.get("reports", [])
    return {(str(e.get("run")), str(e.get("analysis"))): e for e in entries if isinstance(e, dict)}


def is_up_to_date(job: ReportJob, previous: dict[str, Any] | None) -> bool:
    """True if the manifest entry has the job's key, succeeded, and its files exist."""
    return (
        previous is not None
        and previous.get("cache_key") == job.key
        and previous.get("status") == "ok"
        and all(path.is_file() for path in job.outputs())
        and all((job.folder.parent / f).is_file() for f in previous.get("files", []))
    )


def page_title(params: Params, run: str) -> str:
    """``<title>`` of a report: the params title, plus the run's title for a segment run.

    The same wording as ``cxresearch.session.RunSession.title`` uses for the heading, so
    that browser tabs of the runs of one client can be told apart.
    """
    selected = params.run(run)
    if selected.title:
        return f"{params.title} — {selected.title}"
    return params.title if selected.name == "all" else f"{params.title} — {selected.name}"


def render_task_of(
    job: ReportJob, *, root: Path, data_root: str | Path | None = None
) -> RenderTask:
    """The picklable description of ``job`` that an executor renders, anywhere."""
    params = job.params
    env = {DATA_ROOT_VARIABLE: str(Path(data_root).resolve())} if data_root is not None else {}
    return RenderTask(
        label=job.label,
        notebook=job.notebook.resolve(),
        root=root,
        # The kernel runs in the project root: the params path is given relative to it,
        # so the executed notebook records no folder of this machine.
        params_path=mf.display_path(params.path, root),
        run=job.run,
        title=page_title(params, job.run),
        language=params.language,
        final=job.folder / f"{job.analysis}.ipynb",
        pdf="pdf" in params.report.formats,
        env=tuple(sorted(env.items())),
        privacy_names=tuple(params.privacy.names),
        exports=job.exports,
    )


def outcome_of(job: ReportJob, rendered: Rendered) -> ReportOutcome:
    """Write a rendered result into the reports folder (this process only) as an outcome.

    A disk or permission problem with one report fails that report alone.
    """
    try:
        kept = commit(rendered, job.folder, job.analysis)
    except Exception as exc:
        failure = ExecutionFailure(None, "", type(exc).__name__, " ".join(str(exc).split()))
        names = tuple(job.params.privacy.names)
        return ReportOutcome(job, "failed", rendered.seconds, failure.masked(names=names))
    exported = tuple(job.folder / name for name, _ in rendered.exports)
    return ReportOutcome(
        job,
        rendered.status,
        rendered.seconds,
        rendered.failure,
        kept,
        rendered.data_sha256,
        exported if rendered.status == "ok" else (),
    )


def render_job(
    job: ReportJob,
    *,
    root: Path,
    cancellation: Cancellation | None = None,
    data_root: str | Path | None = None,
) -> ReportOutcome:
    """Execute one notebook and write its outputs; failures become a ``failed`` outcome.

    What :class:`~cxresearch.report.executors.LocalExecutor` does for each report, in the
    calling thread. A stop request (``cancellation``) ends the kernel; the outcome is then
    ``cancelled``, no failed notebook is kept and the earlier report stays as it was.
    """
    task = render_task_of(job, root=root, data_root=data_root)
    try:
        rendered = render_task(task, cancellation=cancellation)
    except Exception as exc:
        rendered = failed_result(task, exc, cancellation)
    return outcome_of(job, rendered)


def run_reports(
    paths: Sequence[str | Path] | None = None,
    *,
    root: str | Path | None = None,
    output: str | Path = "reports",
    jobs: int = 1,
    force: bool = False,
    stream: IO[str] | None = None,
    data_root: str | Path | None = None,
    cancellation: Cancellation | None = None,
    executor: Executor | None = None,
) -> BatchResult:
    """Validate, execute and render every client's reports; write manifests and the index.

    Parameters
    ----------
    paths
        Params files; by default every ``params/*.yaml`` under ``root``.
    root
        Project root (where ``notebooks/`` is; the notebooks' working directory). Default:
        the current directory.
    output
        Reports folder, relative to ``root`` unless absolute.
    jobs
        Notebooks executed at the same time by the default (local) executor.
    force
        Render even the reports whose cache key says they are up to date.
    stream
        Where progress lines and the summary go (default ``sys.stdout``).
    data_root
        A folder outside the project that data files may be in (``--data-root``).
    cancellation
        Stops the batch when requested (the CLI connects it to Ctrl-C and SIGTERM):
        queued reports are cancelled, running kernels stopped, and the manifests and the
        index written for what finished.
    executor
        Where the notebooks run: :class:`~cxresearch.report.executors.LocalExecutor`
        (``jobs`` threads, the default) or
        :class:`~cxresearch.report.executors.DaskExecutor`. Only reports that are not up
        to date are handed to it; their files are written here, by this process.

    Returns
    -------
    BatchResult
        Per-client checks and per-report outcomes; ``exit_code`` is 130 if the batch was
        stopped, else 2 if a params file or its data was bad, else 1 if a notebook failed,
        else 0.
    """
    from cxresearch.report.index import write_index

    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    out = stream if stream is not None else sys.stdout
    root_dir = Path(root if root is not None else Path.cwd()).resolve()
    out_dir = (root_dir / output).resolve()
    started = time.perf_counter()
    stop = cancellation if cancellation is not None else Cancellation()
    run_on = executor if executor is not None else LocalExecutor(jobs)
    # Temporary files and kernel files of earlier batches that were killed.
    remove_stale_files(out_dir)
    params_paths = list(paths) if paths else default_params(root_dir)
    checks = validate_clients(params_paths, root=root_dir, data_root=data_root)
    for check in checks:
        if not check.ok:
            print(f"skipped: {check.error}", file=out, flush=True)
    all_jobs = plan_jobs(checks, root=root_dir, output=out_dir)
    result = BatchResult(checks)
    previous: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    todo: list[ReportJob] = []
    lock = threading.Lock()
    progress = Progress(len(all_jobs), out)

    def report(outcome: ReportOutcome) -> None:
        with lock:
            result.outcomes.append(outcome)
        failure = outcome.failure
        detail = "" if outcome.status != "failed" else (failure.ename if failure else "error")
        progress.finished(outcome.job.label, outcome.status, outcome.seconds, detail)

    with progress:
        # Cache decisions are made here, before anything is submitted: only stale reports
        # go to the executor.
        for job in all_jobs:
            client = job.params.client
            if client not in previous:
                previous[client] = _previous_entries(out_dir, client)
            if not force and is_up_to_date(job, previous[client].get((job.run, job.analysis))):
                report(ReportOutcome(job, "up to date"))
            else:
                todo.append(job)
        if todo:
            tasks = [render_task_of(job, root=root_dir, data_root=data_root) for job in todo]
            run_on.run(
                tasks,
                on_start=lambda index: progress.started(),
                on_done=lambda index, rendered: report(outcome_of(todo[index], rendered)),
                cancellation=stop,
            )
    if stop.requested:
        result.interrupted = stop.reason or "stopped"
    _write_manifests(result, previous, root=root_dir, output=out_dir)
    write_index(out_dir, checks=checks, root=root_dir)
    result.seconds = time.perf_counter() - started
    out.write(format_summary(result, root=root_dir, output=out_dir))
    out.flush()
    return result


def _write_manifests(
    result: BatchResult,
    previous: dict[str, dict[tuple[str, str], dict[str, Any]]],
    *,
    root: Path,
    output: Path,
) -> None:
    by_client: dict[str, list[ReportOutcome]] = {}
    for outcome in result.outcomes:
        by_client.setdefault(outcome.job.params.client, []).append(outcome)
    for client, outcomes in by_client.items():
        # Entries of runs/analyses not rendered this time (e.g. removed from the params)
        # are dropped: the manifest describes what the params ask for now.
        entries = []
        for outcome in outcomes:
            job = outcome.job
            old = previous.get(client, {}).get((job.run, job.analysis))
            if outcome.status in ("up to date", "cancelled"):
                # A cancelled report leaves the earlier one (if any) in place, as it was.
                if old is not None:
                    entries.append(old)
                continue
            client_dir = output / client
            entry: dict[str, Any] = {
                "run": job.run,
                "analysis": job.analysis,
                "cache_key": job.key,
                "status": outcome.status,
                "seconds": round(outcome.seconds, 3),
            }
            if outcome.data_sha256:
                # The bytes the notebook read. When the file changed after validation, the
                # cache key is taken from what was analysed, so a later run that finds the
                # file as validated renders again.
                entry["data_sha256"] = outcome.data_sha256
                if outcome.data_sha256 != job.check.data_sha256:
                    entry["cache_key"] = _rekeyed(job, outcome.data_sha256)
            if outcome.status == "ok":
                files = [*job.outputs(), *outcome.exported]
                entry["files"] = [p.relative_to(client_dir).as_posix() for p in files]
            else:
                kept = [outcome.kept] if outcome.kept is not None else []
                entry["files"] = [p.relative_to(client_dir).as_posix() for p in kept]
                if outcome.failure is not None:
                    entry["error"] = outcome.failure.as_dict()
            entries.append(entry)
        if not entries:
            continue
        job = outcomes[0].job
        analysed = {str(e.get("data_sha256")) for e in entries if e.get("data_sha256")}
        data_sha256 = analysed.pop() if len(analysed) == 1 else job.check.data_sha256
        manifest = mf.build_manifest(
            job.params, root=root, reports=entries, data_sha256=data_sha256
        )
        mf.write_manifest(mf.manifest_path(output, client), manifest)


def _rekeyed(job: ReportJob, data_sha256: str) -> str:
    return mf.cache_key(
        data_sha256=data_sha256,
        params_sha256=job.params.sha256,
        notebook_sha256=mf.file_sha256(job.notebook),
        sources_sha256=mf.package_sources_sha256(),
        versions=mf.package_versions(),
        run=job.run,
        analysis=job.analysis,
    )


def format_summary(result: BatchResult, *, root: Path, output: Path) -> str:
    """The closing lines: counts, each failure with its cell, each skipped params file."""
    counts = {
        s: sum(o.status == s for o in result.outcomes) for s in ("ok", "up to date", "cancelled")
    }
    failed = [o for o in result.outcomes if o.status == "failed"]
    invalid = [c for c in result.checks if not c.ok]
    lines = [
        f"{len(result.outcomes)} report(s) in {result.seconds:.1f} s: {counts['ok']} rendered, "
        f"{counts['up to date']} up to date, {len(failed)} failed; "
        f"{len(invalid)} params file(s) skipped."
    ]
    if result.interrupted:
        lines.append(
            f"Stopped ({result.interrupted}): {counts['cancelled']} report(s) cancelled; "
            "earlier reports of those are unchanged."
        )
    if failed:
        lines.append("Failed:")
        for outcome in failed:
            text = outcome.failure.describe() if outcome.failure else "unknown error"
            kept = (
                f" (executed notebook kept: {mf.display_path(outcome.kept, root)})"
                if outcome.kept is not None
                else ""
            )
            lines.append(f"  {outcome.job.label}: {text}{kept}")
    if invalid:
        lines.append("Skipped (bad params or data):")
        for check in invalid:
            first, *rest = str(check.error).splitlines() or [""]
            lines.append(f"  {first}")
            lines.extend(f"    {line.strip()}" for line in rest)
    lines.append(f"Index: {mf.display_path(output / 'index.html', root)}")
    return "\n".join(lines) + "\n"
