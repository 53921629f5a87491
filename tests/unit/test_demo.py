"""The demo data: deterministic bytes, the committed file, and its documented ground truth.

The expected values below are copied from ``data/demo/README.md``; when the generator changes
on purpose, regenerate the file and the README and update them together.
"""

from __future__ import annotations

import re
from itertools import combinations
from math import factorial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxresearch.data import demo, load_responses
from cxresearch.data.demo import (
    NPS_WEIGHTS,
    expected_nps,
    generate_demo,
    main,
    simulate_demo,
    write_demo,
)
from cxresearch.data.demo_text import PHRASES, THEME_PREVALENCE, nps_group

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "data" / "demo" / "responses.csv"
ATTRS = [f"attr_{a}" for a in demo.ATTRIBUTES]
COLUMNS = [
    "response_id", "respondent_id", "client", "wave", "submitted_at", "interaction_at",
    "customer_type", "journey_stage", "touchpoint", "channel", "region", "size",
    "nps", "csat", "ces", *ATTRS, "retained", "repurchased", "clv", "comment", "language",
    "contact_ok",
]  # fmt: skip
ROWS = {  # README "Rows"
    ("kotiposti", "2026Q1"): 580, ("kotiposti", "2026Q2"): 610, ("kotiposti", "2026Q3"): 610,
    ("northwind", "2026Q1"): 460, ("northwind", "2026Q2"): 470, ("northwind", "2026Q3"): 470,
    ("saimaa-energia", "2026Q1"): 400, ("saimaa-energia", "2026Q2"): 400,
    ("saimaa-energia", "2026Q3"): 400,
}  # fmt: skip
# README "True NPS": exact expected values, (sample design, population margins).
TRUE_NPS_WAVE = {
    ("kotiposti", "2026Q1"): (16.01, 21.46), ("kotiposti", "2026Q2"): (22.01, 27.33),
    ("kotiposti", "2026Q3"): (29.98, 35.10), ("northwind", "2026Q1"): (37.96, 42.82),
    ("northwind", "2026Q2"): (35.01, 39.97), ("northwind", "2026Q3"): (26.00, 31.23),
    ("saimaa-energia", "2026Q1"): (3.98, 9.56), ("saimaa-energia", "2026Q2"): (7.00, 12.56),
    ("saimaa-energia", "2026Q3"): (-0.01, 5.60),
}  # fmt: skip
TRUE_NPS_CLIENT = {
    "kotiposti": (22.78, 28.07),
    "northwind": (32.96, 37.97),
    "saimaa-energia": (3.66, 9.24),
}
TRUE_NPS_TYPE = {"current": 30.61, "former": -17.04, "never": 3.98}


@pytest.fixture(scope="module")
def committed() -> pd.DataFrame:
    return load_responses(COMMITTED)


def nps_and_se(scores: pd.Series) -> tuple[float, float]:
    """Sample NPS and its standard error sqrt((p + q - (p - q)^2) / n), in points."""
    s = scores.dropna().astype(int)
    p, q = (s >= 9).mean(), (s <= 6).mean()
    return 100 * (p - q), 100 * np.sqrt((p + q - (p - q) ** 2) / len(s))


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = write_demo(tmp_path / "a.csv").read_bytes()
    second = write_demo(tmp_path / "b.csv").read_bytes()
    other = write_demo(tmp_path / "c.csv", seed=1).read_bytes()
    assert first == second
    assert first != other


def test_committed_file_is_a_fresh_generation(tmp_path: Path) -> None:
    fresh = write_demo(tmp_path / "responses.csv").read_bytes()
    assert COMMITTED.read_bytes() == fresh, "regenerate with `cxresearch demo` and update README"


def test_main_writes_the_same_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--output", str(tmp_path / "x" / "demo.csv"), "--seed", "7"]) == 0
    assert "demo.csv" in capsys.readouterr().out
    expected = write_demo(tmp_path / "y.csv", seed=7).read_bytes()
    assert (tmp_path / "x" / "demo.csv").read_bytes() == expected


def test_committed_file_loads_like_generate_demo(committed: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(committed, generate_demo())
    assert list(committed.columns) == COLUMNS
    assert "weight" not in committed.columns  # raking is the analyst's job
    assert COMMITTED.stat().st_size < 2_000_000
    raw = COMMITTED.read_bytes()
    assert b"\r\n" not in raw and not raw.startswith(b"\xef\xbb\xbf")


def test_rows_clients_waves(committed: pd.DataFrame) -> None:
    counts = committed.groupby(["client", "wave"]).size().to_dict()
    assert counts == ROWS
    assert committed["response_id"].is_unique
    assert committed["nps"].notna().all()
    repeated = committed.groupby("respondent_id")["wave"].nunique()
    assert 700 < (repeated > 1).sum() < 900  # panel: 30 % of waves 2-3 answered before
    # Panel members keep their traits across waves.
    assert (
        (committed.groupby("respondent_id")[["region", "size", "customer_type"]].nunique() == 1)
        .all()
        .all()
    )


def test_expected_nps_is_the_documented_truth() -> None:
    by_wave = expected_nps().set_index(["client", "wave"])["nps"]
    by_wave_pop = expected_nps(margins="population").set_index(["client", "wave"])["nps"]
    for key, (sample, population) in TRUE_NPS_WAVE.items():
        assert by_wave[key] == pytest.approx(sample, abs=0.005)
        assert by_wave_pop[key] == pytest.approx(population, abs=0.005)
    by_client = expected_nps(by=["client"]).set_index("client")["nps"]
    by_client_pop = expected_nps(by=["client"], margins="population").set_index("client")["nps"]
    for client, (sample, population) in TRUE_NPS_CLIENT.items():
        assert by_client[client] == pytest.approx(sample, abs=0.005)
        assert by_client_pop[client] == pytest.approx(population, abs=0.005)
    by_type = expected_nps(by=["customer_type"]).set_index("customer_type")["nps"]
    for ctype, value in TRUE_NPS_TYPE.items():
        assert by_type[ctype] == pytest.approx(value, abs=0.005)
    with pytest.raises(ValueError, match=r"by: unknown key"):
        expected_nps(by=["segment"])
    with pytest.raises(ValueError, match=r"margins must be"):
        expected_nps(margins="census")


def test_expected_nps_agrees_with_a_large_simulation() -> None:
    big = simulate_demo(seed=99, scale=30, comments=False)  # 132,000 rows
    truth = expected_nps().set_index(["client", "wave"])["nps"]
    for key, group in big.groupby(["client", "wave"]):
        value, se = nps_and_se(group["nps"])
        # 1.1: panel members answer up to three waves, which inflates the iid SE a little.
        assert abs(value - truth[key]) < 4 * 1.1 * se, key
    # The expected mean 0–10 answer per client and customer type, likewise.
    mean = expected_nps(by=["client", "customer_type"]).set_index(["client", "customer_type"])
    for key, group in big.groupby(["client", "customer_type"]):
        scores = group["nps"].to_numpy(float)
        se = scores.std(ddof=1) / np.sqrt(scores.size)
        assert abs(scores.mean() - mean.loc[key, "answer"]) < 4 * 1.1 * se, key


def test_observed_nps_within_sampling_error_of_truth(committed: pd.DataFrame) -> None:
    for client, group in committed.groupby("client"):
        value, se = nps_and_se(group["nps"])
        assert abs(value - TRUE_NPS_CLIENT[client][0]) < 3 * se, client
    for key, group in committed.groupby(["client", "wave"]):
        value, se = nps_and_se(group["nps"])
        assert abs(value - TRUE_NPS_WAVE[key][0]) < 3 * se, key


def test_sample_nps_matches_r(committed: pd.DataFrame) -> None:
    # Rscript -e 'd <- read.csv("data/demo/responses.csv");
    #   print(aggregate(nps ~ client + wave, d, function(s) 100*(mean(s>=9)-mean(s<=6))), digits=6)'
    r_values = {
        ("kotiposti", "2026Q1"): 16.5517, ("northwind", "2026Q1"): 37.3913,
        ("saimaa-energia", "2026Q1"): 0.5000, ("kotiposti", "2026Q2"): 23.7705,
        ("northwind", "2026Q2"): 38.7234, ("saimaa-energia", "2026Q2"): 7.0000,
        ("kotiposti", "2026Q3"): 25.9016, ("northwind", "2026Q3"): 28.7234,
        ("saimaa-energia", "2026Q3"): 0.5000,
    }  # fmt: skip
    for key, group in committed.groupby(["client", "wave"]):
        assert nps_and_se(group["nps"])[0] == pytest.approx(r_values[key], abs=1e-4), key


def test_population_margins_differ_from_sample(committed: pd.DataFrame) -> None:
    share = committed["region"].value_counts(normalize=True)
    n = len(committed)
    for region, p in demo.SAMPLE_REGION_PROBS.items():
        assert abs(share[region] - p) < 3 * np.sqrt(p * (1 - p) / n), region
    assert sum(demo.POPULATION_REGION_PROBS.values()) == pytest.approx(1.0)
    assert share["uusimaa"] > demo.POPULATION_REGION_PROBS["uusimaa"] + 0.1
    for client, (sample, population) in TRUE_NPS_CLIENT.items():
        assert population > sample + 4, client  # raking must move NPS up by about 5 points


def test_design_rules(committed: pd.DataFrame) -> None:
    never = committed["customer_type"] == "never"
    former = committed["customer_type"] == "former"
    assert set(committed.loc[never, "journey_stage"]) == {"awareness", "consideration"}
    assert not committed.loc[~never, "journey_stage"].isin(["awareness", "consideration"]).any()
    assert committed.loc[never, ["retained", "repurchased", "clv"]].isna().all().all()
    assert committed.loc[~never, ["retained", "repurchased", "clv"]].notna().all().all()
    assert not committed.loc[former, "retained"].any()
    assert (committed.loc[~never, "clv"] > 0).all()
    shares = committed["customer_type"].value_counts(normalize=True)
    for ctype, p in demo.CUSTOMER_TYPE_PROBS.items():
        assert abs(shares[ctype] - p) < 0.03, ctype
    lag = committed["submitted_at"] - committed["interaction_at"]
    assert (lag >= pd.Timedelta(0)).all() and (lag <= pd.Timedelta(days=30)).all()
    quarter = committed["submitted_at"].dt.to_period("Q").astype(str)
    assert (quarter == committed["wave"]).all()
    assert (committed["interaction_at"].dt.to_period("Q").astype(str) == committed["wave"]).all()
    assert 0.015 < committed[ATTRS].isna().any(axis=1).mean() < 0.03
    for column in ("csat", "ces"):
        assert 0.01 < committed[column].isna().mean() < 0.03
    assert 0.35 < committed["contact_ok"].mean() < 0.45


def test_customer_types_score_lower(committed: pd.DataFrame) -> None:
    by_type = {t: nps_and_se(g["nps"]) for t, g in committed.groupby("customer_type")}
    assert by_type["former"][0] < by_type["never"][0] < by_type["current"][0]
    for ctype, (value, se) in by_type.items():
        assert abs(value - TRUE_NPS_TYPE[ctype]) < 3 * se, ctype


def test_comments_languages_and_personal_data(committed: pd.DataFrame) -> None:
    has_comment = committed["comment"].notna()
    assert 0.55 < has_comment.mean() < 0.62
    blank = committed["language"].isna()
    assert 0.04 < blank.mean() < 0.06 and has_comment[blank].all()
    language = committed.loc[has_comment & ~blank].groupby("client")["language"]
    assert language.apply(lambda s: (s == "fi").mean()).between(0.05, 0.95).all()
    assert (language.apply(lambda s: (s == "en").mean())["northwind"]) > 0.85
    comments = committed.loc[has_comment, "comment"]
    assert comments.str.contains(r"<b>", regex=False).sum() >= 5
    assert comments.str.contains("&", regex=False).sum() >= 5
    emails = comments.str.contains(r"[\w.]+@example\.(?:com|org|net)", regex=True)
    phones = comments.str.contains(r"(?:\+358 4\d|0[45]\d) \d{3} \d{4}", regex=True)
    codes = comments.str.extractall(r"(\d{6})([-+A])(\d{3})([0-9A-Y])")
    assert emails.sum() >= 5 and phones.sum() >= 5 and len(codes) >= 5
    assert 0.01 < (emails | phones | comments.str.contains(r"\d{6}[-+A]\d{3}")).mean() < 0.03
    for _, (digits, _sep, individual, check) in codes.iterrows():
        assert int(individual) >= 900  # temporary numbers: never a real person's code
        assert "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(digits + individual) % 31] == check
    finnish = comments.str.contains(r"[äö]", regex=True)
    assert finnish.sum() > 500


def test_coded_themes_match_text_and_documented_prevalence() -> None:
    rows = simulate_demo()
    commented = rows[rows["comment"].notna()]
    for text, coded, lang in (
        commented[["comment", "themes", "language"]].head(400).itertuples(index=False)
    ):
        if pd.isna(lang):
            continue
        for code in filter(None, coded.split(";")):
            theme, positive = code[:-1], code[-1] == "+"
            phrases = PHRASES[lang, theme][0 if positive else 1]
            assert any(p in text for p in phrases), (text, code)
    group = nps_group(commented["nps"].to_numpy())
    for theme, design in THEME_PREVALENCE.items():
        mentioned = commented["themes"].str.contains(theme, regex=False).to_numpy()
        for g, p in enumerate(design):
            at = group == g
            se = np.sqrt(p * (1 - p) / at.sum())
            assert abs(mentioned[at].mean() - p) < 4 * se, (theme, g)


def _shapley(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact LMG/Shapley shares of R² by brute force over all subsets (independent check)."""
    x = x - x.mean(axis=0)
    y = y - y.mean()
    p = x.shape[1]
    r2: dict[frozenset[int], float] = {frozenset(): 0.0}
    for k in range(1, p + 1):
        for subset in combinations(range(p), k):
            beta, *_ = np.linalg.lstsq(x[:, subset], y, rcond=None)
            resid = y - x[:, subset] @ beta
            r2[frozenset(subset)] = 1 - resid @ resid / (y @ y)
    out = np.zeros(p)
    for subset, value in r2.items():
        for j in set(range(p)) - subset:
            weight = factorial(len(subset)) * factorial(p - len(subset) - 1) / factorial(p)
            out[j] += weight * (r2[subset | {j}] - value)
    return out


def test_driver_order_recovered_in_each_client(committed: pd.DataFrame) -> None:
    true_order = sorted(demo.ATTRIBUTES, key=lambda a: -NPS_WEIGHTS[a])
    for client, group in committed.groupby("client"):
        complete = group.dropna(subset=ATTRS)
        shares = _shapley(complete[ATTRS].to_numpy(float), complete["nps"].to_numpy(float))
        order = [demo.ATTRIBUTES[j] for j in np.argsort(-shares)]
        assert order == true_order, client
        assert 0.84 < shares.sum() < 0.90, client  # README: sample R² 0.862-0.878


def test_retention_driven_by_reliability_and_price(committed: pd.DataFrame) -> None:
    current = committed[committed["customer_type"] == "current"].dropna(subset=ATTRS)
    z = (current[ATTRS] - current[ATTRS].mean()) / current[ATTRS].std()
    fit = sm.Logit(current["retained"].astype(float).to_numpy(), sm.add_constant(z)).fit(disp=0)
    top = fit.params.drop("const").sort_values(ascending=False).index[:2].tolist()
    assert top == ["attr_reliability", "attr_price"]


def test_simulate_demo_arguments() -> None:
    with pytest.raises(ValueError, match=r"scale must be a positive integer"):
        simulate_demo(scale=0)
    with pytest.raises(TypeError, match=r"seed must be an integer"):
        simulate_demo(seed="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"margins must be"):
        simulate_demo(margins="census")
    population = simulate_demo(seed=3, scale=5, margins="population", comments=False)
    share = population["region"].value_counts(normalize=True)["muu"]
    assert abs(share - demo.POPULATION_REGION_PROBS["muu"]) < 0.02
    assert population["comment"].isna().all()


def test_ids_are_readable() -> None:
    frame = generate_demo()
    assert re.fullmatch(r"KP-2026Q1-\d{6}", frame["response_id"].iloc[0])
    assert frame["respondent_id"].str.fullmatch(r"(KP|NW|SE)-P\d{6}").all()
