"""Presentation layer: labels (fi/en), number formatting, tables and charts."""

from __future__ import annotations

import math
import string

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cxresearch.data.schema import CUSTOMER_TYPES, JOURNEY_STAGES
from cxresearch.present import (
    base_status,
    benchmark_plot,
    benchmark_table,
    breakdown_plot,
    breakdown_table,
    change_sentence,
    escape,
    estimate_sentence,
    estimate_table,
    format_ci_label,
    format_comparison,
    format_estimate,
    format_interval,
    format_number,
    format_percent,
    format_pvalue,
    get_labels,
    headline_table,
    target_plot,
    target_table,
    trend_plot,
)
from cxresearch.present.escaping import rendered_text
from cxresearch.results import Comparison, Estimate
from cxresearch.stats.inference import compare_waves
from cxresearch.stats.metrics import metric_by

FI = get_labels("fi")
EN = get_labels("en")
NB = "\u00a0"  # non-breaking space: Finnish thousands separator and before "%"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _keys(node: object, prefix: str = "") -> set[str]:
    if not isinstance(node, dict):
        return {prefix}
    return set().union(*(_keys(v, f"{prefix}.{k}") for k, v in node.items())) if node else set()


# --------------------------------------------------------------------------- labels


def test_both_languages_have_the_same_keys() -> None:
    # English test names are the statistics layer's own, so its "tests" section is empty.
    fi = {k for k in _keys(dict(FI.texts)) if not k.startswith(".tests.")}
    en = {k for k in _keys(dict(EN.texts)) if not k.startswith(".tests.")}
    assert fi == en


def test_templates_take_the_same_fields_in_both_languages() -> None:
    for key, template in FI.texts["text"].items():
        assert _fields(template) == _fields(EN.texts["text"][key]), key


def test_finnish_metric_names_use_the_house_vocabulary() -> None:
    assert FI.metric("nps") == "Suositteluindeksi (NPS)"
    assert FI.metric("csat") == "Tyytyväisyys (CSAT, % 4–5)"
    assert FI.metric("ces") == "Asioinnin helppous (CES, % 5–7)"
    # metric_by and the Estimate call them csat_top2 / ces_easy: same labels.
    assert FI.metric("csat_top2") == FI.metric("csat")
    assert EN.metric("ces_easy") == EN.metric("ces") == "Ease of doing business (CES, % 5–7)"
    assert FI.column("touchpoint") == "Kosketuspiste"
    assert FI.column("journey_stage") == "Asiakaspolun vaihe"


def test_every_customer_type_and_journey_stage_is_translated() -> None:
    assert [FI.value("customer_type", t) for t in CUSTOMER_TYPES] == [
        "nykyinen asiakas",
        "entinen asiakas",
        "ei-asiakas",
    ]
    assert [FI.value("journey_stage", s) for s in JOURNEY_STAGES] == [
        "tietoisuus",
        "harkinta",
        "osto",
        "käyttö",
        "uusiminen",
    ]
    for labels in (FI, EN):
        for value in CUSTOMER_TYPES:
            assert labels.value("customer_type", value) != value or labels is EN
        assert all(labels.value("journey_stage", s) for s in JOURNEY_STAGES)


def test_unknown_keys_fall_back_to_the_raw_key() -> None:
    assert FI.value("touchpoint", "chatbot") == "chatbot"
    assert FI.value("touchpoint", "www.kotiposti.fi") == "www.kotiposti.fi"  # dots are no path
    assert FI.value("no_such_column", 3) == "3"
    assert FI.column("attr_speed") == "attr_speed"
    assert FI.metric("attr_speed") == "attr_speed"
    assert FI.text("no_such_sentence") == "no_such_sentence"
    assert FI.get("a.b.c") == "a.b.c"
    assert FI.test("some new test") == "some new test"


def test_test_names_are_translated_long_and_short() -> None:
    name = "two-sample z test, adjusted Wald (Rocks 2016)"
    assert FI.test(name) == "kahden otoksen z-testi, korjattu Wald-väli (Rocks 2016)"
    assert FI.test(name, short=True) == "z-testi"
    assert EN.test(name) == "two-sample z test, adjusted Wald interval (Rocks 2016)"
    assert EN.test(name, short=True) == "z test"
    assert FI.effect_size("Cohen's h") == "Cohenin h"


def test_a_template_field_left_out_stays_visible_instead_of_crashing() -> None:
    assert "{n_current}" in FI.text("base_sentence", n_kept="1")


def test_no_line_can_end_between_a_number_and_its_percent_sign() -> None:
    # "Luottamusvälit 99 %:n tasolla" wrapped before "%:n" in a table note on A4.
    note = FI.fill("journey.targets_note", level="99", m="10", method="Holm")
    assert "99\u00a0%:n" in note and "99 %" not in note
    assert "95\u00a0%" in FI.plain("narrow_note", flag="‡")
    # Only after a number or a field: "(CSAT, % 4–5)" keeps its ordinary space.
    assert FI.metric("csat_top2") == "Tyytyväisyys (CSAT, % 4–5)"


def test_unsupported_language_is_named() -> None:
    with pytest.raises(ValueError, match=r"language must be one of \('fi', 'en'\), got 'sv'"):
        get_labels("sv")


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "decimals", "fi", "en"),
    [
        (1234.5, 0, f"1{NB}235", "1,235"),  # half away from zero, not to even
        (1234.5, 1, f"1{NB}234,5", "1,234.5"),
        (2.5, 0, "3", "3"),
        (-2.5, 0, "−3", "−3"),
        (0.125, 2, "0,13", "0.13"),  # 0.125 is 0.12499... in binary; printed tables say .13
        (-0.4, 0, "0", "0"),  # no "−0"
        (1234567.0, 0, f"1{NB}234{NB}567", "1,234,567"),
        (float("nan"), 0, "–", "–"),
        (None, 1, "–", "–"),
    ],
)
def test_format_number(value: float | None, decimals: int, fi: str, en: str) -> None:
    assert format_number(value, FI, decimals=decimals) == fi
    assert format_number(value, EN, decimals=decimals) == en


def test_format_number_signs_and_bad_arguments() -> None:
    assert format_number(5.2, FI, signed=True) == "+5"
    assert format_number(-5.2, FI, signed=True) == "−5"
    assert format_number(0.2, FI, signed=True) == "0"
    with pytest.raises(ValueError, match="decimals must be a non-negative integer, got -1"):
        format_number(1.0, FI, decimals=-1)
    with pytest.raises(ValueError, match="value must be finite"):
        format_number(math.inf, FI)


def test_percent_and_confidence_labels() -> None:
    assert format_percent(41.6, FI) == f"42{NB}%"
    assert format_percent(41.6, EN) == "42%"
    assert format_ci_label(0.95, FI) == f"95{NB}% lv"
    assert format_ci_label(0.95, FI, long=True) == f"95{NB}%:n luottamusväli"
    assert format_ci_label(0.95, EN) == "95% CI"
    assert format_ci_label(0.9, EN, long=True) == "90% confidence interval"
    assert format_ci_label(0.995, FI) == f"99,5{NB}% lv"


def test_intervals_and_pvalues() -> None:
    assert format_interval(36.6, 47.4, FI) == "37–47"
    assert format_interval(-12.2, 5.0, FI) == "−12 – 5"  # "−12–5" would read as a subtraction
    assert format_interval(3.14, 3.96, FI, decimals=1) == "3,1–4,0"
    assert format_interval(float("nan"), 3.0, FI) == "–"
    # A bound that excludes zero never prints as zero beside a "significant" verdict.
    assert format_interval(-31.2, -0.4, FI) == "−31 – −0,4"
    assert format_interval(-31.2, -0.04, FI) == "−31 – −0,04"
    assert format_interval(0.0, 12.4, FI) == "0–12"  # an exact zero stays "0"
    assert format_interval(-1e-9, 12.4, FI) == "0–12"  # so does rounding noise
    assert format_pvalue(0.0321, FI) == f"p{NB}={NB}0,032"
    assert format_pvalue(0.0004, FI) == f"p{NB}<{NB}0,001"
    assert format_pvalue(0.5, EN) == f"p{NB}={NB}0.500"


def _estimate(value: float = 42.4, n: int = 412, **kw: object) -> Estimate:
    fields: dict[str, object] = dict(
        value=value,
        ci_low=36.6,
        ci_high=47.2,
        n=n,
        confidence=0.95,
        method="adjusted-wald",
        metric="nps",
        n_effective=float(n),
    )
    fields.update(kw)
    return Estimate(**fields)  # type: ignore[arg-type]


def test_format_estimate_in_both_languages() -> None:
    assert format_estimate(_estimate(), FI) == f"42 (95{NB}% lv 37–47; n{NB}={NB}412)"
    assert format_estimate(_estimate(), EN) == f"42 (95% CI 37–47; n{NB}={NB}412)"
    mean = _estimate(5.46, metric="mean", ci_low=5.31, ci_high=5.61)
    assert format_estimate(mean, FI).startswith("5,5 (95")  # means keep one decimal
    weighted = _estimate(n=412, n_effective=380.4, weighted=True)
    assert f"tehollinen n{NB}={NB}380" in format_estimate(weighted, FI)


def test_format_estimate_flags_and_suppresses_small_bases() -> None:
    assert format_estimate(_estimate(n=20), FI, min_base=30).startswith("42 † (")
    assert format_estimate(_estimate(n=14), FI, min_base=30) == f"– (n{NB}={NB}14)"
    assert format_estimate(_estimate(n=14), FI).startswith("42 (")  # no rule without min_base


@pytest.mark.parametrize(
    ("n", "n_effective", "status"),
    [
        (30, float("nan"), "ok"),
        (29, float("nan"), "low"),
        (15, float("nan"), "low"),  # ceil(30 / 2) = 15 is still shown
        (14, float("nan"), "suppressed"),
        (0, float("nan"), "empty"),
        (100, 25.0, "low"),  # the effective base decides, as metric_by's low_base
        (100, 10.0, "suppressed"),
    ],
)
def test_base_status(n: int, n_effective: float, status: str) -> None:
    assert base_status(n, n_effective, min_base=30) == status


def test_base_status_custom_suppression() -> None:
    assert base_status(9, min_base=30, suppress_below=10) == "suppressed"
    assert base_status(10, min_base=30, suppress_below=10) == "low"


def test_escape_user_text() -> None:
    assert escape("<script>alert(1)</script>") == r"&lt;script&gt;alert\(1\)&lt;/script&gt;"
    assert escape("*A* & [b](c)") == r"\*A\* &amp; \[b\]\(c\)"


def _comparison(diff: float, p: float, metric: str = "nps") -> Comparison:
    return Comparison(
        metric, diff, diff - 6, diff + 6, diff / 3, p,
        "two-sample z test, adjusted Wald (Rocks 2016)", 0.12, "Cohen's d (±100 coding)", 400, 380,
    )  # fmt: skip


def test_sentences() -> None:
    assert rendered_text(estimate_sentence(_estimate(), FI)) == (
        f"Suositteluindeksi (NPS) on 42 (95{NB}% lv 37–47; n{NB}={NB}412)."
    )
    assert rendered_text(estimate_sentence(_estimate(n=10), EN, min_base=30)).startswith(
        "Net Promoter Score (NPS): too few responses"
    )
    up = rendered_text(change_sentence(_comparison(8.4, 0.004), FI, previous="2026Q2"))
    assert up.startswith("Se nousi 8 pistettä kierroksesta 2026Q2")
    assert f"z-testi, p{NB}={NB}0,004, Cohenin d = 0,12" in up
    down = rendered_text(
        change_sentence(_comparison(-8.4, 0.004, "csat_top2"), EN, previous="2026Q2")
    )
    assert down.startswith("It fell by 8 percentage points from 2026Q2")
    flat = rendered_text(change_sentence(_comparison(2.0, 0.41), FI, previous="2026Q2"))
    assert "+2 pistettä, mikä ei ole tilastollisesti merkitsevä" in flat
    assert change_sentence(None, EN, previous="x") == "There is no previous wave to compare with."
    assert format_comparison(_comparison(-2.0, 0.41), EN).startswith("−2 (95% CI −8 – 4;")


# --------------------------------------------------------------------------- tables


@pytest.fixture
def responses() -> pd.DataFrame:
    # Deterministic answers: current 60 rows, former 20 (small base), never 8 (suppressed).
    types = ["current"] * 60 + ["former"] * 20 + ["never"] * 8
    scores = [10, 9, 8, 7, 6, 3] * 10 + [10, 6, 5, 0] * 5 + [0, 1, 2, 10, 3, 4, 5, 6]
    waves = (["2026Q1", "2026Q2", "2026Q3"] * 30)[: len(types)]
    return pd.DataFrame({"customer_type": types, "nps": scores, "wave": waves})


def test_estimate_table_translates_flags_and_suppresses(responses: pd.DataFrame) -> None:
    frame = metric_by(responses, "nps", by="customer_type")
    table = estimate_table(frame, FI, min_base=30)
    cells = table.frame
    assert list(cells.columns) == [
        "Asiakastyyppi", "Tulos", f"95{NB}%:n luottamusväli", "n", "Huom."
    ]  # fmt: skip
    assert cells["Asiakastyyppi"].tolist() == ["nykyinen asiakas", "entinen asiakas", "ei-asiakas"]
    # current: 20 promoters, 20 detractors of 60 → NPS 0; former: 5 − 15 of 20 → −50.
    assert cells["Tulos"].tolist() == ["0", "−50", "–"]
    assert cells["n"].tolist() == ["60", "20", "8"]
    assert cells["Huom."].tolist() == ["", "†", "liian vähän vastauksia"]
    assert cells.iloc[2, 2] == "–"
    assert table.muted == (False, True, True)
    assert table.notes[0].startswith("† Pieni vastaajamäärä (n < 30)")
    assert table.notes[1] == "Tulos piilotettu, kun n < 15."


def test_estimate_table_overall_row_and_html(responses: pd.DataFrame) -> None:
    data = responses.assign(customer_type=responses["customer_type"].replace("never", "<b>x</b>"))
    frame = metric_by(data, "nps", by="customer_type")
    overall = Estimate(-5.0, -20.0, 10.0, 88, 0.95, "adjusted-wald", "nps", 88.0)
    table = estimate_table(frame, EN, overall=overall)
    assert table.frame.iloc[0, 0] == "All respondents"
    html = table.to_html()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert html == estimate_table(frame, EN, overall=overall).to_html()  # no random ids
    assert "<caption>† Small base (n &lt; 30): treat as indicative." in html


def test_estimate_table_shows_effective_n_only_when_weighted(responses: pd.DataFrame) -> None:
    weighted = responses.assign(w=np.where(responses.index % 2 == 0, 1.0, 3.0))
    frame = metric_by(weighted, "nps", by="customer_type", weights="w")
    assert "Effective n" in estimate_table(frame, EN).frame.columns
    assert (
        "Effective n"
        not in estimate_table(metric_by(responses, "nps", by="customer_type"), EN).frame.columns
    )


def test_estimate_table_refuses_other_frames() -> None:
    with pytest.raises(ValueError, match=r"frame lacks column\(s\) \['ci_low', 'ci_high'\]"):
        estimate_table(pd.DataFrame({"value": [1.0], "n": [3]}), FI)


def test_breakdown_table_names_the_test_and_shows_the_effect_size(
    responses: pd.DataFrame,
) -> None:
    data = responses.assign(csat=np.where(responses["nps"] >= 7, 5, 2))
    frame = pd.concat([metric_by(data, m, by="customer_type") for m in ("nps", "csat")])
    changes = compare_waves(data, "nps", waves=["2026Q2", "2026Q3"], by="customer_type")
    fi = breakdown_table(frame, FI, changes=changes, min_base=30)
    # At most six columns: group, one base column, a result per metric, the change.
    assert list(fi.frame.columns) == [
        "Asiakastyyppi", "n", f"NPS (95{NB}% lv)", f"CSAT (95{NB}% lv)", "Muutos, NPS (korj. p)"
    ]  # fmt: skip
    # current: 20 answers per wave; former (7 + 7) and never (3 + 3) are under the
    # suppression base (15), so their change and effect size stay hidden.
    current = changes.set_index("customer_type").loc["current"]
    effect = format_number(current["effect_size"], FI, decimals=2, signed=True)
    change = fi.frame["Muutos, NPS (korj. p)"].tolist()
    assert change[1:] == ["–", "–"]
    mark = " ▼" if current["significant"] else ""
    p = format_pvalue(current["pvalue_adjusted"], FI)
    assert change[0] == f"−50{mark} ({p})"  # 0 (Q2) → −50 (Q3)
    assert current["effect_size"] < -0.5  # the note shows a real effect, not a zero
    assert f"Vaikutuksen koko d: nykyinen asiakas {effect}." in fi.notes
    note = fi.notes[-1]
    assert note.startswith("Muutos: 2026Q3 − 2026Q2. Testi: kahden otoksen z-testi, korjattu")
    assert "Benjamini–Hochberg (väärien löydösten osuus)." in note
    assert "Vaikutuksen koko: d = Cohenin d, kun vastaukset on koodattu +100" in note
    # The method is said once per section: without it the table keeps its own numbers only.
    quiet = breakdown_table(frame, FI, changes=changes, min_base=30, method_note=False)
    assert quiet.notes == fi.notes[:-1]
    en = breakdown_table(frame, EN, changes=changes, min_base=30)
    assert list(en.frame.columns)[-1] == "Change, NPS (adj. p)"
    assert (
        "Test: two-sample z test, adjusted Wald interval (Rocks 2016). Effect size: d = Cohen's d"
        in (en.notes[-1])
    )
    # A change in a share is a two-proportion z test with Cohen's h.
    shares = compare_waves(data, "csat", waves=["2026Q2", "2026Q3"], by="customer_type")
    h = breakdown_table(frame, EN, changes=shares, min_base=30)
    assert list(h.frame.columns)[-1] == "Change, CSAT (adj. p)"
    h_current = shares.set_index("customer_type").loc["current", "effect_size"]
    h_effect = format_number(h_current, EN, decimals=2, signed=True)
    assert f"Effect size h: current customer {h_effect}." in h.notes
    assert "Test: two-proportion z test, Agresti–Caffo interval." in h.notes[-1]
    assert "Effect size: h = Cohen's h (difference of arcsine-transformed shares)." in h.notes[-1]


def test_breakdown_rows_follow_the_funnel_or_the_result(responses: pd.DataFrame) -> None:
    data = responses.assign(touchpoint=np.where(responses.index % 3 == 0, "web", "app"))
    frame = metric_by(data, "nps", by="touchpoint")
    table = breakdown_table(frame, EN, min_base=5).frame
    best = frame.sort_values("value", ascending=False)["touchpoint"].tolist()
    assert table["Touchpoint"].tolist() == [EN.value("touchpoint", t) for t in best]
    funnel = breakdown_table(metric_by(responses, "nps", by="customer_type"), EN).frame
    assert funnel["Customer type"].tolist()[0] == "current customer"


def test_headers_break_only_between_words() -> None:
    from cxresearch.present.tables import Table, keep_together

    assert keep_together("p-arvo") == "p\u2011arvo"
    assert keep_together("% 5–7") == "%\u00a05\u2060–\u20607"
    html = Table(pd.DataFrame({"p-arvo": ["0,1"]})).to_html()
    assert "p\u2011arvo" in html


def test_headline_table_with_changes() -> None:
    table = headline_table(
        {"nps": _estimate(), "csat": _estimate(81.2, n=20, metric="csat_top2")},
        EN,
        changes={"nps": _comparison(8.4, 0.004), "csat": None},
    )
    frame = table.frame
    assert frame.columns.tolist() == [
        "Metric", "Result (95% CI)", "n", "Change from previous (CI)", "p-value"
    ]  # fmt: skip
    assert frame["Metric"].tolist() == ["Net Promoter Score (NPS)", "Satisfaction (CSAT, % 4–5)"]
    assert frame["Change from previous (CI)"].tolist() == ["+8 (2–14) ▲", "–"]
    assert frame["p-value"].tolist() == ["0.004", "–"]
    assert frame["Result (95% CI)"].tolist()[1].split(" (")[0].endswith("†")
    assert "▲ / ▼ = statistically significant rise / fall" in table.notes[-1]


def test_headline_table_reads_the_adjusted_family() -> None:
    from cxresearch.stats.families import adjusted_family
    from cxresearch.stats.inference import compare_samples

    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 11, 400), rng.integers(0, 11, 400)
    family = adjusted_family(
        lambda level: {
            "nps": compare_samples(a, b, metric="nps", confidence=level),
            "csat": compare_samples(a % 5 + 1, b % 5 + 1, metric="csat", confidence=level),
        },
        primary="nps",
        adjust="holm",
    )
    estimates = {"nps": _estimate(), "csat": _estimate(60.0, n=400, metric="csat_top2")}
    table = headline_table(estimates, FI, changes=family)
    csat = family.set_index("key").loc["csat"]
    assert table.frame.iloc[1]["p-arvo"] == format_number(csat["pvalue_adjusted"], FI, decimals=3)
    note = table.notes[-1]
    assert "NPS on raportin päämittari" in note and "Holm" in note
    level = format_ci_label(csat["interval_level"], FI)
    assert f"vastaavalla tasolla ({level})" in note  # the secondary intervals' level


def test_target_and_benchmark_tables() -> None:
    targets = pd.DataFrame(
        [
            dict(label="support · current", metric="nps", target=40.0, value=45.2, ci_low=41.0,
                 ci_high=49.0, n=300, n_effective=300.0, difference=5.2, diff_ci_low=1.1,
                 diff_ci_high=9.3, pvalue=0.01, status="met"),
            dict(label="web", metric="csat_top2", target=80.0, value=70.0, ci_low=55.0,
                 ci_high=82.0, n=25, n_effective=25.0, difference=-10.0, diff_ci_low=-25.0,
                 diff_ci_high=2.0, pvalue=0.2, status="inconclusive"),
        ]
    )  # fmt: skip
    table = target_table(targets.assign(pvalue_adjusted=[0.02, 0.2]), FI)
    cells = table.frame
    assert len(cells.columns) == 6  # the gap is the actual's interval less the target
    assert cells["Tila (korj. p)"].tolist() == [
        f"saavutettu ▲ (p{NB}={NB}0,020)",
        f"ei varmaa eroa † (p{NB}={NB}0,200)",
    ]  # fmt: skip the status shows the adjusted p-value, which agrees with it
    assert cells["Toteuma (lv)"].tolist() == ["45 (41–49)", "70 (55–82)"]
    bench = pd.DataFrame(
        [dict(name="Norm", metric="nps", value=32.0, ci_low=np.nan, ci_high=np.nan, n=1200,
              difference=10.4, diff_ci_low=4.0, diff_ci_high=16.8, pvalue=0.0012)]
    )  # fmt: skip
    cells = benchmark_table(bench, EN).frame
    assert cells.iloc[0].tolist() == ["Norm", "NPS", "32", "1,200", "+10 (4–17)", "0.001"]


# --------------------------------------------------------------------------- charts


def _by_wave(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([metric_by(frame, "nps", by="wave"), metric_by(frame, "nps", by="wave")])


def test_trend_plot_draws_one_point_per_wave(responses: pd.DataFrame) -> None:
    frame = metric_by(responses, "nps", by="wave")
    fig = trend_plot(frame, FI, waves=["2026Q1", "2026Q2", "2026Q3"])
    (ax,) = fig.axes
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "estimate"]
    assert list(line.get_xdata()) == [0, 1, 2]
    assert np.allclose(line.get_ydata(), frame["value"].to_numpy())
    assert ax.get_title() == "NPS"
    assert ax.get_ylim() == (-100.0, 100.0)  # the whole scale: no dip looks like a cliff
    assert ax.get_xlabel() == "Mittauskierros"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026Q1", "2026Q2", "2026Q3"]
    assert len(ax.collections) == 1  # the interval band
    assert not plt.get_fignums()  # made without pyplot: nothing left open


def test_trend_plot_panels_and_missing_waves(responses: pd.DataFrame) -> None:
    data = responses.assign(csat=(responses["nps"] // 2).clip(1, 5))
    frame = pd.concat([metric_by(data, m, by="wave") for m in ("nps", "csat")])
    fig = trend_plot(frame, EN, waves=["2025Q4", "2026Q1", "2026Q2", "2026Q3"])
    assert [ax.get_title() for ax in fig.axes] == ["NPS", "CSAT"]
    assert fig.axes[1].get_ylim() == (0.0, 100.0)
    assert "CSAT: 2026Q1" in fig.alt and fig.alt.startswith("Line chart by wave")
    line = next(ln for ln in fig.axes[1].get_lines() if ln.get_gid() == "estimate")
    assert list(line.get_xdata()) == [1, 2, 3]  # 2025Q4 has no data: an empty slot
    only_csat = trend_plot(frame, EN, metric="csat")
    assert len(only_csat.axes) == 1
    with pytest.raises(ValueError, match="no rows for metric 'ces_easy'"):
        trend_plot(frame, EN, metric="ces")


def test_trend_plot_decimal_comma_on_mean_axis(responses: pd.DataFrame) -> None:
    data = responses.assign(score=responses["nps"] / 2)
    frame = metric_by(data, "mean", by="wave", column="score")
    fig = trend_plot(frame, FI)
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all("." not in t for t in ticks) and any("," in t for t in ticks)


def test_breakdown_plot_sorts_greys_and_lists_hidden_groups(responses: pd.DataFrame) -> None:
    frame = metric_by(responses, "nps", by="customer_type")
    overall = Estimate(-5.0, -20.0, 10.0, 88, 0.95, "adjusted-wald", "nps", 88.0)
    fig = breakdown_plot(frame, FI, overall=overall, targets={"current": 10.0, "former": 0.0})
    (ax,) = fig.axes
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    # bottom to top: suppressed group, then by value (former −50, current 0) best on top.
    assert ticks == [
        f"ei-asiakas (n{NB}={NB}8)", f"entinen asiakas (n{NB}={NB}20) †",
        f"nykyinen asiakas (n{NB}={NB}60)",
    ]  # fmt: skip
    points = [c for c in ax.containers]
    assert len(points) == 2  # the suppressed group has no point
    (targets,) = [ln for ln in ax.get_lines() if ln.get_gid() == "target"]
    assert list(targets.get_xdata()) == [0.0, 10.0] and list(targets.get_ydata()) == [1, 2]
    # The whole wave's line is named in the legend, where it covers no point.
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Tavoite", "Koko kierros −5"]
    assert any(t.get_text() == "liian vähän vastauksia" for t in ax.texts)
    assert ax.get_title() == "Suositteluindeksi (NPS): Asiakastyyppi"
    assert ax.get_xlim() == (-100.0, 100.0)
    assert fig.alt.startswith("Pistekaavio") and "nykyinen asiakas 0" in fig.alt


def test_breakdown_plot_refuses_mixed_metrics(responses: pd.DataFrame) -> None:
    data = responses.assign(csat=3)
    frame = pd.concat([metric_by(data, m, by="customer_type") for m in ("nps", "csat")])
    with pytest.raises(ValueError, match="several metrics"):
        breakdown_plot(frame, FI)


def test_benchmark_and_target_plots() -> None:
    norms = pd.DataFrame({"name": ["Norm A", "Norm B"], "value": [30.0, 25.0],
                          "ci_low": [26.0, np.nan], "ci_high": [34.0, np.nan]})  # fmt: skip
    fig = benchmark_plot(_estimate(), norms, EN, client_label="Northwind 2026Q3")
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Norm B", "Norm A", "Northwind 2026Q3"]
    assert len(ax.containers) == 2  # client and Norm A have intervals; Norm B is a point
    targets = pd.DataFrame(
        [dict(label="a", metric="nps", target=40.0, value=45.0, ci_low=41.0, ci_high=49.0,
              status="met"),
         dict(label="b", metric="csat_top2", target=80.0, value=70.0, ci_low=55.0, ci_high=82.0,
              status="inconclusive"),
         dict(label="c", metric="nps", target=40.0, value=np.nan, ci_low=np.nan,
              ci_high=np.nan, status="no_data")]
    )  # fmt: skip
    fig = target_plot(targets, FI)
    assert [ax.get_title() for ax in fig.axes] == [FI.metric("nps"), FI.metric("csat_top2")]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a — saavutettu"]


def test_figures_render_to_identical_png(responses: pd.DataFrame) -> None:
    frame = metric_by(responses, "nps", by="customer_type")
    first, meta = breakdown_plot(frame, EN)._repr_png_()
    assert first.startswith(b"\x89PNG") and first == breakdown_plot(frame, EN)._repr_png_()[0]
    # Shown at the A4 text width (in CSS px) and described for screen readers.
    assert meta["width"] == round(178 / 25.4 * 96) and meta["alt"].startswith("Dot chart")


def test_effect_size_names_in_three_forms() -> None:
    fi, en = get_labels("fi"), get_labels("en")
    assert fi.effect_size("Cohen's h") == "Cohenin h"
    assert en.effect_size("Cohen's h", form="short") == "h"
    assert "+100" in en.effect_size("Cohen's d (±100 coding)", form="long")
    # an effect size the labels do not know shows its own name in every form
    assert fi.effect_size("Cliff's delta", form="short") == "Cliff's delta"
    with pytest.raises(ValueError, match="form must be"):
        en.effect_size("Cohen's h", form="tiny")
