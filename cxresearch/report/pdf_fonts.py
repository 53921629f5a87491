"""The PDF's fonts: pinned files, so the printed bytes do not depend on what is installed.

WeasyPrint takes fonts from fontconfig: with ``font-family: "Source Sans 3", Arial, …``
the PDF uses whichever of them the machine has, and installing a font changes the bytes.
Reports are therefore printed with one family, :data:`FAMILY`, whose four faces are the
DejaVu Sans files that matplotlib ships in ``mpl-data`` (the charts' own font, so text and
charts match; a free licence, Bitstream Vera / public domain, compatible with MIT),
loaded as ``@font-face`` from those files, which the offline printer reads by name
(:func:`~cxresearch.report.render.offline_url_fetcher`; no other file outside the report).
DejaVu covers Latin (Finnish, Swedish), Greek, Cyrillic and the symbols the reports use
(− – · † ▲ ▼ ≤ ²), so fontconfig is not asked for a fallback in the demo reports; a
character outside it (an emoji in a quote) would still come from the system.

:func:`font_digest` names the files and their sha256: the manifest records it and it is
part of every report's cache key, so changed fonts print the reports again.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

__all__ = ["FACES", "FAMILY", "MONO_FAMILY", "font_css", "font_digest", "font_files"]

FAMILY = "CX Report Sans"
MONO_FAMILY = "CX Report Mono"
#: (family, weight, style) → file in matplotlib's mpl-data/fonts/ttf.
FACES = {
    (FAMILY, "normal", "normal"): "DejaVuSans.ttf",
    (FAMILY, "bold", "normal"): "DejaVuSans-Bold.ttf",
    (FAMILY, "normal", "italic"): "DejaVuSans-Oblique.ttf",
    (FAMILY, "bold", "italic"): "DejaVuSans-BoldOblique.ttf",
    (MONO_FAMILY, "normal", "normal"): "DejaVuSansMono.ttf",
}


def font_files() -> dict[tuple[str, str, str], Path]:
    """The face → file mapping, as paths inside the installed matplotlib."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    files = {face: folder / name for face, name in FACES.items()}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:  # pragma: no cover - a broken matplotlib install
        raise FileNotFoundError(f"the report fonts are missing: {missing}")
    return files


@cache
def font_digest() -> str:
    """``"DejaVu Sans (matplotlib) sha256:<hex>"`` over the face files, names included."""
    digest = hashlib.sha256()
    for face, path in sorted(font_files().items()):
        digest.update(("/".join(face) + "=" + path.name).encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return f"DejaVu Sans (matplotlib mpl-data) sha256:{digest.hexdigest()}"


@cache
def font_css() -> str:
    """A stylesheet declaring the pinned faces and using them for every element."""
    rules = []
    for (family, weight, style), path in font_files().items():
        # The file itself, not a data: URI of it: WeasyPrint's CSS tokenizer walks a URL a
        # character at a time in Python, and the five faces as base64 (3.5 MB) cost about
        # 0.6 of a report's 1.8 CPU s of printing (measured; the PDF bytes are the same).
        # The offline printer reads these files and no others (render.offline_url_fetcher).
        quoted = path.resolve().as_uri().replace('"', "%22")
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
            f'font-style: {style}; src: url("{quoted}"); }}'
        )
    rules.append(f'html, body, * {{ font-family: "{FAMILY}" !important; }}')
    rules.append(f'pre, code, kbd, samp {{ font-family: "{MONO_FAMILY}" !important; }}')
    return "\n".join(rules)
