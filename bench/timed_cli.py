"""Runs one CLI's ``database migrate`` in this interpreter and prints the seconds spent after its start-up.

Used by bench/migrate.py with either our venv (``ours``) or Argilla's (``argilla``): start-up is the
interpreter plus importing the CLI's entry module (what any command of it pays); everything after that,
including modules the command imports lazily, counts as migration time. Stdout: one JSON line.

Usage: python bench/timed_cli.py ours|argilla REVISION   (ARGILLA_DATABASE_URL says which database)
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time


def main() -> None:
    tool, revision = sys.argv[1], sys.argv[2]
    if tool == "ours":
        from service.cli.main import cli

        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main(["database", "migrate", "--revision", revision], standalone_mode=False)
    else:
        from argilla_server.cli import app

        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            app(["database", "migrate", "--revision", revision], standalone_mode=False)
    print(json.dumps({"after_startup": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
