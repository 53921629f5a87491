"""Params ↔ data checks at `cxresearch validate` (exit 2, naming the key) and inspect/init."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cxresearch import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
DATA = (
    "response_id,client,wave,touchpoint,region,nps\n"
    + "".join(
        f"r{i},acme,{w},{t},north,{i % 11}\n"
        for i, (w, t) in enumerate([("2026Q2", "web"), ("2026Q3", "web"), ("2026Q3", "shop")] * 5)
    )  # fmt: skip
)


def _project(root: Path, params: str, data: str = DATA) -> Path:
    (root / "notebooks").mkdir(exist_ok=True)
    (root / "notebooks" / "benchmarking.ipynb").write_text("{}", encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "r.csv").write_text(data, encoding="utf-8")
    (root / "params").mkdir(exist_ok=True)
    path = root / "params" / "acme.yaml"
    path.write_text(
        "client: acme\ntitle: Acme\ndata: {path: data/r.csv, filter: {client: acme}}\n" + params,
        encoding="utf-8",
    )
    return path


def _validate(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.chdir(root)
    code = cli.main(["validate"])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("waves: {current: 2026Q3, previous: [2026Q1]}\n",
         "waves.previous[0]: wave '2026Q1' has no rows in the client's data"),
        ("waves: {current: 2026Q4}\n", "waves.current: wave '2026Q4' has no rows"),
        ("waves: {current: 2026Q3}\ntargets: [{metric: nps, touchpoint: webb, value: 10}]\n",
         "targets[0].touchpoint: value 'webb' does not occur in the client's data"),
        ("waves: {current: 2026Q3}\n"
         "targets: [{metric: nps, segment: {region: south}, value: 10}]\n",
         "targets[0].segment.region: value 'south' does not occur"),
        ("waves: {current: 2026Q3}\nsegments: [size]\n", "segments names column(s) ['size']"),
    ],
)  # fmt: skip
def test_params_promise_what_the_data_lacks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    params: str,
    message: str,
) -> None:
    _project(tmp_path, params)
    code, out = _validate(tmp_path, monkeypatch, capsys)
    assert code == 2
    assert message in out


def test_comment_only_file_loads_and_a_score_analysis_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(FIXTURES / "comments_only.csv", tmp_path / "comments.csv")
    path = _project(tmp_path, "waves: {current: 2026Q3}\n")
    path.write_text(
        "client: acme\ntitle: Acme\nwaves: {current: 2026Q3}\n"
        "data:\n  path: comments.csv\n  id: Vastaus\n  constants: {client: acme, wave: 2026Q3}\n"
        "  mapping: {Kommentti: comment}\n",
        encoding="utf-8",
    )
    from cxresearch.params import load_params
    from cxresearch.session import load_client_data

    frame = load_client_data(load_params(path))  # loads: no score needed to read it
    assert len(frame) == 40 and "nps" not in frame.columns
    code, out = _validate(tmp_path, monkeypatch, capsys)
    assert code == 2
    assert "report.analyses lists 'benchmarking', which needs answers to at least one of" in out


def test_validate_says_an_unmapped_weight_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = DATA.replace(",nps\n", ",nps,weight\n", 1)
    data = "\n".join(line + ",72.5" if i else line for i, line in enumerate(data.splitlines()[0:]))
    data = data.replace("nps,weight,72.5", "nps,weight") + "\n"
    _project(tmp_path, "waves: {current: 2026Q3, previous: [2026Q2]}\n", data=data)
    code, out = _validate(tmp_path, monkeypatch, capsys)
    assert code == 0, out
    assert "note: r.csv: column 'weight' is not used as the schema's 'weight'" in out


def test_inspect_prints_format_exclusions_and_proposals(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["inspect", str(FIXTURES / "qualtrics.csv")]) == 0
    out = capsys.readouterr().out
    assert "format:      qualtrics" in out and "header rows: 3" in out
    assert "excluded:    preview 2, test 1, spam 1, unfinished 3" in out
    assert "  Q1 -> nps" in out and "  Q2 -> csat" in out and "  Q7 [QID7] -> ces" in out
    assert "  ResponseId -> id" in out and "  Q4 -> comment" in out
    assert "(personal data, not shown)" in out
    assert "192.0.2." not in out  # IP addresses are not shown


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("qualtrics.csv", {"Q1": "nps", "Q2": "csat", "Q7 [QID7]": "ces", "Q4": "comment"}),
        ("surveymonkey.csv", {"Q1": "nps", "Q2": "csat", "Q5": "comment"}),
        ("kysely.sav", {"suosittelu": "nps", "tyytyv": "csat", "helppous": "ces"}),
        ("webropol_fi.csv", {"Suositteluhalukkuus (0-10)": "nps", "Kosketuspiste": "touchpoint"}),
        ("google_forms.csv", {"How likely are you to recommend the library to a friend?": "nps"}),
    ],
)
def test_init_writes_params_that_validate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    expected: dict[str, str],
) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "benchmarking.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "data").mkdir()
    shutil.copy(FIXTURES / name, tmp_path / "data" / name)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "client-a", "--data", f"data/{name}"]) == 0
    assert "wrote params/client-a.yaml" in capsys.readouterr().out
    params = yaml.safe_load((tmp_path / "params" / "client-a.yaml").read_text(encoding="utf-8"))
    assert params["data"]["path"] == f"data/{name}"
    assert expected.items() <= params["data"]["mapping"].items()
    assert cli.main(["validate"]) == 0
    # A second init does not overwrite without --force.
    assert cli.main(["init", "client-a", "--data", f"data/{name}"]) == 2


def test_a_mapped_attr_column_needs_a_declared_scale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = DATA.replace(",nps\n", ",nps,Q7\n", 1)
    data = "\n".join(
        line if i == 0 else f"{line},-1" if i == 3 else f"{line},4"
        for i, line in enumerate(data.splitlines())
    )
    path = _project(tmp_path, "waves: {current: 2026Q3}\n", data=data + "\n")
    text = path.read_text(encoding="utf-8").replace(
        "filter: {client: acme}}", "filter: {client: acme}, mapping: {Q7: attr_ease}}"
    )
    path.write_text(text, encoding="utf-8")
    code, out = _validate(tmp_path, monkeypatch, capsys)
    assert code == 2
    # The -1 is refused as a negative code before anything else.
    assert "holds negative code(s) -1 (1 row(s))" in out
    (tmp_path / "data" / "r.csv").write_text(data.replace(",-1", ",2") + "\n", encoding="utf-8")
    code, out = _validate(tmp_path, monkeypatch, capsys)
    assert code == 2
    assert "data.scales: attr_* column(s) ['attr_ease'] have no declared answer scale" in out
