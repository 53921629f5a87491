"""A verdict can never contradict the interval printed beside it.

For every metric family and every way of comparing (one sample against a target, two
samples, weighted or not, one- or two-sided), ``pvalue < 1 − confidence`` exactly when
the interval excludes the null. Hypothesis draws the answers, weights and targets.
Points within 1e-9 of the boundary are skipped: there the two can differ by rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxresearch.stats.inference import compare_samples, compare_to_target, compare_waves
from cxresearch.stats.multiplicity import adjusted_confidence
from cxresearch.stats.registry import MeanMetric

METRICS = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "ces_mean": (1, 7), "mean": (1, 5)}


def answers(metric: str, min_size: int = 2) -> st.SearchStrategy[list[int]]:
    low, high = METRICS[metric]
    return st.lists(st.integers(low, high), min_size=min_size, max_size=60)


def weights(size: int) -> st.SearchStrategy[list[float] | None]:
    return st.one_of(st.none(), st.lists(st.floats(0.2, 5.0), min_size=size, max_size=size))


def agrees(cmp, null: float = 0.0) -> bool:  # type: ignore[no-untyped-def]
    alpha = 1.0 - cmp.confidence
    if not np.isfinite(cmp.pvalue) or abs(cmp.pvalue - alpha) < 1e-9:
        return True
    excluded = not cmp.ci_low <= null <= cmp.ci_high
    if abs(cmp.ci_low - null) < 1e-9 or abs(cmp.ci_high - null) < 1e-9:
        return True
    return (cmp.pvalue < alpha) == excluded


@settings(max_examples=150, deadline=None)
@given(
    metric=st.sampled_from(sorted(METRICS)),
    data=st.data(),
    alternative=st.sampled_from(["two-sided", "greater", "less"]),
    confidence=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_target_verdict_agrees_with_its_interval(metric, data, alternative, confidence):  # type: ignore[no-untyped-def]
    scores = data.draw(answers(metric))
    w = data.draw(weights(len(scores)))
    low, high = METRICS[metric]
    if metric in ("nps",):
        target = data.draw(st.floats(-100, 100))
    elif metric in ("csat", "ces"):
        target = data.draw(st.floats(1, 99))
    else:
        target = data.draw(st.floats(low, high))
    if metric in ("mean", "ces_mean") and len(set(scores)) < 2:
        return  # no variance: no interval
    cmp = compare_to_target(
        scores, target, metric=metric, weights=w, confidence=confidence, alternative=alternative
    )
    assert agrees(cmp)


@settings(max_examples=150, deadline=None)
@given(
    metric=st.sampled_from(sorted(METRICS)),
    data=st.data(),
    alternative=st.sampled_from(["two-sided", "greater", "less"]),
)
def test_two_sample_verdict_agrees_with_its_interval(metric, data, alternative):  # type: ignore[no-untyped-def]
    a, b = data.draw(answers(metric)), data.draw(answers(metric))
    if metric in ("mean", "ces_mean") and (len(set(a)) < 2 or len(set(b)) < 2):
        return
    wa, wb = data.draw(weights(len(a))), data.draw(weights(len(b)))
    if (wa is None) != (wb is None):
        wb = None if wa is None else [1.0] * len(b)
    cmp = compare_samples(a, b, metric=metric, weights_a=wa, weights_b=wb, alternative=alternative)
    assert agrees(cmp)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), adjust=st.sampled_from(["bh", "holm", "bonferroni"]))
def test_adjusted_table_verdicts_agree_with_the_adjusted_intervals(seed, adjust):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    n = 400
    frame = pd.DataFrame(
        {
            "wave": rng.choice(["a", "b"], n),
            "g": rng.choice(list("pqrstu"), n),
            "nps": rng.integers(0, 11, n) + (rng.random(n) < 0.2),
        }
    )
    frame["nps"] = frame["nps"].clip(0, 10)
    out = compare_waves(frame, "nps", waves=["a", "b"], by="g", adjust=adjust)
    level = adjusted_confidence(out["pvalue"], adjust, 0.95)
    assert out["interval_level"].iloc[0] == level
    for _, row in out.iterrows():
        if abs(row["pvalue_adjusted"] - 0.05) < 1e-9:
            continue
        assert row["significant"] == (not row["ci_low"] <= 0 <= row["ci_high"])


@settings(max_examples=150, deadline=None)
@given(
    metric=st.sampled_from(["mean", "ces_mean"]),
    method=st.sampled_from(["hall", "t"]),
    data=st.data(),
    alternative=st.sampled_from(["two-sided", "greater", "less"]),
    confidence=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_skew_corrected_mean_verdict_agrees_with_its_interval(  # type: ignore[no-untyped-def]
    metric, method, data, alternative, confidence
):
    # Hall's transformed t against its closed-form inverse, and Student t, on answers
    # piled up at the top of the scale (where the correction is large), weighted or not.
    high = METRICS[metric][1]
    scores = data.draw(
        st.lists(
            st.sampled_from([high, high, high, high - 1, high - 2, 1]), min_size=3, max_size=60
        )
    )
    if len(set(scores)) < 2:
        return
    w = data.draw(weights(len(scores)))
    target = data.draw(st.floats(1, high))
    cmp = compare_to_target(
        scores,
        target,
        metric=metric,
        weights=w,
        confidence=confidence,
        alternative=alternative,
        method=method,
    )
    assert agrees(cmp)
    assert ("Hall" in cmp.test) == (method == "hall")


@settings(max_examples=200, deadline=None)
@given(
    metric=st.sampled_from(["csat", "ces"]),
    data=st.data(),
    alternative=st.sampled_from(["two-sided", "greater", "less"]),
    confidence=st.sampled_from([0.95, 0.99, 0.995, 0.999, 0.9999]),
)
def test_share_verdict_agrees_with_its_interval_in_the_far_tail(  # type: ignore[no-untyped-def]
    metric, data, alternative, confidence
):
    # From 99 % on, a share's interval is the hull of Wilson's at 99 % and the exact one
    # (Clopper–Pearson; Korn–Graubard with weights) at the level, and its test is the one
    # that hull inverts; shares near the ends, weighted or not, targets near the estimate.
    high = METRICS[metric][1]
    scores = data.draw(
        st.lists(st.sampled_from([high, high, high, high, high - 1, 1]), min_size=2, max_size=80)
    )
    w = data.draw(weights(len(scores)))
    target = data.draw(st.floats(50, 99.9))
    cmp = compare_to_target(
        scores, target, metric=metric, weights=w, confidence=confidence, alternative=alternative
    )
    assert agrees(cmp, 0.0)


@settings(max_examples=300, deadline=None)
@given(
    metric=st.sampled_from(["nps", "ces_mean", "mean_1_5"]),
    data=st.data(),
    alternative=st.sampled_from(["two-sided", "greater", "less"]),
    confidence=st.sampled_from([0.95, 0.99, 0.995, 0.999, 0.9999]),
)
def test_mean_and_nps_verdicts_agree_with_their_intervals_in_the_far_tail(  # type: ignore[no-untyped-def]
    metric, data, alternative, confidence
):
    # From 99 % on, a mean's (NPS's) interval is the union of Hall's (adjusted Wald's) at
    # the level and the interval with two answers added at each end of the scale, and its
    # test is the one that union inverts; answers piled up at the top (or all one answer),
    # weighted or not, targets anywhere on the scale.
    if metric == "mean_1_5":
        m: str | MeanMetric = MeanMetric("mean_1_5", scale=(1, 5), integer=True)
        top, pool = 5, [5, 5, 5, 5, 4, 3, 1]
    else:
        m = metric
        top = METRICS[metric][1]
        pool = [top, top, top, top, top - 1, top - 2, METRICS[metric][0]]
    scores = data.draw(st.lists(st.sampled_from(pool), min_size=2, max_size=80))
    w = data.draw(weights(len(scores)))
    low, high = (-100.0, 100.0) if metric == "nps" else (1.0, float(top))
    # Targets anywhere, or just beside a bound of the interval at this level or at the
    # switch level (where the union changes sides), so that the far tail is what decides.
    bounds = [low, high]
    for level in (confidence, 0.99):
        near = compare_to_target(
            scores, low, metric=m, weights=w, confidence=level, alternative=alternative
        )
        bounds += [b + low for b in (near.ci_low, near.ci_high) if np.isfinite(b)]
    step = data.draw(st.floats(-1e-3, 1e-3)) * (high - low)
    target = data.draw(
        st.one_of(st.floats(low, high), st.sampled_from(bounds).map(lambda b: b + step))
    )
    target = float(np.clip(target, low, high))
    cmp = compare_to_target(
        scores, target, metric=m, weights=w, confidence=confidence, alternative=alternative
    )
    assert agrees(cmp, 0.0)
