"""Security findings of issue 12 that need no browser and no real batch (docs/security.md).

Each test names the finding it covers (F1-F8 in docs/security.md). The Chromium DOM test is
tests/notebooks/test_injection_dom.py; the signal tests are tests/notebooks/test_stop_signals.py.
"""

from __future__ import annotations

import http.server
import json
import os
import tempfile
import threading
import time
import typing
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest

from cxresearch.errors import ParamsError, excerpt, reader_message
from cxresearch.params import MAX_PARAMS_NODES, Params, load_params
from cxresearch.paths import is_project_file
from cxresearch.report import manifest as mf
from cxresearch.report.cancel import Cancellation, remove_stale_files
from cxresearch.report.execute import ExecutionFailure
from cxresearch.report.index import build_index
from cxresearch.report.render import CONTENT_SECURITY_POLICY, render_pdf
from cxresearch.report.runner import ClientCheck, validate_client

EMAIL, PHONE, HETU = "matti.virtanen@example.fi", "040 123 4567", "131052-308T"


def project(root: Path, params: str, data: str | None = None) -> Path:
    """A project folder with params/acme.yaml and data/responses.csv; returns the params."""
    (root / "params").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "notebooks").mkdir(exist_ok=True)
    (root / "notebooks" / "benchmarking.ipynb").write_text("{}", encoding="utf-8")
    if data is None:
        rows = [f"a{i},acme,2026Q3,{i % 11}" for i in range(40)]
        data = "response_id,client,wave,nps\n" + "\n".join(rows) + "\n"
    (root / "data" / "responses.csv").write_text(data, encoding="utf-8")
    path = root / "params" / "acme.yaml"
    path.write_text(params, encoding="utf-8")
    return path


BASE = "client: acme\ntitle: Acme\nwaves: {current: 2026Q3}\n"
DATA = "data: {path: data/responses.csv, filter: {client: acme}}\n"


# --------------------------------------------------------------------------- F7: params bounds


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("report: {min_base: true}", "report.min_base"),
        ("report: {min_base: 1e9}", "report.min_base"),  # PyYAML: a string, not 10**9
        ("report: {confidence: true}", "report.confidence"),
        ("targets: [{metric: nps, value: false}]", "targets.0.value"),
        ("benchmarks: [{name: n, metric: nps, value: 30, n: true}]", "benchmarks.0.n"),
    ],
)
def test_booleans_and_strings_are_not_numbers(tmp_path: Path, extra: str, key: str) -> None:
    path = project(tmp_path, BASE + DATA + extra + "\n")
    with pytest.raises(ParamsError, match=key.replace(".", r"\.")):
        load_params(path)


def test_ints_still_read_as_floats(tmp_path: Path) -> None:
    path = project(
        tmp_path, BASE + DATA + "report: {confidence: 0.9}\ntargets: [{metric: nps, value: 40}]\n"
    )
    assert load_params(path).targets[0].value == 40.0


def test_yaml_alias_bomb_is_refused_with_a_short_message(tmp_path: Path) -> None:
    # 9 levels of 9 aliases: 9**9 (387 million) strings when expanded. Before the fix the
    # error message echoed the expanded input: 52 MB for a 322-byte file.
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    text = BASE + DATA + "\n".join(levels) + "\nsegments: *a9\n"
    path = project(tmp_path, text)
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    assert f"more than {MAX_PARAMS_NODES:,} values" in str(caught.value)
    assert len(str(caught.value)) < 500


def test_huge_bad_value_is_quoted_short(tmp_path: Path) -> None:
    path = project(tmp_path, BASE + DATA + "segments: " + "x" * 200_000 + "\n")
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    assert "segments" in str(caught.value) and len(str(caught.value)) < 400


def test_many_errors_are_listed_up_to_a_limit(tmp_path: Path) -> None:
    runs = ", ".join(f"{{name: 'Bad Name {i}'}}" for i in range(500))
    path = project(tmp_path, BASE + DATA + f"runs: [{runs}]\n")
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    assert "… and 480 more problems" in str(caught.value)
    assert str(caught.value).count("\n") < 30


def test_oversized_params_file_is_refused(tmp_path: Path) -> None:
    path = project(tmp_path, BASE + DATA + "#" + "x" * 1_100_000 + "\n")
    with pytest.raises(ParamsError, match="params files are small"):
        load_params(path)


# --------------------------------------------------------------------------- F3: paths


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the project holding a secret on its first line."""
    secret = tmp_path / "elsewhere" / "secrets.csv"
    secret.parent.mkdir()
    secret.write_text("FAKE_API_KEY=sk-0123456789abcdefghijklmnopqrstuvwxyz\n", encoding="utf-8")
    return secret


def _data_path_error(params: Path) -> str:
    with pytest.raises(ParamsError) as caught:
        load_params(params)
    return str(caught.value)


def test_absolute_data_path_outside_the_project_is_refused(tmp_path: Path, outside: Path) -> None:
    params = project(tmp_path / "p", BASE + f"data: {{path: {outside}}}\n")
    message = _data_path_error(params)
    assert "data.path" in message and "outside the project folder" in message
    assert "FAKE_API_KEY" not in message


def test_dotdot_data_path_is_refused(tmp_path: Path, outside: Path) -> None:
    params = project(tmp_path / "p", BASE + "data: {path: ../elsewhere/secrets.csv}\n")
    assert "data.path" in _data_path_error(params)


def test_symlink_inside_the_project_to_a_file_outside_is_refused(
    tmp_path: Path, outside: Path
) -> None:
    params = project(tmp_path / "p", BASE + "data: {path: data/link.csv}\n")
    (tmp_path / "p" / "data" / "link.csv").symlink_to(outside)
    assert "data.path" in _data_path_error(params)


def test_data_root_names_an_allowed_folder(
    tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = project(tmp_path / "p", BASE + f"data: {{path: {outside}}}\n")
    assert load_params(params, data_root=outside.parent).data_path == outside
    monkeypatch.setenv("CXRESEARCH_DATA_ROOT", str(outside.parent))
    assert load_params(params).data_path == outside


def test_codebook_path_is_confined_too(tmp_path: Path) -> None:
    params = project(tmp_path, BASE + DATA + "coding: {codebook: /etc/passwd}\n")
    assert "coding.codebook" in _data_path_error(params)


def _fields(model: type[pydantic.BaseModel], prefix: str = "") -> Iterator[tuple[str, typing.Any]]:
    for name, info in model.model_fields.items():
        yield prefix + name, info
        for arg in [info.annotation, *typing.get_args(info.annotation)]:
            for inner in [arg, *typing.get_args(arg)]:
                if isinstance(inner, type) and issubclass(inner, pydantic.BaseModel):
                    yield from _fields(inner, f"{prefix}{name}.")


def test_every_params_key_that_names_a_file_is_a_project_file() -> None:
    # A key added later that names a file (path, file, folder, codebook...) must be typed
    # ProjectFile, or it would escape the confinement above.
    file_like = ("path", "file", "folder", "codebook", "dir")
    named = [
        (key, info) for key, info in _fields(Params) if key.rsplit(".", 1)[-1].endswith(file_like)
    ]
    assert {k for k, _ in named} >= {"data.path", "coding.codebook"}
    unconfined = [k for k, info in named if not is_project_file(info.metadata, info.annotation)]
    assert unconfined == []


def test_a_file_that_is_not_an_export_is_quoted_short_and_masked(tmp_path: Path) -> None:
    # Inside the project, but not an export: the error names the mapping key and quotes at
    # most a short excerpt of what it found (before: the whole first line, key and all).
    data = f"FAKE_API_KEY=sk-0123456789abcdefghijklmnopqrstuvwxyz,{EMAIL}\n1,2\n"
    params = project(
        tmp_path, BASE + "data: {path: data/responses.csv, mapping: {NPS: nps}}\n", data
    )
    check = validate_client(params, root=tmp_path)
    assert check.error is not None and "columns found" in check.error
    assert "sk-0123456789abcdefghijklmnopqrstuvwxyz" not in check.error
    assert EMAIL not in check.error and "[email]" in check.error


# --------------------------------------------------------------------------- F5: one client


MIXED = "response_id,client,wave,nps\n" + "\n".join(
    f"{c}{i},{c},2026Q3,{i % 11}" for c in ("acme", "beta", "gamma") for i in range(40)
)


def test_multi_client_data_without_filter_fails_validate(tmp_path: Path) -> None:
    params = project(tmp_path, BASE + "data: {path: data/responses.csv}\n", MIXED)
    check = validate_client(params, root=tmp_path)
    assert check.error is not None
    assert "other clients' rows" in check.error and "'beta': 40 rows" in check.error
    assert "data.filter" in check.error and "data.clients" in check.error


def test_filter_or_explicit_clients_make_it_valid(tmp_path: Path) -> None:
    params = project(tmp_path, BASE + DATA, MIXED)
    assert validate_client(params, root=tmp_path).ok
    params.write_text(BASE + "data: {path: data/responses.csv, clients: any}\n", encoding="utf-8")
    assert validate_client(params, root=tmp_path).ok
    params.write_text(
        BASE + "data: {path: data/responses.csv, filter: {client: [acme, beta]}, "
        "clients: [acme, beta]}\n",
        encoding="utf-8",
    )
    assert validate_client(params, root=tmp_path).ok


def test_open_run_refuses_mixed_clients_too(tmp_path: Path) -> None:
    from cxresearch.session import open_run

    params = project(tmp_path, BASE + "data: {path: data/responses.csv}\n", MIXED)
    with pytest.raises(ParamsError, match="other clients' rows"):
        open_run(params)


# --------------------------------------------------------------------------- F7: min_base


def test_min_base_larger_than_the_data_is_refused(tmp_path: Path) -> None:
    params = project(tmp_path, BASE + DATA + "report: {min_base: 1000000000}\n")
    check = validate_client(params, root=tmp_path)
    assert check.error is not None and "report.min_base" in check.error
    assert "larger than the client's data (40 rows)" in check.error


# --------------------------------------------------------------------------- F4: masking


BAD_ROWS = (
    "response_id,client,wave,nps,comment\n"
    f"r1,acme,2026Q3,{EMAIL},ok\n"
    f'r2,acme,2026Q3,eleven,"Soita {PHONE}, hetu {HETU}, Anna"\n'
)


def test_bad_row_values_are_masked_in_validate_errors(tmp_path: Path) -> None:
    params = project(tmp_path, BASE + DATA + "privacy: {names: [Anna]}\n", BAD_ROWS)
    check = validate_client(params, root=tmp_path)
    assert check.error is not None and "[email]" in check.error
    assert EMAIL not in check.error


def test_summary_and_index_mask_personal_data(tmp_path: Path) -> None:
    from cxresearch.report.runner import run_reports

    project(tmp_path, BASE + DATA, BAD_ROWS)
    lines: list[str] = []

    class Capture:
        def write(self, text: str) -> int:
            lines.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    result = run_reports(root=tmp_path, stream=Capture())  # type: ignore[arg-type]
    assert result.exit_code == 2
    printed = "".join(lines)
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    for text in (printed, index):
        assert "[email]" in text and EMAIL not in text


def test_notebook_failure_messages_are_masked_and_bounded() -> None:
    failure = ExecutionFailure(
        3, f"s = open_run('{EMAIL}')", "KeyError", f"'{PHONE}' {HETU} Anna " + "x" * 5000
    )
    masked = failure.masked(names=("Anna",))
    text = json.dumps(masked.as_dict())
    for raw in (EMAIL, PHONE, HETU, "Anna "):
        assert raw not in text
    assert "[phone]" in masked.evalue and "[id code]" in masked.evalue and "[name]" in masked.evalue
    assert len(masked.evalue) <= 1000 and masked.cell_index == 3


def test_index_masks_errors_of_checks(tmp_path: Path) -> None:
    check = ClientCheck(
        path=tmp_path / "params" / "x.yaml", error=reader_message(f"row 1: {EMAIL}")
    )
    page = build_index(tmp_path / "reports", checks=[check], root=tmp_path)
    assert EMAIL not in page and "[email]" in page


def test_reader_message_and_excerpt_bound_length() -> None:
    assert len(reader_message("x" * 100_000)) == 2000
    assert excerpt("a" * 100, 10) == "a" * 9 + "…"
    assert reader_message(f"call {PHONE}\nrow 2") == "call [phone]\nrow 2"


# --------------------------------------------------------------------------- F2: PDF offline


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()


def test_pdf_fetches_nothing_and_attaches_nothing(
    tmp_path: Path, web_server: tuple[str, list[str]]
) -> None:
    url, requests = web_server
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    page = (
        "<html><head>"
        f'<link rel="stylesheet" href="{url}/style.css">'
        f'<link rel="attachment" href="{secret.as_uri()}">'
        f"<style>@import url({url}/import.css); body {{ background: url({url}/bg.png) }}</style>"
        "</head><body><p>report</p>"
        f'<img src="{url}/pixel.png"><a rel="attachment" href="{secret.as_uri()}">a</a>'
        f'<img src="{secret.as_uri()}">'
        "</body></html>"
    )
    with pytest.raises(Exception, match="reports print offline") as caught:
        render_pdf(page, base_url=tmp_path / "report")
    assert type(caught.value).__name__ == "ReportError"
    assert requests == []  # no request reached the server


def test_pdf_with_inline_data_prints(tmp_path: Path) -> None:
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
        "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    pdf = render_pdf(f'<html><body><p>ok</p><img src="{pixel}"></body></html>')
    assert pdf.startswith(b"%PDF") and b"/EmbeddedFile" not in pdf


def test_pdf_reads_files_inside_the_report_folder_only(tmp_path: Path) -> None:
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "extra.css").write_text("p { color: blue }", encoding="utf-8")
    pdf = render_pdf('<html><head><link rel="stylesheet" href="extra.css"></head><p>x</p></html>',
                     base_url=folder)  # fmt: skip
    assert pdf.startswith(b"%PDF")


def test_report_pages_forbid_scripts_and_requests() -> None:
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY  # falls back to 'none'
    assert "img-src data:" in CONTENT_SECURITY_POLICY


# --------------------------------------------------------------------------- F6: clean-up


def test_stale_temporaries_of_dead_processes_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its own temporary folder: the shared one may hold other dead processes' kernel files.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    out = tmp_path / "reports" / "acme" / "all"
    out.mkdir(parents=True)
    dead = 2**22 + 12345  # above Linux's default pid_max: no such process
    stale = out / f".benchmarking.{dead}-abc123.tmp.ipynb"
    alive = out / f".benchmarking.{os.getpid()}-def456.tmp.ipynb"
    old_style = out / ".drivers.k2j3h4.tmp.html"  # from before pids were in the name
    fresh_old_style = out / ".drivers.zzz111.tmp.html"
    for path in (stale, alive, old_style, fresh_old_style):
        path.write_text("client output", encoding="utf-8")
    hour_ago = time.time() - 3600
    os.utime(old_style, (hour_ago, hour_ago))
    kernel_file = tmp_path / "tmp" / f"cxresearch-{dead}-0123abcd4567-ipc-1"
    kernel_file.write_text("", encoding="utf-8")
    removed = remove_stale_files(tmp_path / "reports")
    assert set(removed) == {stale, old_style, kernel_file}
    assert alive.exists() and fresh_old_style.exists()


def test_temporaries_carry_the_pid_and_are_tracked(tmp_path: Path) -> None:
    with mf.temporary_beside(tmp_path / "x.html") as tmp:
        assert f".x.{os.getpid()}-" in tmp.name
        mf.remove_live_temporaries()
        assert not tmp.exists()


def test_cancellation_calls_subscribers_once_and_late_ones_at_once() -> None:
    stop = Cancellation()
    calls: list[bool] = []
    remove = stop.on_request(calls.append)
    stop.request("SIGINT")
    stop.request("SIGINT")  # a second soft request does not call again
    stop.request("SIGINT", hard=True)  # a hard one does
    assert calls == [False, True] and stop.reason == "SIGINT"
    remove()
    stop.request("x", hard=True)
    assert calls == [False, True]
    late: list[bool] = []
    stop.on_request(late.append)
    assert late == [False]


# --------------------------------------------------------------------------- F7: records


@pytest.mark.parametrize(
    "notebook",
    sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb")),
    ids=lambda p: p.stem,
)
def test_executed_notebook_names_no_other_client(notebook: Path) -> None:
    # The parameters cell's default (a demo client, for JupyterLab) and the researcher's
    # notes must not put one client's name into every other client's executed notebook.
    import nbformat

    from cxresearch.params import load_params
    from cxresearch.report.execute import _stabilise

    root = notebook.parents[1]
    clients = {load_params(p).client for p in (root / "params").glob("*.yaml")}
    nb = nbformat.read(notebook, as_version=4)
    out = _stabilise(nb, root / "reports" / "someone" / "all" / notebook.name, root)
    text = nbformat.writes(out)
    assert [c for c in clients if c in text] == []
    assert out.metadata["papermill"]["output_path"] == f"reports/someone/all/{notebook.name}"


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_provenance_is_of_the_bytes_analysed(tmp_path: Path) -> None:
    from cxresearch.report.manifest import provenance
    from cxresearch.session import open_run

    params = project(tmp_path, BASE + DATA)
    data = tmp_path / "data" / "responses.csv"
    analysed = _sha(data)
    session = open_run(params)
    with data.open("a", encoding="utf-8") as f:
        f.write("late1,acme,2026Q3,10\n")  # the file changes after the notebook read it
    assert provenance(session)["data_sha256"] == analysed != _sha(data)


def test_manifest_records_the_bytes_the_notebook_read(tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from cxresearch.report.runner import run_reports

    project(tmp_path, BASE + DATA)
    data = tmp_path / "data" / "responses.csv"
    validated = _sha(data)
    # The data changes between validation and the notebook's read (another process, a
    # sync tool): the manifest must name what the report analysed.
    nb = new_notebook(
        cells=[
            new_code_cell('params_path = ""\nrun = "all"', metadata={"tags": ["parameters"]}),
            new_code_cell(
                "from pathlib import Path\n"
                "with Path('data/responses.csv').open('a') as f:\n"
                "    f.write('late1,acme,2026Q3,10\\n')\n"
                "from cxresearch.session import open_run\n"
                "s = open_run(params_path, run)"
            ),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "notebooks" / "benchmarking.ipynb")
    result = run_reports(root=tmp_path, stream=open(os.devnull, "w"))  # noqa: SIM115
    assert result.exit_code == 0, [o.failure for o in result.outcomes]
    analysed = _sha(data)
    assert analysed != validated
    manifest = json.loads((tmp_path / "reports" / "acme" / "manifest.json").read_text())
    assert manifest["data"]["sha256"] == analysed
    assert manifest["reports"][0]["data_sha256"] == analysed


def test_chart_labels_from_data_are_not_mathtext() -> None:
    # "$\frac$" as a touchpoint name used to stop the chart with a mathtext parse error.
    import pandas as pd

    from cxresearch.present import get_labels
    from cxresearch.present.plots import breakdown_plot
    from cxresearch.stats.metrics import metric_by

    frame = pd.DataFrame({"touchpoint": ["$\\frac$"] * 40 + ["web"] * 40, "nps": [9, 3] * 40})
    figure = breakdown_plot(metric_by(frame, "nps", by="touchpoint"), get_labels("en"))
    assert figure._repr_png_()[0].startswith(b"\x89PNG")


def test_pdf_reads_the_pinned_fonts_but_no_other_file_beside_them() -> None:
    from cxresearch.report.pdf_fonts import font_files

    font = next(iter(font_files().values()))
    neighbour = next(p for p in sorted(font.parent.iterdir()) if p not in font_files().values())
    # The fonts themselves are how every report prints (pdf_fonts.font_css).
    assert render_pdf(f'<html><body><img src="{font.as_uri()}"><p>x</p></body></html>')
    with pytest.raises(Exception, match="reports print offline"):
        render_pdf(f'<html><body><img src="{neighbour.as_uri()}"><p>x</p></body></html>')
