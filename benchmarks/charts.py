"""Report charts: CPU seconds to build and show them, draws per chart, PNG bytes.

For each demo client this builds the charts its reports show (benchmarking: trend, breakdown,
targets, norms, NPS mix, trends per group, profile; drivers: importance and IPA map per
outcome; journey: the heatmap per experience metric) and shows each one as a kernel does
(IPython's display formatter, which asks ``ReportFigure._repr_png_`` for the PNG). It prints
the CPU seconds of building and of showing, the draws (``draw_event``) and constrained-layout
passes per chart while it is shown, the PNG bytes and Python's garbage collections while
the charts are built and shown (the imports frozen first, as in a report kernel forked from
the template); the peer is the same charts, built again, written by matplotlib's own
``savefig(format="png", dpi=150)`` on its own canvas (its CPU beyond the building). The
statistics behind the charts are computed once, untimed.

``--before REF`` runs the same in a child process with the package as it was at a git ref
(``git archive``), alternating with this checkout, so both are measured in the same minutes
and the ratio is the figure to read on a shared machine. ``--encoders`` compares the PNG
writers on the shown charts' pixels: ``cxresearch.present.png.encode_png`` against
matplotlib's (Pillow, ``matplotlib.image.imsave``), which the charts used before.

Usage (from the repository root)::

    .venv/bin/python benchmarks/charts.py --encoders                 # against savefig
    .venv/bin/python benchmarks/charts.py --before main --repeat 3   # and a git ref
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # as in a report kernel

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CLIENTS = ("kotiposti", "northwind", "saimaa-energia")


def _inputs(client: str) -> dict[str, Any]:
    """What the charts are drawn from, computed once (untimed)."""
    from cxresearch.journey.run import open_journey
    from cxresearch.session import open_run
    from cxresearch.stats.drivers import driver_importance, importance_performance
    from cxresearch.stats.drivers.rows import driver_base

    params = REPO / "params" / f"{client}.yaml"
    s = open_run(params)
    head, targets, norms = s.headline(), s.target_results(), s.benchmark_results()
    d = s.params.drivers
    results, ipa = {}, {}
    for outcome in d.outcomes if d is not None else []:
        base = driver_base(
            s.responses, outcome=outcome, drivers=d.attributes, current_wave=s.current_wave,
            waves=s.waves,
        )  # fmt: skip
        results[outcome] = driver_importance(
            base.rows, outcome=outcome, drivers=d.attributes,
            method=base.method(d.method, bootstrap=40), bootstrap=40, seed=1,
            noise_baseline=True,
        )  # fmt: skip
        ipa[outcome] = importance_performance(
            base.rows, outcome=outcome, drivers=d.attributes, importance=results[outcome],
            scale=d.scale,
        )  # fmt: skip
    j = open_journey(params)
    heat = [
        dict(
            cells=j.cells(m),
            metric=m,
            touchpoints=j.touchpoints(),
            stages=j.stages(),
            overall=j.overall(m)["value"],
            min_base=j.min_base,
        )  # fmt: skip
        for m in j.experience
    ]
    return dict(
        s=s, labels=s.labels, head=head, targets=targets, norms=norms, results=results,
        ipa=ipa, heat=heat, j_labels=j.labels, by_wave=s.by_wave(), mix=s.nps_mix(),
        breakdown=s.breakdown("nps", "touchpoint"), profile=s.profile(),
        group_trend=s.group_trend("nps", "touchpoint"),
    )  # fmt: skip


def _build(i: dict[str, Any]) -> list[Any]:
    """Every chart of the client's reports, built now."""
    import cxresearch.present as cx
    from cxresearch.present import driver_plots as dp
    from cxresearch.present import journey as pj

    s, labels = i["s"], i["labels"]
    targets = i["targets"]
    figs = [
        cx.trend_plot(i["by_wave"], labels, waves=s.waves, min_base=s.min_base),
        cx.breakdown_plot(i["breakdown"], labels, overall=i["head"]["nps"], min_base=s.min_base),
        cx.target_plot(targets[targets["status"].isin(["met", "not_met", "inconclusive"])], labels),
        cx.benchmark_plot(
            i["head"]["nps"], i["norms"][i["norms"]["metric"] == "nps"], labels,
            client_label="benchmark",
        ),
        cx.nps_mix_plot(i["mix"], labels),
        cx.group_trend_plot(
            i["group_trend"], labels, group="touchpoint", waves=s.waves, min_base=s.min_base
        ),
        cx.profile_plot(i["profile"], labels),
    ]  # fmt: skip
    results = i["results"]
    if results:
        end, span = dp.share_axis_end(results), dp.ipa_performance_range(i["ipa"].values())
        for outcome, result in results.items():
            figs.append(dp.importance_plot(result, labels, axis_end=end))
            figs.append(dp.ipa_plot(i["ipa"][outcome], result, labels, performance_range=span))
    for h in i["heat"]:
        figs.append(
            pj.heatmap(
                h["cells"], h["metric"], i["j_labels"], touchpoints=h["touchpoints"],
                stages=h["stages"], overall=h["overall"], min_base=h["min_base"],
            )
        )  # fmt: skip
    return [f for f in figs if f is not None]


def _show(figs: list[Any]) -> tuple[list[bytes], int, int]:
    """Each chart as a kernel shows it; (PNGs, draws, constrained-layout passes)."""
    import base64

    from IPython.core.formatters import DisplayFormatter
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    formatter = DisplayFormatter()
    draws: list[Any] = []
    passes = [0]
    execute = ConstrainedLayoutEngine.execute

    def counted(engine: Any, fig: Any) -> Any:
        passes[0] += 1
        return execute(engine, fig)

    ConstrainedLayoutEngine.execute = counted  # type: ignore[method-assign]
    pngs = []
    try:
        for fig in figs:
            fig.canvas.mpl_connect("draw_event", draws.append)
            data, _meta = formatter.format(fig)
            png = data["image/png"]
            pngs.append(base64.b64decode(png) if isinstance(png, str) else png)
    finally:
        ConstrainedLayoutEngine.execute = execute  # type: ignore[method-assign]
    return pngs, len(draws), passes[0]


def _savefig(figs: list[Any]) -> tuple[list[bytes], int]:
    """Each chart through matplotlib's own ``savefig`` (the peer); (PNGs, draws)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    draws: list[Any] = []
    pngs = []
    for fig in figs:
        FigureCanvasAgg(fig)  # matplotlib's own canvas and renderer, not the chart's
        fig.canvas.mpl_connect("draw_event", draws.append)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=150)
        pngs.append(buffer.getvalue())
    return pngs, len(draws)


def _cpu(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.process_time()
    out = fn()
    return out, time.process_time() - started


class _Collections:
    """Python's garbage collections (count, CPU s) while ``on``, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.on, self.count, self.cpu, self._started = False, 0, 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, Any]) -> None:
        if not self.on:
            return
        if phase == "start":
            self._started = time.process_time()
        else:
            self.count += 1
            self.cpu += time.process_time() - self._started


def child(repeat: int) -> dict[str, Any]:
    """Build and show every client's charts ``repeat`` times; medians."""
    import IPython.core.formatters  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401

    import cxresearch
    import cxresearch.journey.run
    import cxresearch.present
    import cxresearch.session

    # As in a report kernel, forked from a template whose imports are frozen
    # (report/zygote.py): collections walk only what was made after them.
    gc.collect()
    gc.freeze()
    inputs = {c: _inputs(c) for c in CLIENTS}
    _show(_build(inputs[CLIENTS[0]]))  # untimed: fonts and caches, as a kernel's first chart
    build, show, peer, charts, draws, passes, size = [], [], [], 0, 0, 0, 0
    peer_draws = 0
    collections = _Collections()
    gc_count, gc_cpu = [], []
    for _ in range(repeat):
        b = sh = pe = 0.0
        charts = draws = passes = size = peer_draws = 0
        collections.count, collections.cpu = 0, 0.0
        for client in CLIENTS:
            collections.on = True
            figs, seconds = _cpu(lambda c=client: _build(inputs[c]))
            b += seconds
            (pngs, n_draws, n_passes), seconds = _cpu(lambda f=figs: _show(f))
            collections.on = False
            sh += seconds
            charts += len(figs)
            draws += n_draws
            passes += n_passes
            size += sum(map(len, pngs))
            (_, n_draws), seconds = _cpu(lambda c=client: _savefig(_build(inputs[c])))
            pe += seconds
            peer_draws += n_draws
        build.append(b)
        show.append(sh)
        gc_count.append(collections.count)
        gc_cpu.append(collections.cpu)
        peer.append(pe - b)  # savefig's share: built the same way
    return {
        "package": str(Path(cxresearch.__file__).parent),
        "charts": charts,
        "build_cpu": statistics.median(build),
        "show_cpu": statistics.median(show),
        "savefig_cpu": statistics.median(peer),
        "savefig_draws": peer_draws,
        "draws": draws,
        "layout_passes": passes,
        "png_bytes": size,
        "gc_collections": statistics.median(gc_count),
        "gc_cpu": statistics.median(gc_cpu),
        "load": os.getloadavg()[0],
    }


def encoders(repeat: int) -> dict[str, Any]:
    """encode_png against matplotlib's writer on the shown charts' pixels."""
    import io

    import matplotlib.image
    import numpy as np
    from PIL import Image

    from cxresearch.present.png import encode_png

    pixels = []
    for client in CLIENTS:
        pngs, _, _ = _show(_build(_inputs(client)))
        pixels += [np.asarray(Image.open(io.BytesIO(p)).convert("RGBA")) for p in pngs]

    def ours() -> list[bytes]:
        return [encode_png(p, dpi=150) for p in pixels]

    def matplotlibs() -> list[bytes]:
        out = []
        for p in pixels:
            buffer = io.BytesIO()
            matplotlib.image.imsave(buffer, p, format="png", dpi=150)
            out.append(buffer.getvalue())
        return out

    result: dict[str, Any] = {"images": len(pixels)}
    for name, fn in (("encode_png", ours), ("matplotlib", matplotlibs)):
        runs = [_cpu(fn) for _ in range(repeat)]
        result[name] = {
            "cpu": min(seconds for _, seconds in runs),
            "bytes": sum(map(len, runs[0][0])),
        }
        same = all(
            np.array_equal(np.asarray(Image.open(io.BytesIO(b)).convert("RGBA")), p)
            for b, p in zip(runs[0][0], pixels, strict=True)
        )
        result[name]["same_pixels"] = same
    return result


def _run_child(repeat: int, pythonpath: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--repeat", str(repeat)],
        env=env, cwd=REPO, check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds per child (median)")
    parser.add_argument("--before", metavar="REF", help="also the package at this git ref")
    parser.add_argument("--rounds", type=int, default=2, help="alternating children each")
    parser.add_argument("--encoders", action="store_true", help="compare the PNG writers")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.repeat)))
        return 0
    rows: dict[str, list[dict[str, Any]]] = {"now": [], "before": []}
    with tempfile.TemporaryDirectory(prefix="cxcharts-") as tmp:
        if args.before:
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", args.before, "cxresearch"],
                check=True, capture_output=True,
            ).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        for _ in range(args.rounds):
            rows["now"].append(_run_child(args.repeat, None))
            if args.before:
                rows["before"].append(_run_child(args.repeat, tmp))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(
        "| package | charts | build CPU s | show CPU s | draws | layout passes | PNG KiB | "
        "garbage collections (CPU s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    medians = {}
    for name, runs in rows.items():
        if not runs:
            continue
        build = statistics.median(r["build_cpu"] for r in runs)
        show = statistics.median(r["show_cpu"] for r in runs)
        medians[name] = (build, show)
        r = runs[0]
        label = "this checkout" if name == "now" else f"before ({args.before})"
        print(
            f"| {label} | {r['charts']} | {build:.2f} | {show:.2f} | {r['draws']} | "
            f"{r['layout_passes']} | {r['png_bytes'] / 1024:,.0f} | "
            f"{r['gc_collections']:.0f} ({statistics.median(x['gc_cpu'] for x in runs):.2f}) |"
        )
    for name, runs in rows.items():
        if runs:
            peer = statistics.median(r["savefig_cpu"] for r in runs)
            label = "this checkout" if name == "now" else f"before ({args.before})"
            print(
                f"{label}: the same charts through matplotlib's savefig (the peer): "
                f"{peer:.2f} CPU s, {runs[0]['savefig_draws']} draws; shown / savefig "
                f"{medians[name][1] / peer:.2f}"
            )
    if "before" in medians:
        (b0, s0), (b1, s1) = medians["before"], medians["now"]
        print(
            f"now / before: build {b1 / b0:.2f}, show {s1 / s0:.2f}, "
            f"build + show {(b1 + s1) / (b0 + s0):.2f}"
        )
    if args.encoders:
        e = encoders(args.repeat)
        print(f"PNG writers on the {e['images']} shown charts' pixels (best of {args.repeat}):")
        for name in ("encode_png", "matplotlib"):
            print(
                f"  {name}: {e[name]['cpu'] * 1000:.0f} ms CPU, {e[name]['bytes'] / 1024:,.0f} KiB,"
                f" same pixels: {e[name]['same_pixels']}"
            )
        print(f"  time ratio {e['encode_png']['cpu'] / e['matplotlib']['cpu']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
