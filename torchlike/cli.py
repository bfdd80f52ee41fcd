"""The ``torchlike`` command (console script ``torchlike = "torchlike.cli:main"``; also
``python -m torchlike``).

    torchlike run [--report] SCRIPT [ARGS...]
"""
import argparse
import os
import sys
import traceback

USAGE = "torchlike run [--report] SCRIPT [ARGS...]"


def _parser():
    p = argparse.ArgumentParser(prog="torchlike", description="torchlike: PyTorch's API on JAX.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", usage=USAGE,
                         help="run an unmodified PyTorch script with torch served by torchlike")
    run.add_argument("--report", action="store_true",
                     help="list on stderr every torch name the script touched that torchlike lacks")
    run.add_argument("script")
    run.add_argument("args", nargs=argparse.REMAINDER)
    return p


def main(argv=None):
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "run":
        from ._compat.runner import run_script
        if not os.path.exists(args.script):
            print(f"{sys.executable}: can't open file {os.path.abspath(args.script)!r}: [Errno 2] No such file "
                  "or directory", file=sys.stderr)
            return 2
        from ._compat.runner import format_report
        try:
            run_script(args.script, args.args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as e:  # noqa: BLE001  (printed as Python prints an uncaught exception)
            _print_script_traceback(e)
            return 1
        finally:
            if args.report:
                sys.stdout.flush()
                sys.stderr.write(format_report())
    return 0


_HIDDEN = (os.path.join(os.path.dirname(os.path.abspath(__file__)), "_compat") + os.sep, "<frozen runpy>",
           os.path.abspath(__file__))


def _print_script_traceback(e):
    """The traceback ``python SCRIPT`` would print: the runner's and the proxies' frames left out."""
    te = traceback.TracebackException(type(e), e, e.__traceback__)
    for t in _chain(te):
        kept = [f for f in t.stack if not f.filename.startswith(_HIDDEN)]
        t.stack = traceback.StackSummary.from_list(kept)
    sys.stderr.write("".join(te.format()))


def _chain(te):
    seen = []
    while te is not None and te not in seen:
        seen.append(te)
        te = te.__cause__ or te.__context__
    return seen


if __name__ == "__main__":
    sys.exit(main())
