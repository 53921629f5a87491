"""Comment texts of the demo data: the Finnish/English phrase bank and the theme tables.

Each commenter mentions each theme independently with the probability in
:data:`THEME_PREVALENCE` for their NPS group; a mention is praise with the probability in
:data:`POSITIVE_SHARE`, otherwise a complaint, and is written with one of four sentences
from :data:`PHRASES`. A few comments get obviously fake personal data (for the masking tests)
or HTML (for the escaping tests). :func:`draw_comments` is called by
:func:`cxresearch.data.demo.simulate_demo` with the generator it is using, so the order of
the draws, and hence the committed ``data/demo/responses.csv``, do not depend on which
module holds the code. The prevalences are documented in ``data/demo/README.md``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "COMMENT_RATE",
    "HTML_RATE",
    "HTML_SNIPPETS",
    "LANGUAGE_BLANK_RATE",
    "NPS_GROUPS",
    "PERSONAL_DATA",
    "PERSONAL_DATA_RATE",
    "PERSONAL_TEMPLATES",
    "PHRASES",
    "POSITIVE_SHARE",
    "THEMES",
    "THEME_PREVALENCE",
    "draw_comments",
    "nps_group",
]

NPS_GROUPS = ("detractor", "passive", "promoter")  # 0-6, 7-8, 9-10
COMMENT_RATE = (0.70, 0.50, 0.60)  # share who write a comment, by NPS group
# P(theme mentioned | comment, NPS group): detractors complain about price and reliability,
# promoters praise service and ease.
THEME_PREVALENCE = {
    "price": (0.40, 0.22, 0.08),
    "reliability": (0.32, 0.15, 0.08),
    "service": (0.25, 0.22, 0.35),
    "ease": (0.12, 0.20, 0.32),
    "speed": (0.18, 0.18, 0.15),
    "communication": (0.20, 0.12, 0.06),
    "delivery": (0.18, 0.14, 0.12),
}
POSITIVE_SHARE = (0.15, 0.50, 0.90)  # P(a mention is praise | NPS group)
PERSONAL_DATA_RATE = 0.02  # of comments
HTML_RATE = 0.01  # of comments
LANGUAGE_BLANK_RATE = 0.08  # of commented rows (about 5 % of all rows)

# (language, theme) -> (praise, complaints); "general" is used when no theme is drawn.
PHRASES: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("fi", "price"): (
        ("Hinta-laatusuhde on kohdallaan.", "Hinnat ovat kohtuulliset kilpailijoihin verrattuna.",
         "Edullinen hinta oli tärkein syy valita teidät.", "Hinnoittelu on selkeää ja reilua."),
        ("Hinnat ovat nousseet aivan liikaa.", "Liian kallis siihen nähden, mitä saa.",
         "Hinnoittelu on epäselvää, ja lisämaksuja tulee yllättäen.",
         "Kilpailijalta saa saman halvemmalla.")),
    ("fi", "speed"): (
        ("Kaikki hoitui nopeasti.", "Asia ratkesi yllättävän nopeasti.",
         "Sain vastauksen jo samana päivänä.", "Nopeaa ja sujuvaa palvelua."),
        ("Jouduin odottamaan aivan liian kauan.", "Käsittely kesti viikkoja.",
         "Jonotin puhelimessa yli puoli tuntia.", "Kaikki tuntuu kestävän ikuisuuden.")),
    ("fi", "service"): (
        ("Asiakaspalvelija oli todella ystävällinen ja osaava.",
         "Sain asiantuntevaa apua asiakaspalvelusta.", "Kiitos mukavalle asiakaspalvelijalle!",
         "Asiakaspalvelu ylitti odotukseni."),
        ("Asiakaspalvelija ei osannut auttaa.", "Asiakaspalvelu oli tylyä ja välinpitämätöntä.",
         "Asiakaspalveluun on mahdoton saada yhteyttä.", "Minua pompoteltiin ihmiseltä toiselle.")),
    ("fi", "ease"): (
        ("Sovellus on helppokäyttöinen.", "Asiointi oli vaivatonta.",
         "Kaikki löytyi helposti verkkosivuilta.", "Tilaaminen oli tosi helppoa."),
        ("Verkkosivuilta on vaikea löytää mitään.", "Sovellus on sekava ja kankea.",
         "Asiointi oli turhan monimutkaista.",
         "Kirjautuminen ei onnistunut monen yrityksenkään jälkeen.")),
    ("fi", "reliability"): (
        ("Palvelu toimii aina luotettavasti.", "Voin luottaa siihen, että asiat hoituvat.",
         "Ei yhtään katkosta tai ongelmaa koko vuonna.", "Lupaukset pidetään."),
        ("Palvelussa on jatkuvasti katkoja.", "Sama vika toistuu kerta toisensa jälkeen.",
         "Luvattuja asioita ei hoideta.", "Laskussa oli taas virhe.")),
    ("fi", "communication"): (
        ("Tiedotus on selkeää ja ajantasaista.", "Sain hyvissä ajoin tiedon kaikista muutoksista.",
         "Viestinne ovat selkeitä ja asiallisia.", "Tilannetiedot päivittyivät hyvin."),
        ("Muutoksista ei tiedotettu ollenkaan.", "Viestit ovat sekavia ja ristiriitaisia.",
         "Kukaan ei kertonut, mitä seuraavaksi tapahtuu.", "Sähköposteihin ei vastata.")),
    ("fi", "delivery"): (
        ("Toimitus tuli ajallaan.", "Toimitus sujui ongelmitta.",
         "Tilaus oli perillä jo seuraavana päivänä.", "Kaikki toimitettiin sovitusti."),
        ("Toimitus myöhästyi useita päiviä.", "Toimitus katosi matkalla.",
         "Tilaus toimitettiin puutteellisena.", "Toimitus meni väärään osoitteeseen.")),
    ("fi", "general"): (
        ("Kaikki meni hyvin.", "Olen tyytyväinen.", "Hyvä kokemus kaikin puolin.",
         "Ei valittamista."),
        ("Huono kokemus.", "Olen pettynyt.", "Ei vastannut odotuksiani.",
         "Tästä on vaikea sanoa mitään hyvää.")),
    ("en", "price"): (
        ("Good value for money.", "Prices are fair compared with competitors.",
         "The low price was the main reason we chose you.", "Pricing is clear and fair."),
        ("Prices have gone up far too much.", "Too expensive for what you get.",
         "Pricing is confusing and extra fees come as a surprise.",
         "Competitors offer the same for less.")),
    ("en", "speed"): (
        ("Everything was handled quickly.", "My issue was solved surprisingly fast.",
         "I got an answer the same day.", "Quick and smooth service."),
        ("I had to wait far too long.", "It took weeks to process.",
         "I was on hold for over half an hour.", "Everything takes forever.")),
    ("en", "service"): (
        ("The agent was really friendly and knowledgeable.",
         "I got expert help from customer service.",
         "Thanks to the lovely person in customer service!",
         "Customer service exceeded my expectations."),
        ("The agent could not help me.", "Customer service was rude and indifferent.",
         "It is impossible to reach customer service.",
         "I was passed from one person to another.")),
    ("en", "ease"): (
        ("The app is easy to use.", "Everything was effortless.",
         "I found everything easily on the website.", "Ordering was really easy."),
        ("It is hard to find anything on the website.", "The app is confusing and clunky.",
         "The process was needlessly complicated.",
         "I could not log in even after several attempts.")),
    ("en", "reliability"): (
        ("The service always works reliably.", "I can trust that things get done.",
         "Not a single outage or problem all year.", "You keep your promises."),
        ("There are constant outages.", "The same fault keeps coming back.",
         "Promises are not kept.", "There was another error in my invoice.")),
    ("en", "communication"): (
        ("Communication is clear and up to date.", "I was told about all changes well in advance.",
         "Your messages are clear and to the point.", "Status updates came on time."),
        ("Changes were not communicated at all.", "The messages are confusing and contradictory.",
         "Nobody told me what would happen next.", "Emails go unanswered.")),
    ("en", "delivery"): (
        ("The delivery arrived on time.", "Delivery went without a hitch.",
         "The order arrived the very next day.", "Everything was delivered as agreed."),
        ("The delivery was several days late.", "The delivery got lost on the way.",
         "The order arrived incomplete.", "The delivery went to the wrong address.")),
    ("en", "general"): (
        ("All good.", "I am satisfied.", "A good experience overall.", "No complaints."),
        ("A poor experience.", "I am disappointed.", "It did not meet my expectations.",
         "Hard to say anything good about this.")),
}  # fmt: skip
# Obviously fake but well-formed personal data for the masking tests: example.* domains
# (RFC 2606), patterned phone numbers, identity codes with the temporary 900-999 individual
# numbers (never issued as permanent codes) and a correct check character.
PERSONAL_DATA = {
    "phone": ("040 123 4567", "050 765 4321", "+358 40 111 2233", "044 987 6543"),
    "email": ("matti.meikalainen@example.com", "asiakas123@example.org",
              "jane.doe@example.com", "testi.vastaaja@example.net"),
    "hetu": ("131052-9085", "010190-900P", "241275-987B", "300800A901V"),
}  # fmt: skip
PERSONAL_TEMPLATES = {
    "fi": {"phone": "Voitte soittaa minulle numeroon {}.", "email": "Vastatkaa sähköpostiini {}.",
           "hetu": "Henkilötunnukseni on {}, jos tarvitsette sitä."},
    "en": {"phone": "You can call me on {}.", "email": "Please reply to {}.",
           "hetu": "My personal identity code is {} if you need it."},
}  # fmt: skip
HTML_SNIPPETS = {
    "fi": ("Kyselyn kohdat <b>A & B</b> olivat epäselviä.",
           "Vastasin puhelimella <i>kiireessä</i>.", "Palvelu & tuki <3"),
    "en": ("Questions <b>A & B</b> in this survey were unclear.",
           "Answered on my phone <i>in a hurry</i>.", "Service & support <3"),
}  # fmt: skip
THEMES = tuple(THEME_PREVALENCE)


def nps_group(nps: np.ndarray) -> np.ndarray:
    """0 for detractors (0-6), 1 for passives (7-8), 2 for promoters (9-10)."""
    return np.digitize(nps, [7, 9])


def draw_comments(
    rng: np.random.Generator, nps: np.ndarray, language: np.ndarray
) -> tuple[list[str | None], list[str | None], np.ndarray]:
    """Draw the comments of the demo rows.

    Parameters
    ----------
    rng : numpy.random.Generator
        The demo's generator; it is advanced by a fixed number of draws per row.
    nps : numpy.ndarray
        NPS answers (0-10), one per row; they set each row's NPS group.
    language : numpy.ndarray
        ``"fi"`` or ``"en"`` per row: the language a comment is written in.

    Returns
    -------
    texts : list of str or None
        The comment, or None for a row without one.
    coded : list of str or None
        The true themes of each comment, e.g. ``"price-;service+"`` (``-`` complaint,
        ``+`` praise, empty for a general remark), or None.
    blank_language : numpy.ndarray of bool
        Commented rows whose ``language`` is to be left blank.
    """
    n, k = len(nps), len(THEMES)
    group = nps_group(nps)
    writes = rng.random(n) < np.asarray(COMMENT_RATE)[group]
    mention = rng.random((n, k)) < np.array([THEME_PREVALENCE[t] for t in THEMES]).T[group]
    positive = rng.random((n, k + 1)) < np.asarray(POSITIVE_SHARE)[group][:, None]
    phrase = rng.integers(0, 4, (n, k + 1))
    order = np.argsort(rng.random((n, k)), axis=1)
    personal = rng.random(n) < PERSONAL_DATA_RATE
    personal_kind = rng.integers(0, 3, n)
    personal_value = rng.integers(0, 4, n)
    html = rng.random(n) < HTML_RATE
    html_snippet = rng.integers(0, 3, n)
    blank_language = writes & (rng.random(n) < LANGUAGE_BLANK_RATE)
    texts: list[str | None] = [None] * n
    coded: list[str | None] = [None] * n
    for i in np.flatnonzero(writes):
        lang = language[i]
        picked = [j for j in order[i] if mention[i, j]]
        parts = [PHRASES[lang, THEMES[j]][0 if positive[i, j] else 1][phrase[i, j]] for j in picked]
        if not parts:
            parts = [PHRASES[lang, "general"][0 if positive[i, k] else 1][phrase[i, k]]]
        if personal[i]:
            kind = ("phone", "email", "hetu")[personal_kind[i]]
            value = PERSONAL_DATA[kind][personal_value[i]]
            parts.append(PERSONAL_TEMPLATES[lang][kind].format(value))
        if html[i]:
            parts.append(HTML_SNIPPETS[lang][html_snippet[i]])
        texts[i] = " ".join(parts)
        coded[i] = ";".join(THEMES[j] + ("+" if positive[i, j] else "-") for j in sorted(picked))
    return texts, coded, blank_language
