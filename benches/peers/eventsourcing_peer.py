"""The peer workload on the Python `eventsourcing` library (9.x) with SQLite persistence and its
durable defaults: N goal aggregates created, one event per command; one aggregate with 10,000
events loaded (replayed); the whole notification log read. Prints one JSON line."""
import json
import os
import sys
import tempfile
import time

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Goal(Aggregate):
    @event("Proposed")
    def __init__(self, title):
        self.title = title
        self.values = 0

    @event("CheckedIn")
    def check_in(self, value):
        self.values += 1


class Goals(Application):
    pass


def main():
    goals = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        os.environ["SQLITE_DBNAME"] = os.path.join(tmp, "peer.db")
        app = Goals()
        started = time.perf_counter()
        ids = []
        for g in range(goals):
            goal = Goal(title=f"Goal {g}")
            app.save(goal)
            ids.append(goal.id)
        command_secs = time.perf_counter() - started

        big = app.repository.get(ids[0])
        for i in range(events):
            big.check_in(i)
            if i % 100 == 99:
                app.save(big)
        app.save(big)
        started = time.perf_counter()
        loaded = app.repository.get(ids[0])
        replay_secs = time.perf_counter() - started
        replayed = loaded.version

        started = time.perf_counter()
        total = 0
        start = 1
        while True:
            page = app.recorder.select_notifications(start=start, limit=1000)
            if not page:
                break
            total += len(page)
            start = page[-1].id + 1
        read_secs = time.perf_counter() - started
        print(json.dumps({
            "system": "eventsourcing (SQLite)",
            "commands": goals,
            "commands_per_sec": goals / command_secs,
            "replayed_events": replayed,
            "replay_events_per_sec": replayed / replay_secs,
            "log_events": total,
            "read_log_events_per_sec": total / read_secs,
        }))


if __name__ == "__main__":
    main()
