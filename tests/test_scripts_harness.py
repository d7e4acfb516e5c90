"""scripts/harness.py, which make bench, make loadtest and the speed-up comparisons share: its
HTTP response parsing, cookies, percentiles and the SMTP sink's count by message row."""

import smtplib
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import harness  # noqa: E402


def test_a_whole_response_is_decoded_and_a_cut_one_is_a_disconnection():
    raw = (b"HTTP/1.1 302 Found\r\nLocation: /result/\r\nContent-Length: 2\r\n"
           b"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\n\r\nok")
    response = harness.decode_response(raw, 0.01)
    assert (response.status, response.header("location"), response.body) == (302, "/result/",
                                                                              b"ok")
    assert response.wire_bytes == len(raw)
    with pytest.raises(harness.Disconnected):
        harness.decode_response(raw[:-1], 0.01)  # a byte short of Content-Length
    with pytest.raises(harness.Disconnected):
        harness.decode_response(b"HTTP/1.1 200 OK\r\nContent-Le", 0.01)  # no end of headers
    with pytest.raises(harness.Disconnected):
        harness.decode_response(b"", 0.01)


def test_a_visitor_keeps_the_cookies_set_and_drops_the_ones_deleted():
    visitor = harness.Visitor(8000)
    visitor.store_cookies(harness.decode_response(
        b"HTTP/1.1 200 OK\r\nSet-Cookie: sessionid=abc; HttpOnly\r\n"
        b"Set-Cookie: csrftoken=xyz\r\nContent-Length: 0\r\n\r\n", 0))
    visitor.store_cookies(harness.decode_response(
        b"HTTP/1.1 200 OK\r\nSet-Cookie: sessionid=\"\"; Max-Age=0\r\n"
        b"Content-Length: 0\r\n\r\n", 0))
    assert visitor.cookies == {"csrftoken": "xyz"}
    headers = visitor.headers("POST", "/check/country/")
    assert headers["Cookie"] == "csrftoken=xyz"
    assert headers["Referer"] == "https://127.0.0.1:8000/check/country/"


def test_percentiles_and_latency_in_milliseconds():
    assert harness.percentile([], 95) == 0.0
    assert harness.percentile([7.0], 95) == 7.0
    values = [float(n) for n in range(1, 101)]
    assert harness.percentile(values, 50) == pytest.approx(50.5)
    assert harness.percentile(values, 95) == pytest.approx(95.05)
    latency = harness.latency_ms([0.010, 0.020, 0.030])
    assert (latency["p50"], latency["max"], latency["count"]) == (20.0, 30.0, 3)


def test_the_smtp_sink_counts_each_message_by_recipient_and_by_its_row():
    sink = harness.SmtpSink().start()
    try:
        for row, recipient in ((41, "A@example.org"), (41, "a@example.org"),
                               (42, "b@example.org")):
            message = EmailMessage()
            message["Message-ID"] = f"<message-{row}.f00d@firm.example>"
            message["From"], message["To"] = "intake@firm.example", recipient
            message["Subject"] = "Confirmation"
            message.set_content("Hello")
            with smtplib.SMTP(harness.HOST, sink.port, timeout=10) as smtp:
                smtp.send_message(message)
        message = EmailMessage()  # not one of the app's rows
        message["Message-ID"], message["From"] = "<other@elsewhere>", "x@example.org"
        message["To"], message["Subject"] = "c@example.org", "Other"
        message.set_content("Hi")
        with smtplib.SMTP(harness.HOST, sink.port, timeout=10) as smtp:
            smtp.send_message(message)
    finally:
        sink.stop()
    assert sink.total == 4
    assert sink.by_row() == {41: 2, 42: 1, -1: 1}
    assert sink.by_recipient["a@example.org"] == 2


def test_the_smtp_sink_keeps_its_reply_back_while_holding():
    """make loadtest kills an email worker while every worker waits on such a reply."""
    import threading

    sink = harness.SmtpSink().start()
    message = EmailMessage()
    message["Message-ID"], message["From"] = "<message-7.f00d@firm.example>", "i@firm.example"
    message["To"], message["Subject"] = "a@example.org", "Confirmation"
    message.set_content("Hello")
    replied = threading.Event()

    def send():
        with smtplib.SMTP(harness.HOST, sink.port, timeout=10) as smtp:
            smtp.send_message(message)
        replied.set()

    try:
        sink.holding.set()
        sender = threading.Thread(target=send)
        sender.start()
        assert harness.wait_until(lambda: sink.held == 1, 5, 0.02)
        assert not replied.wait(0.3) and sink.total == 0
        sink.holding.clear()
        assert replied.wait(5)
        sender.join(5)
    finally:
        sink.holding.clear()
        sink.stop()
    assert sink.held == 0 and sink.by_row() == {7: 1}


def test_a_held_reply_whose_client_is_gone_is_held_no_more():
    """aiosmtpd cancels the handler of a connection that is lost: ``held`` must not keep it."""
    import asyncio
    import contextlib
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    sink = harness.SmtpSink()  # the handler alone: no server needed
    envelope = SimpleNamespace(content=b"Message-ID: <message-9.f00d@firm.example>\r\n\r\nHi",
                               rcpt_tos=["a@example.org"])

    async def cut_off():
        sink.holding.set()
        reply = asyncio.ensure_future(sink.handle_DATA(None, None, envelope))
        assert await asyncio.to_thread(harness.wait_until, lambda: sink.held == 1, 5, 0.02)
        reply.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reply

    # A loop of its own in a thread of its own: the browser tests leave one running here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(cut_off())).result(timeout=30)
    assert sink.held == 0 and sink.total == 0


def run_measure_speedups(*args: str, tmp_path: Path):
    """scripts/measure_speedups.py in a process of its own, with no EMAIL_HOST, DATABASE_URL or
    bench database of the developer's: it makes a scratch SQLite (harness.RESULTS moved to
    ``tmp_path``)."""
    import os
    import subprocess

    code = ("import sys, pathlib; sys.path.insert(0, 'scripts'); import harness; "
            f"harness.RESULTS = pathlib.Path({str(tmp_path)!r}); "
            "sys.argv = ['measure_speedups.py', *sys.argv[1:]]; "
            "import runpy; runpy.run_path('scripts/measure_speedups.py', run_name='__main__')")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "CASEAPP_", "EMAIL_")) and k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=harness.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def test_measure_speedups_walks_the_check_with_a_middleware_left_out(tmp_path):
    done = run_measure_speedups("--check", "1", "--without-middleware",
                                "csp.middleware.CSPMiddleware", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "18 requests of the check walked" in done.stdout

    refused = run_measure_speedups("--check", "1", "--without-middleware", "no.Such",
                                   tmp_path=tmp_path)
    assert refused.returncode != 0
    assert "not in settings.MIDDLEWARE: no.Such" in refused.stderr


def test_measure_speedups_runs_whole_on_a_scratch_database(tmp_path):
    """Issue 18: it must not need EMAIL_HOST, nor a bench database (it then says what it left
    out)."""
    done = run_measure_speedups("--rounds", "1", "--requests", "2", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Jinja2 lookups (caseapp/jinja.py)" in done.stdout
    assert "case-record cache (PublicCaseCache)" in done.stdout
    assert "no bench-supervisor in this database" in done.stdout
    assert "CSV export: no submissions in a scratch database" in done.stdout
