"""Python's cyclic garbage collector paused around work that only builds live objects.

Drawing a chart and printing a PDF each allocate tens of thousands to millions of small
objects that stay referenced until the work ends (artists held by the figure, boxes and
styles held by the document). Every 700 allocations the collector starts and walks them
again, finding next to nothing: 650 collections for the 51 demo charts, a sixth of their
CPU (``benchmarks/charts.py``), and 4–8 % of a PDF's CPU in a render worker
(``benchmarks/pdf.py``). Paused, reference counting still frees what is dropped; only
reference cycles that became garbage inside the block wait for the next collection
after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside the block and as it was after, also on an error.

    A collector that was already off (switched off by the caller) stays off.

    Examples
    --------
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
