"""The demo's journey side files: operational data, contacts, invitations, follow-up statuses.

Written next to ``responses.csv`` by :func:`write_journey_files` (``cxresearch demo`` and
``make demo``), one file per client, from the responses and a seed, so the same inputs give
the same bytes. What they contain is documented in ``data/demo/README.md`` ("Journey
files"). Names, e-mail addresses and phone numbers are made up: e-mail domains are the
reserved ``example.com/.org/.net`` (RFC 2606) and phone numbers use the ``+358 0 000``
prefix, which is not a Finnish area code.

- ``operational/<client>.csv`` — one row per service contact or delivery, keyed by
  ``response_id``: ``handling_minutes`` and ``first_contact_resolved`` for contacts with
  customer service (and onboarding or billing, per client), ``delivery_delay_days`` for
  kotiposti's deliveries. Values depend on the answers (slower service, lower speed
  rating), and each file has :data:`UNMATCHED_ROWS` rows of a pilot batch whose ids have no
  response, for the report to count.
- ``contacts/<client>.csv`` — name, e-mail and phone per respondent (the CRM extract the
  follow-up list takes its contact details from).
- ``invitations/<client>.csv`` — survey invitations per person and year, respondents and
  people who never answered.
- ``followup/<client>/status.csv`` — the follow-up statuses owners reported for wave
  2026Q3 as of :data:`AS_OF` (the file ``cxresearch loop import`` writes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cxresearch.stats.journey import followup_rows

__all__ = [
    "AS_OF",
    "OWNERS",
    "UNMATCHED_ROWS",
    "contacts",
    "followup_status",
    "invitations",
    "operational",
    "write_journey_files",
]

#: Touchpoints whose contacts have a handling time and first-contact resolution.
SERVICE_TOUCHPOINTS = {
    "kotiposti": ("support",),
    "northwind": ("support", "onboarding"),
    "saimaa-energia": ("support", "billing"),
}
DELIVERY_TOUCHPOINTS = {"kotiposti": ("delivery", "pickup-point")}
UNMATCHED_ROWS = 7
#: Owner of each touchpoint's follow-ups (the demo params list the same).
OWNERS = {
    "kotiposti": {"delivery": "Kuljetuspalvelut", "pickup-point": "Kuljetuspalvelut",
                  "support": "Asiakaspalvelu", "web": "Digitiimi", "app": "Digitiimi"},
    "northwind": {"onboarding": "Customer Success", "support": "Support", "billing": "Finance",
                  "web": "Digital", "app": "Digital"},
    "saimaa-energia": {"billing": "Laskutus", "support": "Asiakaspalvelu",
                       "installation": "Asennuspalvelut", "web": "Digitiimi", "app": "Digitiimi"},
}  # fmt: skip
DEFAULT_OWNER = {"kotiposti": "CX-tiimi", "northwind": "CX team", "saimaa-energia": "CX-tiimi"}
#: When the demo's follow-up statuses were last updated.
AS_OF = pd.Timestamp("2026-10-05 08:00")
SLA_HOURS = 48.0
# Follow-up outcome probabilities per owner's speed: median hours to close.
_MEDIAN_HOURS = {"Kuljetuspalvelut": 70.0, "Laskutus": 60.0, "Customer Success": 55.0}
_STATUS_P = {"closed": 0.74, "unreachable": 0.08, "in_progress": 0.06, "open": 0.12}
_ACTIONS = {
    "fi": ("Soitettu asiakkaalle, pahoiteltu ja sovittu korjaus.",
           "Lähetetty hyvityskoodi ja selitetty viivästyksen syy.",
           "Asiakas tavoitettu, ongelma ratkaistu puhelimessa.",
           "Korjattu laskun virhe ja vahvistettu sähköpostilla."),
    "en": ("Called the customer, apologised and agreed a fix.",
           "Sent a credit note and explained the cause of the delay.",
           "Reached the customer; solved the issue on the call.",
           "Corrected the invoice and confirmed by e-mail."),
}  # fmt: skip
_NAMES = {
    "fi": (("Aino", "Eino", "Helmi", "Juho", "Kaisa", "Lauri", "Minna", "Oskari", "Sanna",
            "Ville"), ("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen",
                       "Laine", "Heikkinen", "Koskinen", "Järvinen")),
    "en": (("Alice", "Ben", "Chloe", "Daniel", "Emma", "Frank", "Grace", "Harry", "Isla",
            "Jack"), ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
                      "Davies", "Robinson", "Wright")),
}  # fmt: skip
_LANGUAGE = {"kotiposti": "fi", "northwind": "en", "saimaa-energia": "fi"}
_DOMAINS = ("example.com", "example.org", "example.net")


def _rng(seed: int, client: str, part: int) -> np.random.Generator:
    key = sum(ord(c) * (i + 1) for i, c in enumerate(client))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key, part])))


def _rating(rows: pd.DataFrame, column: str) -> np.ndarray:
    return rows[column].fillna(3.0).to_numpy(dtype="float64")


def operational(responses: pd.DataFrame, client: str, *, seed: int) -> pd.DataFrame:
    """One client's operational file (see the module docstring)."""
    rng = _rng(seed, client, 1)
    rows = responses[responses["client"] == client]
    service = rows[rows["touchpoint"].isin(SERVICE_TOUCHPOINTS.get(client, ()))]
    delivery = rows[rows["touchpoint"].isin(DELIVERY_TOUCHPOINTS.get(client, ()))]
    n = len(service)
    minutes = np.exp(2.2 + 0.18 * (3.0 - _rating(service, "attr_speed")) + rng.normal(0, 0.5, n))
    resolved = rng.random(n) < 1.0 / (
        1.0 + np.exp(-(0.9 + 0.7 * (_rating(service, "attr_effectiveness") - 3.0)))
    )
    parts = [
        pd.DataFrame(
            {
                "response_id": service["response_id"].to_numpy(),
                "handling_minutes": [f"{m:.1f}" for m in minutes],
                "first_contact_resolved": np.where(resolved, "true", "false"),
                "delivery_delay_days": "",
            }
        )
    ]
    if len(delivery):
        m = len(delivery)
        late = 0.4 * (3.0 - _rating(delivery, "attr_reliability")) + rng.normal(-0.3, 1.0, m)
        parts.append(
            pd.DataFrame(
                {
                    "response_id": delivery["response_id"].to_numpy(),
                    "handling_minutes": "",
                    "first_contact_resolved": "",
                    "delivery_delay_days": [str(int(d)) for d in np.maximum(np.rint(late), 0)],
                }
            )
        )
    prefix = str(rows["response_id"].iloc[0]).split("-", 1)[0]
    pilot = pd.DataFrame(
        {
            "response_id": [f"{prefix}-PILOT-{i + 1:03d}" for i in range(UNMATCHED_ROWS)],
            "handling_minutes": [f"{v:.1f}" for v in rng.uniform(3, 20, UNMATCHED_ROWS)],
            "first_contact_resolved": "true",
            "delivery_delay_days": "",
        }
    )
    out = pd.concat([*parts, pilot], ignore_index=True)
    return out.sort_values("response_id", kind="stable", ignore_index=True)


def contacts(responses: pd.DataFrame, client: str, *, seed: int) -> pd.DataFrame:
    """Made-up contact details for every respondent of a client."""
    rng = _rng(seed, client, 2)
    people = sorted(responses.loc[responses["client"] == client, "respondent_id"].unique())
    first, last = _NAMES[_LANGUAGE[client]]
    i = rng.integers(0, len(first), len(people))
    j = rng.integers(0, len(last), len(people))
    names = [f"{first[a]} {last[b]}" for a, b in zip(i, j, strict=True)]
    emails = [
        f"{first[a].lower()}.{last[b].lower()}.{k + 1}@{_DOMAINS[k % 3]}".replace("ä", "a")
        for k, (a, b) in enumerate(zip(i, j, strict=True))
    ]
    phones = [f"+358 0 000 {k + 1:05d}" for k in range(len(people))]
    return pd.DataFrame({"respondent_id": people, "name": names, "email": emails, "phone": phones})


def invitations(responses: pd.DataFrame, client: str, *, seed: int) -> pd.DataFrame:
    """Invitations per person and year: answers plus extra asks, and people who never answered."""
    rng = _rng(seed, client, 3)
    rows = responses[responses["client"] == client]
    answers = rows.groupby("respondent_id").size()
    extra = rng.poisson(1.1, len(answers))
    prefix = str(rows["response_id"].iloc[0]).split("-", 1)[0]
    silent = int(round(1.5 * len(answers)))
    silent_ids = [f"{prefix}-N{k + 1:06d}" for k in range(silent)]
    out = pd.DataFrame(
        {
            "respondent_id": [*answers.index, *silent_ids],
            "period": "2026",
            "invitations": [*(answers.to_numpy() + extra), *(1 + rng.poisson(0.5, silent))],
        }
    )
    return out.sort_values("respondent_id", kind="stable", ignore_index=True)


def followup_status(responses: pd.DataFrame, client: str, *, seed: int) -> pd.DataFrame:
    """Simulated owners' statuses of the 2026Q3 follow-up items, as ``loop import`` stores them."""
    rng = _rng(seed, client, 4)
    rows = responses[(responses["client"] == client) & (responses["wave"] == "2026Q3")]
    items = followup_rows(rows, csat_max=2, ces_max=3)
    owners = items["touchpoint"].map(lambda t: OWNERS[client].get(t, DEFAULT_OWNER[client]))
    n = len(items)
    status = np.array(list(_STATUS_P), dtype=object)[
        rng.choice(len(_STATUS_P), n, p=list(_STATUS_P.values()))
    ]
    median = owners.map(lambda o: _MEDIAN_HOURS.get(o, 30.0)).to_numpy(dtype="float64")
    hours = median * np.exp(rng.normal(0.0, 0.7, n))
    submitted = items["submitted_at"]
    closed_at = submitted + pd.to_timedelta(np.rint(hours * 60), unit="min")
    ends = np.isin(status, ["closed", "unreachable"])
    status = np.where(ends & (closed_at > AS_OF).to_numpy(), "in_progress", status)
    ends = np.isin(status, ["closed", "unreachable"])
    actions = np.array(_ACTIONS[_LANGUAGE[client]], dtype=object)[rng.integers(0, 4, n)]
    fmt = "%Y-%m-%d %H:%M"
    return pd.DataFrame(
        {
            "response_id": items["response_id"].to_numpy(),
            "owner": owners.to_numpy(),
            "due_at": (submitted + pd.Timedelta(hours=SLA_HOURS)).dt.strftime(fmt).to_numpy(),
            "status": status,
            "closed_at": np.where(ends, closed_at.dt.strftime(fmt), ""),
            "action": np.where(status == "closed", actions, ""),
            "updated_at": np.where(ends, closed_at.dt.strftime(fmt), AS_OF.strftime(fmt)),
        }
    )


def write_journey_files(folder: str | Path, responses: pd.DataFrame, *, seed: int) -> list[Path]:
    """Write every client's journey files under ``folder``; return the paths written."""
    base = Path(folder)
    written = []
    makers = {
        "operational": operational,
        "contacts": contacts,
        "invitations": invitations,
    }
    for client in sorted(responses["client"].unique()):
        for kind, make in makers.items():
            path = base / kind / f"{client}.csv"
            written.append(_write(path, make(responses, client, seed=seed)))
        path = base / "followup" / client / "status.csv"
        written.append(_write(path, followup_status(responses, client, seed=seed)))
    return written


def _write(path: Path, frame: pd.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=False, lineterminator="\n")
    return path
