"""The PDF's cost per report (issue #18): where WeasyPrint's time goes, and what ours saves.

For every report page under a reports folder (by default those that have a PDF beside them),
in one process and alternating per report, so that both see the same machine:

- **plain**: WeasyPrint as this package printed before issue 18's PDF work: the pinned fonts
  loaded afresh for each report, every PNG decoded and encoded again by WeasyPrint;
- **ours**: :func:`cxresearch.report.render.render_pdf` (fonts loaded once per process,
  PNG rows copied where they can be: :mod:`cxresearch.report.pdf_images`).

CPU seconds (median of ``--repeat`` runs each), their ratio, the PDF sizes, and one more
run of ours split into WeasyPrint's phases (HTML parsing, CSS cascade, box tree, layout,
drawing, images, fonts, writing the file) and Python's garbage collections during them.
The phases are timed by wrapping WeasyPrint's own functions (private API: a phase
WeasyPrint no longer has is left out, not guessed), the collections by ``gc.callbacks``.

Examples
--------
    .venv/bin/cxresearch report --force            # the demo reports, with their PDFs
    .venv/bin/python benchmarks/pdf.py              # reports/*/*/*.html that have a PDF
    .venv/bin/python benchmarks/pdf.py --reports /tmp/out --all --repeat 5 --markdown
    .venv/bin/python benchmarks/pdf.py --freeze     # the heap frozen, as in a render worker
"""

from __future__ import annotations

import argparse
import collections
import functools
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PHASES = (
    "parse", "cascade", "boxes", "layout", "draw", "images", "fonts", "write", "gc", "other"
)  # fmt: skip


def plain_pdf(page: str) -> bytes:
    """The page printed as before: fresh fonts, WeasyPrint's own images."""
    import weasyprint

    from cxresearch.report import render

    with render._PDF_LOCK, render._reproducible_weasyprint():
        setup = render._PrintSetup()
        fetcher = render.offline_url_fetcher(files=setup.files)
        document = weasyprint.HTML(string=render.mark_appendix(page), url_fetcher=fetcher)
        pdf = document.write_pdf(stylesheets=[setup.css], font_config=setup.fonts)
    assert isinstance(pdf, bytes)
    return pdf


def ours_pdf(page: str) -> bytes:
    from cxresearch.report.render import render_pdf

    return render_pdf(page)


@contextmanager
def phase_clock() -> Iterator[collections.Counter[str]]:
    """CPU seconds per WeasyPrint phase (exclusive of nested phases) while active."""
    import pydyf
    import weasyprint
    from weasyprint import document, images
    from weasyprint import pdf as wpdf

    from cxresearch.report import pdf_images

    spent: collections.Counter[str] = collections.Counter()
    stack: list[str] = []
    collecting: list[float] = []

    def collection(phase: str, info: dict[str, int]) -> None:
        # Python's garbage collections, out of the phase they interrupted.
        if phase == "start":
            collecting.append(time.process_time())
        elif collecting:
            elapsed = time.process_time() - collecting.pop()
            spent["gc"] += elapsed
            if stack:
                spent[stack[-1]] -= elapsed

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            stack.append(name)
            try:
                result = function(*args, **kwargs)
                if name == "layout":  # a generator: its work is done while it is read
                    result = list(result)
                return result
            finally:
                stack.pop()
                elapsed = time.process_time() - started
                spent[name] += elapsed
                if stack:
                    spent[stack[-1]] -= elapsed

        return wrapper

    targets = [
        (weasyprint.HTML, "__init__", "parse"),
        (document, "get_all_computed_styles", "cascade"),
        (document, "build_formatting_structure", "boxes"),
        (document, "layout_document", "layout"),
        (document.Page, "paint", "draw"),
        (images.RasterImage, "get_x_object", "images"),
        (pdf_images, "_x_object", "images"),
        (wpdf, "build_fonts_dictionary", "fonts"),
        (pydyf.PDF, "write", "write"),
    ]
    saved = []
    for owner, attribute, name in targets:
        original = getattr(owner, attribute, None)
        if original is None:
            continue
        saved.append((owner, attribute, original))
        setattr(owner, attribute, timed(name, original))
    gc.callbacks.append(collection)
    try:
        yield spent
    finally:
        gc.callbacks.remove(collection)
        for owner, attribute, original in saved:
            setattr(owner, attribute, original)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=Path, default=REPO / "reports", help="reports folder")
    parser.add_argument("--all", action="store_true", help="every page, not only those with a PDF")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each way per report")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--freeze",
        action="store_true",
        help="freeze the heap after the first pages, as a render worker does (render_pool)",
    )
    args = parser.parse_args(argv)
    pages = sorted(args.reports.glob("*/*/*.html"))
    if not args.all:
        pages = [p for p in pages if p.with_suffix(".pdf").is_file()]
    if not pages:
        print(f"no report pages under {args.reports} (run `cxresearch report` first)")
        return 1
    texts = {p: p.read_text(encoding="utf-8") for p in pages}
    ways = {"plain": plain_pdf, "ours": ours_pdf}
    for way in ways.values():  # imports and first-use costs outside the figures
        way(texts[pages[0]])
    if args.freeze:
        from cxresearch.report.render_pool import _freeze

        _freeze()
    cpu: dict[tuple[str, Path], list[float]] = collections.defaultdict(list)
    size: dict[tuple[str, Path], int] = {}
    for run in range(args.repeat):
        for page in pages:
            for name in list(ways) if run % 2 == 0 else list(ways)[::-1]:
                started = time.process_time()
                pdf = ways[name](texts[page])
                cpu[name, page].append(time.process_time() - started)
                size[name, page] = len(pdf)
    phases: dict[Path, dict[str, float]] = {}
    for page in pages:
        with phase_clock() as spent:
            started = time.process_time()
            ours_pdf(texts[page])
            total = time.process_time() - started
        phases[page] = {**spent, "other": total - sum(spent.values())}

    header = ["report", "plain CPU s", "ours CPU s", "ours/plain", "kB plain → ours", *PHASES]
    rows = []
    sums = collections.Counter[str]()
    for page in pages:
        plain = statistics.median(cpu["plain", page])
        ours = statistics.median(cpu["ours", page])
        sums["plain"] += plain
        sums["ours"] += ours
        name = "/".join(page.relative_to(args.reports).parts)
        kb = f"{size['plain', page] / 1000:.0f} → {size['ours', page] / 1000:.0f}"
        split = [f"{phases[page].get(p, 0.0):.3f}" for p in PHASES]
        rows.append([name, f"{plain:.3f}", f"{ours:.3f}", f"{ours / plain:.2f}", kb, *split])
    ratio = sums["ours"] / sums["plain"]
    total = ["all", f"{sums['plain']:.2f}", f"{sums['ours']:.2f}", f"{ratio:.2f}"]
    rows.append(total + [""] * (len(header) - len(total)))
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
    print(
        f"\n{len(pages)} pages, median of {args.repeat} runs each way, alternating; phases of "
        "ours from one more run (CPU s; 'other' = the rest of render_pdf)"
        + ("; heap frozen after the first pages." if args.freeze else ".")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
