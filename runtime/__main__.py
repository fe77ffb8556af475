"""``python -m runtime``: the engine's command line.

- ``run TARGET``: run a topology (``module:attribute`` or a document ``.json``) until
  SIGTERM/SIGINT; configuration from ``--config FILE`` and ``--set key=value``.
  Exit codes: 0 after a clean close, 1 when the app failed, 2 for bad arguments or
  settings, 86 when ``riffle.batch.cpu.limit.action=exit`` ended a stuck batch.
- ``reset``: Kafka Streams' Application Reset Tool (see ``runtime.tools.reset``).
- ``export-python DOCUMENT``: a topology document (``.json``) as a Python program that
  builds the same topology with the DSL (``runtime.spec.export_python``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from runtime.errors import StreamsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m runtime", description="Riffle's stream-processing engine")
    parser.add_argument("--log-level", default="INFO", help="Python logging level (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run a topology until SIGTERM/SIGINT")
    run.add_argument("target", help="module:attribute (a Topology or a callable returning one) or document.json")
    run.add_argument("--config", metavar="FILE", help="a .properties file of Kafka Streams settings")
    run.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="settings",
                     help="a setting (repeatable; overrides --config)")
    run.add_argument("--close-timeout", type=float, default=60.0, metavar="SECONDS")

    reset = commands.add_parser("reset", help="reset an application to reprocess its input (Kafka's "
                                "kafka-streams-application-reset)")
    reset.add_argument("--application-id", required=True)
    reset.add_argument("--bootstrap-servers", "--bootstrap-server", required=True, metavar="HOST:PORT")
    reset.add_argument("--input-topics", default="", metavar="A,B", help="topics whose offsets are reset")
    reset.add_argument("--intermediate-topics", default="", metavar="A,B",
                       help="topics whose offsets move to their end (Kafka before 4.0)")
    where = reset.add_mutually_exclusive_group()
    where.add_argument("--to-earliest", action="store_true", help="the default")
    where.add_argument("--to-latest", action="store_true")
    where.add_argument("--to-datetime", metavar="YYYY-MM-DDTHH:mm:SS.sss")
    where.add_argument("--by-duration", metavar="PnDTnHnMn.nS", help="this long before now")
    reset.add_argument("--redis-url", help="also delete the application's Redis checkpoints")
    reset.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")

    export = commands.add_parser("export-python", help="write a topology document (.json) as a Python "
                                 "program that builds the same topology with the DSL")
    export.add_argument("document", help="the document's .json file")
    export.add_argument("-o", "--output", metavar="FILE", help="write the program here (default: stdout)")
    return parser


def _export_python(args: argparse.Namespace) -> int:
    import json

    from runtime.spec import export_python, load_document

    with open(args.document, encoding="utf-8") as handle:
        program = export_python(load_document(json.load(handle)))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(program)
    else:
        sys.stdout.write(program)
    return 0


def _topics(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _reset(args: argparse.Namespace) -> int:
    from runtime.tools.reset import ResetTarget, parse_datetime, parse_duration, reset_application

    if args.to_latest:
        target = ResetTarget.latest()
    elif args.to_datetime:
        target = ResetTarget.at(parse_datetime(args.to_datetime))
    elif args.by_duration:
        target = ResetTarget.before_now(parse_duration(args.by_duration))
    else:
        target = ResetTarget.earliest()
    plan = reset_application(
        args.application_id, args.bootstrap_servers,
        input_topics=_topics(args.input_topics), intermediate_topics=_topics(args.intermediate_topics),
        target=target, redis_url=args.redis_url, dry_run=args.dry_run,
    )
    print("\n".join(plan.lines()))
    return 0


def _run(args: argparse.Namespace) -> int:
    from runtime.tools.run import load_properties, load_topology, run_until_signalled

    config: dict[str, str] = {}
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            config.update(load_properties(handle.read()))
    for setting in args.settings:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects key=value, got {setting!r}")
        config[key.strip()] = value.strip()
    return run_until_signalled(load_topology(args.target), config, close_timeout=args.close_timeout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        commands = {"reset": _reset, "export-python": _export_python, "run": _run}
        return commands[args.command](args)
    except (StreamsError, ValueError, OSError, ImportError, AttributeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
