"""The durable append on the Python `eventsourcing` library (9.x) with its PostgreSQL recorder
and durable defaults, for `benches/postgres.sh`: WRITERS threads, each creating goal aggregates
(one `Proposed` event) and checking in on them (one `CheckedIn` event a command, saved at
once), until EVENTS events are recorded in all. One connection a writer (the pool sized to the
writers, the peer's best case). Prints one JSON line.

    eventsourcing_pg.py WRITERS EVENTS   (POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DBNAME, POSTGRES_USER
                                          in the environment)"""
import json
import os
import sys
import threading
import time

# The same aggregate as the SQLite peer's (this file's directory is on the path).
from eventsourcing_peer import Goal, Goals


def main():
    writers = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    os.environ["PERSISTENCE_MODULE"] = "eventsourcing.postgres"
    os.environ.setdefault("POSTGRES_PASSWORD", "")
    os.environ["POSTGRES_POOL_SIZE"] = str(writers)
    os.environ["POSTGRES_MAX_OVERFLOW"] = "0"
    os.environ["CREATE_TABLE"] = "y"
    app = Goals()
    each = max(events // writers, 2)
    errors = []

    def work(w):
        try:
            goal = Goal(title=f"Goal {w}")
            app.save(goal)
            for i in range(each - 1):
                goal.check_in(i)
                app.save(goal)
        except Exception as e:  # reported, not hidden: a failed writer fails the run
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - started
    if errors:
        sys.exit(f"the peer failed: {errors[0]}")
    print(json.dumps({
        "system": "eventsourcing (PostgreSQL)",
        "writers": writers,
        "events": each * writers,
        "events_per_sec": each * writers / secs,
    }))


if __name__ == "__main__":
    main()
