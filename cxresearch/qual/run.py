"""The qualitative report's data: one run's comments coded with the params' codebook.

:func:`open_coding` is to the qualitative notebook what :func:`cxresearch.open_run` is to
every notebook: it reads the codebook, the optional reference coding and coder sheets named
under ``coding:`` in the params, codes the run's comments once (base forms cached in the
project's ``.cache/cxresearch``) and offers each report section as one method call, with
the run's confidence level, seed and weights.

Which rows each section uses (stated in the report):

- themes, prevalence, NPS impact and quotes: the comments of the **current wave**;
- coding quality (against the reference) and the former customers' reasons: every wave of
  the run, because they need more comments than one wave has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxresearch.params import project_root
from cxresearch.qual.codebook import Codebook, load_codebook
from cxresearch.qual.coding import Coding, code_comments
from cxresearch.qual.impact import theme_impact, theme_prevalence
from cxresearch.qual.normalise import BaseForms
from cxresearch.qual.quality import agreement_by_code, evaluate_codes, evaluate_sentiment
from cxresearch.qual.quotes import representative_quotes
from cxresearch.qual.sheets import CoderSheet, read_reference, read_sheet
from cxresearch.qual.suggest import suggest_themes
from cxresearch.session import RunSession

__all__ = ["QualRun", "open_coding"]

#: How the auto-coder is named among coders.
AUTO = "auto"
REFERENCE = "reference"


@dataclass(frozen=True)
class QualRun:
    """One run's coded comments and the report sections computed from them.

    Attributes
    ----------
    session
        The run (:func:`cxresearch.open_run`).
    codebook
        The params' codebook.
    comments
        The run's rows with a comment (every wave), indexed by ``response_id``.
    coding
        :func:`cxresearch.code_comments` of ``comments`` (the data's ``language`` where
        given, detected where blank).
    reference
        ``(codes, aspects)`` of the reference coding for the run's comments, or None.
    sheets
        The coders' sheets (people), possibly empty.
    forms
        The project's base-form cache.
    """

    session: RunSession
    codebook: Codebook
    comments: pd.DataFrame = field(repr=False)
    coding: Coding = field(repr=False)
    reference: tuple[pd.DataFrame, pd.DataFrame] | None = field(repr=False)
    sheets: tuple[CoderSheet, ...] = field(repr=False)
    forms: BaseForms = field(repr=False)

    @property
    def language(self) -> str:
        return self.session.params.language

    @property
    def seed(self) -> int:
        return self.session.params.report.seed

    @property
    def bootstrap(self) -> int:
        spec = self.session.params.coding
        return spec.bootstrap if spec is not None else 1000

    def ids(self, *, current: bool = True, codable: bool = True) -> pd.Index:
        """Comment ids: of the current wave (or all), only those with words in fi/en."""
        frame = self.comments
        keep = pd.Series(True, index=frame.index)
        if current and "wave" in frame:
            keep &= frame["wave"] == self.session.current_wave
        if codable:
            keep &= self.coding.status.isin(["coded", "uncoded"])
        return frame.index[keep.to_numpy()]

    def weights(self) -> pd.Series | None:
        """The run's weights by response id (None when unweighted).

        Used as weights-only designs within the comments: the raked design's calibration
        is not carried into theme shares (a documented approximation).
        """
        weights = self.session.weights
        if weights is None:
            return None
        ids = self.session.responses.loc[weights.index, "response_id"].to_numpy()
        return pd.Series(weights.to_numpy(float), index=ids)

    def counts(self) -> pd.Series:
        """Comment statuses of the current wave plus respondents and commenters."""
        current = self.ids(codable=False)
        sub = self.coding.status.loc[current]
        out = {
            "respondents": len(self.session.current),
            "comments": len(current),
            **{s: int((sub == s).sum()) for s in ("coded", "uncoded", "empty", "other-language")},
            "language_detected": int(self.coding.language_detected.loc[current].sum()),
            "mixed_language": int(self.coding.mixed_language.loc[current].sum()),
            "long": int((self.coding.characters.loc[current] > 5000).sum()),
        }
        return pd.Series(out)

    def reference_themes(self) -> list[str]:
        """Codes the reference uses (evaluated), in codebook order."""
        if self.reference is None:
            return []
        used = self.reference[0].any(axis=0)
        return [c for c in self.codebook.names if used.get(c, False)]

    def quality(self) -> pd.DataFrame | None:
        """Precision, recall and F1 of the auto-coder per theme against the reference."""
        if self.reference is None:
            return None
        return evaluate_codes(
            self.coding.codes,
            self.reference[0],
            codes=self.reference_themes(),
            confidence=self.session.confidence,
        )

    def sentiment_quality(self) -> pd.DataFrame | None:
        """Sentiment of theme mentions against the reference (mentions both found)."""
        if self.reference is None or self.reference[1].empty:
            return None
        return evaluate_sentiment(
            self.coding.aspects,
            self.reference[1],
            codes=self.reference_themes(),
            confidence=self.session.confidence,
        )

    def codings(self) -> dict[str, pd.DataFrame]:
        """Every coder's codes on the comments coded by people (or by the reference)."""
        out: dict[str, pd.DataFrame] = {}
        for sheet in self.sheets:
            out[sheet.coder] = sheet.codes
        if not out and self.reference is not None:
            out[REFERENCE] = self.reference[0]
        if not out:
            return {}
        ids = sorted(set().union(*(f.index for f in out.values())) & set(self.coding.codes.index))
        auto = self.coding.codes.loc[ids]
        return {AUTO: auto, **{k: v.loc[v.index.isin(ids)] for k, v in out.items()}}

    def agreement(self, *, codes: list[str] | None = None) -> pd.DataFrame | None:
        """Per-code Krippendorff's alpha (and kappa for two) among the coders and the auto-coder."""
        codings = self.codings()
        if len(codings) < 2:
            return None
        themes = codes or [
            c for c in self.codebook.themes if all(c in f.columns for f in codings.values())
        ]
        if REFERENCE in codings:  # codes the reference does not use cannot be compared
            themes = [c for c in themes if c in self.reference_themes()]
        return agreement_by_code(
            codings,
            codes=themes,
            confidence=self.session.confidence,
            bootstrap=self.bootstrap,
            seed=self.seed,
        )

    def prevalence(self, by: list[str] | None = None, *, current: bool = True) -> pd.DataFrame:
        """Theme prevalence among commenters (current wave by default), overall or by group."""
        ids = self.ids(current=current)
        return theme_prevalence(
            self.coding.codes.loc[ids],
            self.comments.loc[ids],
            by=by or [],
            themes=self.codebook.themes,
            weights=self.weights(),
            confidence=self.session.confidence,
        )

    def impact(self) -> pd.DataFrame | None:
        """NPS of mentioners vs others and effect on overall NPS per theme (current wave)."""
        rows = self.session.current
        if "nps" not in rows or not rows["nps"].notna().any():
            return None
        scores = rows.set_index("response_id")["nps"]
        weights = self.weights()
        ids = self.ids().intersection(scores.dropna().index)
        return theme_impact(
            scores,
            self.coding.codes.loc[ids],
            themes=self.codebook.themes,
            weights=weights,
            confidence=self.session.confidence,
            bootstrap=self.bootstrap,
            seed=self.seed,
            adjust=self.session.multiplicity,
        )

    def former_reasons(self) -> pd.DataFrame | None:
        """Themes of former customers' comments (every wave of the run), complaints only."""
        if "customer_type" not in self.comments:
            return None
        ids = self.ids(current=False)
        former = ids[(self.comments.loc[ids, "customer_type"] == "former").to_numpy()]
        if not len(former):
            return None
        complaints = self.coding.aspects[
            self.coding.aspects["id"].isin(former)
            & (self.coding.aspects["sentiment"].isin(["negative", "mixed"]))
        ]
        codes = pd.DataFrame(False, index=former, columns=self.codebook.themes)
        for row in complaints.itertuples():
            if row.code in codes.columns:
                codes.at[row.id, row.code] = True
        return theme_prevalence(
            codes,
            self.comments.loc[former],
            themes=self.codebook.themes,
            weights=self.weights(),
            confidence=self.session.confidence,
        )

    def quotes(self, code: str, *, sentiment: str | None = None) -> pd.DataFrame:
        """Representative masked quotes of the current wave for ``code``."""
        ids = self.ids()
        spec = self.session.params.coding
        return representative_quotes(
            self.comments.loc[ids, "comment"],
            _subset(self.coding, ids),
            self.codebook,
            code,
            n=spec.quotes if spec is not None else 3,
            language=self.language,
            sentiment=sentiment,
            frame=self.comments.loc[ids],
            vary_by="customer_type" if "customer_type" in self.comments else None,
            names=tuple(self.session.params.privacy.names),
            seed=self.seed,
        )

    def suggestions(self) -> pd.DataFrame:
        """Candidate new themes from the run's uncoded comments in the report language."""
        spec = self.session.params.coding
        n = spec.suggestions if spec is not None else 5
        if n == 0:
            return pd.DataFrame(columns=["theme", "terms", "comments", "share", "examples"])
        return suggest_themes(
            self.comments["comment"],
            self.coding,
            forms=self.forms,
            language=self.language,
            n_themes=n,
            seed=self.seed,
        )


def _subset(coding: Coding, ids: pd.Index) -> Coding:
    keep = set(ids)
    return Coding(
        codes=coding.codes.loc[ids],
        evidence=coding.evidence[coding.evidence["id"].isin(keep)],
        sentiment=coding.sentiment.loc[ids],
        aspects=coding.aspects[coding.aspects["id"].isin(keep)],
        language=coding.language.loc[ids],
        language_detected=coding.language_detected.loc[ids],
        mixed_language=coding.mixed_language.loc[ids],
        status=coding.status.loc[ids],
        characters=coding.characters.loc[ids],
        codebook=coding.codebook,
    )


def open_coding(session: RunSession) -> QualRun:
    """Code one run's comments with the params' codebook (see the module docstring).

    Raises
    ------
    ParamsError
        The params have no ``coding:`` section, or a file under it is invalid.
    """
    from cxresearch.errors import ParamsError

    params = session.params
    if params.coding is None:
        raise ParamsError(f"{params.path}: the qualitative report needs a 'coding:' section")
    files = params.input_files()
    forms = BaseForms(project_root(Path(params.path)) / ".cache" / "cxresearch")
    book = load_codebook(files["coding.codebook"], forms=forms)
    rows = session.responses
    has_text = rows["comment"].notna() & rows["comment"].astype(str).str.strip().ne("")
    comments = rows[has_text.to_numpy()].set_index("response_id")
    language = comments.get("language")
    coding = code_comments(comments["comment"], book, language=language, forms=forms)
    reference = None
    if "coding.reference" in files:
        codes, aspects = read_reference(files["coding.reference"], book)
        inside = codes.index.intersection(comments.index)
        reference = (codes.loc[inside], aspects[aspects["id"].isin(set(inside))])
    sheets = tuple(
        read_sheet(path, book) for key, path in files.items() if key.startswith("coding.coders")
    )
    forms.save()
    return QualRun(session, book, comments, coding, reference, sheets, forms)
