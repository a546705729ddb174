"""The PostgreSQL cluster the tests start is a real server that accepts connections."""

from __future__ import annotations

import subprocess


def test_local_postgres_answers_queries(postgres_dsn: str) -> None:
    result = subprocess.run(
        ["psql", postgres_dsn, "-tAc", "select current_database(), 6 * 7"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "flexmit|42"
