"""Composition root: parse the command line, read settings once, wire objects, run, exit.

Exit codes: 0 success, 1 the command failed, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic_settings import BaseSettings

from consumer import events, schemagen, settings
from consumer.errors import ConfigurationError, KafkaUnavailable

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace], int]

# Which settings each long-running command reads; `flexmit config NAME` validates them.
CONFIGURED_COMMANDS: dict[str, type[BaseSettings]] = {
    "worker": settings.WorkerCommandSettings,
    "sandbox": settings.SandboxCommandSettings,
    "webhooks": settings.WebhookCommandSettings,
    "checkout": settings.CheckoutCommandSettings,
    "dlq": settings.KafkaToolSettings,
    "refund": settings.KafkaToolSettings,
    "cancel": settings.KafkaToolSettings,
}


def _schemas(args: argparse.Namespace) -> int:
    directory: Path = args.dir
    if not args.check:
        for path in schemagen.write(directory):
            print(path)
        return EXIT_OK
    stale = [
        name
        for name, text in schemagen.render().items()
        if not (directory / name).exists() or (directory / name).read_text() != text
    ]
    for name in stale:
        print(f"{directory / name} is out of date; run `flexmit schemas`", file=sys.stderr)
    return EXIT_FAILED if stale else EXIT_OK


def _config(args: argparse.Namespace) -> int:
    loaded = settings.load(CONFIGURED_COMMANDS[args.command_name])
    for variable, value in sorted(settings.variable_rows(loaded)):
        print(f"{variable}={value}")
    return EXIT_OK


def _sandbox(args: argparse.Namespace) -> int:
    from consumer import logs
    from consumer.sandbox.server import serve

    loaded = settings.load(settings.SandboxCommandSettings)
    logs.configure(loaded.log.level, loaded.log.format)
    print(f"Flex sandbox on http://{loaded.sandbox.host}:{loaded.sandbox.port}/v1/", flush=True)
    serve(loaded.sandbox)
    return EXIT_OK


def _checkout(args: argparse.Namespace) -> int:
    from consumer import logs
    from consumer.checkout.server import check, serve

    loaded = settings.load(settings.CheckoutCommandSettings)
    check(loaded)
    logs.configure(loaded.log.level, loaded.log.format)
    print(f"Example checkout on http://{loaded.checkout.host}:{loaded.checkout.port}/", flush=True)
    serve(loaded)
    return EXIT_OK


def _worker(args: argparse.Namespace) -> int:
    from consumer import logs
    from consumer.eventloop import run
    from consumer.worker_process import run_worker

    loaded = settings.load(settings.WorkerCommandSettings)
    logs.configure(loaded.log.level, loaded.log.format)
    return run(run_worker(loaded))


def _webhooks(args: argparse.Namespace) -> int:
    from consumer import logs
    from consumer.eventloop import run
    from consumer.webhooks.process import run_webhooks

    loaded = settings.load(settings.WebhookCommandSettings)
    logs.configure(loaded.log.level, loaded.log.format)
    return run(run_webhooks(loaded))


def _demo(args: argparse.Namespace) -> int:
    from rich.console import Console

    from consumer.demo.run import DemoOptions, run

    options = DemoOptions(
        events=args.events, rate=args.rate, workers=args.workers, window=args.window,
        rescue_rate=args.rescue_rate, fault_rate=args.fault_rate, seed=args.seed,
        timeout=args.timeout, live=not args.plain,
    )  # fmt: skip
    console = Console()
    console.print("Starting Kafka, the Flex sandbox, the webhook receiver and "
                  f"{options.workers} workers...")  # fmt: skip
    summary = run(options, console)
    console.print()
    for line in summary.lines:
        console.print(line)
    problems = summary.mismatches()
    for problem in problems:
        console.print(f"[red]does not match the sandbox's ledger: {problem}[/red]")
    if not summary.complete:
        console.print(f"[red]not everything settled within {options.timeout:.0f} s[/red]")
    return EXIT_OK if summary.complete and not problems else EXIT_FAILED


def _dlq_replay(args: argparse.Namespace) -> int:
    import asyncio

    from consumer import logs
    from consumer.errors import KafkaFatal, KafkaUnavailable
    from consumer.kafka.replay import ReplayOptions, replay_dead_letters

    loaded = settings.load(settings.KafkaToolSettings)
    logs.configure(loaded.log.level, loaded.log.format)
    options = ReplayOptions(topic=args.topic, limit=args.limit, dry_run=args.dry_run)
    try:
        report = asyncio.run(replay_dead_letters(loaded.kafka, options))
    except (KafkaUnavailable, KafkaFatal) as exc:
        print(f"flexmit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(report.summary(options.dry_run))
    return EXIT_OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _add_dlq(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser("dlq", help="work with the dead-letter topic")
    actions = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    replay = actions.add_parser("replay", help="re-publish dead letters to their original topic")
    replay.add_argument("--topic", help="only dead letters that came from this topic")
    replay.add_argument("--limit", type=_positive, help="replay at most this many records")
    replay.add_argument("--dry-run", action="store_true", help="print what would be replayed")
    replay.set_defaults(run=_dlq_replay)


def _refund_or_cancel(args: argparse.Namespace) -> int:
    from consumer import operator

    loaded = settings.load(settings.KafkaToolSettings)
    if args.command == "refund":
        command: events.RefundRequested | events.CancelRequested = operator.refund_command(
            args.transaction_id, args.amount, args.reason
        )
    else:
        command = operator.cancel_command(args.transaction_id, args.reason)
    try:
        answer = operator.send_and_wait(loaded.kafka, command, args.timeout)
    except (operator.NoAnswer, KafkaUnavailable) as exc:
        print(f"flexmit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(operator.describe(answer))
    return EXIT_OK if answer.status in operator.SUCCEEDED else EXIT_FAILED


def _add_refund_and_cancel(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    refund = commands.add_parser("refund", help="refund a payment Flex rescued, and wait")
    refund.add_argument("transaction_id", help="the PSP transaction id of the declined payment")
    refund.add_argument(
        "--amount",
        type=_positive,
        metavar="MINOR_UNITS",
        help="partial refund in minor units (1250 = 12.50 USD); default: the rest",
    )
    cancel = commands.add_parser("cancel", help="cancel a rescue Flex still holds, and wait")
    cancel.add_argument("transaction_id", help="the PSP transaction id of the declined payment")
    for parser in (refund, cancel):
        parser.add_argument("--reason", help="recorded with the command and its result")
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="seconds to wait for a worker's answer (default 60)",
        )
        parser.set_defaults(run=_refund_or_cancel)


def build_parser() -> argparse.ArgumentParser:
    """The ``flexmit`` command line."""
    parser = argparse.ArgumentParser(
        prog="flexmit",
        description="Hand just-failed MIT renewals to Flex and report what becomes of them.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    schemas = commands.add_parser("schemas", help="write (or --check) the JSON Schemas")
    schemas.add_argument("--dir", type=Path, default=Path("schemas"))
    schemas.add_argument("--check", action="store_true", help="fail when schemas/ is stale")
    schemas.set_defaults(run=_schemas)

    worker = commands.add_parser(
        "worker", help="join the consumer group: transmit approvals, submit just-failed MITs"
    )
    worker.set_defaults(run=_worker)

    webhooks = commands.add_parser(
        "webhooks", help="receive Flex's signed webhooks and publish order statuses"
    )
    webhooks.set_defaults(run=_webhooks)

    sandbox = commands.add_parser("sandbox", help="run the Flex API simulator (docs/sandbox.md)")
    sandbox.set_defaults(run=_sandbox)

    checkout = commands.add_parser(
        "checkout", help="serve the example checkout page (SenseJS + tokenize; docs/checkout.md)"
    )
    checkout.set_defaults(run=_checkout)

    demo = commands.add_parser(
        "demo",
        help="run the product end to end on embedded defaults",
        description="Start a local Kafka broker, the Flex sandbox (time compressed), the "
        "webhook receiver and workers; feed them subscription traffic; show progress; print "
        "a summary checked against the sandbox's ledger; stop everything.",
    )
    demo.add_argument("--events", type=_positive, default=2000, help="records to produce")
    demo.add_argument("--rate", type=float, default=400.0, help="records produced per second")
    demo.add_argument("--workers", type=_positive, default=2, help="worker processes")
    demo.add_argument(
        "--window",
        type=float,
        default=20.0,
        help="real seconds a 21-day rescue window takes (time compression)",
    )
    demo.add_argument(
        "--rescue-rate",
        type=float,
        default=0.5,
        help="share of submitted declines the sandbox rescues",
    )
    demo.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="share of Flex calls the sandbox answers 503 (retried, never lost)",
    )
    demo.add_argument("--seed", type=int, default=7, help="seed of the generated traffic")
    demo.add_argument("--timeout", type=float, default=300.0, help="give up after (seconds)")
    demo.add_argument("--plain", action="store_true", help="no live table (for logs and CI)")
    demo.set_defaults(run=_demo)

    _add_dlq(commands)
    _add_refund_and_cancel(commands)

    config = commands.add_parser("config", help="validate and print a command's configuration")
    config.add_argument("command_name", choices=sorted(CONFIGURED_COMMANDS))
    config.set_defaults(run=_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flexmit`` console script."""
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args)
    except ConfigurationError as exc:
        print(f"flexmit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
