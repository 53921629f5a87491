"""A cell's printed text is one output however the kernel flushed it (report/execute.py).

ipykernel sends stdout in as many messages as its output thread flushed: under load
``print("params sha256", digest)`` arrived as two stream outputs, which nbconvert renders as
two ``<pre>`` blocks, so a forced re-render of the same report gave other bytes. The kept
notebook merges consecutive stream outputs of one name, so its bytes and its pages do not
depend on the kernel's timing.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from cxresearch.report.execute import _stabilise
from cxresearch.report.job import notebook_bytes, render_pages


def _notebook(*texts: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in texts]
    outputs.insert(0, nbformat.v4.new_output("stream", name="stderr", text="varoitus\n"))
    outputs.append(
        nbformat.v4.new_output("display_data", data={"text/plain": "taulukko"}, metadata={})
    )
    outputs.append(nbformat.v4.new_output("stream", name="stdout", text="loppu\n"))
    cell = nbformat.v4.new_code_cell("print('params sha256', digest)", outputs=outputs)
    cell.id = "cell-1"
    nb.cells = [cell]
    return nb


def test_split_stream_outputs_are_kept_and_rendered_as_one() -> None:
    whole = _stabilise(_notebook("params sha256 422e\n"), Path("x.ipynb"))
    split = _stabilise(_notebook("params sha256", " 422e", "\n"), Path("x.ipynb"))
    assert notebook_bytes(split) == notebook_bytes(whole)
    outputs = split.cells[0].outputs
    # Only consecutive outputs of one stream are joined; the order and the rest stay.
    assert [(o.output_type, o.get("name"), o.get("text")) for o in outputs] == [
        ("stream", "stderr", "varoitus\n"),
        ("stream", "stdout", "params sha256 422e\n"),
        ("display_data", None, None),
        ("stream", "stdout", "loppu\n"),
    ]
    pages = render_pages(notebook_bytes(split), title="T", language="fi", pdf=False)
    assert pages == render_pages(notebook_bytes(whole), title="T", language="fi", pdf=False)
    assert pages[0].count(b"params sha256 422e") == 1
