"""Quality against a reference, prevalence and NPS impact, quotes, theme suggestions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxresearch.present.labels import get_labels
from cxresearch.present.qual import quotes_markdown
from cxresearch.qual.codebook import codebook_from_mapping
from cxresearch.qual.coding import code_comments
from cxresearch.qual.impact import theme_impact, theme_prevalence
from cxresearch.qual.normalise import BaseForms
from cxresearch.qual.quality import agreement_by_code, evaluate_codes, evaluate_sentiment
from cxresearch.qual.quotes import excerpt, representative_quotes
from cxresearch.qual.suggest import suggest_themes
from cxresearch.stats.inference import compare_nps
from cxresearch.stats.metrics import nps

BOOK = {
    "name": "t",
    "codes": [
        {
            "code": "price",
            "label": {"fi": "Hinta", "en": "Price"},
            "rules": {
                "fi": {"words": ["hinta", "kallis"]},
                "en": {"words": ["price", "expensive"]},
            },
        },
        {
            "code": "service",
            "label": {"fi": "Palvelu", "en": "Service"},
            "rules": {"fi": {"words": ["palvelu", "asiakaspalvelu"]}, "en": {"words": ["service"]}},
        },
    ],
}


@pytest.fixture(scope="module")
def forms():
    return BaseForms()


@pytest.fixture(scope="module")
def book(forms):
    return codebook_from_mapping(BOOK, forms=forms)


def test_evaluate_codes_by_hand():
    predicted = pd.DataFrame({"a": [1, 1, 1, 0, 0], "b": [0, 0, 1, 1, 0]}, dtype=bool)
    reference = pd.DataFrame({"a": [1, 1, 0, 1, 0], "b": [0, 0, 1, 1, 1]}, dtype=bool)
    table = evaluate_codes(predicted, reference)
    # a: tp 2, fp 1, fn 1 -> P = R = 2/3; b: tp 2, fp 0, fn 1 -> P 1, R 2/3, F1 0.8
    assert table.loc["a", ["tp", "fp", "fn"]].tolist() == [2, 1, 1]
    assert table.loc["a", "f1"] == pytest.approx(2 / 3)
    assert table.loc["b", "f1"] == pytest.approx(0.8)
    assert table.loc["macro", "f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert table.loc["micro", "precision"] == pytest.approx(4 / 5)
    # Wilson interval of precision 2/3 on n = 3 (R: prop.test(2, 3, correct = FALSE)$conf.int
    # -> 0.2076596 0.9385081)
    assert table.loc["a", "precision_ci_low"] == pytest.approx(0.2076596, abs=1e-6)
    assert table.loc["a", "precision_ci_high"] == pytest.approx(0.9385081, abs=1e-6)
    assert (table["n"] == 5).all()
    with pytest.raises(ValueError, match="share no comments"):
        evaluate_codes(predicted, reference.set_axis(list("vwxyz")))


def test_evaluate_sentiment():
    ref = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "code": ["a"] * 4,
            "sentiment": ["positive", "negative", "negative", "positive"],
        }
    )
    pred = pd.DataFrame(
        {
            "id": [1, 2, 3, 5],
            "code": ["a"] * 4,
            "sentiment": ["positive", "negative", "neutral", "positive"],
        }
    )
    table = evaluate_sentiment(pred, ref)
    assert table["n"].iat[0] == 3 and table["accuracy"].iat[0] == pytest.approx(2 / 3)
    assert table.loc["negative", "recall"] == pytest.approx(0.5)
    assert table.loc["positive", "precision"] == 1.0


def test_agreement_needs_two_coders():
    with pytest.raises(ValueError, match="two coders"):
        agreement_by_code({"a": pd.DataFrame({"x": [True]})})


def frame_and_codes():
    rng = np.random.default_rng(4)
    n = 400
    scores = pd.Series(rng.integers(0, 11, n), index=[f"r{i}" for i in range(n)])
    commented = scores.index[:300]
    price = pd.Series(rng.random(300) < np.where(scores[commented] <= 6, 0.6, 0.1), index=commented)
    codes = pd.DataFrame({"price": price, "service": rng.random(300) < 0.3}, index=commented)
    groups = pd.DataFrame(
        {"customer_type": rng.choice(["current", "former"], n)}, index=scores.index
    )
    return scores, codes, groups


def test_prevalence_overall_and_by_group():
    _, codes, groups = frame_and_codes()
    table = theme_prevalence(codes, groups, by=["customer_type"])
    for (ctype, code), row in table.set_index(["customer_type", "code"]).iterrows():
        sub = codes[groups.loc[codes.index, "customer_type"] == ctype]
        assert row["share"] == pytest.approx(sub[code].mean())
        assert row["n"] == len(sub) and row["ci_low"] < row["share"] < row["ci_high"]
    with pytest.raises(ValueError, match="give frame"):
        theme_prevalence(codes, by=["customer_type"])


def test_impact_uses_the_package_comparison_and_decomposes():
    scores, codes, _ = frame_and_codes()
    table = theme_impact(scores, codes, bootstrap=200, seed=1)
    mention = codes.index[codes["price"]]
    others = codes.index[~codes["price"]]
    expected = compare_nps(scores[mention], scores[others])
    row = table.loc["price"]
    assert row["difference"] == pytest.approx(expected.difference)
    assert row["pvalue"] == pytest.approx(expected.pvalue)
    assert row["nps_mentioners"] == pytest.approx(nps(scores[mention]).value)
    # effect = NPS(all respondents) - NPS(respondents other than the mentioners)
    overall = nps(scores).value
    without = nps(scores.drop(mention)).value
    assert row["effect_on_nps"] == pytest.approx(overall - without)
    assert row["effect_ci_low"] < row["effect_on_nps"] < row["effect_ci_high"]
    assert row["effect_on_nps"] < 0 and row["pvalue_adjusted"] <= 2 * row["pvalue"]
    # the printed intervals agree with the adjusted verdicts, theme by theme
    level = table["interval_confidence"].iloc[0]
    assert level >= 0.95 and (table["adjust"] == "bh").all()
    for _, r in table.iterrows():
        excludes_zero = r["ci_low"] > 0 or r["ci_high"] < 0
        assert excludes_zero == (r["pvalue_adjusted"] < 0.05)
    assert row["detractor_share"] == pytest.approx((scores[mention] <= 6).mean())
    with pytest.raises(ValueError, match="have no score"):
        theme_impact(scores.iloc[:10], codes)


def test_quotes_are_masked_short_varied_and_escaped_when_shown(book, forms):
    texts = pd.Series(
        {
            "a": "Hinta on liian kallis. Soittakaa numeroon 040 123 4567.",
            "b": "Liian kallis hinta <script>alert(1)</script>",
            "c": "Hinta on liian kallis.",
            "d": "The price is too expensive.",
            "e": "Hinta on liian kallis.",
        }
    )
    coding = code_comments(texts, book, forms=forms)
    quotes = representative_quotes(texts, coding, book, "price", n=5, language="fi")
    assert "040 123 4567" not in " ".join(quotes["quote"])
    assert quotes["quote"].str.casefold().str.replace("…", "").str.strip().is_unique
    # a, c and e say the same (a cut to its sentence about price): one quote; the report
    # language first, then the English one
    assert quotes["language"].tolist() == ["fi", "fi", "en"]
    shown = quotes_markdown(quotes, get_labels("fi"))
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    with pytest.raises(ValueError, match="not in codebook"):
        representative_quotes(texts, coding, book, "nope")


def test_excerpt_marks_cuts():
    text = "Yksi. Kaksi. Kolme."
    assert excerpt(text, [0]) == "Yksi. …"
    assert excerpt(text, [0, 2]) == "Yksi. … Kolme."
    assert excerpt("Sana " * 100, [0], max_chars=20).endswith("…")


def test_suggestions_find_an_uncovered_theme(book, forms):
    parking = [
        "Parkkipaikkoja ei ollut tarpeeksi.",
        "Parkkipaikka oli täynnä taas.",
        "Pysäköinti on hankalaa, parkkipaikkoja liian vähän.",
    ]
    opening = [
        "Aukioloajat ovat liian lyhyet.",
        "Aukioloaika päättyy liian aikaisin.",
        "Toivoisin pidempiä aukioloaikoja.",
    ]
    texts = pd.Series((parking + opening) * 3 + ["Hinta on kallis."])
    coding = code_comments(texts, book, language="fi", forms=forms)
    table = suggest_themes(texts, coding, forms=forms, n_themes=2, seed=1)
    assert len(table) == 2 and table["comments"].sum() == 18
    terms = " ".join(table["terms"])
    assert "parkkipaikka" in terms and "aukioloaika" in terms
    again = suggest_themes(texts, coding, forms=forms, n_themes=2, seed=1)
    pd.testing.assert_frame_equal(table, again)
    few = code_comments(pd.Series(["Hinta"] * 3), book, language="fi", forms=forms)
    assert suggest_themes(pd.Series(["Hinta"] * 3), few, forms=forms).empty


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Soita Matti Virtaselle.", "Soita [name]."),
        ("Matti Virtasen kanssa", "[name] kanssa"),
        ("Virtasta ei näkynyt", "[name] ei näkynyt"),
        ("Virtasalo vastasi", "Virtasalo vastasi"),
    ],
)
def test_finnish_nen_names_are_masked_in_their_inflected_forms(text, masked):
    from cxresearch.qual.masking import mask_personal_data

    assert mask_personal_data(text, names=("Matti Virtanen", "Virtanen")) == masked


def test_weighted_prevalence_uses_the_package_share_estimator():
    from cxresearch.stats.metrics import top_box

    _, codes, _ = frame_and_codes()
    weights = pd.Series(np.linspace(0.5, 2.0, len(codes)), index=codes.index)
    row = theme_prevalence(codes, weights=weights).set_index("code").loc["price"]
    expected = top_box(codes["price"].astype(float), top=(1.0,), weights=weights.to_numpy())
    assert row["share"] == pytest.approx(np.average(codes["price"], weights=weights))
    assert row["ci_low"] == pytest.approx(expected.ci_low / 100)
    assert row["n_effective"] < len(codes)
    with pytest.raises(ValueError, match="no value for"):
        theme_prevalence(codes, weights=weights.iloc[:10])


def test_impact_plot_greys_few_mention_themes_as_the_table_does():
    from matplotlib.colors import to_hex

    from cxresearch.present.plots import MUTED
    from cxresearch.present.qual import impact_plot, impact_table

    book = codebook_from_mapping(BOOK)
    labels = get_labels("en")
    # Both themes' effects exclude zero; "price" has 6 mentions, under a base of 30.
    table = pd.DataFrame(
        {
            "mentions": [6, 74],
            "prevalence": [0.02, 0.29],
            "effect_on_nps": [-1.0, 3.3],
            "effect_ci_low": [-2.5, 0.1],
            "effect_ci_high": [-0.1, 6.7],
            "nps_mentioners": [-48.0, 52.0],
            "nps_others": [37.0, 28.0],
            "difference": [-85.0, 23.0],
            "ci_low": [-118.0, 1.0],
            "ci_high": [-7.0, 43.0],
            "pvalue": [0.01, 0.02],
            "pvalue_adjusted": [0.03, 0.041],
            "detractor_share": [0.48, 0.13],
            "detractor_ci_low": [0.05, 0.08],
            "detractor_ci_high": [0.94, 0.22],
            "interval_confidence": [0.969, 0.969],
            "adjust": ["bh", "bh"],
        },
        index=pd.Index(["price", "service"], name="code"),
    )

    def bars(fig):
        ax = fig.axes[0]
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        return {
            tick: (to_hex(p.get_facecolor()), p.get_hatch())
            for tick, p in zip(ticks, ax.patches, strict=True)
        }

    muted = to_hex(MUTED)
    shown = bars(impact_plot(table, book, labels, confidence=0.95, min_base=30))
    assert shown["Price† (2 %)"] == (muted, "//")
    assert shown["Service (29 %)"][0] != muted and shown["Service (29 %)"][1] is None
    # the table beside it greys the same rows
    assert impact_table(table, book, labels, confidence=0.95, min_base=30).muted == (True, False)
    # without a base every theme whose interval excludes zero keeps its colour
    plain = bars(impact_plot(table, book, labels, confidence=0.95))
    assert plain["Price (2 %)"][0] != muted and plain["Price (2 %)"][1] is None
