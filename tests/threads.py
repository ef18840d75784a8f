"""Run jobs at the same moment, each in its own thread and database connection.

For the PostgreSQL races: two staff on one ticket, two chasers, two uses of one grant.
"""

import threading

from django.db import connections


def run_together(jobs) -> list:
    """Start every job at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as error:  # noqa: BLE001 — the test inspects what each got
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def in_parallel(workers: int, job) -> list:
    """Run `job` in `workers` threads at once; fail if any of them raised."""
    results = run_together([job] * workers)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    return results
