"""Pure statistics for CX research: metrics with intervals, tests, weighting, drivers.

Nothing in this package reads files, plots, rounds or prints. Import the submodules
directly (``cxresearch.stats.metrics``, ``cxresearch.stats.inference``, ...); this file
imports nothing so that ``import cxresearch.stats`` stays cheap.
"""
