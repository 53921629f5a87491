"""The customer journey: the three-level metric model, operational data, closing the loop.

- :mod:`~cxresearch.journey.spec` — the ``journey:`` params section (validation only);
- :mod:`~cxresearch.journey.formula` — metric formulas parsed without ``eval``;
- :mod:`~cxresearch.journey.model` — params metrics as metrics of the registry;
- :mod:`~cxresearch.journey.operational` — the operational file joined by id, mismatches counted;
- :mod:`~cxresearch.journey.loop` — the follow-up list: export, import, status;
- :mod:`~cxresearch.journey.run` — one client × run's journey rows for the notebook.

The statistics are in :mod:`cxresearch.stats.journey` and :mod:`cxresearch.stats.outcomes`,
the wording and charts in :mod:`cxresearch.present.journey`.
"""
