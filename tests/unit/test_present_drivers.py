"""A driver report: rows per outcome (stats.drivers.rows), wording, tables and charts."""

from __future__ import annotations

import string

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from cxresearch.present import drivers as cxd
from cxresearch.present import get_labels
from cxresearch.present.driver_plots import BAR, importance_plot, ipa_plot
from cxresearch.present.escaping import rendered_text
from cxresearch.present.format import format_number
from cxresearch.present.plots import MUTED, chart_style
from cxresearch.stats.drivers import PRIORITIES, driver_importance, importance_performance
from cxresearch.stats.drivers.checks import WARNING_FIELDS, design_warnings
from cxresearch.stats.drivers.rows import SKIP_REASONS, driver_base

FI = get_labels("fi")
EN = get_labels("en")
NB = "\u00a0"
DRIVERS = ["attr_effectiveness", "attr_ease", "attr_price"]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def ratings(n: int = 400, *, seed: int = 3, wave: str = "2026Q3") -> pd.DataFrame:
    """Ratings 1–5 driving an interval outcome 0.6/0.3/0 (price has no effect)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3))
    frame = pd.DataFrame(
        {d: np.clip(np.round(3 + latent[:, j]), 1, 5) for j, d in enumerate(DRIVERS)}
    )
    frame["nps"] = np.clip(np.round(6 + 1.5 * latent @ [0.6, 0.3, 0.0] + rng.normal(size=n)), 0, 10)
    frame["wave"] = wave
    return frame


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    return driver_importance(
        ratings(), outcome="nps", drivers=DRIVERS, bootstrap=200, seed=5, noise_baseline=True
    )


# --------------------------------------------------------------------------- labels


def test_driver_section_has_the_same_templates_in_both_languages() -> None:
    fi, en = FI.texts["drivers"], EN.texts["drivers"]
    assert set(fi) == set(en)
    for key, template in fi.items():
        if isinstance(template, str):
            assert _fields(template) == _fields(en[key]), key


def test_driver_names_are_human_words() -> None:
    names = [f"attr_{a}" for a in ("effectiveness", "ease", "emotion", "speed", "reliability",
                                   "communication", "price")]  # fmt: skip
    assert [cxd.driver_label(d, FI) for d in names] == [
        "Tehokkuus", "Helppous", "Tunne", "Nopeus", "Luotettavuus", "Viestintä", "Hinta"
    ]  # fmt: skip
    assert [cxd.driver_label(d, EN) for d in names[:3]] == ["Effectiveness", "Ease", "Emotion"]
    # A client's own attribute still reads as words; the noise driver has its own name.
    assert cxd.driver_label("attr_app_login", FI) == "App login"
    assert cxd.driver_label("(noise)", FI) == "Satunnainen vertailumuuttuja"
    assert cxd.outcome_label("retained", FI) == "Asiakkuuden jatkuminen"
    assert cxd.outcome_label("clv", EN) == EN.metric("clv")  # falls back to the metric name


def test_every_priority_is_translated() -> None:
    assert [cxd.priority_label(p, FI) for p in PRIORITIES] == [
        "Korjaa ensin", "Pidä yllä", "Mahdollinen ylilyönti", "Ei kiireellinen"
    ]  # fmt: skip
    assert [cxd.priority_label(p, EN) for p in PRIORITIES] == [
        "Fix first", "Keep up", "Possible overkill", "Low priority"
    ]  # fmt: skip


@pytest.mark.parametrize("labels", [FI, EN])
def test_fixed_texts_fill_every_field(labels) -> None:
    texts = [
        rendered_text(text)
        for text in (
            cxd.intro_text(labels, outcomes=["nps", "retained"], attributes=DRIVERS),
            cxd.importance_intro(labels, confidence=0.9, bootstrap=1000),
            cxd.ipa_intro(labels, confidence=0.95, scale=(1.0, 5.0)),
            cxd.reading_text(labels, confidence=0.95, bootstrap=1000),
        )
    ]
    for text in texts:
        assert "{" not in text and "drivers." not in text, text
    assert ("1 000" if labels is FI else "1,000") in texts[1].replace(NB, " ")
    assert ("90" + (NB + "%:n" if labels is FI else "% confidence")) in texts[1]


# --------------------------------------------------------------------------- rows


def waves_frame(current_n: int) -> pd.DataFrame:
    frames = [ratings(300, seed=1, wave="2026Q1"), ratings(current_n, seed=2, wave="2026Q3")]
    return pd.concat(frames, ignore_index=True)


def test_current_wave_is_used_when_it_has_ten_responses_per_variable() -> None:
    # 3 drivers + the noise baseline = 4 variables → 40 complete responses are enough.
    base = driver_base(waves_frame(40), outcome="nps", drivers=DRIVERS, current_wave="2026Q3")
    assert not base.pooled and base.waves == ("2026Q3",) and len(base.rows) == 40
    assert base.ok and base.needed == 40 and base.n_current == 40


def test_a_small_current_wave_is_pooled_with_the_earlier_waves() -> None:
    frame = waves_frame(39)
    frame.loc[frame.index[-1], "attr_ease"] = np.nan  # 38 complete in the current wave
    base = driver_base(
        frame, outcome="nps", drivers=DRIVERS, current_wave="2026Q3", waves=["2026Q1", "2026Q3"]
    )
    assert base.pooled and base.waves == ("2026Q1", "2026Q3") and len(base.rows) == 339
    assert base.n_current == 38
    with pytest.raises(ValueError, match="pass its driver_importance result"):
        cxd.driver_summary(base, None, FI)  # analysable: a missing result is a caller's slip


def test_retention_counts_current_customers_and_its_smaller_group() -> None:
    rng = np.random.default_rng(0)
    frame = ratings(600, seed=4)
    frame["customer_type"] = np.where(np.arange(600) < 500, "current", "former")
    retained = rng.random(600) < 0.8
    frame["retained"] = pd.array(np.where(frame["customer_type"] == "current", retained, False),
                                 dtype="boolean")  # fmt: skip
    base = driver_base(frame, outcome="retained", drivers=DRIVERS, current_wave="2026Q3")
    assert base.population == "current" and base.n_excluded == 100 and len(base.rows) == 500
    assert base.binary
    not_retained = int((~frame["retained"][:500]).sum())
    assert base.n_current == min(not_retained, 500 - not_retained)
    assert base.method("shapley", bootstrap=1000) == "relative-weights"
    assert base.method("shapley", bootstrap=0) == "shapley"
    nps = driver_base(frame, outcome="nps", drivers=DRIVERS, current_wave="2026Q3")
    assert nps.population is None and not nps.binary
    assert nps.method("shapley", bootstrap=1000) == "shapley"


def test_outcomes_that_cannot_be_analysed_say_why() -> None:
    frame = ratings(60)
    frame["retained"] = True
    frame["flat"] = 3.0
    one_group = driver_base(frame, outcome="retained", drivers=DRIVERS, current_wave="2026Q3")
    assert one_group.skip == "skip_one_group"
    assert "kaikki vastaukset kuuluvat samaan tulosryhmään" in cxd.driver_summary(
        one_group, None, FI
    )
    constant = driver_base(frame, outcome="nps", drivers=[*DRIVERS, "flat"], current_wave="2026Q3")
    assert constant.skip == "skip_constant"
    assert "Flat got the same rating" in cxd.driver_summary(constant, None, EN)
    few = driver_base(frame.head(5), outcome="nps", drivers=DRIVERS, current_wave="2026Q3")
    assert few.skip == "skip_too_few"
    assert "only 5 responses" in cxd.driver_summary(few, None, EN)
    rare = frame.assign(retained=np.arange(60) >= 3)  # 3 not retained: < 4 variables
    events = driver_base(rare, outcome="retained", drivers=DRIVERS, current_wave="2026Q3")
    assert events.skip == "skip_too_few_events"
    assert "vain 3 vastausta (vähintään 4 tarvitaan)" in cxd.driver_summary(events, None, FI)
    empty = driver_base(
        frame.assign(nps=np.nan), outcome="nps", drivers=DRIVERS, current_wave="2026Q3"
    )
    assert empty.skip == "skip_no_answers"


def test_every_skip_reason_is_worded() -> None:
    # driver_base returns codes; driver_summary looks their sentence up by the same name.
    for labels in (FI, EN):
        for code in SKIP_REASONS:
            assert "drivers." not in cxd.driver_text(labels, code), code


def test_bad_arguments_name_the_problem() -> None:
    with pytest.raises(ValueError, match="attr_nope"):
        driver_base(ratings(), outcome="nps", drivers=["attr_nope"], current_wave="2026Q3")
    base = driver_base(ratings(), outcome="nps", drivers=DRIVERS, current_wave="2026Q3")
    with pytest.raises(ValueError, match="'lasso'"):
        base.method("lasso")


# --------------------------------------------------------------------------- sentences


def test_summary_states_base_dropped_rows_fit_and_method(result: pd.DataFrame) -> None:
    frame = ratings()
    frame.loc[[0, 1, 2], "attr_price"] = np.nan
    base = driver_base(frame, outcome="nps", drivers=DRIVERS, current_wave="2026Q3")
    got = driver_importance(frame, outcome="nps", drivers=DRIVERS, seed=1, noise_baseline=True)
    r2 = got.attrs["r2"]
    fi = cxd.driver_summary(base, got, FI)
    assert "kierroksen 2026Q3 vastauksiin (400 vastausta)" in fi
    assert "Vastauksista 3 jätettiin pois" in fi and "jäljelle jäi 397" in fi
    assert f"R² = {r2:.2f}".replace(".", ",") in fi
    assert f"{100 * r2:.0f}{NB}% vastausten vaihtelusta" in fi
    assert "Shapleyn arvoilla" in fi and "0–10 sellaisenaan" in fi  # NPS as a score
    en = cxd.driver_summary(base, got, EN)
    assert "Left out because the outcome or at least one rating was missing" in en
    assert ": 3; 397 remain" in en and "The 3 ratings together explain" in en


def test_binary_summary_names_logistic_regression_and_its_fit() -> None:
    frame = ratings(500, seed=8)
    frame["retained"] = (frame["attr_effectiveness"] + np.random.default_rng(1).normal(size=500)
                         > 3.5)  # fmt: skip
    base = driver_base(frame, outcome="retained", drivers=DRIVERS, current_wave="2026Q3")
    got = driver_importance(
        frame,
        outcome="retained",
        drivers=DRIVERS,
        method=base.method("shapley", bootstrap=50),
        bootstrap=50,
        seed=1,
        noise_baseline=True,
    )
    text = rendered_text(cxd.driver_summary(base, got, EN))
    assert "logistic regression" in text and "relative weights (Tonidandel & LeBreton 2010)" in text
    assert "(R²_O = " in text and "0–10" not in text


def test_design_warnings_are_reworded_with_the_results_numbers() -> None:
    rng = np.random.default_rng(2)
    n = 35  # below 10 per variable for 3 drivers + noise
    x = rng.normal(size=n)
    frame = pd.DataFrame({"a": x, "b": x + rng.normal(scale=0.05, size=n), "c": rng.normal(size=n)})
    frame["y"] = frame["a"] + rng.normal(size=n)
    got = driver_importance(
        frame, outcome="y", drivers=["a", "b", "c"], seed=1, noise_baseline=True
    )
    assert len(got.attrs["warnings"]) == 4  # low n, condition, VIF, no bootstrap
    fi = cxd.warning_sentences(got, FI)
    assert fi[0].startswith("Vastauksia on 35 ja muuttujia 4, eli alle 10 vastausta")
    condition = f"{got.attrs['condition_number']:.1f}".replace(".", ",")
    assert f"ehtoluku {condition}, yli 30" in fi[1]
    vif = {d: f"{v:.1f}".replace(".", ",") for d, v in got.attrs["vif"].items()}
    assert f"yli 10: A {vif['a']}, B {vif['b']}" in fi[2] or f"B {vif['b']}, A {vif['a']}" in fi[2]
    assert "Ilman uudelleenotantaa" in fi[3]
    note = cxd.warnings_note(got, EN)
    assert note.startswith("**Note.**\n\n- With 35 responses for 4 variables")


@pytest.mark.parametrize("labels", [FI, EN], ids=["fi", "en"])
def test_every_warning_code_has_wording_in_both_languages(labels) -> None:
    templates = labels.texts["drivers"]["warnings"]
    assert set(templates) == set(WARNING_FIELDS)
    for code, fields in WARNING_FIELDS.items():
        # A template may leave a number out, but must not ask for one the code lacks.
        assert _fields(templates[code]) <= set(fields), code
        assert _fields(templates[code]) == _fields(EN.texts["drivers"]["warnings"][code]), code


def _all_codes() -> list[dict[str, object]]:
    coded = design_warnings(
        n=19, drivers=["a", "b"], condition=40.0, vif={"a": 12.04, "b": 1.0}, binary_events=5
    )
    return [
        *coded,
        {"code": "bootstrap_failed", "failed": 3, "bootstrap": 100},
        {"code": "not_converged", "count": 7},
        {"code": "fallback_sampled", "p": 30, "max_exact": 24, "n_permutations": 2000},
        {"code": "noise_without_bootstrap"},
    ]


def test_every_code_is_worded_from_its_numbers_not_its_english_text() -> None:
    coded = _all_codes()
    assert {c["code"] for c in coded} == set(WARNING_FIELDS)  # every code once
    fake = pd.DataFrame({"driver": ["a", "b"], "is_noise": [False, False]})
    # The English sentences are not read: rewording them must not change the report.
    fake.attrs.update(warnings=["reworded"] * len(coded), warning_codes=coded)
    fi = [rendered_text(t) for t in cxd.warning_sentences(fake, FI)]
    assert len(fi) == len(coded) == 8
    assert fi[0].startswith("Vastauksia on 19 ja muuttujia 2, eli alle 10 vastausta")
    assert "(ehtoluku 40,0, yli 30)" in fi[1]
    assert "yli 10: A 12,0)" in fi[2]
    assert fi[3].startswith("Pienemmässä tulosryhmässä on vain 5 vastausta (suositus vähintään 20")
    assert fi[4].startswith("3/100 uudelleenotoksesta")
    assert fi[5].startswith("7 mallin sovitus")
    assert "2 000 satunnaisesta järjestyksestä" in fi[6].replace(NB, " ")
    assert fi[7].startswith("Ilman uudelleenotantaa")
    en = [rendered_text(t) for t in cxd.warning_sentences(fake, EN)]
    assert en[0].startswith("With 19 responses for 2 variables (fewer than 10 per variable)")
    assert "(variance inflation factor above 10: A 12.0)" in en[2]
    assert "estimated from 2,000 random orderings" in en[6]
    assert not any("{" in t for t in fi + en)  # every field filled


def test_unknown_codes_and_results_without_codes_show_the_english_text() -> None:
    fake = pd.DataFrame({"driver": ["a"], "is_noise": [False]})
    fake.attrs.update(
        warnings=["n = 5 is below ...", "something new & <unexpected>"],
        warning_codes=[
            {"code": "low_n_per_driver", "n": 5, "p": 1, "per_driver": 10, "needed": 10},
            {"code": "brand_new", "x": 1},
        ],
    )
    got = cxd.warning_sentences(fake, EN)
    assert got[0].startswith("With 5 responses for 1 variables")
    assert got[1] == "something new &amp; &lt;unexpected&gt;"  # shown, escaped
    del fake.attrs["warning_codes"]
    assert cxd.warning_sentences(fake, EN)[1] == "something new &amp; &lt;unexpected&gt;"


# --------------------------------------------------------------------------- tables


def test_importance_table_shows_percent_shares_with_intervals(result: pd.DataFrame) -> None:
    fi = cxd.importance_table(result, FI)
    en = cxd.importance_table(result, EN)
    assert list(fi.frame.columns) == [
        "Sija", "Osa-alue", f"Osuus selitetystä vaihtelusta (95{NB}% lv)", "Erottuu satunnaisesta"
    ]  # fmt: skip
    assert en.frame.columns[2] == "Share of explained variation (95% CI)"
    # Rows keep the result's order; the noise row has no rank and no verdict.
    names = [cxd.driver_label(d, FI) for d in result["driver"]]
    assert list(fi.frame["Osa-alue"]) == names
    noise_at = int(np.flatnonzero(result["is_noise"])[0])
    assert fi.frame["Sija"].iloc[noise_at] == "–"
    assert [r for r in fi.frame["Sija"] if r != "–"] == ["1", "2", "3"]
    top = result.iloc[0]
    share, lo, hi = (round(100 * top[c]) for c in ("share", "share_ci_low", "share_ci_high"))
    assert fi.frame.iloc[0, 2] == f"{share}{NB}% ({lo}–{hi})"
    assert en.frame.iloc[0, 2] == f"{share}% ({lo}–{hi})"
    verdicts = [
        "–" if noise else ("kyllä" if above else "ei")
        for noise, above in zip(result["is_noise"], result["above_noise"], strict=True)
    ]
    assert list(fi.frame["Erottuu satunnaisesta"]) == verdicts
    grey = result["is_noise"] | ~result["above_noise"].astype(bool)
    assert list(fi.muted) == grey.tolist()
    assert "nollan yläpuolella" in fi.notes[0]


def test_priority_table_shows_a_priority_only_where_the_data_can_place_the_driver(
    result: pd.DataFrame,
) -> None:
    ipa = importance_performance(ratings(), outcome="nps", drivers=DRIVERS, importance=result)
    fi = cxd.priority_table(ipa, result, FI)
    order = {"clear": 0, "uncertain": 1, "untested": 2, "noise": 3}
    expected = ipa.iloc[np.argsort(ipa["status"].map(order).to_numpy(), kind="stable")]
    for row, (_, source) in zip(fi.frame.to_dict("records"), expected.iterrows(), strict=True):
        label = cxd.priority_label(source["priority"], FI)
        if source["status"] == "clear":
            assert row["Prioriteetti"] == label
        elif source["status"] == "uncertain":
            assert row["Prioriteetti"] == f"Epävarma (lähin: {label.lower()})"
        else:
            assert row["Prioriteetti"] == "Ei erotu satunnaisesta"
        assert row["Osa-alue"] == cxd.driver_label(source["driver"], FI)
        mean = format_number(source["performance"], FI, decimals=2)
        assert row[f"Keskiarvo 1–5 (95{NB}% lv)"].startswith(f"{mean} (")
    assert list(fi.muted) == [s in ("noise", "untested") for s in expected["status"]]
    # The note states the cut lines, two decimals for the rating.
    assert (
        f"arvioiden keskiarvo {ipa.attrs['performance_cut']:.2f}".replace(".", ",") in fi.notes[0]
    )
    # The fixture has a driver that does not stand out: it never gets a priority.
    noise = ipa[~ipa["driver"].isin(result.loc[result["above_noise"], "driver"])]
    assert len(noise) and set(noise["status"]) == {"noise"} and set(noise["label"]) == {"noise"}


def test_without_a_noise_baseline_no_priority_is_clear(result: pd.DataFrame) -> None:
    plain = result[~result["is_noise"]].drop(columns=["above_noise"])
    ipa = importance_performance(ratings(), outcome="nps", drivers=DRIVERS, importance=plain)
    assert set(ipa["status"]) == {"untested"}
    table = cxd.priority_table(ipa, plain, EN).frame
    assert table["Priority"].str.startswith("Cannot be judged").all()


# --------------------------------------------------------------------------- charts


def test_charts_leave_the_global_style_alone(result: pd.DataFrame) -> None:
    before = dict(mpl.rcParams)
    with chart_style():
        assert mpl.rcParams["axes.titleweight"] == "bold"
    importance_plot(result, EN)
    assert dict(mpl.rcParams) == before


def test_importance_plot_has_a_bar_per_driver_and_the_noise_band(result: pd.DataFrame) -> None:
    fig = importance_plot(result, EN)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_gid() == "importance"]
    drivers = result[~result["is_noise"]]
    assert len(bars) == len(drivers) == 3
    # Largest share on top (highest y), bar length = share in percent.
    ordered = sorted(bars, key=lambda b: -b.get_y())
    np.testing.assert_allclose([b.get_width() for b in ordered], 100 * drivers["share"], rtol=1e-12)
    colours = [to_hex(b.get_facecolor()) for b in ordered]
    assert colours == [BAR if a else MUTED for a in drivers["above_noise"]]
    assert MUTED in colours  # the fixture has a driver that does not beat the noise
    # Not told apart by colour alone: the bars that do not beat the noise are hatched.
    assert [bool(b.get_hatch()) for b in ordered] == [not a for a in drivers["above_noise"]]
    (band,) = [p for p in ax.patches if p.get_gid() == "noise"]
    noise = result[result["is_noise"]].iloc[0]
    x0, x1 = band.get_path().get_extents(band.get_patch_transform()).intervalx
    if not isinstance(band, Rectangle):  # axvspan's type changed across matplotlib versions
        x0, x1 = band.get_xy()[:, 0].min(), band.get_xy()[:, 0].max()
    assert (x0, x1) == pytest.approx((100 * noise["share_ci_low"], 100 * noise["share_ci_high"]))
    ticks = sorted(zip(ax.get_yticks(), ax.get_yticklabels(), strict=True), key=lambda t: -t[0])
    assert [t.get_text() for _, t in ticks] == [cxd.driver_label(d, EN) for d in drivers["driver"]]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Random baseline (95% CI)", "Not distinguishable from the random baseline"]


def test_importance_plot_without_bootstrap_draws_the_noise_as_a_line() -> None:
    point = driver_importance(ratings(), outcome="nps", drivers=DRIVERS, noise_baseline=True)
    ax = importance_plot(point, FI, title="Otsikko").axes[0]
    assert [p.get_gid() for p in ax.patches].count("importance") == 3
    (line,) = [ln for ln in ax.lines if ln.get_gid() == "noise"]
    share = 100 * point.loc[point["is_noise"], "share"].iloc[0]
    assert line.get_xdata()[0] == pytest.approx(share)
    assert ax.get_title() == "Otsikko"
    assert not ax.containers[1:]  # bars only: no error bars without intervals


def test_ipa_plot_points_cut_lines_and_quadrants(result: pd.DataFrame) -> None:
    ipa = importance_performance(ratings(), outcome="nps", drivers=DRIVERS, importance=result)
    fig = ipa_plot(ipa, result, FI)
    ax = fig.axes[0]
    points = [ln for ln in ax.lines if ln.get_gid() == "driver"]
    assert len(points) == 3
    by_x = {float(p.get_xdata()[0]): float(p.get_ydata()[0]) for p in points}
    shares = result.set_index("driver")["share"]
    for row in ipa.itertuples():
        assert by_x[row.performance] == pytest.approx(100 * shares[row.driver])
    cuts = [ln for ln in ax.lines if ln.get_gid() == "cut"]
    vertical = [c for c in cuts if c.get_xdata()[0] == c.get_xdata()[1]]
    horizontal = [c for c in cuts if c.get_ydata()[0] == c.get_ydata()[1]]
    assert vertical[0].get_xdata()[0] == pytest.approx(ipa["performance"].mean())
    # The importance cut (mean importance) on the share axis = the drivers' mean share.
    mean_share = 100 * result.loc[~result["is_noise"], "share"].mean()
    assert horizontal[0].get_ydata()[0] == pytest.approx(mean_share, rel=1e-12)
    quadrants = [t.get_text() for t in ax.texts if t.get_gid() == "quadrant"]
    assert quadrants == [cxd.priority_label(p, FI) for p in PRIORITIES]
    names = [t for t in ax.texts if t.get_gid() == "driver-label"]
    assert sorted(t.get_text().removesuffix(" (?)") for t in names) == sorted(
        cxd.driver_label(d, FI) for d in DRIVERS
    )
    boxes = [t.get_window_extent() for t in names]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert (
        isinstance(points[0], Line2D)
        and ax.get_xlabel() == "Onnistuminen: arvioiden keskiarvo (1–5) (akseli katkaistu)"
    )
