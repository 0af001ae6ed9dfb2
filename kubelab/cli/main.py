"""``kubelab``: the parser, the subcommand registry's front door, and the exit-status contract.

docs/cli.md: exit 0 for success / allowed / found, 1 for a negative verdict,
2 for bad input or usage (argparse's own usage errors included), with one
``error: ...`` line on stderr that names file, object and field.  Anything
else escaping a subcommand is a bug in kubelab: it is reported as
``error: internal error: ...`` with exit status 70 (``EX_SOFTWARE``), never as
a traceback.

Adding a subcommand is adding a module to this package that registers itself
with :func:`kubelab.cli.common.command`, and its name to :data:`MODULES`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__
from ..errors import KubelabError
from .common import COMMANDS, add_global_options, merge_global_options

__all__ = ["MODULES", "build_parser", "main", "EXIT_OK", "EXIT_NEGATIVE", "EXIT_USAGE", "EXIT_INTERNAL"]

EXIT_OK, EXIT_NEGATIVE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70

#: The subcommand modules of this package, in the order ``kubelab --help`` lists them.
MODULES = ("validate", "get", "describe", "rules", "trace", "route", "policy", "env", "dns", "cni", "kind", "check",
           "doctor", "lab")


def _load_commands() -> None:
    for name in MODULES:
        importlib.import_module(f"{__package__}.{name}")


def build_parser() -> argparse.ArgumentParser:
    """The full ``kubelab`` parser, one subparser per registered command."""
    _load_commands()
    parser = argparse.ArgumentParser(
        prog="kubelab",
        description="What would the cluster do with these manifests? A model of Kubernetes networking.",
        epilog="Exit status: 0 success/found, 1 a negative verdict (not found, denied, ...), 2 bad input or usage.")
    parser.add_argument("--version", action="version", version=f"kubelab {__version__}")
    add_global_options(parser, sub=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    order = {f"{__package__}.{m}": i for i, m in enumerate(MODULES)}
    for cmd in sorted(COMMANDS.values(), key=lambda c: order.get(c.run.__module__, len(order))):
        sub = subparsers.add_parser(cmd.name, help=cmd.help, description=cmd.description or cmd.help)
        cmd.configure(sub)
        add_global_options(sub, sub=True)
        sub.set_defaults(run=cmd.run)
    return parser


def _place_extras(parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]) -> None:
    """Positionals after an option (``get pods -A web``) go to the command's list of names, as in kubectl.

    argparse stops filling a ``nargs="*"`` positional at the first option; a
    command that takes names says where stray words belong with
    ``set_defaults(extra_positionals=DEST)``.  Anything else is argparse's
    usual ``unrecognized arguments`` error.
    """
    dest = getattr(args, "extra_positionals", None)
    if extras and dest and not any(e.startswith("-") and e != "-" for e in extras):
        getattr(args, dest).extend(extras)
    elif extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")


def _internal_error(exc: BaseException) -> int:
    sys.stderr.write(f"error: internal error: {type(exc).__name__}: {exc}\n"
                     "This is a bug in kubelab: please report it with the command line and the manifests "
                     "that caused it (KUBELAB_TRACEBACK=1 shows the traceback).\n")
    if os.environ.get("KUBELAB_TRACEBACK"):
        import traceback

        traceback.print_exception(exc)
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    """Run ``kubelab`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    try:
        parser = build_parser()
        args, extras = parser.parse_known_args(argv)
        _place_extras(parser, args, extras)
        args = merge_global_options(args)
        return int(args.run(args) or 0)
    except SystemExit as exc:  # argparse: --help, --version (0) and usage errors (2)
        code = exc.code
        if code is None or isinstance(code, int):
            return code or 0
        sys.stderr.write(f"{code}\n")
        return EXIT_USAGE
    except KubelabError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # `kubelab get pods | head`: the reader left, nothing more to say
        try:
            sys.stdout = open(os.devnull, "w")  # keep the interpreter's final flush quiet
        except OSError:
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:  # a package of an extra that is not installed: say which extra
        from ..extras import missing_extra

        words = sys.argv[1:] if argv is None else argv
        command_name = next((w for w in words if not w.startswith("-")), "")
        missing = missing_extra(exc, f"kubelab {command_name}".strip())
        if missing is None:
            return _internal_error(exc)
        sys.stderr.write(f"error: {missing}\n")
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 -- the last line of defence: a bug, reported without a traceback
        return _internal_error(exc)
