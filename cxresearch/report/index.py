"""``reports/index.html``: one self-contained page linking every client's reports.

Each client shows its title, language and the headline NPS of the current wave for the
run ``all`` (or the first run), computed with the package from the data, not scraped from
a notebook, with its interval and base. Failed reports are marked, with the error and a
link to the kept notebook. Every piece of text from params, data or errors is escaped, and
errors have personal data masked (:func:`cxresearch.errors.reader_message`). The page holds
every client's headline: it is for the consultancy, never for a client (docs/security.md).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cxresearch.errors import CxError, reader_message
from cxresearch.report import manifest as mf
from cxresearch.report.render import CONTENT_SECURITY_POLICY, report_css

if TYPE_CHECKING:
    from cxresearch.params import Params
    from cxresearch.report.runner import ClientCheck
    from cxresearch.results import Estimate

INDEX_NAME = "index.html"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def headline_run(params: Params) -> str:
    """The run the headline uses: ``all`` if there is one, else the first."""
    names = [run.name for run in params.runs]
    return "all" if "all" in names else names[0]


def headline_nps(params: Params, frame: Any) -> Estimate:
    """NPS of the current wave for :func:`headline_run`, from the client's rows.

    Parameters
    ----------
    params
        The client's params.
    frame
        The client's responses after ``data.filter`` (as validation keeps them).

    Notes
    -----
    Uses the ``weight`` column when the data has one. Raking to ``weighting.margins`` is
    not applied here, so a report that rakes may show a slightly different headline.
    """
    from cxresearch.data import select_rows
    from cxresearch.stats.metrics import nps

    run = params.run(headline_run(params))
    source = f"{params.path}: runs ({run.name})"
    rows = select_rows(frame, run.filter, source=source)
    if "wave" in rows.columns:
        rows = select_rows(rows, {"wave": params.waves.current}, source=f"{source}, waves.current")
    weights = rows["weight"] if "weight" in rows.columns else None
    return nps(rows["nps"], weights=weights, confidence=params.report.confidence)


def _headline_text(check: ClientCheck) -> str:
    from cxresearch.present.format import format_estimate
    from cxresearch.present.labels import get_labels

    params = check.params
    if params is None or check.frame is None:
        return "–"
    try:
        estimate = headline_nps(params, check.frame)
    except (CxError, KeyError, ValueError) as exc:
        return f"not available ({reader_message(exc, names=params.privacy.names, limit=300)})"
    text = format_estimate(estimate, get_labels("en"), min_base=params.report.min_base)
    return f"{text} — wave {params.waves.current}, run {headline_run(params)}"


def _link(href: str, text: str) -> str:
    return f'<a href="{_e(href)}">{_e(text)}</a>'


def _report_rows(client: str, manifest: dict[str, Any], output: Path) -> list[str]:
    rows = []
    for entry in manifest.get("reports", []):
        run, analysis = str(entry.get("run", "")), str(entry.get("analysis", ""))
        base = f"{quote(client)}/{quote(run)}/{quote(analysis)}"
        links = []
        for suffix, label in ((".html", "HTML"), (".pdf", "PDF"), (".ipynb", "notebook")):
            if (output / client / run / f"{analysis}{suffix}").is_file():
                links.append(_link(base + suffix, label))
        if entry.get("status") == "ok":
            status = '<span class="cx-status-ok">ok</span>'
        else:
            error = entry.get("error") or {}
            detail = ""
            if error:
                cell = error.get("cell_index")
                where = f"cell {cell}: " if cell is not None else ""
                detail = f" — {where}{error.get('ename', '')}: {error.get('evalue', '')}"
            status = f'<span class="cx-status-failed">failed{_e(detail)}</span>'
            if (output / client / run / f"{analysis}.failed.ipynb").is_file():
                links.append(_link(base + ".failed.ipynb", "failed notebook"))
            if links and (output / client / run / f"{analysis}.html").is_file():
                status += ' <span class="cx-muted">(links show the earlier report)</span>'
        rows.append(
            f"<tr><td>{_e(run)}</td><td>{_e(analysis)}</td>"
            f"<td>{' · '.join(links) or '–'}</td><td>{status}</td></tr>"
        )
    return rows


def build_index(output: str | Path, *, checks: Sequence[ClientCheck], root: str | Path) -> str:
    """The index page's HTML.

    Parameters
    ----------
    output
        The reports folder; every ``<client>/manifest.json`` in it is listed.
    checks
        This batch's validated params (:func:`~cxresearch.report.runner.validate_clients`):
        their data gives the headline NPS, and invalid ones are listed with their error.
        A client with a manifest but no check here is validated again for its headline.
    root
        Project root, for reading a listed client's params again.
    """
    from cxresearch.report.runner import validate_client

    output = Path(output)
    by_client = {c.params.client: c for c in checks if c.params is not None}
    manifests = {
        p.parent.name: m
        for p in sorted(output.glob(f"*/{mf.MANIFEST_NAME}"))
        if (m := mf.read_manifest(p)) is not None
    }
    sections = []
    for client in sorted(set(manifests) | set(by_client)):
        manifest = manifests.get(client, {})
        check = by_client.get(client)
        recorded = manifest.get("params")
        if check is None and isinstance(recorded, dict) and recorded.get("path"):
            check = validate_client(Path(root) / str(recorded["path"]), root=root)
        params = check.params if check is not None else None
        title = params.title if params is not None else manifest.get("title", client)
        language = params.language if params is not None else manifest.get("language", "")
        parts = [
            f'<section class="cx-client" id="client-{_e(client)}">',
            f"<h2>{_e(title)}</h2>",
            f'<p class="cx-muted">client {_e(client)} · language {_e(language)}</p>',
            f"<p><b>NPS</b> {_e(_headline_text(check)) if check is not None else '–'}</p>",
        ]
        if check is not None and not check.ok:
            parts.append(
                f'<p class="cx-status-failed">Params or data need fixing: {_e(check.error)}</p>'
            )
        rows = _report_rows(client, manifest, output)
        if rows:
            parts.append(
                "<table><thead><tr><th>Run</th><th>Analysis</th><th>Files</th>"
                "<th>Status</th></tr></thead><tbody>"
            )
            parts.extend(rows)
            parts.append("</tbody></table>")
        parts.append("</section>")
        sections.append("\n".join(parts))
    broken = [c for c in checks if c.params is None and not c.ok]
    if broken:
        items = "\n".join(f"<li>{_e(c.error)}</li>" for c in broken)
        sections.append(
            f"<section><h2>Params files with errors</h2>\n<ul>\n{items}\n</ul>\n</section>"
        )
    body = "\n".join(sections) if sections else "<p>No reports yet.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>Reports</title>\n<style>\n{report_css()}</style>\n</head>\n"
        f'<body class="cx-index">\n<main>\n<h1>Reports</h1>\n{body}\n</main>\n</body>\n</html>\n'
    )


def write_index(output: str | Path, *, checks: Sequence[ClientCheck], root: str | Path) -> Path:
    """Write :func:`build_index` to ``<output>/index.html`` (atomically) and return its path."""
    output = Path(output)
    path = output / INDEX_NAME
    mf.write_text_atomic(path, build_index(output, checks=checks, root=root))
    return path
