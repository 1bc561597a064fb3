"""A separate process for tests/test_store.py: `insert PATH COUNT NAME` or `hold PATH`."""

from __future__ import annotations

import sys
from pathlib import Path

from loopcloser.storage.store import Store


def main() -> None:
    """Insert COUNT documents one transaction at a time, or hold the lock until stdin closes."""
    mode, path = sys.argv[1], Path(sys.argv[2])
    store = Store(path, lock_timeout=60)
    if mode == "insert":
        count, name = int(sys.argv[3]), sys.argv[4]
        sys.stdin.readline()  # wait for "go", so both workers really run at once
        for number in range(count):
            with store.transaction() as transaction:
                transaction.insert({"worker": name, "number": number})
    elif mode == "hold":
        with store.transaction():
            print("locked", flush=True)
            sys.stdin.read()
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
