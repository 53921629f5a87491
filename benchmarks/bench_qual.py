"""Qualitative coding benchmarks (``make bench``): auto-coding, lemmatisers, Krippendorff's alpha.

1. **Auto-coding 100,000 comments** (Finnish and English, the demo generator's sentences
   drawn with a fixed seed) with ``params/codebooks/cx-default.yaml``: seconds and peak
   memory (RSS of a fresh process) with an empty base-form cache (simplemma loads its
   dictionaries) and with the cache warm (a later process that finds the cache file). The
   reference in the same run is the comment-by-comment coder that the corpus-wide one
   replaced (``tests/unit/fixtures/qual_reference_coder.py``), with the same warm cache;
   the run fails when the two codings differ (codes, evidence, sentiment, aspects).
2. **Lemmatisers on inflected Finnish**: simplemma (MIT, the project's choice) against
   Voikko (Debian ``python3-libvoikko`` + ``voikko-fi``, GPL: a benchmark peer only, skipped
   when not installed) on a hand-made gold list of inflected forms and compounds from the
   issue and the demo vocabulary: accuracy, seconds and memory.
3. **Krippendorff's alpha, 3 coders × 10,000 units** against the ``krippendorff`` package
   (GPL-3: a benchmark peer only, installed from ``benchmarks/requirements.txt``), measured
   in the same run; the two must agree to 1e-12.

Each case runs in its own child process so that memory and load times do not leak between
cases. Exit status 1 when alpha disagrees with the peer, the two coders' codings differ or a
case fails.

    .venv/bin/python benchmarks/bench_qual.py            # about 1-2 minutes
    .venv/bin/python benchmarks/bench_qual.py --n 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = 20261129

# Inflected Finnish forms with their base form (and compounds with their head), written by
# hand: the examples plus words of the demo comments and everyday CX vocabulary.
GOLD: dict[str, str] = {
    "laskutus": "laskutus", "laskutuksessa": "laskutus", "laskutuksen": "laskutus",
    "laskun": "lasku", "laskuun": "lasku", "laskussa": "lasku", "laskuja": "lasku",
    "laskuissa": "lasku", "pakettiautomaatilla": "pakettiautomaatti",
    "pakettiautomaatti": "pakettiautomaatti", "pakettiautomaatista": "pakettiautomaatti",
    "asiakaspalvelusta": "asiakaspalvelu", "asiakaspalveluun": "asiakaspalvelu",
    "asiakaspalvelijalle": "asiakaspalvelija", "asiakaspalvelija": "asiakaspalvelija",
    "toimituksen": "toimitus", "toimitukset": "toimitus", "toimitettiin": "toimittaa",
    "hinnat": "hinta", "hintaa": "hinta", "hinnan": "hinta", "hinnoittelussa": "hinnoittelu",
    "kalliimpi": "kallis", "kallis": "kallis", "halvemmalla": "halpa",
    "katkoja": "katko", "katkosta": "katkos", "katkokset": "katkos",
    "sovelluksessa": "sovellus", "sovelluksen": "sovellus", "verkkosivuilta": "verkkosivu",
    "verkkosivut": "verkkosivu", "odottamaan": "odottaa", "odotin": "odottaa",
    "viestit": "viesti", "viesteihin": "viesti", "tiedotettu": "tiedottaa",
    "virheitä": "virhe", "virheen": "virhe", "myöhästyi": "myöhästyä",
    "kuljettajan": "kuljettaja", "paketin": "paketti", "paketit": "paketti",
    "noutopisteessä": "noutopiste", "lähetykseni": "lähetys", "lupaukset": "lupaus",
    "luvattuja": "luvata", "sähköposteihin": "sähköposti", "sähköpostiini": "sähköposti",
    "kirjautuminen": "kirjautuminen", "tilannetiedot": "tilannetieto",
    "käsittely": "käsittely", "kesti": "kestää", "jonotin": "jonottaa",
    "puhelimessa": "puhelin", "muutoksista": "muutos", "kilpailijalta": "kilpailija",
    "lisämaksuja": "lisämaksu", "toimitusmaksu": "toimitusmaksu",
    "asiakaspalvelijoita": "asiakaspalvelija", "sopimuksen": "sopimus",
}  # fmt: skip


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _comments(n: int) -> tuple[list[str], list[str]]:
    import numpy as np

    from cxresearch.data.demo_text import draw_comments

    rng = np.random.Generator(np.random.PCG64(SEED))
    nps = rng.integers(0, 11, n)
    language = np.where(rng.random(n) < 0.5, "fi", "en").astype(object)
    texts, _, _ = draw_comments(rng, nps, language)
    keep = [i for i, t in enumerate(texts) if t is not None]
    while len(keep) < n:  # comment rates are below 1: draw until there are n comments
        more, _, _ = draw_comments(rng, nps, language)
        keep_more = [t for t in more if t is not None]
        texts = [texts[i] for i in keep] + keep_more
        language = np.concatenate([language[keep], language[: len(keep_more)]])
        keep = list(range(len(texts)))
    return [texts[i] for i in keep[:n]], [str(v) for v in language[keep][:n]]


def _previous_coder() -> Any:
    """The comment-by-comment coder kept in the tests as the reference."""
    import importlib.util

    name = "qual_reference_coder"
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "tests" / "unit" / "fixtures" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.code_comments


def _digest(coding: Any) -> str:
    import hashlib

    digest = hashlib.sha256()
    for frame in (coding.codes, coding.evidence, coding.sentiment, coding.aspects):
        digest.update(frame.to_csv().encode("utf-8"))
    digest.update(coding.status.to_csv().encode("utf-8"))
    digest.update(coding.language.to_csv().encode("utf-8"))
    return digest.hexdigest()


def child_coding(spec: dict[str, Any]) -> dict[str, Any]:
    from cxresearch.qual.codebook import load_codebook
    from cxresearch.qual.coding import code_comments
    from cxresearch.qual.normalise import BaseForms

    coder = _previous_coder() if spec.get("coder") == "previous" else code_comments
    texts, languages = _comments(spec["n"])
    base_rss = _rss_mib()
    start = time.perf_counter()
    forms = BaseForms(spec["cache"])
    book = load_codebook(ROOT / "params" / "codebooks" / "cx-default.yaml", forms=forms)
    language = languages if spec["given_language"] else None
    coding = coder(texts, book, language=language, forms=forms)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mib": _rss_mib(),
        "before_mib": base_rss,
        "loaded_dictionary": forms.loaded_dictionary,
        "coded": int((coding.status == "coded").sum()),
        "n": len(texts),
        "digest": _digest(coding),
    }


def child_lemmatiser(spec: dict[str, Any]) -> dict[str, Any]:
    words = list(GOLD)
    start = time.perf_counter()
    if spec["name"] == "simplemma":
        import simplemma

        got = [{simplemma.lemmatize(w, lang="fi")} for w in words]
    else:
        sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-libvoikko
        try:
            import libvoikko  # type: ignore[import-not-found]
        except ImportError:
            return {"skipped": "not installed (apt-get install python3-libvoikko voikko-fi)"}
        voikko = libvoikko.Voikko("fi")
        got = [{a.get("BASEFORM") for a in voikko.analyze(w)} for w in words]
    seconds = time.perf_counter() - start
    # right when the gold base form is the (or, for Voikko's ambiguous analyses, one) answer
    right = [GOLD[w] in g for w, g in zip(words, got, strict=True)]
    wrong = [
        f"{w}->{'/'.join(sorted(map(str, g)))}"
        for w, g, r in zip(words, got, right, strict=True)
        if not r
    ]
    return {"seconds": seconds, "peak_mib": _rss_mib(), "accuracy": sum(right) / len(words),
            "words": len(words), "wrong": wrong}  # fmt: skip


def child_alpha(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    rng = np.random.Generator(np.random.PCG64(SEED))
    units, coders = spec["units"], 3
    truth = rng.integers(0, 5, units)
    data = np.where(rng.random((coders, units)) < 0.2, rng.integers(0, 5, (coders, units)), truth)
    data = data.astype(float)
    data[rng.random((coders, units)) < 0.05] = np.nan  # 5 % missing
    level = spec["level"]
    if spec["who"] == "peer":
        import krippendorff

        call = lambda: krippendorff.alpha(reliability_data=data, level_of_measurement=level)  # noqa: E731
    else:
        from cxresearch.stats.reliability import krippendorff_alpha

        boot = spec.get("bootstrap", 0)
        call = lambda: krippendorff_alpha(data, level=level, bootstrap=boot).value  # noqa: E731
    value = call()
    times = []
    for _ in range(spec.get("repeat", 5)):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return {"seconds": min(times), "value": float(value), "peak_mib": _rss_mib()}


CHILDREN = {"coding": child_coding, "lemmatiser": child_lemmatiser, "alpha": child_alpha}


def run_child(kind: str, spec: dict[str, Any], timeout: float = 1200.0) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(spec)],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="comments to auto-code")
    parser.add_argument("--units", type=int, default=10_000, help="units for alpha")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](json.loads(args.child[1]))))
        return 0

    failed = False
    print(f"# Qualitative coding ({args.n:,} comments; alpha {args.units:,} units × 3 coders)\n")
    with tempfile.TemporaryDirectory() as cache:
        print("| auto-coding | coder | seconds | peak RSS MiB | comments/s | dictionary loaded "
              "| previous/corpus |")  # fmt: skip
        print("|---|---|---:|---:|---:|---|---:|")
        results: dict[tuple[str, str], dict[str, Any]] = {}
        cases = [
            ("cold cache, language given", True, "corpus"),
            ("warm cache, language given", True, "corpus"),
            ("warm cache, language given", True, "previous"),
            ("warm cache, language detected", False, "corpus"),
            ("warm cache, language detected", False, "previous"),
        ]
        for label, given, coder in cases:
            r = run_child("coding", {"n": args.n, "cache": cache, "given_language": given,
                                     "coder": coder})  # fmt: skip
            if "error" in r:
                failed = True
                print(f"| {label} | {coder} | error: {r['error']} | | | | |")
                continue
            results[label, coder] = r
            rate = r["n"] / r["seconds"]
            ratio = ""
            if coder == "previous" and (label, "corpus") in results:
                ours = results[label, "corpus"]
                ratio = f"{r['seconds'] / ours['seconds']:.1f}"
                if r["digest"] != ours["digest"]:
                    failed = True
                    ratio += " (codings DIFFER)"
            print(f"| {label} | {coder} | {r['seconds']:.1f} | {r['peak_mib']:.0f} | {rate:,.0f} "
                  f"| {r['loaded_dictionary']} | {ratio} |")  # fmt: skip
    print("\n| lemmatiser (Finnish gold list) | accuracy | seconds | peak RSS MiB | wrong |")
    print("|---|---:|---:|---:|---|")
    for name in ("simplemma", "voikko"):
        r = run_child("lemmatiser", {"name": name})
        if "skipped" in r or "error" in r:
            print(f"| {name} | {r.get('skipped') or r.get('error')} | | | |")
            continue
        print(f"| {name} | {r['accuracy']:.3f} ({r['words']} words) | {r['seconds']:.2f} | "
              f"{r['peak_mib']:.0f} | {', '.join(r['wrong'])} |")  # fmt: skip
    print("\n| Krippendorff's alpha | level | seconds | ratio peer/ours | value | |diff| |")
    print("|---|---|---:|---:|---:|---:|")
    for level in ("nominal", "interval"):
        ours = run_child("alpha", {"who": "ours", "units": args.units, "level": level})
        peer = run_child("alpha", {"who": "peer", "units": args.units, "level": level})
        boot = run_child("alpha", {"who": "ours", "units": args.units, "level": level,
                                   "bootstrap": 1000, "repeat": 1})  # fmt: skip
        if "error" in ours or "error" in peer:
            failed = True
            print(f"| error | {level} | {ours.get('error', '')} {peer.get('error', '')} | | | |")
            continue
        diff = abs(ours["value"] - peer["value"])
        failed |= diff > 1e-12
        ratio = peer["seconds"] / ours["seconds"]
        print(f"| cxresearch | {level} | {ours['seconds']:.4f} | {ratio:.2f} | "
              f"{ours['value']:.6f} | {diff:.1e} |")  # fmt: skip
        print(f"| krippendorff 0.9.0 (peer) | {level} | {peer['seconds']:.4f} | 1.00 | "
              f"{peer['value']:.6f} | |")  # fmt: skip
        if "error" not in boot:
            print(f"| cxresearch + 1,000 bootstrap resamples | {level} | {boot['seconds']:.2f} "
                  "| | | |")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
