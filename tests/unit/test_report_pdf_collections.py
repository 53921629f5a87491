"""Python's garbage collector is off while WeasyPrint prints, and as it was afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from cxresearch.errors import ReportError
from cxresearch.report.render import render_pdf

PAGE = "<html><body><h1>Otsikko</h1><p>Teksti.</p></body></html>"


@pytest.fixture
def collector_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether the collector was on when WeasyPrint laid out and wrote each PDF."""
    import weasyprint

    seen: list[bool] = []
    write_pdf = weasyprint.HTML.write_pdf

    def spy(self: object, *args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", spy)
    enabled = gc.isenabled()
    yield seen
    if enabled:
        gc.enable()


def test_collector_is_paused_while_printing_and_restored(collector_seen: list[bool]) -> None:
    gc.enable()
    first = render_pdf(PAGE)
    assert collector_seen == [False] and gc.isenabled()
    # A collector someone turned off stays off.
    gc.disable()
    assert render_pdf(PAGE) == first
    assert collector_seen == [False, False] and not gc.isenabled()


def test_collector_is_restored_when_printing_fails(
    collector_seen: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    def broken(self: object, *args: object, **kwargs: object) -> object:
        collector_seen.append(gc.isenabled())
        raise RuntimeError("layout failed")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    gc.enable()
    with pytest.raises(ReportError, match="layout failed"):
        render_pdf(PAGE)
    assert collector_seen == [False] and gc.isenabled()
