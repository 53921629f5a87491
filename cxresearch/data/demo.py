"""Synthetic demo responses with a documented ground truth.

``data/demo/responses.csv`` is written by :func:`write_demo` and documented in
``data/demo/README.md``. Every effect in it comes from the constants in this module, so
later analyses can be tested against known answers: the true NPS per client and wave
(:func:`expected_nps`, exact), the ordering of the drivers of NPS and of retention, the
customer-type and region effects, the population margins for raking and the prevalence of
comment themes by NPS group (the comment texts and theme tables are in
:mod:`cxresearch.data.demo_text`).

The model, per response (all latent quantities in standard-deviation units):

- seven latent experience attributes ``z = profile[client] + shift[customer_type] +
  shift[region] + shift[touchpoint] + u_person + e`` with ``e`` from a one-factor model
  (loadings :data:`LOADINGS`), so observed attributes correlate 0.28-0.41;
- observed ``attr_*`` = ``z`` cut at :data:`ATTRIBUTE_CUTS` into 1-5;
- NPS = ``clip(rint(NPS_CENTRE + NPS_SCALE * y), 0, 10)`` with
  ``y = level[client, wave] + sum(NPS_WEIGHTS * z) + N(0, NPS_NOISE_SD)``;
- CSAT, CES, retention, repurchase and CLV from the same ``z`` (see the constants).

Only numpy's PCG64 generator is used and every float written is formatted explicitly, so
one seed gives the same bytes on every run with the same numpy version.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from math import sqrt
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from cxresearch.data.demo_text import draw_comments
from cxresearch.data.schema import validate_responses

__all__ = [
    "DEFAULT_SEED",
    "comment_codes",
    "NPS_WEIGHTS",
    "RETENTION_WEIGHTS",
    "expected_nps",
    "generate_demo",
    "main",
    "simulate_demo",
    "write_comment_codes",
    "write_demo",
]

DEFAULT_SEED = 20261123
WAVES = ("2026Q1", "2026Q2", "2026Q3")
_WAVE_START = {"2026Q1": "2026-01-01", "2026Q2": "2026-04-01", "2026Q3": "2026-07-01"}
_WAVE_DAYS = {"2026Q1": 90, "2026Q2": 91, "2026Q3": 92}
ATTRIBUTES = ("effectiveness", "ease", "emotion", "speed", "reliability", "communication", "price")

# True standardised weights of the latent attributes on latent NPS, clearly ordered with
# gaps. They sum to 1 so that a common shift of all attributes moves NPS one-for-one.
NPS_WEIGHTS = {"effectiveness": 0.33, "ease": 0.25, "reliability": 0.18, "emotion": 0.13,
               "communication": 0.07, "speed": 0.03, "price": 0.01}  # fmt: skip
# Log-odds of retention per SD of latent attribute (current customers): a different order.
RETENTION_WEIGHTS = {"reliability": 0.90, "price": 0.70, "effectiveness": 0.35,
                     "communication": 0.20, "ease": 0.15, "emotion": 0.10,
                     "speed": 0.05}  # fmt: skip
REPURCHASE_WEIGHTS = {"effectiveness": 0.5, "emotion": 0.4, "price": 0.3, "ease": 0.2}
REPURCHASE_INTERCEPT = {"current": 0.8, "former": -1.2}
# Loadings on one common experience factor. The less important attributes load lower, as
# price perception does in real data; this keeps the Shapley order equal to the weight order.
LOADINGS = {"effectiveness": 0.60, "ease": 0.58, "emotion": 0.54, "speed": 0.46,
            "reliability": 0.56, "communication": 0.52, "price": 0.38}  # fmt: skip
PERSON_SD = 0.30  # a panel member's own level, shared across waves
NPS_NOISE_SD = 0.20
NPS_CENTRE, NPS_SCALE = 8.0, 2.0
ATTRIBUTE_CUTS = (-1.8, -1.0, -0.2, 0.8)
CSAT_WEIGHTS = {"effectiveness": 0.25, "ease": 0.20, "emotion": 0.15, "speed": 0.10,
                "reliability": 0.15, "communication": 0.10, "price": 0.05}  # fmt: skip
CSAT_NOISE_SD, CSAT_CUTS = 0.5, (-1.7, -1.0, -0.35, 0.55)
CES_WEIGHTS = {"ease": 0.8, "effectiveness": 0.2}
CES_NOISE_SD, CES_CUTS = 0.5, (-2.2, -1.5, -0.9, -0.35, 0.3, 1.1)

CUSTOMER_TYPE_PROBS = {"current": 0.75, "former": 0.15, "never": 0.10}
TYPE_SHIFT = {"current": 0.0, "former": -0.6, "never": -0.4}
STAGE_PROBS = {
    "current": {"purchase": 0.20, "usage": 0.55, "renewal": 0.25},
    "former": {"usage": 0.40, "renewal": 0.60},
    "never": {"awareness": 0.55, "consideration": 0.45},
}
REGIONS = ("uusimaa", "pirkanmaa", "varsinais-suomi", "pohjois-pohjanmaa", "muu")
# The sample over-represents Uusimaa on purpose: raking to the population margins corrects it.
SAMPLE_REGION_PROBS = {"uusimaa": 0.44, "pirkanmaa": 0.16, "varsinais-suomi": 0.12,
                       "pohjois-pohjanmaa": 0.08, "muu": 0.20}  # fmt: skip
POPULATION_REGION_PROBS = {"uusimaa": 0.31, "pirkanmaa": 0.10, "varsinais-suomi": 0.09,
                           "pohjois-pohjanmaa": 0.08, "muu": 0.42}  # fmt: skip
REGION_SHIFT = {"uusimaa": -0.20, "pirkanmaa": 0.0, "varsinais-suomi": 0.0,
                "pohjois-pohjanmaa": 0.10, "muu": 0.20}  # fmt: skip
NEVER_TOUCHPOINTS = {"web": 0.70, "support": 0.30}
CHANNELS = {
    "web": {"web": 1.0}, "app": {"web": 1.0}, "pickup-point": {"store": 1.0},
    "support": {"phone": 0.45, "chat": 0.35, "email": 0.20},
    "delivery": {"web": 0.45, "store": 0.35, "phone": 0.20},
    "onboarding": {"web": 0.40, "phone": 0.30, "email": 0.30},
    "installation": {"phone": 0.50, "email": 0.30, "web": 0.20},
    "billing": {"email": 0.50, "web": 0.35, "phone": 0.15},
}  # fmt: skip
PANEL_SHARE = 0.30  # of waves 2 and 3 answered by people who answered an earlier wave
CONTACT_OK_RATE = 0.40
MISSING_RATE = {"attributes": 0.02, "csat": 0.02, "ces": 0.02}
CLV_SIZE_SHIFT = {"small": 0.0, "medium": 0.7, "enterprise": 1.6}


@dataclass(frozen=True)
class Client:
    """One demo client: sample sizes, true levels and its own attribute profile."""

    name: str
    prefix: str
    language: str
    n_per_wave: tuple[int, int, int]
    # Intercept of latent NPS per wave, solved so that the expected NPS of the sample design
    # is 16/22/30 (kotiposti), 38/35/26 (northwind), 4/7/0 (saimaa-energia).
    level: tuple[float, float, float]
    profile: dict[str, float]  # latent mean of attributes (0 when absent)
    touchpoints: dict[str, tuple[float, float]]  # touchpoint -> (probability, shift)
    sizes: dict[str, float]
    retention_intercept: float
    log_clv: float


CLIENTS = (
    Client("kotiposti", "KP", "fi", (580, 610, 610), (0.151, 0.228, 0.333),
           {"speed": 0.2, "reliability": 0.1, "price": -0.2},
           {"web": (0.20, 0.0), "app": (0.20, 0.0), "delivery": (0.30, -0.25),
            "pickup-point": (0.15, 0.10), "support": (0.15, 0.0)},
           {"small": 0.70, "medium": 0.20, "enterprise": 0.10}, 2.6, 5.2),
    Client("northwind", "NW", "en", (460, 470, 470), (0.419, 0.378, 0.257),
           {"effectiveness": 0.2, "ease": -0.1, "price": -0.3},
           {"web": (0.15, 0.0), "app": (0.30, 0.0), "onboarding": (0.15, -0.35),
            "support": (0.25, 0.0), "billing": (0.15, 0.0)},
           {"small": 0.35, "medium": 0.40, "enterprise": 0.25}, 2.3, 9.1),
    Client("saimaa-energia", "SE", "fi", (400, 400, 400), (-0.002, 0.036, -0.052),
           {"reliability": 0.3, "communication": -0.2, "price": -0.3},
           {"web": (0.20, 0.0), "app": (0.15, 0.0), "installation": (0.10, 0.15),
            "support": (0.25, 0.0), "billing": (0.30, -0.30)},
           {"small": 0.60, "medium": 0.28, "enterprise": 0.12}, 2.8, 7.2),
)  # fmt: skip


def _vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(a, 0.0) for a in ATTRIBUTES])


def _pick(rng: np.random.Generator, probs: dict[str, float], n: int) -> np.ndarray:
    keys = list(probs)
    p = np.array([probs[k] for k in keys])
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _cut(latent: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    return 1 + (latent[..., None] > np.asarray(cuts)).sum(axis=-1)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _blank(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[missing] = None
    return out


def _panel(rng: np.random.Generator, sizes: Sequence[int]) -> list[np.ndarray]:
    """Person numbers per wave: waves after the first re-invite earlier respondents."""
    waves: list[np.ndarray] = []
    created = 0
    for wave, n in enumerate(sizes):
        returning = np.zeros(0, dtype=int)
        if wave:
            returning = rng.choice(created, size=round(PANEL_SHARE * n), replace=False)
        new = np.arange(created, created + n - len(returning))
        created += len(new)
        waves.append(rng.permutation(np.concatenate([returning, new])))
    return waves


def _design(rng: np.random.Generator, client: Client, sizes: list[int],
            region_probs: dict[str, float]) -> pd.DataFrame:  # fmt: skip
    """Who answered: ids, wave, panel members' fixed traits, stage, touchpoint, channel."""
    waves = _panel(rng, sizes)
    n_people = max(int(w.max()) for w in waves) + 1
    person = {
        "region": _pick(rng, region_probs, n_people),
        "size": _pick(rng, client.sizes, n_people),
        "customer_type": _pick(rng, CUSTOMER_TYPE_PROBS, n_people),
        "u": rng.normal(0.0, PERSON_SD, n_people),
    }
    who = np.concatenate(waves)
    ids = [f"{client.prefix}-{w}-{i + 1:06d}" for w, s in zip(WAVES, sizes, strict=True)
           for i in range(s)]  # fmt: skip
    rows = pd.DataFrame({
        "response_id": ids,
        "respondent_id": [f"{client.prefix}-P{k + 1:06d}" for k in who],
        "client": client.name,
        "wave": np.repeat(WAVES, sizes),
        **{key: values[who] for key, values in person.items()},
    })  # fmt: skip
    ctype = rows["customer_type"].to_numpy()
    stage = np.empty(len(rows), dtype=object)
    touchpoint = np.empty(len(rows), dtype=object)
    for kind in STAGE_PROBS:
        at = ctype == kind
        stage[at] = _pick(rng, STAGE_PROBS[kind], int(at.sum()))
        tps = NEVER_TOUCHPOINTS if kind == "never" else _probs(client.touchpoints)
        touchpoint[at] = _pick(rng, tps, int(at.sum()))
    channel = np.empty(len(rows), dtype=object)
    for tp in np.unique(touchpoint):
        channel[touchpoint == tp] = _pick(rng, CHANNELS[tp], int((touchpoint == tp).sum()))
    rows["journey_stage"], rows["touchpoint"], rows["channel"] = stage, touchpoint, channel
    return rows


def _probs(touchpoints: dict[str, tuple[float, float]]) -> dict[str, float]:
    return {k: p for k, (p, _) in touchpoints.items()}


def _shifts(touchpoints: dict[str, tuple[float, float]]) -> dict[str, float]:
    return {k: s for k, (_, s) in touchpoints.items()}


def _client_rows(rng: np.random.Generator, client: Client, scale: int,
                 region_probs: dict[str, float]) -> pd.DataFrame:  # fmt: skip
    sizes = [n * scale for n in client.n_per_wave]
    rows = _design(rng, client, sizes, region_probs)
    n = len(rows)
    ctype = rows["customer_type"].to_numpy()

    # Latent experience: common shifts move all seven attributes together.
    shift = (
        rows["customer_type"].map(TYPE_SHIFT).to_numpy(float)
        + rows["region"].map(REGION_SHIFT).to_numpy(float)
        + rows["touchpoint"].map(_shifts(client.touchpoints)).fillna(0.0).to_numpy(float)
        + rows.pop("u").to_numpy(float)
    )
    loadings = _vector(LOADINGS)
    factor = rng.standard_normal(n)
    unique = rng.standard_normal((n, len(ATTRIBUTES))) * np.sqrt(1.0 - loadings**2)
    z = _vector(client.profile) + shift[:, None] + factor[:, None] * loadings + unique
    y = np.repeat(client.level, sizes) + z @ _vector(NPS_WEIGHTS) + rng.normal(0, NPS_NOISE_SD, n)
    rows["nps"] = np.clip(np.rint(NPS_CENTRE + NPS_SCALE * y), 0, 10)
    rows["csat"] = _cut(z @ _vector(CSAT_WEIGHTS) + rng.normal(0, CSAT_NOISE_SD, n), CSAT_CUTS)
    rows["ces"] = _cut(z @ _vector(CES_WEIGHTS) + rng.normal(0, CES_NOISE_SD, n), CES_CUTS)
    for j, attribute in enumerate(ATTRIBUTES):
        rows[f"attr_{attribute}"] = _cut(z[:, j], ATTRIBUTE_CUTS).astype(float)

    # Outcomes. Former customers have left (retained False); never-customers have none.
    current, never = ctype == "current", ctype == "never"
    p_retain = _logistic(client.retention_intercept + z @ _vector(RETENTION_WEIGHTS))
    retained = current & (rng.random(n) < p_retain)
    intercept = np.where(current, REPURCHASE_INTERCEPT["current"], REPURCHASE_INTERCEPT["former"])
    repurchased = rng.random(n) < _logistic(intercept + z @ _vector(REPURCHASE_WEIGHTS))
    log_clv = (
        client.log_clv
        + rows["size"].map(CLV_SIZE_SHIFT).to_numpy(float)
        + 0.35 * retained
        + 0.20 * (rows["nps"].to_numpy() >= 9)
        + rng.normal(0.0, 0.45, n)
    )
    rows["retained"] = _blank(retained, never)
    rows["repurchased"] = _blank(repurchased, never)
    rows["clv"] = np.where(never, np.nan, np.round(np.exp(log_clv), 2))
    rows["contact_ok"] = rng.random(n) < CONTACT_OK_RATE

    # Dates: ask close to the interaction; most answer within a week, none after 30 days.
    lag = np.minimum(np.floor(rng.exponential(6.0, n)), 29).astype(int)
    days = rows["wave"].map(_WAVE_DAYS).to_numpy(int)
    day = np.floor(rng.random(n) * (days - lag)).astype(int)
    minute = rng.integers(8 * 60, 20 * 60, n)  # 8:00-20:00, answered by 23:59 the same day
    start = rows["wave"].map(_WAVE_START).to_numpy().astype("datetime64[m]")
    rows["interaction_at"] = start + (day * 1440 + minute).astype("timedelta64[m]")
    answered = (lag * 1440 + rng.integers(5, 240, n)).astype("timedelta64[m]")
    rows["submitted_at"] = rows["interaction_at"].to_numpy() + answered

    # Skipped questions: one or two attributes on about 2 % of rows, CSAT and CES on 2 %.
    attr_columns = [f"attr_{a}" for a in ATTRIBUTES]
    skip = rng.random(n) < MISSING_RATE["attributes"]
    first = rng.integers(0, len(ATTRIBUTES), n)
    second = np.where(rng.random(n) < 0.5, rng.integers(0, len(ATTRIBUTES), n), first)
    values = rows[attr_columns].to_numpy()
    values[skip, first[skip]] = np.nan
    values[skip, second[skip]] = np.nan
    rows[attr_columns] = values
    rows["csat"] = rows["csat"].mask(rng.random(n) < MISSING_RATE["csat"])
    rows["ces"] = rows["ces"].mask(rng.random(n) < MISSING_RATE["ces"])
    other = {"fi": "en", "en": "fi"}[client.language]
    rows["language"] = np.where(rng.random(n) < 0.9, client.language, other)
    return rows


# --- assembling, writing, truth ---------------------------------------------------------
COLUMNS = (
    "response_id", "respondent_id", "client", "wave", "submitted_at", "interaction_at",
    "customer_type", "journey_stage", "touchpoint", "channel", "region", "size",
    "nps", "csat", "ces", *(f"attr_{a}" for a in ATTRIBUTES),
    "retained", "repurchased", "clv", "comment", "language", "contact_ok",
)  # fmt: skip


def _region_probs(margins: str) -> dict[str, float]:
    if margins == "sample":
        return SAMPLE_REGION_PROBS
    if margins == "population":
        return POPULATION_REGION_PROBS
    raise ValueError(f"margins must be 'sample' or 'population', got {margins!r}")


def simulate_demo(
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    margins: str = "sample",
    comments: bool = True,
) -> pd.DataFrame:
    """Simulate demo responses, including the true comment themes.

    Parameters
    ----------
    seed : int, optional
        Seed of the PCG64 generator.
    scale : int, optional
        Multiplies every client's sample size (``scale=100`` gives 440,000 rows, for
        checking population values by simulation).
    margins : {"sample", "population"}, optional
        Region distribution: the deliberately unbalanced sample design, or the population
        margins documented in ``data/demo/README.md``.
    comments : bool, optional
        Whether to write comment texts (the slow part); without them ``comment`` is missing
        and no ``language`` is blanked.

    Returns
    -------
    pandas.DataFrame
        The columns of ``data/demo/responses.csv`` (numbers as float, datetimes, ``None``
        for missing), plus ``themes``: the coded truth of each comment, e.g.
        ``"price-;service+"`` (``-`` complaint, ``+`` praise, empty for a general remark).
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    rng = np.random.Generator(np.random.PCG64(seed))
    regions = _region_probs(margins)
    rows = pd.concat(
        [_client_rows(rng, c, int(scale), regions) for c in CLIENTS], ignore_index=True
    )
    language = rows["language"].to_numpy(dtype=object)
    if comments:
        texts, coded, blank = draw_comments(rng, rows["nps"].to_numpy(), language)
        language[blank] = None
    else:
        texts, coded = [None] * len(rows), [None] * len(rows)
    rows["comment"], rows["themes"], rows["language"] = texts, coded, language
    rows = rows.sort_values(["client", "wave", "response_id"], kind="stable", ignore_index=True)
    return rows[[*COLUMNS, "themes"]]


def _as_text(rows: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the exact string written to the CSV ("" for missing)."""
    out = pd.DataFrame(index=rows.index)
    for column in COLUMNS:
        values = rows[column]
        if column in ("nps", "csat", "ces") or column.startswith("attr_"):
            cells = [("" if np.isnan(v) else str(int(v))) for v in values.to_numpy(float)]
        elif column == "clv":
            cells = [("" if np.isnan(v) else f"{v:.2f}") for v in values.to_numpy(float)]
        elif column in ("submitted_at", "interaction_at"):
            stamps = np.datetime_as_string(values.to_numpy().astype("datetime64[m]"), unit="m")
            cells = [s.replace("T", " ") for s in stamps]
        elif column in ("retained", "repurchased", "contact_ok"):
            cells = [("" if pd.isna(v) else ("true" if v else "false")) for v in values.tolist()]
        else:
            cells = [("" if pd.isna(v) else str(v)) for v in values.tolist()]
        out[column] = pd.Series(cells, index=rows.index, dtype=object)
    return out


def generate_demo(*, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The demo responses as :func:`~cxresearch.data.load_responses` returns them.

    Parameters
    ----------
    seed : int, optional
        Seed of the PCG64 generator; the committed ``data/demo/responses.csv`` uses
        :data:`DEFAULT_SEED`.

    Returns
    -------
    pandas.DataFrame
        3,800 validated rows: 1,600 ``kotiposti``, 1,200 ``northwind``, 1,000
        ``saimaa-energia`` over waves 2026Q1-2026Q3. The ground truth is documented in
        ``data/demo/README.md``.
    """
    text = _as_text(simulate_demo(seed=seed))
    return validate_responses(text, source=f"generate_demo(seed={seed})")


def write_demo(path: str | PathLike[str], *, seed: int = DEFAULT_SEED) -> Path:
    """Write the demo responses as UTF-8 CSV; the same seed always gives the same bytes.

    Parameters
    ----------
    path : str or path-like
        Output file; its folder is created if needed.
    seed : int, optional
        Seed of the PCG64 generator.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = _as_text(simulate_demo(seed=seed))
    with out.open("w", encoding="utf-8", newline="") as handle:
        text.to_csv(handle, index=False, lineterminator="\n")
    return out


def expected_nps(
    *, by: Sequence[str] = ("client", "wave"), margins: str = "sample"
) -> pd.DataFrame:
    """The true (expected) NPS of the demo design, computed exactly from the model.

    Given client, wave, customer type, region and touchpoint, latent NPS is normal with
    mean ``level + sum(NPS_WEIGHTS * (profile + shifts))`` and variance
    ``w' (L L' + diag(1 - L^2)) w + PERSON_SD^2 (sum w)^2 + NPS_NOISE_SD^2``, so the shares
    of promoters (``NPS_CENTRE + NPS_SCALE * y >= 8.5``) and detractors (``< 6.5``) are
    normal probabilities. Cells are averaged with their design probabilities (and waves and
    clients with their sample sizes).

    Parameters
    ----------
    by : sequence of str, optional
        Any of ``"client"``, ``"wave"``, ``"customer_type"``, ``"region"``, ``"touchpoint"``;
        empty for one overall value.
    margins : {"sample", "population"}, optional
        ``"sample"`` is the expected value of the unweighted demo sample; ``"population"``
        uses the population region margins, i.e. what raking should recover.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, ``promoters`` and ``detractors`` (shares 0-1), ``answer`` (the mean
        0–10 answer) and ``nps`` (-100..100).
    """
    keys = ("client", "wave", "customer_type", "region", "touchpoint")
    unknown = [b for b in by if b not in keys]
    if unknown:
        raise ValueError(f"by: unknown key(s) {unknown}; choose from {list(keys)}")
    regions = _region_probs(margins)
    w, loadings = _vector(NPS_WEIGHTS), _vector(LOADINGS)
    variance = (w @ loadings) ** 2 + w**2 @ (1 - loadings**2)
    sd = sqrt(variance + (PERSON_SD * w.sum()) ** 2 + NPS_NOISE_SD**2)
    total = sum(sum(c.n_per_wave) for c in CLIENTS)
    cells = []
    for c in CLIENTS:
        profile = float(w @ _vector(c.profile))
        for wave, n, level in zip(WAVES, c.n_per_wave, c.level, strict=True):
            for ctype, p_type in CUSTOMER_TYPE_PROBS.items():
                tps = (NEVER_TOUCHPOINTS if ctype == "never"
                       else {k: p for k, (p, _) in c.touchpoints.items()})  # fmt: skip
                shifts = {k: s for k, (_, s) in c.touchpoints.items()}
                for region, p_region in regions.items():
                    for tp, p_tp in tps.items():
                        shift = TYPE_SHIFT[ctype] + REGION_SHIFT[region] + shifts.get(tp, 0.0)
                        mean = level + profile + shift * w.sum()
                        cells.append((c.name, wave, ctype, region, tp,
                                      n / total * p_type * p_region * p_tp, mean))  # fmt: skip
    frame = pd.DataFrame(cells, columns=[*keys, "p", "mean"])
    high = (8.5 - NPS_CENTRE) / NPS_SCALE
    low = (6.5 - NPS_CENTRE) / NPS_SCALE
    frame["promoters"] = frame["p"] * (1 - ndtr((high - frame["mean"].to_numpy()) / sd))
    frame["detractors"] = frame["p"] * ndtr((low - frame["mean"].to_numpy()) / sd)
    # The mean 0–10 answer: P(answer = k) for the rounded, clipped score, k = 0..10.
    edges = (np.arange(0.5, 10.0, 1.0) - NPS_CENTRE) / NPS_SCALE
    below = ndtr((edges[None, :] - frame["mean"].to_numpy()[:, None]) / sd)
    probabilities = np.diff(np.column_stack([np.zeros(len(frame)), below, np.ones(len(frame))]))
    frame["answer"] = frame["p"] * (probabilities @ np.arange(11.0))
    columns = ["p", "promoters", "detractors", "answer"]
    grouped = (
        frame.groupby(list(by), sort=False)[columns].sum()
        if by
        else frame[columns].sum().to_frame().T
    )
    out = grouped.reset_index(drop=not by)
    out["promoters"] = out["promoters"] / out["p"]
    out["detractors"] = out["detractors"] / out["p"]
    out["answer"] = out["answer"] / out["p"]
    out["nps"] = 100 * (out["promoters"] - out["detractors"])
    return out.drop(columns="p").reset_index(drop=True)


def comment_codes(*, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The true coding of the demo comments, one row per (comment, theme).

    The same format as a human reference coding (see :mod:`cxresearch.qual.sheets`):
    ``response_id``, ``code`` (empty for a comment with no theme, a general remark) and
    ``sentiment`` (``positive`` for praise, ``negative`` for a complaint).

    Parameters
    ----------
    seed : int, optional
        Seed of the generator (the committed file uses :data:`DEFAULT_SEED`).

    Returns
    -------
    pandas.DataFrame
        Rows in ``response_id`` order; every commented response has at least one row.
    """
    rows = simulate_demo(seed=seed)
    out: list[tuple[str, str, str]] = []
    for rid, themes in zip(rows["response_id"], rows["themes"], strict=True):
        if not isinstance(themes, str):  # no comment
            continue
        if not themes:
            out.append((rid, "", ""))
            continue
        for item in themes.split(";"):
            out.append((rid, item[:-1], "positive" if item[-1] == "+" else "negative"))
    return pd.DataFrame(out, columns=["response_id", "code", "sentiment"])


def write_comment_codes(path: str | PathLike[str], *, seed: int = DEFAULT_SEED) -> Path:
    """Write :func:`comment_codes` as UTF-8 CSV (``data/demo/comment_codes.csv``)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        comment_codes(seed=seed).to_csv(handle, index=False, lineterminator="\n")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``cxresearch demo --output data/demo/responses.csv [--seed N]``."""
    parser = argparse.ArgumentParser(prog="cxresearch demo", description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="data/demo/responses.csv", help="CSV file to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    args = parser.parse_args(argv)
    path = write_demo(args.output, seed=args.seed)
    print(f"wrote {path} (seed {args.seed})")
    # The journey's side files (operational data, contacts, invitations, follow-up
    # statuses) are derived from the responses just written, next to them.
    from cxresearch.data.demo_journey import write_journey_files
    from cxresearch.data.loaders import load_responses

    files = write_journey_files(path.parent, load_responses(path), seed=args.seed)
    print(f"wrote {len(files)} journey files under {path.parent}")
    codes = write_comment_codes(Path(args.output).with_name("comment_codes.csv"), seed=args.seed)
    print(f"wrote {codes} (the true themes of the comments)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
