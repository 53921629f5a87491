"""One report as a task: rendered anywhere into bytes, written only by the batch's process.

:class:`RenderTask` is everything a process needs to execute one client × run × analysis
notebook and render it: plain paths and strings, picklable, so that a Dask worker on
another machine can take it. :func:`render_task` executes the notebook (in the project
folder, through :func:`~cxresearch.report.execute.execute_notebook`) and renders HTML and
PDF *in memory*; it writes nothing into the reports folder and returns a :class:`Rendered`
with the bytes and what the manifest needs. :func:`commit` — run by the batch's own
process only — writes a result atomically: every file goes to a temporary file beside its
target and all are renamed into place only when all were written, so a failed or cancelled
report never replaces an earlier good one; a failed notebook is kept as
``<analysis>.failed.ipynb``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxresearch.errors import CxError
from cxresearch.report import manifest as mf
from cxresearch.report.cancel import KERNEL_FILE_PREFIX
from cxresearch.report.execute import (
    ExecutionFailure,
    execute_notebook,
    run_record,
)
from cxresearch.report.render import render_html, render_pdf

if TYPE_CHECKING:
    from cxresearch.report.cancel import Cancellation

__all__ = [
    "PageRenderer",
    "RenderTask",
    "Rendered",
    "commit",
    "failed_result",
    "notebook_bytes",
    "render_pages",
    "render_task",
]


@dataclass(frozen=True)
class RenderTask:
    """What a process needs to render one report (absolute paths; picklable).

    Attributes
    ----------
    label
        ``client/run/analysis``.
    notebook, root
        The analysis notebook and the project folder (the kernel's working directory).
    params_path
        The params file, relative to ``root`` as the notebook gets it.
    run, title, language
        The run's name, the page title and the report language.
    final
        Where the executed notebook will live (recorded in its metadata).
    pdf
        Whether to print a PDF too.
    env
        Variables for the kernel on top of the report environment.
    privacy_names
        Names to mask in error messages (params ``privacy.names``).
    """

    label: str
    notebook: Path
    root: Path
    params_path: str
    run: str
    title: str
    language: str
    final: Path
    pdf: bool
    env: tuple[tuple[str, str], ...] = ()
    privacy_names: tuple[str, ...] = ()
    exports: tuple[str, ...] = ()  # files the notebook may export (AnalysisSpec.exports)


@dataclass(frozen=True)
class Rendered:
    """A report's result: its bytes (nothing written yet) or why it has none.

    ``status`` is ``ok``, ``failed`` or ``cancelled``; ``notebook`` holds the executed
    notebook (also for a failure, when there is one), ``html``/``pdf`` the pages of an
    ``ok`` report; ``data_sha256`` the digest of the data the notebook analysed.
    """

    label: str
    status: str
    seconds: float = 0.0
    failure: ExecutionFailure | None = None
    notebook: bytes | None = field(default=None, repr=False)
    html: bytes | None = field(default=None, repr=False)
    pdf: bytes | None = field(default=None, repr=False)
    data_sha256: str = ""
    exports: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)


def notebook_bytes(nb: Any) -> bytes:
    """The bytes ``nbformat.write`` puts in a file (UTF-8, ending in a newline)."""
    import nbformat

    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def _scratch_path(name: str = "report.ipynb") -> Path:
    # Named like the kernel files (cxresearch-<pid>-<random>-...), so that a later batch
    # removes it if this process is killed before it can (cancel.remove_stale_files).
    stem = f"{KERNEL_FILE_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}-{name}"
    return Path(tempfile.gettempdir()) / stem


def _final_export_paths(nb: Any, renamed: dict[str, str]) -> None:
    """Name the exports' final paths, not their scratch ones, in the kept notebook.

    The scratch names are random, so the record would differ from run to run; the final
    paths are where the files are once the report is committed.
    """
    parameters = nb.metadata.get("papermill", {}).get("parameters", {})
    if isinstance(parameters.get("exports"), dict):
        parameters["exports"] = {k: renamed.get(v, v) for k, v in parameters["exports"].items()}
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            for old, new in renamed.items():
                cell.source = cell.source.replace(old, new)


#: Renders an executed notebook's bytes to HTML and PDF bytes somewhere else (a worker
#: process: :class:`~cxresearch.report.render_pool.RenderPool`); raises ReportError.
PageRenderer = Callable[..., tuple[bytes, bytes | None]]


def render_pages(
    notebook: bytes, *, title: str, language: str, pdf: bool
) -> tuple[bytes, bytes | None]:
    """A report's HTML (UTF-8) and PDF (None unless ``pdf``) from its executed notebook.

    The notebook arrives as the bytes that are kept as ``<analysis>.ipynb``
    (:func:`notebook_bytes`), so the pages are rendered from exactly what is kept, in
    whichever process does it.

    Raises
    ------
    ReportError
        If nbconvert or WeasyPrint fails.
    """
    import nbformat

    nb = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    page = render_html(nb, title=title, language=language)
    return page.encode("utf-8"), render_pdf(page) if pdf else None


def render_task(
    task: RenderTask,
    *,
    cancellation: Cancellation | None = None,
    scratch: Path | None = None,
    kernel_manager: Any | None = None,
    renderer: PageRenderer | None = None,
) -> Rendered:
    """Execute and render one report in this process; the reports stay untouched.

    A failing cell, an unreadable notebook or a rendering error gives a ``failed`` result
    (with the executed notebook when there is one); a stop request gives ``cancelled``.

    ``scratch`` is the file papermill writes the notebook into as it runs: the local
    executor gives a temporary file beside the report (removed by a later batch if this
    one is killed); by default it is one in this machine's temporary folder.
    ``kernel_manager`` is a kernel started ahead for this task
    (:class:`~cxresearch.report.kernels.KernelStarter`); by default papermill starts one.
    ``renderer`` renders the pages elsewhere (called like :func:`render_pages`); by
    default they are rendered in this process.
    """
    started = time.perf_counter()
    if not task.root.is_dir() or not task.notebook.is_file():
        # A worker on another machine that does not see the project where the batch does.
        raise FileNotFoundError(
            f"{task.notebook} is not on this machine ({os.uname().nodename}): every worker "
            "must see the project folder at the same path"
        )
    own_scratch = scratch is None
    scratch = _scratch_path() if scratch is None else scratch
    parameters: dict[str, Any] = {"params_path": task.params_path, "run": task.run}
    # Exports (an Excel banner) are written by the notebook into scratch files on this
    # machine and travel back as bytes, like the report; only commit() puts them in place.
    exports = {name: _scratch_path(f"export-{name}") for name in task.exports}
    if exports:
        parameters["exports"] = {name: str(path) for name, path in exports.items()}
    exported: list[tuple[str, bytes]] = []
    try:
        nb, failure = execute_notebook(
            task.notebook,
            scratch,
            parameters=parameters,
            cwd=task.root,
            final_path=task.final,
            cancellation=cancellation,
            env=dict(task.env),
            kernel_manager=kernel_manager,
        )
        # A notebook run outside the runner (or a custom one) may export nothing: only
        # what was written is kept.
        exported = [
            (name, path.read_bytes())
            for name, path in exports.items()
            if path.is_file() and path.stat().st_size > 0
        ]
    finally:
        if own_scratch:
            scratch.unlink(missing_ok=True)
        for path in exports.values():
            path.unlink(missing_ok=True)
    if cancellation is not None and cancellation.requested:
        return Rendered(task.label, "cancelled", time.perf_counter() - started)
    if nb is not None and exports:
        final = {
            str(path): mf.display_path(task.final.parent / name, task.root)
            for name, path in exports.items()
        }
        _final_export_paths(nb, final)
    html = pdf = None
    kept = notebook_bytes(nb) if nb is not None else None
    if failure is None:
        try:
            if renderer is not None and kept is not None:
                html, pdf = renderer(kept, title=task.title, language=task.language, pdf=task.pdf)
            else:
                page = render_html(nb, title=task.title, language=task.language)
                html = page.encode("utf-8")
                pdf = render_pdf(page) if task.pdf else None
        except CxError as exc:
            failure = ExecutionFailure(None, "", type(exc).__name__, str(exc))
        if cancellation is not None and cancellation.requested:
            return Rendered(task.label, "cancelled", time.perf_counter() - started)
    seconds = time.perf_counter() - started
    if failure is not None:
        masked = failure.masked(names=task.privacy_names)
        return Rendered(task.label, "failed", seconds, masked, notebook=kept)
    analysed = str(run_record(nb).get("data_sha256") or "")
    return Rendered(
        task.label, "ok", seconds, None, kept, html, pdf, analysed, exports=tuple(exported)
    )


def failed_result(
    task: RenderTask, exc: BaseException, cancellation: Cancellation | None = None
) -> Rendered:
    """The result of a task that raised: ``cancelled`` during a stop, else ``failed``."""
    if cancellation is not None and cancellation.requested:
        return Rendered(task.label, "cancelled")
    failure = ExecutionFailure(None, "", type(exc).__name__, " ".join(str(exc).split()))
    return Rendered(task.label, "failed", failure=failure.masked(names=task.privacy_names))


def commit(rendered: Rendered, folder: Path, analysis: str) -> Path | None:
    """Write a result into ``folder`` atomically; returns the kept failed notebook, if any.

    ``ok``: ``<analysis>.ipynb``, ``.html`` (and ``.pdf``, and the notebook's exports such
    as ``banner.xlsx``) replace the previous report in one go, after all of them are on
    disk, and an old ``.failed.ipynb`` is removed.
    ``failed``: the executed notebook is kept as ``<analysis>.failed.ipynb`` (written
    atomically) and the previous report stays. ``cancelled``: nothing is written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    failed_copy = folder / f"{analysis}.failed.ipynb"
    if rendered.status == "failed":
        if rendered.notebook is None:
            return None
        with mf.temporary_beside(failed_copy) as tmp:
            tmp.write_bytes(rendered.notebook)
            os.replace(tmp, failed_copy)
        return failed_copy
    if rendered.status != "ok":
        return None
    report = {"ipynb": rendered.notebook, "html": rendered.html, "pdf": rendered.pdf}
    files: dict[Path, bytes] = {
        folder / f"{analysis}.{ext}": data for ext, data in report.items() if data
    }
    files.update({folder / name: data for name, data in rendered.exports})
    with contextlib.ExitStack() as stack:
        temporary = {target: stack.enter_context(mf.temporary_beside(target)) for target in files}
        for target, tmp in temporary.items():
            tmp.write_bytes(files[target])
        # Everything is on disk: now replace the previous report in one go.
        for target, tmp in temporary.items():
            os.replace(tmp, target)
    failed_copy.unlink(missing_ok=True)
    return None
