"""``gongyi simulate FILE``: run a matching scenario (spec/matching-v1.md) and print the result JSON.

stdout carries only the result JSON (UTF-8, not ASCII-escaped); ``--summary`` writes a human table to
stderr. A bad scenario — unreadable file, invalid UTF-8 or JSON, or anything the spec refuses — exits
with status 2, a message on stderr naming the event and the field, and nothing on stdout. The command
touches no database.
"""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand

from gongyi.matching.scenario import ScenarioError, parse_scenario
from gongyi.matching.simulator import paused_gc, run, summary_table

EXIT_BAD_INPUT = 2


def _plain(text: str) -> str:
    return text


class ProgressBar:
    """A one-line progress bar written with carriage returns (only used when stderr is a terminal)."""

    def __init__(self, stream, label: str, width: int = 30) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        filled = self.width if total == 0 else self.width * done // total
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} ({rate:,.0f}/s)"
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * (self.width + len(self.label) + 60) + "\r")
        self.stream.flush()


def read_source(path: str, stdin=None) -> bytes:
    """Return the bytes of ``path`` (``-``: standard input). Raises ``OSError``."""
    if path == "-":
        stream = sys.stdin if stdin is None else stdin
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    with open(path, "rb") as handle:
        return handle.read()


class Command(BaseCommand):
    help = "Run a matching scenario (spec/matching-v1.md) and print the result JSON."
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="scenario JSON file, or - for standard input")
        parser.add_argument(
            "--summary", action="store_true", help="also write a per-day and per-project table to stderr"
        )
        parser.add_argument("--indent", type=int, default=None, help="indent the result JSON")

    def _refuse(self, message: str) -> None:
        self.stderr.write(f"simulate: bad scenario: {message}")
        raise SystemExit(EXIT_BAD_INPUT)

    def handle(self, *args, **options) -> None:
        with paused_gc():
            self._simulate(options)

    def _simulate(self, options: dict) -> None:
        path = options["file"]
        try:
            raw = read_source(path)
        except OSError as error:
            self._refuse(f"cannot read {path}: {error.strerror or error}")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            self._refuse(f"{path} is not UTF-8 (byte {error.start})")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            self._refuse(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
        except RecursionError:
            self._refuse("invalid JSON: nested too deeply")
        except ValueError as error:  # e.g. an integer literal with too many digits
            self._refuse(f"invalid JSON: {error}")
        try:
            scenario = parse_scenario(data)
        except ScenarioError as error:
            self._refuse(str(error))

        progress = None
        if self.stderr.isatty():
            progress = ProgressBar(self.stderr._out, "simulate")
        simulation = run(scenario, progress)
        if progress is not None:
            progress.close()
        result = simulation.result()
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=options["indent"]))
        if options["summary"]:
            self.stderr.write(summary_table(simulation, result), style_func=_plain)
