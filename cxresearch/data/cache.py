"""A validated copy of each client's data, reused until the data or its reading changes.

Reading and validating a survey export costs seconds per million rows, and a batch needs the
same client's data once to check the params and once per report. :func:`load_validated`
keeps the frame that :func:`~cxresearch.data.load_responses` returned as a Parquet file
under the project's cache folder (``.cache/cxresearch/validated/``) and reads it back while
its key still matches. The key is a sha256 over

- the bytes of every data file (their sha256, in order) and the paths as given (the frame's
  ``attrs`` name them);
- every option that changes how the files are read, mapped and validated (the params
  ``data:`` block: mapping, scales, recode, missing codes, exclusions, ...);
- the cxresearch sources (validation rules live in the code) and the versions of pandas,
  pyarrow and numpy, which parse the cells.

So a changed cell, a changed mapping or a new release reads and validates again; nothing
else does. Errors are never cached: bad data is read and refused every time, with the
message :func:`~cxresearch.data.load_responses` gives. A cache file that cannot be read
(cut short, another format) is ignored and replaced. Writes are atomic (a temporary file
renamed into place), so kernels reading the cache while another writes it see either the
old file or the new one.

Setting the environment variable ``CXRESEARCH_DATA_CACHE=off`` turns the cache off (every
call reads and validates).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "CACHE_VARIABLE",
    "cache_key",
    "data_key",
    "load_table",
    "load_validated",
    "recall",
    "remember",
]

#: Environment variable that turns the cache off when set to ``off`` (or ``0``).
CACHE_VARIABLE = "CXRESEARCH_DATA_CACHE"
_FORMAT = 1  # bump when the stored layout changes
_ATTRS_KEY = b"cxresearch.attrs"
_SUBFOLDER = "validated"
_NOTES = "checks"
_READERS = ("pandas", "pyarrow", "numpy")


def _enabled() -> bool:
    return os.environ.get(CACHE_VARIABLE, "").strip().lower() not in ("off", "0", "false", "no")


def _canonical(value: Any) -> Any:
    """Options as plain JSON values, with mapping keys in a fixed order."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def cache_key(
    paths: Sequence[Path], options: Mapping[str, Any], *, file_digests: Sequence[str]
) -> str:
    """The key of a client's validated data: files, options, code and parser versions.

    Examples
    --------
    >>> a = cache_key([Path("d.csv")], {"mapping": {"Q1": "nps"}}, file_digests=["ab"])
    >>> b = cache_key([Path("d.csv")], {"mapping": {"Q1": "csat"}}, file_digests=["ab"])
    >>> a == b
    False
    """
    from cxresearch.report.manifest import package_sources_sha256

    versions = {}
    for name in _READERS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    payload = {
        "format": _FORMAT,
        "paths": [str(p) for p in paths],
        "files": list(file_digests),
        "options": _canonical(dict(options)),
        "sources": package_sources_sha256(),
        "versions": versions,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def data_key(
    paths: Sequence[str | os.PathLike[str]], options: Mapping[str, Any]
) -> tuple[str, list[str]] | None:
    """:func:`cache_key` of the files as they are now and their digests.

    None when the cache is off or a file cannot be read (then nothing is cached).
    """
    from cxresearch.report.manifest import file_sha256

    if not _enabled():
        return None
    files = [Path(p) for p in paths]
    try:
        digests = [file_sha256(p) for p in files]
    except OSError:
        return None
    return cache_key(files, options, file_digests=digests), digests


def recall(cache_dir: str | os.PathLike[str], owner: str, key: str) -> dict[str, Any] | None:
    """A small JSON result stored by :func:`remember` for ``owner`` under ``key``, or None."""
    path = Path(cache_dir) / _NOTES / f"{_owner(owner)}-{key}.json"
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def remember(
    cache_dir: str | os.PathLike[str], owner: str, key: str, payload: Mapping[str, Any]
) -> None:
    """Store ``payload`` (JSON) for ``owner`` under ``key``, replacing the owner's older one.

    Used for results computed from validated data that are cheaper to keep than to redo,
    such as a batch's check of one params file against its data. Never raises for a cache
    that cannot be written.
    """
    folder = Path(cache_dir) / _NOTES
    name = _owner(owner)
    target = folder / f"{name}-{key}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(dict(payload), out, sort_keys=True)
        os.replace(temporary, target)
        for older in folder.glob(f"{name}-*.json"):
            if older != target:
                older.unlink(missing_ok=True)
    except OSError:
        pass


def _owner(owner: str) -> str:
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()[:16]


def _slot(paths: Sequence[Path], options: Mapping[str, Any]) -> str:
    """What the cache file replaces: the same files read the same way (older contents)."""
    payload = {"paths": [str(p) for p in paths], "options": _canonical(dict(options))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def _read(path: Path) -> pd.DataFrame | None:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        attrs = json.loads((table.schema.metadata or {})[_ATTRS_KEY])
        frame = table.to_pandas()
    except Exception:  # cut short, another version's layout, deleted meanwhile: read afresh
        return None
    frame.attrs = attrs
    return frame


def _write(frame: pd.DataFrame, path: Path) -> bool:
    """Store ``frame`` atomically; False (and nothing written) when it cannot round-trip."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # In the frame's own key order: tables made from attrs (missing codes) keep it.
        attrs = json.dumps(frame.attrs)
        if json.loads(attrs) != frame.attrs:  # e.g. tuples, which JSON gives back as lists
            return False
        table = pa.Table.from_pandas(frame, preserve_index=None)  # a RangeIndex as metadata
    except (TypeError, ValueError, pa.ArrowException):  # e.g. a column of mixed objects
        return False
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _ATTRS_KEY: attrs})
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def load_validated(
    paths: Sequence[str | os.PathLike[str]],
    options: Mapping[str, Any],
    *,
    cache_dir: str | os.PathLike[str],
) -> pd.DataFrame:
    """:func:`~cxresearch.data.load_responses` of ``paths`` with ``options``, cached.

    Parameters
    ----------
    paths
        The client's data files, in order.
    options
        Keyword arguments of :func:`~cxresearch.data.load_responses` (the params'
        ``data.options()``).
    cache_dir
        The project's cache folder (``<project>/.cache/cxresearch``); the frames go to its
        ``validated/`` folder, one file per client's data (an older version of the same
        files read the same way is replaced).

    Returns
    -------
    pandas.DataFrame
        The same frame, dtypes and ``attrs`` as ``load_responses(paths, **options)``.

    Raises
    ------
    DataError
        As :func:`~cxresearch.data.load_responses` (bad data is never cached).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "d.csv").write_text("response_id,client,wave,nps\\nr1,acme,w1,9\\n")
    >>> first = load_validated([folder / "d.csv"], {}, cache_dir=folder / ".cache")
    >>> again = load_validated([folder / "d.csv"], {}, cache_dir=folder / ".cache")
    >>> again.equals(first), len(list((folder / ".cache" / "validated").iterdir()))
    (True, 1)
    """
    from cxresearch.data import load_responses

    files = [Path(p) for p in paths]
    found = data_key(files, options)
    if found is None:  # off, or a missing or unreadable file: load_responses says which
        return load_responses(files, **options)
    key, digests = found
    folder = Path(cache_dir) / _SUBFOLDER
    slot = _slot(files, options)
    target = folder / f"{slot}-{key}.parquet"
    if target.is_file():
        cached = _read(target)
        if cached is not None:
            return cached
    frame = load_responses(files, **options)
    if [f.get("sha256") for f in frame.attrs.get("files", [])] != digests:
        return frame  # a file changed while it was read: do not store under the old key
    _store(frame, target, slot)
    return frame


def _store(frame: pd.DataFrame, target: Path, slot: str) -> None:
    """Write ``frame`` to ``target`` and remove the slot's older files (never raises OSError)."""
    try:
        if _write(frame, target):
            for older in target.parent.glob(f"{slot}-*.parquet"):
                if older != target:
                    older.unlink(missing_ok=True)
    except OSError:  # a read-only project or a full disk: the frame is still right
        pass


def load_table(
    path: str | os.PathLike[str],
    read: Callable[[Path], pd.DataFrame],
    *,
    reader: str,
    cache_dir: str | os.PathLike[str],
) -> pd.DataFrame:
    """``read(path)`` of a side file (an operational or invitations table), cached.

    The journey report's side files are read and checked as :func:`load_validated` reads the
    responses: the frame ``read`` returned is kept in the same ``validated/`` folder under
    a key over the file's sha256, its path, ``reader``, the cxresearch sources and the
    parsers' versions, so a batch reads each file once and a warm run hashes it. Errors are
    never cached: ``read`` raises for a bad file every time.

    Parameters
    ----------
    path
        The file.
    read
        The reader (e.g. :func:`cxresearch.journey.files.read_table`).
    reader
        A name for what ``read`` does, part of the key (two readers of one file do not
        share a copy).
    cache_dir
        The project's cache folder (``<project>/.cache/cxresearch``).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "ops.csv").write_text("id,minutes\\nr1,3\\n")
    >>> read = lambda p: pd.read_csv(p, dtype=str)
    >>> first = load_table(folder / "ops.csv", read, reader="csv", cache_dir=folder / ".c")
    >>> load_table(folder / "ops.csv", read, reader="csv", cache_dir=folder / ".c").equals(first)
    True
    """
    from cxresearch.report.manifest import file_sha256

    file = Path(path)
    options = {"table": reader}
    found = data_key([file], options)
    if found is None:  # off, or a missing or unreadable file: ``read`` says which
        return read(file)
    key, digests = found
    slot = _slot([file], options)
    target = Path(cache_dir) / _SUBFOLDER / f"{slot}-{key}.parquet"
    if target.is_file():
        cached = _read(target)
        if cached is not None:
            return cached
    frame = read(file)
    try:
        unchanged = file_sha256(file) == digests[0]
    except OSError:
        unchanged = False
    if unchanged:  # a file changed while it was read is not stored under the old key
        _store(frame, target, slot)
    return frame
