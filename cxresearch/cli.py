"""The ``cxresearch`` command: ``report``, ``validate``, ``inspect``, ``init``, ``demo``, ``loop``,
``coding``.

``make report`` runs ``cxresearch report --jobs 2``. Errors in the user's input (CxError)
end in one clean paragraph on stderr and exit code 2, never a traceback: a consultant
running the batch needs the file and the key to fix, not the call stack.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cxresearch import __version__
from cxresearch.errors import CxError, ReportError, reader_message

EXIT_INVALID = 2


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


_DATA_ROOT_HELP = (
    "a folder outside the project that data files named in params may be in "
    "(default: $CXRESEARCH_DATA_ROOT; otherwise every file must be inside the project)"
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="cxresearch",
        description="Reproducible customer-experience research: client reports from data + params.",
    )
    parser.add_argument("--version", action="version", version=f"cxresearch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    report = commands.add_parser(
        "report",
        help="render every client's reports (HTML/PDF), manifests and reports/index.html",
        description="Validate all params first, then execute each client × run × analysis "
        "notebook and render it. Unchanged reports are skipped.",
    )
    report.add_argument(
        "params", nargs="*", type=Path, metavar="PARAMS",
        help="params files (default: every params/*.yaml under the current directory)",
    )  # fmt: skip
    report.add_argument(
        "--jobs", "-j", type=_positive_int, default=1, metavar="N",
        help="notebooks to execute at the same time (default 1)",
    )  # fmt: skip
    report.add_argument(
        "--output", "-o", type=Path, default=Path("reports"), metavar="DIR",
        help="reports folder (default: reports)",
    )  # fmt: skip
    report.add_argument(
        "--force", action="store_true", help="render even reports that are up to date"
    )
    report.add_argument("--data-root", type=Path, metavar="DIR", help=_DATA_ROOT_HELP)
    report.add_argument(
        "--executor", choices=("local", "dask"), default="local",
        help="where notebooks run: local threads (default) or a Dask cluster "
        "(pip install 'cxresearch[dask]')",
    )  # fmt: skip
    report.add_argument(
        "--scheduler", metavar="ADDRESS", default=None,
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --executor dask; "
        "without it a local cluster of --jobs worker processes is started)",
    )  # fmt: skip

    validate = commands.add_parser(
        "validate",
        help="check params files and their data without rendering",
        description="Load each params file and its data, check columns, filters and waves.",
    )
    validate.add_argument(
        "params", nargs="*", type=Path, metavar="PARAMS",
        help="params files (default: every params/*.yaml under the current directory)",
    )  # fmt: skip
    validate.add_argument("--data-root", type=Path, metavar="DIR", help=_DATA_ROOT_HELP)

    def read_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--format", default="auto", metavar="FORMAT",
                             help="export format (default: detected from the file)")  # fmt: skip
        command.add_argument("--sheet", default=None, metavar="NAME", help="Excel sheet")
        command.add_argument("--header-rows", type=_positive_int, default=None, metavar="N",
                             help="rows above the data in a plain export (default 1)")  # fmt: skip
        command.add_argument("--encoding", default=None, metavar="NAME",
                             help="text encoding (default: from the whole file)")  # fmt: skip

    inspect = commands.add_parser(
        "inspect",
        help="show what a survey export holds and how it would map onto the schema",
        description="Detect the export's format and header rows, count the rows not taken as "
        "responses, and list each column with its question text, type, first values and a "
        "proposed schema column.",
    )
    inspect.add_argument("path", type=Path, metavar="PATH", help="the export file")
    read_options(inspect)

    init = commands.add_parser(
        "init",
        help="write params/CLIENT.yaml for a survey export, then validate it",
        description="Propose a params file from the export (as `inspect` shows it), write it "
        "with comments to params/CLIENT.yaml and validate it against the data.",
    )
    init.add_argument("client", metavar="CLIENT", help="client name: a-z, 0-9, '-', '_'")
    init.add_argument("--data", type=Path, required=True, metavar="PATH", help="the export")
    init.add_argument("--wave", default=None, metavar="WAVE",
                      help="wave of the export (default: quarter of the last answer)")  # fmt: skip
    init.add_argument("--force", action="store_true", help="overwrite an existing params file")
    read_options(init)

    demo = commands.add_parser("demo", help="write the synthetic demo data set")
    demo.add_argument("--output", "-o", type=Path, default=None, metavar="PATH",
                      help="where to write the responses file")  # fmt: skip
    demo.add_argument("--seed", type=int, default=None, metavar="N", help="random seed")

    loop = commands.add_parser(
        "loop",
        help="close the loop: export the follow-up list, import the updated list",
        description="The follow-up list (detractors and low CSAT/CES who agreed to be "
        "contacted) is written outside reports/, to the params' journey.loop.folder.",
    )
    actions = loop.add_subparsers(dest="loop_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write the follow-up list as CSV and Excel")
    export.add_argument("params", type=Path, metavar="PARAMS", help="the client's params file")
    imported = actions.add_parser(
        "import", help="validate an updated list and store its statuses (previous kept)"
    )
    imported.add_argument("file", type=Path, metavar="FILE", help="the updated list (CSV/Excel)")
    imported.add_argument(
        "--params", type=Path, default=None, metavar="PARAMS",
        help="the client's params file (default: params/<client>.yaml after the list)",
    )  # fmt: skip
    _coding_parser(commands)
    return parser


def _coding_parser(commands: argparse._SubParsersAction) -> None:
    coding = commands.add_parser(
        "coding",
        help="coder sheets: export blind sheets, import filled ones, adjudicate",
        description="The human coding round trip of the qualitative report. Paths given here "
        "must be inside the project of the params and outside reports/.",
    )
    actions = coding.add_subparsers(dest="coding_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", help="write one blind sheet per coder with the same seeded sample (masked)"
    )
    export.add_argument("params", type=Path, metavar="PARAMS", help="the client's params file")
    export.add_argument(
        "--coders",
        nargs="+",
        required=True,
        metavar="NAME",
        help="coder names (the sheets' file names)",
    )
    export.add_argument("--run", default="all", metavar="RUN", help="whose comments (default all)")
    export.add_argument(
        "--sample",
        type=_positive_int,
        default=200,
        metavar="N",
        help="comments per coder (default 200)",
    )
    export.add_argument(
        "--seed",
        type=int,
        default=20261123,
        metavar="N",
        help="seed of the sample and each coder's order",
    )
    export.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=("xlsx", "csv"),
        metavar="FORMAT",
        help="xlsx (default) or csv; repeat for both",
    )
    export.add_argument(
        "--folder",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the sheets go (default: coding/<client>)",
    )
    export.add_argument("--force", action="store_true", help="replace existing sheets")
    imported = actions.add_parser(
        "import", help="validate filled sheets, agreement per theme, list disagreements"
    )
    imported.add_argument("params", type=Path, metavar="PARAMS", help="the client's params file")
    imported.add_argument("sheets", nargs="+", type=Path, metavar="SHEET", help="filled sheets")
    imported.add_argument(
        "--force", action="store_true", help="replace a disagreements.csv that holds decisions"
    )
    adjudicated = actions.add_parser(
        "adjudicate", help="final codes by majority and decisions, as a reference coding"
    )
    adjudicated.add_argument("params", type=Path, metavar="PARAMS", help="the client's params")
    adjudicated.add_argument("sheets", nargs="+", type=Path, metavar="SHEET", help="filled sheets")
    adjudicated.add_argument(
        "--decisions",
        type=Path,
        default=None,
        metavar="FILE",
        help="filled disagreements.csv (default: beside the sheets)",
    )
    adjudicated.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        metavar="FILE",
        help="reference coding to write (default: adjudicated.csv)",
    )
    adjudicated.add_argument("--force", action="store_true", help="replace the output file")


def _report(args: argparse.Namespace) -> int:
    from cxresearch.report.cancel import Cancellation, remove_own_kernel_files, stop_on_signals
    from cxresearch.report.executors import make_executor
    from cxresearch.report.manifest import remove_live_temporaries
    from cxresearch.report.runner import run_reports

    if args.scheduler is not None and args.executor != "dask":
        raise ReportError("--scheduler is for --executor dask")
    try:
        executor = make_executor(args.executor, jobs=args.jobs, scheduler=args.scheduler)
    except RuntimeError as exc:  # Dask is not installed
        raise ReportError(str(exc)) from None
    stop = Cancellation()

    def remove_own_files() -> None:
        remove_live_temporaries()
        remove_own_kernel_files()

    with stop_on_signals(stop, on_hard_exit=remove_own_files):
        result = run_reports(
            args.params or None,
            output=args.output,
            jobs=args.jobs,
            force=args.force,
            data_root=args.data_root,
            cancellation=stop,
            executor=executor,
        )
        if stop.requested:
            # A stopped batch leaves here, everything that finished written, while the
            # signal handlers are still in place: a second signal now still exits at once
            # with 130 (after this block Python's own handler would raise
            # KeyboardInterrupt and the process would end killed by SIGINT, -2); a notebook
            # thread still in its grace period cannot keep the interpreter alive; and a
            # kernel whose start the stop overtook leaves no connection file.
            remove_own_files()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(result.exit_code)
    return result.exit_code


def _validate(args: argparse.Namespace) -> int:
    from cxresearch.report.manifest import display_path
    from cxresearch.report.runner import EXIT_INVALID as INVALID
    from cxresearch.report.runner import default_params, validate_clients

    root = Path.cwd()
    paths = list(args.params) or default_params(root)
    checks = validate_clients(paths, root=root, data_root=args.data_root)
    for check in checks:
        if check.ok and check.params is not None:
            params = check.params
            shape = f"{len(params.runs)} run(s) × {len(params.report.analyses)} analysis(es)"
            where = display_path(check.path, root)
            print(f"ok      {where}: {params.client}, {shape}, {check.rows} rows")
            for note in check.notes:
                print(f"        note: {note}")
        else:
            print(f"invalid {check.error}")
    return INVALID if any(not c.ok for c in checks) else 0


def _read(args: argparse.Namespace) -> tuple[object, dict[str, object]]:
    from cxresearch.data.readers import read_export

    sheet: str | int | None = args.sheet
    if isinstance(sheet, str) and sheet.isdigit():
        sheet = int(sheet)
    options = {
        "format": args.format,
        "sheet": sheet,
        "header_rows": args.header_rows,
        "encoding": args.encoding,
    }
    return read_export(args.path if hasattr(args, "path") else args.data, **options), options


def _inspect(args: argparse.Namespace) -> int:
    from cxresearch.data.inspect import format_inspection, inspect_export, propose
    from cxresearch.data.readers import Export

    export, _ = _read(args)
    assert isinstance(export, Export)
    columns = inspect_export(export)
    print(format_inspection(export, columns, propose(export, columns)))
    return 0


def _init(args: argparse.Namespace) -> int:
    import os

    from cxresearch.data.inspect import (
        guess_language,
        guess_wave,
        inspect_export,
        params_yaml,
        propose,
    )
    from cxresearch.data.readers import Export
    from cxresearch.errors import ParamsError
    from cxresearch.params import SLUG
    from cxresearch.report.runner import validate_client

    if not SLUG.match(args.client):
        raise ParamsError(f"client {args.client!r} is not a plain slug (a-z, 0-9, '-', '_')")
    root = Path.cwd()
    target = root / "params" / f"{args.client}.yaml"
    if target.exists() and not args.force:
        raise ParamsError(f"{target.relative_to(root)} exists; use --force to overwrite it")
    export, options = _read(args)
    assert isinstance(export, Export)
    columns = inspect_export(export)
    proposal = propose(export, columns)
    data = Path(os.path.relpath(args.data.resolve(), root))
    shown = data.as_posix() if not data.as_posix().startswith("..") else str(args.data.resolve())
    text = params_yaml(
        args.client,
        shown,
        export,
        proposal,
        wave=args.wave or guess_wave(export, proposal),
        language=guess_language(export),
        read_options={k: v for k, v in options.items() if k not in ("format",)},
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    check = validate_client(target, root=root)
    where = target.relative_to(root)
    if not check.ok:
        print(f"wrote {where}, but it does not validate yet:\n{check.error}", file=sys.stderr)
        return EXIT_INVALID
    print(f"wrote {where}: {check.rows} responses; check the mapping, then run")
    print(f"  cxresearch report {where}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from cxresearch.data import demo

    argv: list[str] = []
    if args.output is not None:
        argv += ["--output", str(args.output)]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    code = demo.main(argv)
    return int(code or 0)


def _loop(args: argparse.Namespace) -> int:
    from cxresearch.journey import loop

    if args.loop_command == "export":
        for path in loop.export_list(args.params):
            print(f"wrote {path}")
        return 0
    result = loop.import_list(args.file, params_path=args.params)
    print(
        f"imported {result.rows} item(s) from {args.file}: {result.changed} changed, "
        f"{result.closed} closed; statuses in {result.status}"
    )
    if result.kept is not None:
        print(f"previous statuses kept in {result.kept}")
    return 0


def _coding(args: argparse.Namespace) -> int:
    from cxresearch.qual import roundtrip

    if args.coding_command == "export":
        result = roundtrip.export_sheets(
            args.params,
            args.coders,
            run=args.run,
            folder=args.folder,
            sample=args.sample,
            seed=args.seed,
            formats=args.formats or ["xlsx"],
            force=args.force,
        )
        for paths in result.sheets.values():
            for path in paths:
                print(f"wrote {path}")
        sampled = f"{result.sampled} of {result.comments} comments, seed {args.seed}"
        print(f"wrote {result.sample}: {sampled}")
        return 0
    if args.coding_command == "import":
        found = roundtrip.import_sheets(args.params, args.sheets, force=args.force)
        for coder, row in found.coders.iterrows():
            extra = f"; ignored columns: {row['ignored_columns']}" if row["ignored_columns"] else ""
            print(
                f"{coder}: {row['coded']} coded, {row['not_coded']} not coded yet, "
                f"{row['notes']} note(s){extra}"
            )
        if found.agreement is not None:
            print("agreement per theme (Krippendorff's alpha, nominal; 95 % bootstrap interval):")
            for code, row in found.agreement.iterrows():
                units = int(row["units"])
                if not units:
                    print(f"  {code}: no comment coded by two coders yet")
                    continue
                print(
                    f"  {code}: alpha {row['alpha']:.2f} [{row['alpha_ci_low']:.2f}, "
                    f"{row['alpha_ci_high']:.2f}], agreement {row['agreement']:.0%}, "
                    f"{units} comments"
                )
            print(
                f"{found.disagreements} disagreement(s) listed in {found.written}; "
                "fill its decision column, then run `cxresearch coding adjudicate`"
            )
        return 0
    path, comments = roundtrip.adjudicate_sheets(
        args.params, args.sheets, decisions=args.decisions, output=args.output, force=args.force
    )
    print(
        f"wrote {path}: final codes of {comments} comments; name it as coding.reference "
        "in the params to measure the auto-coder against it"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cxresearch`` command; returns the exit code."""
    # Progress lines use "…" and messages quote Finnish text; a console without UTF-8
    # should show a replacement, not stop the batch with UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    commands = {
        "report": _report,
        "validate": _validate,
        "inspect": _inspect,
        "init": _init,
        "demo": _demo,
        "loop": _loop,
        "coding": _coding,
    }
    command = commands[args.command]
    try:
        return command(args)
    except CxError as exc:
        # One paragraph: the message already names the file, key or column to fix.
        message = " ".join(str(exc).split()) if "\n" not in str(exc) else str(exc)
        print(f"cxresearch {args.command}: error: {reader_message(message)}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("cxresearch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
