"""Theme suggestions for comments the codebook does not cover (TF-IDF + NMF on base forms).

The comments the auto-coder left uncoded are what the codebook misses. :func:`suggest_themes`
turns them into base forms (so inflected Finnish words count as one term), drops function
words, weighs terms by TF-IDF and factorises the comment × term matrix with non-negative
matrix factorisation (scikit-learn's ``NMF``, seeded). Each factor is a candidate theme: its
top terms say what it is about, its example comments show it, and its size says how many
uncoded comments it would cover. A researcher reads them and adds codes (with rules) to the
codebook; nothing is coded automatically from a suggestion.

References
----------
Lee, D. D. and Seung, H. S. (1999). Learning the parts of objects by non-negative matrix
factorization. Nature 401, 788-791.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxresearch.qual.coding import Coding
from cxresearch.qual.normalise import LANGUAGES, BaseForms, normalise_text, tokenise


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


__all__ = ["STOPWORDS", "suggest_themes"]

#: Function words left out of suggestions (base forms).
STOPWORDS: dict[str, frozenset[str]] = {
    "fi": _words(
        "ja on ei olla se ne tämä tuo että mutta kun jo vain myös tai kuin niin "
        "minä sinä hän me te he mikä joka jos vielä aina koko ihan tosi todella "
        "kaikki mitään yksi oma siitä sen sitä siis sekä eli nyt sitten kanssa ole "
        "oli ovat olen olisi mitä"
    ),
    "en": _words(
        "the a an and or but is are was were be been being to of in on at for with "
        "from by it its this that these those i me my we our you your he she they "
        "them their not no so very too all any some have has had do does did can "
        "could would should will just about as than then there here what which who"
    ),
}
_MIN_COMMENTS = 10


def suggest_themes(
    texts: pd.Series,
    coding: Coding,
    *,
    forms: BaseForms | None = None,
    language: str | None = None,
    n_themes: int = 5,
    top_terms: int = 8,
    examples: int = 3,
    seed: int = 20261123,
) -> pd.DataFrame:
    """Candidate new themes from the uncoded comments.

    Parameters
    ----------
    texts : Series
        The comments, indexed like ``coding``.
    coding : Coding
        The auto-coding; its ``uncoded`` comments are factorised.
    forms : BaseForms, optional
        Base-form look-ups (the project's cached one).
    language : {"fi", "en"}, optional
        Only comments in this language (default all).
    n_themes : int, optional
        How many candidate themes at most (fewer when there are few comments).
    top_terms, examples : int, optional
        Terms and example comment ids per theme.
    seed : int, optional
        Seed of the NMF initialisation.

    Returns
    -------
    DataFrame
        One row per candidate, largest first: ``theme`` (1..k), ``terms`` (top base forms,
        comma-separated), ``comments`` (uncoded comments whose strongest factor it is),
        ``share`` (of the uncoded comments) and ``examples`` (list of comment ids).
        Empty when fewer than 10 comments are uncoded.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    columns = ["theme", "terms", "comments", "share", "examples"]
    uncoded = coding.status.index[coding.status.to_numpy() == "uncoded"]
    if language is not None:
        # One language at a time: Finnish and English words of the same idea would
        # otherwise split or blur the candidate themes.
        uncoded = uncoded[(coding.language.loc[uncoded] == language).to_numpy()]
    if len(uncoded) < _MIN_COMMENTS:
        return pd.DataFrame(columns=columns)
    forms = forms if forms is not None else BaseForms()
    documents = []
    for rid in uncoded:
        lang = coding.language.loc[rid]
        lang = lang if lang in LANGUAGES else "fi"
        words = [t.text for t in tokenise(normalise_text(texts.loc[rid]))]
        bases = [forms.base_form(w, lang) for w in words]
        documents.append([b for b in bases if b not in STOPWORDS[lang] and len(b) > 2])
    forms.save()
    vectoriser = TfidfVectorizer(analyzer=lambda doc: doc, min_df=2, sublinear_tf=True)
    try:
        matrix = vectoriser.fit_transform(documents)
    except ValueError:  # no term occurs twice
        return pd.DataFrame(columns=columns)
    k = max(1, min(n_themes, matrix.shape[0] - 1, matrix.shape[1] - 1))
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=500)
    weights = model.fit_transform(matrix)
    terms = np.asarray(vectoriser.get_feature_names_out())
    strongest = weights.argmax(axis=1)
    has_weight = weights.max(axis=1) > 0
    rows = []
    for j in range(k):
        members = np.flatnonzero((strongest == j) & has_weight)
        if not members.size:
            continue
        top = terms[np.argsort(-model.components_[j], kind="stable")[:top_terms]]
        ordered = members[np.argsort(-weights[members, j], kind="stable")]
        shown: dict[str, int] = {}
        for i in ordered:  # distinct texts only
            shown.setdefault(normalise_text(texts.loc[uncoded[i]]).casefold(), int(i))
        best = list(shown.values())[:examples]
        rows.append(
            {
                "terms": ", ".join(top),
                "comments": int(members.size),
                "share": float(members.size / len(uncoded)),
                "examples": [uncoded[i] for i in best],
            }
        )
    table = pd.DataFrame(rows).sort_values("comments", ascending=False, kind="stable")
    table.insert(0, "theme", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)[columns]
