"""Provenance of rendered reports: hashes, versions, git state, cache keys, manifest files.

``reports/<client>/manifest.json`` records what each report was made from (data and params
file hashes, package versions, git commit) and the cache key that lets ``cxresearch report``
skip a report whose inputs have not changed. :func:`provenance` is the subset a notebook
prints in its footer: it leaves out the git commit and any time, so that the report's bytes
depend only on its inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from cxresearch.params import Params

# The packages whose versions can change a report's numbers or its HTML.
PACKAGES = (
    "cxresearch",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "pingouin",
    "seaborn",
    "matplotlib",
    "papermill",
    "nbconvert",
    "weasyprint",  # the PDF's bytes depend on it
)
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
_PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Files of the package that can change a report: code, templates, CSS, label tables.
_SOURCE_SUFFIXES = frozenset({".py", ".j2", ".css", ".json", ".yaml", ".yml", ".txt"})
_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """sha256 hex digest of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    """Python's version, each package in :data:`PACKAGES` and the PDF's fonts.

    A package that is not installed is recorded as ``"not installed"`` rather than
    raising: the manifest should say so, not stop a batch. ``pdf_fonts`` names the font
    files the PDF is printed with and their sha256
    (:func:`cxresearch.report.pdf_fonts.font_digest`): as part of the versions it is in
    the manifest and in every report's cache key, so other fonts print the reports again.
    """
    from cxresearch.report.pdf_fonts import font_digest

    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["pdf_fonts"] = font_digest()
    return versions


def package_sources_sha256(package_dir: str | Path | None = None) -> str:
    """sha256 over the cxresearch package's source files (paths and bytes, sorted).

    An editable install keeps its version number while its code changes; this digest
    changes with the code, so a report made by older code is not mistaken as current.
    """
    root = Path(package_dir) if package_dir is not None else _PACKAGE_DIR
    return _sources_sha256(root.resolve())


@lru_cache(maxsize=4)
def _sources_sha256(root: Path) -> str:
    # Cached: a batch asks once per report, and the sources do not change during a run.
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and (p.suffix in _SOURCE_SUFFIXES or p.name == "matplotlibrc")
        and "__pycache__" not in p.parts
    )
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii") + b"\n")
    return digest.hexdigest()


def cache_key(
    *,
    data_sha256: str,
    params_sha256: str,
    notebook_sha256: str,
    sources_sha256: str,
    versions: Mapping[str, str],
    run: str,
    analysis: str,
    inputs: Mapping[str, str] | None = None,
) -> str:
    """The key under which a rendered report is reused.

    sha256 over the data file's and params file's digests, the notebook's digest, the
    package sources' digest, the package versions, the report's run and analysis, and the
    digests of the other files the analysis reads (``inputs``: name → sha256, see
    :attr:`cxresearch.analyses.AnalysisSpec.inputs`). Any change in them means the report
    is rendered again.
    """
    payload: dict[str, object] = {
        "analysis": analysis,
        "data_sha256": data_sha256,
        "notebook_sha256": notebook_sha256,
        "params_sha256": params_sha256,
        "run": run,
        "sources_sha256": sources_sha256,
        "versions": dict(sorted(versions.items())),
    }
    if inputs:
        payload["inputs"] = dict(sorted(inputs.items()))
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance(params: Any) -> dict[str, str]:
    """What a report was made from, for a notebook's provenance footer.

    Parameters
    ----------
    params
        The run session (:func:`cxresearch.session.open_run`): its ``data_sha256`` is the
        digest of the bytes the report analysed. Validated params
        (:func:`cxresearch.params.load_params`) are accepted too; the data file is then
        hashed as it is now.

    Returns
    -------
    dict
        ``data_sha256``, ``params_sha256`` and one entry per package in
        ``package_versions()`` (``python``, ``cxresearch``, ``pandas``, ...). No git commit
        and no time: the footer, and so the report's bytes, change only with the inputs.
    """
    analysed = getattr(params, "data_sha256", "")
    if isinstance(getattr(params, "params", None), Params):
        params = params.params
    if not isinstance(params, Params):
        raise TypeError(
            f"params must be a cxresearch RunSession or Params, got {type(params).__name__}"
        )
    return {
        "data_sha256": analysed or data_sha256(params),
        "params_sha256": params.sha256,
        **{f"{key}_sha256": file_sha256(path) for key, path in params.input_files().items()},
        **package_versions(),
    }


def data_sha256(params: Params) -> str:
    """sha256 of the data file, or of the files' digests in order when there are several
    (as :func:`cxresearch.data.load_responses` records it)."""
    digests = [file_sha256(p) for p in params.data_paths]
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def git_state(folder: str | Path) -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool or None}`` for the repository at ``folder``.

    ``commit`` is None outside a repository or before the first commit; ``dirty`` is None
    outside a repository and otherwise says whether ``git status`` lists any change
    (untracked files included: an uncommitted notebook makes a report unreproducible).
    """

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    status = git("status", "--porcelain")
    if status is None:
        return {"commit": None, "dirty": None}
    head = git("rev-parse", "--verify", "--quiet", "HEAD")
    return {"commit": head.strip() if head else None, "dirty": bool(status.strip())}


def display_path(path: str | Path, root: str | Path) -> str:
    """``path`` relative to ``root`` in POSIX form when it lies inside, else absolute."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def manifest_path(output: str | Path, client: str) -> Path:
    """``<output>/<client>/manifest.json``."""
    return Path(output) / client / MANIFEST_NAME


def read_manifest(path: str | Path) -> dict[str, Any] | None:
    """The manifest at ``path``, or None if it is missing or unreadable.

    An unreadable manifest only costs a re-render, so it is not an error.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def build_manifest(
    params: Params,
    *,
    root: str | Path,
    reports: list[dict[str, Any]],
    data_sha256: str,
) -> dict[str, Any]:
    """The manifest of one client.

    Parameters
    ----------
    params
        The client's validated params.
    root
        Project root: paths are recorded relative to it, and git is asked there.
    reports
        One entry per report: ``run``, ``analysis``, ``files`` (relative to the client's
        folder), ``cache_key``, ``status`` (``"ok"`` or ``"failed"``), ``seconds`` and, for
        a failure, ``error``.
    data_sha256
        Digest of the data file (already computed for the cache keys).
    """
    ordered = sorted(reports, key=lambda r: (str(r["run"]), str(r["analysis"])))
    return {
        "format": MANIFEST_FORMAT,
        "client": params.client,
        "title": params.title,
        "language": params.language,
        "data": {"path": display_path(params.data_path, root), "sha256": data_sha256},
        "params": {"path": display_path(params.path, root), "sha256": params.sha256},
        "git": git_state(root),
        "versions": package_versions(),
        "reports": ordered,
    }


def write_manifest(path: str | Path, manifest: Mapping[str, Any]) -> None:
    """Write ``manifest`` as sorted, indented UTF-8 JSON with a trailing newline (atomically)."""
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(Path(path), text)


# mkstemp creates files readable by the owner only; reports are meant to be shared, so
# files get the permissions an ordinary open() would give. The umask can only be read by
# setting it, which is done once here, at import, before any thread runs.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


# Temporary files that exist right now, so that a second Ctrl-C can remove them before the
# process exits without running `finally` blocks (cxresearch.report.cancel).
_LIVE_TEMPORARIES: set[Path] = set()
_LIVE_LOCK = threading.Lock()


@contextmanager
def temporary_beside(path: Path) -> Iterator[Path]:
    """A new empty temporary file in ``path``'s folder, removed afterwards unless moved.

    Beside the target so that ``os.replace`` is an atomic rename on one file system; it
    keeps the target's suffix (papermill warns about any other), starts with a dot and
    carries this process's id (``.<stem>.<pid>-<random>.tmp<suffix>``), so that a later
    run can remove it if this process is killed before it can
    (:func:`cxresearch.report.cancel.remove_stale_files`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.{os.getpid()}-", suffix=f".tmp{path.suffix}"
    )
    os.close(handle)
    os.chmod(tmp, 0o666 & ~_UMASK)
    with _LIVE_LOCK:
        _LIVE_TEMPORARIES.add(Path(tmp))
    try:
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)
        with _LIVE_LOCK:
            _LIVE_TEMPORARIES.discard(Path(tmp))


def remove_live_temporaries() -> None:
    """Remove every temporary file of :func:`temporary_beside` still open in this process."""
    with _LIVE_LOCK:
        paths = list(_LIVE_TEMPORARIES)
        _LIVE_TEMPORARIES.clear()
    for tmp in paths:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text with ``\\n`` line ends so that a reader never sees half a file."""
    with temporary_beside(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
