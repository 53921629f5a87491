"""``reports/index.html``: one self-contained page linking every client's reports.

Each client's section is in the language of the client's reports (``lang`` set on it,
wording from the ``index`` section of the label files): its title, the headline metrics
of the current wave for the run ``all`` (or the first run) — NPS, CSAT, CES with interval,
base and the change since the previous wave, ▲/▼ when significant (the report's rule: NPS
tested alone, the others adjusted) — computed with the package from the data, not scraped
from a notebook; then each run's reports by their names in that language, with links to
the HTML, the PDF and the executed notebook and their status. Failed reports are marked,
with the error and a link to the kept notebook. Every piece of text from params, data or
errors is escaped, and errors have personal data masked
(:func:`cxresearch.errors.reader_message`). The page holds every client's headline: it is
for the consultancy, never for a client (docs/security.md).
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
    from cxresearch.present.labels import Labels
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
    Weighted as the reports are (:func:`~cxresearch.session.client_weights`: raked to
    ``weighting.margins``, or the data's ``weight`` column), so it equals the report's NPS.
    """
    from cxresearch.data import select_rows
    from cxresearch.session import client_weights
    from cxresearch.stats.metrics import nps

    run = params.run(headline_run(params))
    source = f"{params.path}: runs ({run.name})"
    all_weights = client_weights(params, frame)
    rows = select_rows(frame, run.filter, source=source)
    if "wave" in rows.columns:
        rows = select_rows(rows, {"wave": params.waves.current}, source=f"{source}, waves.current")
    weights = None if all_weights is None else all_weights.loc[rows.index]
    return nps(rows["nps"], weights=weights, confidence=params.report.confidence)


def _w(labels: Labels, key: str, **fields: object) -> str:
    """``index.<key>`` filled as plain text (escaped where it is put into the page)."""
    return labels.fill(f"index.{key}", **fields)


def headline_metrics(params: Params, frame: Any) -> list[dict[str, Any]]:
    """The headline metrics of :func:`headline_run` in the current wave, with their change.

    One row per metric among NPS, CSAT and CES that has answers: ``metric``, ``estimate``
    (Estimate) and ``change`` (a row of :func:`~cxresearch.stats.families.adjusted_family`:
    NPS tested alone, the others adjusted with the params' method, as the reports do), or
    None without an earlier wave. Weighted as the reports are
    (:func:`~cxresearch.session.client_weights`), so the index shows the reports' numbers.
    """
    from cxresearch.data import select_rows
    from cxresearch.session import client_weights
    from cxresearch.stats.benchmark import SCORE_COLUMNS, metric_estimate
    from cxresearch.stats.families import adjusted_family
    from cxresearch.stats.inference import compare_samples

    run = params.run(headline_run(params))
    all_weights = client_weights(params, frame)
    rows = select_rows(frame, run.filter, source=f"{params.path}: runs ({run.name})")
    current = rows[rows["wave"] == params.waves.current]
    earlier = [w for w in params.waves.previous if rows["wave"].eq(w).any()]
    previous = rows[rows["wave"] == earlier[0]] if earlier else None
    confidence = params.report.confidence
    metrics = [
        m
        for m in ("nps", "csat", "ces")
        if SCORE_COLUMNS[m] in current.columns and current[SCORE_COLUMNS[m]].notna().any()
    ]

    def weights(part: Any) -> Any:
        return None if all_weights is None else all_weights.loc[part.index]

    def compute(level: float) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for metric in metrics:
            column = SCORE_COLUMNS[metric]
            a = current[current[column].notna()]
            b = None if previous is None else previous[previous[column].notna()]
            out[metric] = (
                None
                if b is None or b.empty
                else compare_samples(
                    a[column],
                    b[column],
                    metric=metric,
                    confidence=level,
                    weights_a=weights(a),
                    weights_b=weights(b),
                )
            )
        return out

    family = (
        adjusted_family(
            compute, primary=metrics[0], adjust=params.report.multiplicity, confidence=confidence
        ).set_index("key")
        if metrics
        else None
    )
    found = []
    for metric in metrics:
        column = SCORE_COLUMNS[metric]
        estimate = metric_estimate(
            current[column], metric, weights=weights(current), confidence=confidence
        )
        change = None
        if family is not None and previous is not None:
            row = family.loc[metric]
            change = None if row["difference"] != row["difference"] else row.to_dict()
        found.append({"metric": metric, "estimate": estimate, "change": change})
    return found


def _headline_html(check: ClientCheck, labels: Labels) -> str:
    if check.headline:  # computed when the client was checked (the batch keeps no rows)
        return check.headline
    if check.params is None or check.frame is None:
        return ""
    return headline_html(check.params, check.frame, labels)


def client_labels(language: str) -> Labels:
    """The labels a client's section of the index is written in."""
    from cxresearch.present.labels import LANGUAGES, get_labels

    return get_labels(language if language in LANGUAGES else "en")


def headline_html(params: Params, frame: Any, labels: Labels | None = None) -> str:
    """A client's headline on the index (:func:`headline_metrics` worded), as HTML.

    Computed when the client is validated, so that a batch need not keep every client's
    data until the index is written.
    """
    from cxresearch.present.format import format_estimate, format_number, metric_decimals

    labels = labels if labels is not None else client_labels(params.language)
    try:
        found = headline_metrics(params, frame)
    except (CxError, KeyError, ValueError) as exc:
        reason = reader_message(exc, names=params.privacy.names, limit=300)
        return f"<p>{_e(_w(labels, 'not_available', reason=reason))}</p>"
    items = []
    for item in found:
        estimate, change = item["estimate"], item["change"]
        text = format_estimate(estimate, labels, min_base=params.report.min_base)
        if change is not None:
            digits = metric_decimals(estimate.metric)
            mark = ""
            if change["significant"]:
                mark = " ▼" if change["difference"] < 0 else " ▲"
            diff = format_number(change["difference"], labels, decimals=digits, signed=True)
            text += " · " + _w(
                labels, "change", diff=diff, mark=mark, previous=params.waves.previous[0]
            )
        name = labels.metric(item["metric"], short=True)
        items.append(f"<li><b>{_e(name)}</b> {_e(text)}</li>")
    run = params.run(headline_run(params))
    who = run.title or (labels.plain("run_all") if run.name == "all" else run.name)
    lead = _w(labels, "headline", wave=params.waves.current, run=who)
    return f'<p>{_e(lead)}</p>\n<ul class="cx-headline">\n' + "\n".join(items) + "\n</ul>"


def _link(href: str, text: str) -> str:
    return f'<a href="{_e(href)}">{_e(text)}</a>'


def _report_rows(
    client: str, manifest: dict[str, Any], output: Path, labels: Labels, params: Params | None
) -> list[str]:
    from cxresearch.analyses import ANALYSES

    runs = {r.name: r for r in params.runs} if params is not None else {}
    rows = []
    for entry in manifest.get("reports", []):
        run, analysis = str(entry.get("run", "")), str(entry.get("analysis", ""))
        base = f"{quote(client)}/{quote(run)}/{quote(analysis)}"
        links = []
        kinds = ((".html", "HTML"), (".pdf", "PDF"), (".ipynb", _w(labels, "notebook")))
        for suffix, label in kinds:
            if (output / client / run / f"{analysis}{suffix}").is_file():
                links.append(_link(base + suffix, label))
        if entry.get("status") == "ok":
            status = f'<span class="cx-status-ok">✓ {_e(_w(labels, "ok"))}</span>'
        else:
            error = entry.get("error") or {}
            detail = ""
            if error:
                cell = error.get("cell_index")
                where = _w(labels, "cell", cell=cell) + ": " if cell is not None else ""
                detail = f" — {where}{error.get('ename', '')}: {error.get('evalue', '')}"
            failed = _w(labels, "failed")
            status = f'<span class="cx-status-failed">✗ {_e(failed)}{_e(detail)}</span>'
            if (output / client / run / f"{analysis}.failed.ipynb").is_file():
                links.append(_link(base + ".failed.ipynb", _w(labels, "failed_notebook")))
            if links and (output / client / run / f"{analysis}.html").is_file():
                status += f' <span class="cx-muted">({_e(_w(labels, "earlier"))})</span>'
        spec = ANALYSES.get(analysis)
        name = spec.label(labels) if spec is not None else analysis
        known = runs.get(run)
        run_name = (
            known.title or (labels.plain("run_all") if run == "all" else run)
            if known is not None
            else run
        )
        rows.append(
            f"<tr><td>{_e(run_name)}</td><td>{_e(name)}</td>"
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
        labels = client_labels(language)
        parts = [
            f'<section class="cx-client" id="client-{_e(client)}" lang="{_e(labels.language)}">',
            f"<h2>{_e(title)}</h2>",
            f'<p class="cx-muted">{_e(_w(labels, "client", client=client))}</p>',
            _headline_html(check, labels) if check is not None else "",
        ]
        if check is not None and not check.ok:
            fix = _w(labels, "needs_fixing", error=check.error)
            parts.append(f'<p class="cx-status-failed">{_e(fix)}</p>')
        rows = _report_rows(client, manifest, output, labels, params)
        if rows:
            columns = ("col_run", "col_report", "col_files", "col_status")
            heads = "".join(f"<th>{_e(_w(labels, c))}</th>" for c in columns)
            parts.append(f"<table><thead><tr>{heads}</tr></thead><tbody>")
            parts.extend(rows)
            parts.append("</tbody></table>")
        parts.append("</section>")
        sections.append("\n".join(p for p in parts if p))
    broken = [c for c in checks if c.params is None and not c.ok]
    if broken:
        items = "\n".join(f"<li>{_e(c.error)}</li>" for c in broken)
        sections.append(
            "<section><h2>Params-tiedostot, joissa on virheitä · Params files with errors</h2>"
            f"\n<ul>\n{items}\n</ul>\n</section>"
        )
    empty = "<p>Ei vielä raportteja. · No reports yet.</p>"
    body = "\n".join(sections) if sections else empty
    # The page lists clients in their own languages; its own words are in both.
    return (
        '<!DOCTYPE html>\n<html lang="fi">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>Raportit · Reports</title>\n<style>\n{report_css()}</style>\n</head>\n"
        '<body class="cx-index">\n<main>\n<h1>Raportit · <span lang="en">Reports</span></h1>\n'
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def write_index(output: str | Path, *, checks: Sequence[ClientCheck], root: str | Path) -> Path:
    """Write :func:`build_index` to ``<output>/index.html`` (atomically) and return its path."""
    output = Path(output)
    path = output / INDEX_NAME
    mf.write_text_atomic(path, build_index(output, checks=checks, root=root))
    return path
