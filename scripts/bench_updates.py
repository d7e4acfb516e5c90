#!/usr/bin/env python
"""Measure a case update to many registrants: delivery rate, worker memory, and what is left
after killing a worker mid-send (issue 13). PostgreSQL only; described in docs/deploy.md.

    DATABASE_URL=postgres://user@host/db .venv/bin/python scripts/bench_updates.py

It writes its figures to ``bench-results/bench-updates.json`` and prints them, with the
targets missed (``failed``; then it exits non-zero). Traffic goes to 127.0.0.1 only; every
wait is bounded.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import harness
from harness import manage, wait_until

SCRATCH_DB = "caseapp_bench_updates"
TARGETS = {"messages_per_s": 200, "worker_peak_mb": 150}

log = harness.logger("bench-updates")

SEND_CODE = """
import time
from django.contrib.auth.models import Group, User
from caseapp.selectors.case_record import case_current
from caseapp.services.updates import update_send
user, _ = User.objects.get_or_create(username="bench-supervisor")
user.groups.add(Group.objects.get(name="Supervisor"))
started = time.perf_counter()
update = update_send(case=case_current(), actor=user, audience={},
                     subject="The case was refiled", body="The case was filed again today.",
                     subject_es="El caso se volvió a presentar", body_es="Hoy se presentó.")
print(f"BENCH_UPDATE {update.pk} {update.recipients} {time.perf_counter() - started:.3f}")
"""

RESEND_CODE = """
import sys
from django.contrib.auth.models import User
from caseapp.models import Message
from caseapp.services.staff_messages import message_resend
user = User.objects.get(username="bench-supervisor")
ids = [int(x) for x in sys.stdin.read().split()]
for message in Message.objects.filter(pk__in=ids).select_related("submission"):
    message_resend(message=message, actor=user)
print(f"BENCH_RESENT {len(ids)}")
"""


def run(args) -> dict:
    db = harness.scratch_database(SCRATCH_DB, None)
    sink = harness.SmtpSink().start()
    env = harness.app_environment(harness.temp_dir("caseapp-bench-updates-"), db.url,
                                  harness.fresh_keys(), {
        **sink.environment(), "CASEAPP_UPDATE_BATCH": str(args.batch),
        "CASEAPP_UPDATE_LANES": str(args.lanes), "CASEAPP_UPDATE_RATE": "0",
        # Short leases, so a killed worker's batch is taken over within seconds.
        "CASEAPP_EMAIL_LEASE_SECONDS": str(args.lease),
        "CASEAPP_RECOVER_SECONDS": str(args.lease)})
    result: dict = {"count": args.count, "workers": args.workers, "lanes": args.lanes,
                    "batch": args.batch, "kills": args.kills}
    log(f"scratch database {SCRATCH_DB}: migrate and seed {args.count:,} registrants")
    harness.fresh_database(db, env)
    started = time.monotonic()
    manage(env, "seed_demo", "--count", str(args.count), "--weeks", "52", "--seed",
           "20250130", "--force", timeout=7200)
    result["seed_seconds"] = round(time.monotonic() - started, 1)
    db.analyze()
    update_id, recipients, seconds = harness.manage_shell(env, SEND_CODE, "BENCH_UPDATE")
    update_id, recipients = int(update_id), int(recipients)
    result.update(recipients=recipients, create_seconds=float(seconds))
    log(f"update {update_id}: {recipients:,} recipient rows in {float(seconds):.1f} s; "
        f"starting {args.workers} workers")
    sent_start = time.monotonic()
    workers = harness.Workers(env, args.workers)
    kills = []
    for share in [(i + 1) / (args.kills + 1) for i in range(args.kills)]:
        threshold = int(recipients * share * 0.9)
        if not wait_until(lambda t=threshold: sink.total >= t, args.timeout):
            raise SystemExit(f"stalled before {threshold:,} messages were received")
        pid = workers.kill_one()
        kills.append({"at_received": sink.total, "pid": pid})
        log(f"killed worker {pid} at {sink.total:,} received; started another")
    finished = wait_until(lambda: db.query(
        f"SELECT status FROM caseapp_caseupdate WHERE id = {update_id}")[0][0] == "done",
        args.timeout, interval=1)
    elapsed = time.monotonic() - sent_start
    result.update(finished=finished, kills_done=kills, send_seconds=round(elapsed, 1),
                  statuses=dict(db.query("SELECT status, count(*) FROM caseapp_message "
                                         f"WHERE update_id = {update_id} GROUP BY status")))
    if sink.last > sink.first:
        result["messages_per_s"] = round(sink.total / (sink.last - sink.first))
    result["worker_peak_mb"] = workers.peak_mb
    result["worker_peaks_mb"] = sorted(round(kb / 1024, 1) for kb in workers.peak_kb.values())
    log(f"done={finished} in {elapsed:.0f} s; statuses {result['statuses']}; "
        f"{result.get('messages_per_s')} msg/s; peak worker RSS {result['worker_peak_mb']} MB")
    result["reconciliation"] = reconcile(db, update_id, sink, env)
    workers.stop()
    result["machine"] = harness.machine(db)
    return result


def reconcile(db, update_id: int, sink: harness.SmtpSink, env: dict) -> dict:
    """The database's account against the server's, then the unknown rows settled as an
    operator would: those the server received count as delivered, the rest are resent."""
    rows = db.query(f"SELECT id, status FROM caseapp_message WHERE update_id = {update_id}")
    by_status: dict[str, list[int]] = {}
    for row_id, status in rows:
        by_status.setdefault(status, []).append(row_id)
    ids = {row_id for row_id, _status in rows}
    got = sink.by_row()
    unknown = by_status.get("unknown", [])
    unknown_lost = [i for i in unknown if got[i] == 0]
    account = {
        "rows": len(rows), "received": sink.total,
        "sent_rows": len(by_status.get("sent", [])), "unknown_rows": len(unknown),
        "other_rows": {s: len(v) for s, v in by_status.items() if s not in ("sent", "unknown")},
        "received_twice": sum(1 for n in got.values() if n > 1),
        "received_not_in_update": sum(1 for row in got if row not in ids),
        "sent_but_not_received": sum(1 for i in by_status.get("sent", []) if not got[i]),
        "unknown_received": len(unknown) - len(unknown_lost),
        "unknown_not_received": len(unknown_lost),
    }
    log(f"reconciliation: {account}")
    if unknown_lost:
        log(f"resending {len(unknown_lost)} unknown rows the server never received")
        manage(env, "shell", "-c", RESEND_CODE, stdin=" ".join(map(str, unknown_lost)),
               timeout=300)
        wait_until(lambda: all(sink.by_row()[i] for i in unknown_lost), 120)
    got = sink.by_row()
    final = Counter(got[row_id] for row_id in ids)
    account["after_settling"] = {"exactly_once": final[1], "never": final[0],
                                 "more_than_once": sum(n for k, n in final.items() if k > 1)}
    account["every_recipient_exactly_once"] = final[1] == len(ids)
    log(f"after settling: {account['after_settling']}")
    return account


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lanes", type=int, default=4)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--lease", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    result = run(args)
    rec = result["reconciliation"]
    result["failed"] = [target for target, held in (
        ("the update finished", result["finished"]),
        ("every recipient exactly once", rec["every_recipient_exactly_once"]
         and rec["received_twice"] == 0),
        (f"messages_per_s >= {TARGETS['messages_per_s']}",
         result.get("messages_per_s", 0) >= TARGETS["messages_per_s"]),
        (f"worker_peak_mb < {TARGETS['worker_peak_mb']}",
         result["worker_peak_mb"] < TARGETS["worker_peak_mb"])) if not held]
    print(harness.write_results("bench-updates", result).read_text())
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    harness.run_main(main, log)
