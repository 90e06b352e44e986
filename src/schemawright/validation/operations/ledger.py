"""A numbered ledger the operations proofs write to, so that every acknowledged commit can be found
(or missed) on the server that survives: a promoted replica, a restored backup.

The design's own write patterns need drawn parameters and change rows in place, so a write lost
in a failover is hard to tell from one that never happened; a ledger row per transaction, its
number known to the client once COMMIT returned, makes "writes lost" a set difference.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from schemawright.database import Database, DatabaseError

LEDGER = "sw_operations_ledger"
CREATE_LEDGER = ("CREATE TABLE sw_operations_ledger (id bigint PRIMARY KEY, "
                 "committed_at timestamptz NOT NULL DEFAULT clock_timestamp(), payload text NOT NULL)")
INSERT_ROW = "INSERT INTO sw_operations_ledger (id, payload) VALUES (%s, %s)"
SMALL_PAYLOAD = 200


def payload(size: int) -> str:
    """Random hex of `size` characters: incompressible enough that TOAST and WAL carry about that many bytes."""
    return os.urandom(max(1, size // 2)).hex()


@dataclass
class Acknowledged:
    ids: list[int] = field(default_factory=list)
    at: list[float] = field(default_factory=list)  # time.monotonic() when each COMMIT returned

    def since(self, moment: float) -> int:
        return sum(1 for t in self.at if t >= moment)


class LedgerWriter(threading.Thread):
    """Inserts ledger rows of `payload_bytes` each, one transaction each, at `rate` per second (as fast
    as one connection goes when it cannot keep up) until stopped or the server goes away; records each
    acknowledgement."""

    def __init__(self, url: str, rate: float, payload_bytes: int = SMALL_PAYLOAD, first_id: int = 1) -> None:
        super().__init__(daemon=True)
        self.url, self.rate, self.next_id, self.payload_bytes = url, rate, first_id, payload_bytes
        self.acknowledged = Acknowledged()
        self.error: str | None = None
        self._stop_asked = threading.Event()

    def stop(self) -> None:
        self._stop_asked.set()

    def run(self) -> None:
        try:
            with Database(self.url) as db:
                started, sent = time.monotonic(), 0
                while not self._stop_asked.is_set():
                    db.execute(INSERT_ROW, [self.next_id, payload(self.payload_bytes)])  # autocommit: once committed
                    self.acknowledged.ids.append(self.next_id)
                    self.acknowledged.at.append(time.monotonic())
                    self.next_id += 1
                    sent += 1
                    pause = started + sent / self.rate - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
        except DatabaseError as error:  # the server stopped under it: the proof's crash
            self.error = str(error).splitlines()[0] if str(error) else type(error).__name__


def write_rows(url: str, count: int, first_id: int) -> list[int]:
    """`count` ledger rows, one transaction each, as fast as they go; their ids."""
    ids = list(range(first_id, first_id + count))
    with Database(url) as db:
        for row_id in ids:
            db.execute(INSERT_ROW, [row_id, payload(SMALL_PAYLOAD)])
    return ids


def ledger_ids(url: str) -> set[int]:
    with Database(url) as db:
        return {row[0] for row in db.query("SELECT id FROM sw_operations_ledger")}
