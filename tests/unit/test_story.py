"""Findings and recommendations: selection, the rules' verdicts, wording in both languages."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest

from cxresearch.present import get_labels
from cxresearch.present.escaping import rendered_text
from cxresearch.results import Estimate
from cxresearch.story import (
    Action,
    Finding,
    build_story,
    finding_text,
    findings_section,
    recommendations_table,
    rules,
)
from cxresearch.story.driver_rules import driver_findings
from cxresearch.story.fields import Interval, Name, Number, PValue, Text
from cxresearch.story.model import FILLER_WEIGHT

FI, EN = get_labels("fi"), get_labels("en")


def _text(finding: Finding, labels: object) -> str:
    """What the reader sees, with non-breaking spaces as plain spaces."""
    return rendered_text(finding_text(finding, labels)).replace("\u00a0", " ")  # type: ignore[arg-type]


def _finding(kind: str, weight: float, **kw: object) -> Finding:
    return Finding(kind, {}, "neutral", weight, False, **kw)  # type: ignore[arg-type]


def test_story_shows_at_most_six_strong_findings_and_fillers_only_to_reach_three() -> None:
    strong = [_finding(f"s{i}", 90 - i) for i in range(8)]
    fillers = [_finding("f1", FILLER_WEIGHT - 1), _finding("f2", FILLER_WEIGHT - 2)]
    story = build_story(strong + fillers)
    assert [f.kind for f in story.findings] == [f"s{i}" for i in range(6)]
    story = build_story([strong[0], *fillers])
    assert [f.kind for f in story.findings] == ["s0", "f1", "f2"]
    story = build_story([strong[0], strong[1], strong[2], *fillers])
    assert [f.kind for f in story.findings] == ["s0", "s1", "s2"]


def test_actions_with_the_same_topic_merge_into_one_recommendation() -> None:
    fix = Action(
        "improve_touchpoint",
        {"touchpoint": Name("value:touchpoint", "delivery")},
        "medium",
        "touchpoint=delivery",
    )
    urgent = Action(
        "improve_touchpoint",
        {"touchpoint": Name("value:touchpoint", "delivery")},
        "high",
        "touchpoint=delivery",
    )
    other = Action("win_back", {}, "low", "customer_type=former")
    story = build_story(
        [
            _finding("a", 90, actions=(fix,)),
            _finding("b", 80, actions=(other,)),
            _finding("c", 70, actions=(urgent,)),
        ]
    )
    first, second = story.recommendations
    assert (first.action, first.priority, first.findings) == ("improve_touchpoint", "high", (1, 3))
    assert (second.action, second.priority, second.findings) == ("win_back", "low", (2,))
    table = recommendations_table(story, FI).frame
    assert table.columns.tolist() == ["Prioriteetti", "Suositus", "Havainto"]
    assert table.iloc[0].tolist()[0] == "Korkea" and table.iloc[0].tolist()[2] == "1, 3"
    assert "toimitus" in table.iloc[0].tolist()[1]


def test_a_finding_needs_a_known_tone_and_an_action_a_known_priority() -> None:
    with pytest.raises(ValueError, match="tone"):
        Finding("x", {}, "bad", 1, False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="priority"):
        Action("x", {}, "urgent")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- change rule


def _estimate(value: float = 26.0) -> Estimate:
    return Estimate(value, value - 6, value + 6, 610, 0.95, "adjusted-wald", "nps", 610.0)


def _family(rows: list[dict[str, object]]) -> pd.DataFrame:
    base = dict(
        test="two-sample z test, adjusted Wald (Rocks 2016)", estimate_b=20.0, adjust="bh",
        interval_level=0.95, confidence=0.95,
    )  # fmt: skip
    return pd.DataFrame([{**base, **r} for r in rows])


def test_a_non_significant_change_is_worded_as_such() -> None:
    changes = _family(
        [
            dict(key="nps", role="primary", difference=2.1, ci_low=-6.1, ci_high=10.3,
                 pvalue=0.61, pvalue_adjusted=0.61, significant=False),
            dict(key="csat", role="secondary", difference=-20.4, ci_low=-40.7, ci_high=1.4,
                 pvalue=0.036, pvalue_adjusted=0.073, significant=False, confidence=0.975),
        ]
    )  # fmt: skip
    est = {"nps": _estimate(), "csat": Estimate(43, 31, 56, 56, 0.95, "wilson", "csat_top2")}
    found = rules.change_findings(est, changes, current="2026Q3", previous="2026Q2")
    assert [f.kind for f in found] == ["change_none", "change_none"]
    assert not any(f.significant for f in found)
    primary, secondary = found
    assert primary.weight > secondary.weight and secondary.weight < FILLER_WEIGHT
    for labels, words in (
        (FI, "ei ole tilastollisesti merkitsevä"),
        (EN, "not statistically significant"),
    ):
        text = _text(secondary, labels)
        assert words in text
        assert "laski" not in text and "fell" not in text
    # The secondary's p-value is said to be adjusted, with the adjusted value.
    assert "adjusted p = 0.073" in _text(secondary, EN)
    assert "97.5% CI −41 – 1" in _text(secondary, EN)


def test_a_significant_fall_of_the_primary_metric_leads_with_a_high_priority_action() -> None:
    changes = _family(
        [dict(key="nps", role="primary", difference=-10.0, ci_low=-19.0, ci_high=-0.9,
              pvalue=0.031, pvalue_adjusted=0.031, significant=True, estimate_b=38.7)]
    )  # fmt: skip
    (found,) = rules.change_findings(
        {"nps": _estimate(28.7)}, changes, current="2026Q3", previous="2026Q2"
    )
    assert found.kind == "change_down" and found.significant and found.tone == "negative"
    assert found.weight == max(rules.WEIGHTS.values())
    assert found.actions[0].priority == "high"
    text = _text(found, EN)
    assert text.startswith("NPS fell.")
    assert "fell by 10 points from 2026Q2 to 2026Q3: 39 → 29" in text
    assert "95% CI −19 – −1; z test, p = 0.031" in text
    fi = _text(found, FI)
    assert "laski kierroksesta 2026Q2 kierrokseen 2026Q3 10 pistettä" in fi


def test_a_suppressed_metric_and_a_missing_previous_wave() -> None:
    changes = _family([dict(key="nps", role="primary", difference=np.nan, ci_low=np.nan,
                            ci_high=np.nan, pvalue=np.nan, pvalue_adjusted=np.nan,
                            significant=False)])  # fmt: skip
    assert (
        rules.change_findings(
            {"nps": _estimate()}, changes, current="Q3", previous="Q2", hidden=frozenset({"nps"})
        )
        == []
    )
    (level,) = rules.change_findings({"nps": _estimate()}, changes, current="Q3", previous=None)
    assert level.kind == "level"
    assert "no earlier wave" in _text(level, EN)


# --------------------------------------------------------------------------- targets, groups


def _targets(statuses: list[str]) -> pd.DataFrame:
    rows = []
    for i, status in enumerate(statuses):
        gap = {"not_met": -17.0 - i, "met": 20.0 + i, "inconclusive": 3.0}.get(status, np.nan)
        rows.append(
            dict(label=f"target {i}", metric="nps", touchpoint="delivery" if i == 0 else "web",
                 target=35.0, value=35.0 + gap, difference=gap, diff_ci_low=gap - 12,
                 diff_ci_high=gap + 12, interval_level=0.977, status=status, adjust="bh",
                 test="one-sample t test, adjusted Wald (Rocks 2016)")
        )  # fmt: skip
    return pd.DataFrame(rows)


def test_targets_missed_met_and_inconclusive() -> None:
    missed, met = rules.target_findings(_targets(["not_met", "met", "inconclusive", "suppressed"]))
    assert (missed.kind, missed.tone, met.kind) == ("targets_missed", "negative", "targets_met")
    assert [a.topic for a in missed.actions] == ["touchpoint=delivery"]
    assert _text(missed, EN).startswith("1 of 3 targets missed.")
    (none,) = rules.target_findings(_targets(["inconclusive", "suppressed"]))
    assert none.kind == "targets_inconclusive" and not none.significant
    assert rules.target_findings(_targets(["suppressed", "no_data"])) == []
    # Five missed: three listed, "2 more".
    many = rules.target_findings(_targets(["not_met"] * 5))[0]
    assert "and 2 more" in _text(many, EN)


def _tests(rows: list[tuple[str, str, float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(column=c, group=g, difference=d, ci_low=d - 15, ci_high=d + 15, confidence=0.99,
                 pvalue=0.001 if s else 0.4, pvalue_adjusted=0.003 if s else 0.6, significant=s,
                 tested=True, estimate_a=20 + d, n_a=150, n_b=400,
                 test="two-sample z test, adjusted Wald (Rocks 2016)")
            for c, g, d, s in rows
        ]
    )  # fmt: skip


def test_weak_groups_are_findings_only_when_significant() -> None:
    tests = _tests(
        [
            ("touchpoint", "delivery", -25.0, True),
            ("touchpoint", "support", -20.0, False),
            ("touchpoint", "pickup-point", 29.0, True),
            ("customer_type", "former", -49.0, True),
        ]
    )
    found = rules.group_findings(tests, metric="nps")
    kinds = [(f.kind, f.actions[0].topic) for f in found]
    assert kinds == [
        ("weak_group", "touchpoint=delivery"),
        ("weak_group", "customer_type=former"),
        ("strong_group", "touchpoint=pickup-point"),
    ]
    assert found[1].actions[0].kind == "win_back"
    assert "Kosketuspiste toimitus: NPS −5" in _text(found[0], FI)
    # No significant touchpoint: a neutral finding naming the lowest, said to be chance.
    calm = rules.group_findings(_tests([("touchpoint", "onboarding", -18.0, False)]), metric="nps")
    assert [f.kind for f in calm] == ["no_group_difference"]
    assert "which may be chance" in _text(calm[0], EN)
    untested = _tests([("touchpoint", "web", 1.0, False)]).assign(tested=False)
    assert [f.kind for f in rules.group_findings(untested, metric="nps")] == ["groups_too_small"]


# --------------------------------------------------------------------------- drivers


def _importance(above: dict[str, bool]) -> pd.DataFrame:
    shares = np.linspace(0.4, 0.1, len(above))
    rows = [
        dict(driver=d, importance=s, share=s, share_ci_low=s - 0.05, share_ci_high=s + 0.05,
             above_noise=a, is_noise=False)
        for (d, a), s in zip(above.items(), shares, strict=True)
    ]  # fmt: skip
    rows.append(dict(driver="(noise)", importance=0.0, share=0.0, share_ci_low=0.0,
                     share_ci_high=0.01, above_noise=False, is_noise=True))  # fmt: skip
    out = pd.DataFrame(rows)
    out.attrs.update(confidence=0.95, outcome="retained")
    return out


def _ipa(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    out = pd.DataFrame(
        [
            dict(driver=d, priority=p, status=st, importance=0.2, share=0.2, performance=3.3,
                 performance_ci_low=3.2, performance_ci_high=3.4, importance_ci_low=0.1,
                 importance_ci_high=0.3)
            for d, p, st in rows
        ]
    )  # fmt: skip
    out.attrs.update(performance_cut=3.45, importance_cut=0.25)
    return out


class _Base:
    outcome = "retained"
    skip = None
    skip_fields: dict[str, object] = {}


def test_fix_first_only_for_a_clear_driver_never_for_noise_or_uncertain() -> None:
    importance = _importance({"attr_price": True, "attr_ease": True, "attr_speed": False})
    ipa = _ipa(
        [
            ("attr_price", "fix first", "clear"),
            ("attr_ease", "fix first", "uncertain"),
            ("attr_speed", "fix first", "noise"),
        ]
    )
    found = driver_findings({"retained": _Base()}, {"retained": importance}, {"retained": ipa})  # type: ignore[dict-item]
    fixes = [f for f in found if f.kind == "fix_first"]
    assert [f.actions[0].topic for f in fixes] == ["driver=attr_price"]
    top = next(f for f in found if f.kind.startswith("drivers_top"))
    assert top.kind == "drivers_top_noise"  # speed does not stand out
    assert "1 of the 3 areas cannot be told apart" in _text(top, EN)
    # Nothing clear: "no clear fix-first area", and a low-priority action only.
    ipa2 = _ipa([("attr_price", "fix first", "uncertain"), ("attr_ease", "keep up", "noise"),
                 ("attr_speed", "fix first", "noise")])  # fmt: skip
    found2 = driver_findings({"retained": _Base()}, {"retained": importance}, {"retained": ipa2})  # type: ignore[dict-item]
    assert "fix_first" not in [f.kind for f in found2]
    unclear = next(f for f in found2 if f.kind == "no_clear_priority")
    assert [a.priority for a in unclear.actions] == ["low"]


def test_every_area_in_the_noise_gives_no_priority_at_all() -> None:
    importance = _importance({"attr_price": False, "attr_ease": False})
    ipa = _ipa([("attr_price", "fix first", "noise"), ("attr_ease", "keep up", "noise")])
    found = driver_findings({"retained": _Base()}, {"retained": importance}, {"retained": ipa})  # type: ignore[dict-item]
    assert [f.kind for f in found] == ["drivers_none"]


# --------------------------------------------------------------------------- wording


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("section", ["findings", "actions", "parts", "priorities", "words"])
def test_every_story_text_exists_in_both_languages_with_the_same_fields(section: str) -> None:
    fi, en = FI.texts["story"][section], EN.texts["story"][section]
    assert set(fi) == set(en)
    for key in fi:
        for part in ("title", "text") if section == "findings" else (None,):
            a = fi[key][part] if part else fi[key]
            b = en[key][part] if part else en[key]
            assert _fields(a) == _fields(b), (section, key, part)


def test_every_finding_kind_a_rule_can_make_has_its_words() -> None:
    import ast
    from pathlib import Path

    made = set()
    for name in ("rules", "driver_rules"):
        tree = ast.parse(Path(f"cxresearch/story/{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding":
                first = node.args[0]
                for sub in ast.walk(first):  # a literal, or the literals of a conditional
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        made.add(sub.value)
    made |= {"change_down", "change_up", "change_none", "norm_below", "norm_above", "norm_none"}
    made -= {"change_"}
    assert made <= set(FI.texts["story"]["findings"]), made - set(FI.texts["story"]["findings"])
    assert {"weak_group", "fix_first", "drivers_top", "targets_missed"} <= made


def test_findings_section_escapes_values_from_params() -> None:
    hostile = Finding(
        "targets_inconclusive",
        {
            "total": Number(3),
            "test": Text("<img src=x onerror=alert(1)>"),
            "method": Name("multiplicity", "bh"),
        },
        "neutral",
        50,
        False,
    )
    page = findings_section(build_story([hostile]), EN)
    assert "<img" not in page and "&lt;img" in page
    assert page.startswith("## Key findings")


def test_fields_word_numbers_in_each_language() -> None:
    assert Interval(-19.04, -0.88, "nps", 0.975).plain(FI) == "97,5\u00a0% lv −19 – −1"
    assert PValue(0.0731, adjusted=True).plain(EN) == "adjusted p\u00a0=\u00a00.073"
    assert Number(3.2345, decimals=2).plain(FI) == "3,23"
    assert Name("driver", "attr_price").plain(FI) == "hinta"
    with pytest.raises(ValueError, match="unknown name kind"):
        Name("nope", "x").plain(FI)
