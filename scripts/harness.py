"""What the bench and load scripts share: scratch databases, the app's settings, gunicorn,
db_worker processes, an SMTP sink, HTTP clients, timing, reports and cleanup."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import json
import os
import platform
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench-results"
HOST = "127.0.0.1"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Whatever happens, gunicorn and the workers are stopped, temp files and scratch databases go:
# each script's main runs inside it (run_main), and atexit closes it if anything else exits.
CLEANUP = contextlib.ExitStack()
atexit.register(CLEANUP.close)


def run_main(main: Callable[[], int], log: Callable[[str], None] | None = None) -> None:
    """Run ``main`` inside CLEANUP; with ``log``, SIGTERM, SIGHUP and SIGINT become a
    SystemExit that unwinds through every finally and CLEANUP."""

    def handler(signum, _frame):
        log(f"{signal.Signals(signum).name}: stopping and cleaning up")
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT) if log else ():
        signal.signal(signum, handler)
    with CLEANUP:
        code = main()
    sys.exit(code)


def logger(name: str, stream=None) -> Callable[[str], None]:
    """``[name HH:MM:SS] message`` lines; the stream is looked up per call (None: stdout)."""

    def log(message: str) -> None:
        print(f"[{name} {time.strftime('%H:%M:%S')}] {message}",
              file=stream or sys.stdout, flush=True)

    return log


def temp_dir(prefix: str, keep: bool = False) -> Path:
    if keep:
        return Path(tempfile.mkdtemp(prefix=prefix))
    return Path(CLEANUP.enter_context(tempfile.TemporaryDirectory(
        prefix=prefix, ignore_cleanup_errors=True)))


def write_results(name: str, data: dict, path: Path | None = None) -> Path:
    """``data`` as JSON in ``path``, by default ``bench-results/<name>.json``."""
    path = path or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def machine(db) -> dict:
    """The machine and software a measurement ran on."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), "")
    memory_kb = int((_read("/proc/meminfo").split() or [0, 0])[1])
    return {"cores": os.cpu_count(), "cpu": cpu, "memory": f"{memory_kb / 2**20:.0f} GiB",
            "database": db.version(), "python": platform.python_version(),
            "django": version("django"), "gunicorn": version("gunicorn"),
            "os": platform.platform(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def _read(path: str) -> str:
    with contextlib.suppress(OSError):
        return Path(path).read_text()
    return ""


def proc_status_kb(pid: int) -> dict[str, int]:
    """A process's memory lines from /proc (VmRSS, VmHWM, ...), in kB."""
    return {name: int(rest.split()[0]) for name, _c, rest in
            (line.partition(":") for line in _read(f"/proc/{pid}/status").splitlines())
            if name.startswith("Vm")}


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def latency_ms(seconds: list[float]) -> dict:
    """p50/p95/p99/max in milliseconds of durations in seconds, and their count."""
    ms = [s * 1000 for s in seconds]
    return {f"p{q}": round(percentile(ms, q), 1) for q in (50, 95, 99)} | {
        "max": round(max(ms, default=0), 1), "count": len(ms)}


def wait_until(predicate: Callable, timeout: float, interval: float = 0.5):
    """``predicate()`` every ``interval`` seconds until it is true or ``timeout`` has passed;
    its last value."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value


# --- scratch databases ---------------------------------------------------------------------------

class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"  # an absolute path: sqlite:////tmp/...
        self.label = str(path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path)

    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> None:
        self.drop()  # the first connection makes the file

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def query(self, sql: str) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as conn:
            return conn.execute(sql).fetchall()

    def analyze(self) -> None:
        self.query("ANALYZE")

    def lock(self, seconds: float) -> tuple[float, float]:
        """Hold the write lock (BEGIN EXCLUSIVE) for ``seconds``; return (waited, held)."""
        with contextlib.closing(sqlite3.connect(self.path, timeout=30,
                                                isolation_level=None)) as conn:
            t0 = time.monotonic()
            conn.execute("BEGIN EXCLUSIVE")
            t1 = time.monotonic()
            time.sleep(seconds)
            conn.execute("COMMIT")
            return t1 - t0, time.monotonic() - t1


class PostgresDatabase:
    """The database ``name`` on the server DATABASE_URL names, never the one it names."""

    kind = "postgresql"

    def __init__(self, server_url: str, name: str) -> None:
        parts = urlsplit(server_url)
        self.name = name
        self.url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
        # CREATE and DROP DATABASE run from another database: postgres, else the named one.
        self._admin_urls = [urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))
                            for db in ("postgres", parts.path.lstrip("/") or "template1")]
        self.label = f"{parts.hostname}:{parts.port or 5432}/{name}"

    def _admin(self):
        import psycopg

        for url in self._admin_urls:
            with contextlib.suppress(psycopg.OperationalError):
                return psycopg.connect(url, autocommit=True, connect_timeout=10)
        raise SystemExit(f"cannot reach the PostgreSQL server to make {self.name}")

    def _connect(self, **options):
        import psycopg

        return psycopg.connect(self.url, connect_timeout=10, **options)

    def exists(self) -> bool:
        with self._admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                [self.name]).fetchone() is not None

    def create(self) -> None:
        self.drop()
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def version(self) -> str:
        return "PostgreSQL " + self.query("SHOW server_version")[0][0]

    def query(self, sql: str) -> list[tuple]:
        with self._connect() as conn:
            return conn.execute(sql).fetchall()

    def analyze(self) -> None:
        # The planner's statistics and the visibility map after a bulk load or a delete (with
        # autovacuum off, dead rows at an index's newest end slow every "newest first" page),
        # then a checkpoint, so that the pages timed next do not share the disk with its flush
        # (a search's audit row waits for its commit to reach the disk).
        import psycopg

        with self._connect(autocommit=True) as conn:
            for table in ("caseapp_submission", "caseapp_reviewevent",
                          "caseapp_submissionnametoken", "caseapp_message",
                          "django_tasks_database_dbtaskresult"):
                conn.execute(f"VACUUM (ANALYZE) {table}")
            with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
                conn.execute("CHECKPOINT")

    def lock(self, seconds: float) -> tuple[float, float]:
        """Hold an ACCESS EXCLUSIVE lock on the submissions for ``seconds``; (waited, held)."""
        with self._connect() as conn, conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '20s'")
            t0 = time.monotonic()
            conn.execute("LOCK TABLE caseapp_submission IN ACCESS EXCLUSIVE MODE")
            t1 = time.monotonic()
            time.sleep(seconds)
        return t1 - t0, time.monotonic() - t1


def scratch_database(name: str, sqlite_path: Path | None):
    """``name`` on the PostgreSQL server DATABASE_URL names, else the SQLite file (None:
    PostgreSQL is required)."""
    server_url = os.environ.get("DATABASE_URL", "")
    use_postgres = server_url.startswith(("postgres://", "postgresql://", "pgsql://"))
    if server_url and not use_postgres and not server_url.startswith("sqlite"):
        raise SystemExit(f"unsupported DATABASE_URL scheme: {server_url.split(':')[0]}")
    if use_postgres and urlsplit(server_url).path.lstrip("/") == name:
        raise SystemExit(f"DATABASE_URL names {name!r}, the scratch database this script "
                         "drops; point it at another database on the same server")
    if use_postgres:
        return PostgresDatabase(server_url, name)
    if sqlite_path is None:
        raise SystemExit("this script needs PostgreSQL: DATABASE_URL=postgres://user@host/db")
    return SqliteDatabase(sqlite_path)


# --- the app: production settings, fresh keys, the script's database ------------------------------

def fresh_keys() -> dict[str, str]:
    """A secret key, a field key and a blind-index key no developer's data was sealed with."""
    from cryptography.fernet import Fernet

    return {"secret_key": secrets.token_urlsafe(50),
            "field_keys": Fernet.generate_key().decode(),
            "blind_index_key": secrets.token_urlsafe(32)}


SETTINGS_MODULE = "harness_settings"


def app_environment(tmp: Path, database_url: str, keys: dict[str, str],
                    extra: dict[str, str] | None = None, settings: str = "") -> dict[str, str]:
    """Production settings, these keys, this database; nothing from the developer's own.

    The settings module is written to ``tmp/settings`` with ``settings`` appended: it puts
    STATIC_ROOT in ``tmp``, as collectstatic must not write into the work tree."""
    (tmp / "settings").mkdir(exist_ok=True)
    (tmp / "settings" / f"{SETTINGS_MODULE}.py").write_text(
        '"""Written by scripts/harness.py."""\nimport os\n\n'
        "from caseapp.settings import *  # noqa: F403\n\n"
        'STATIC_ROOT = os.environ["HARNESS_STATIC_ROOT"]\n' + settings)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "CASEAPP_"))
           and key not in ("DATABASE_URL", "REDIS_URL", "PYTHONPATH")}
    return env | {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join([str(tmp / "settings"), str(BASE_DIR)]),
        # The server log is read after workers were killed or gunicorn exited: nothing buffered.
        "PYTHONUNBUFFERED": "1",
        "HARNESS_STATIC_ROOT": str(tmp / "static"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": keys["secret_key"],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Loopback has no TLS proxy in front; requests say https with X-Forwarded-Proto instead.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "CASEAPP_FIELD_KEYS": keys["field_keys"],
        "CASEAPP_BLIND_INDEX_KEY": keys["blind_index_key"],
        "CASEAPP_FIELD_KEY_FILE": str(tmp / "no-field-keys"),
        # Production settings with the made-up example firm (manage.py example_firm), which
        # would otherwise keep the public pages "not open yet".
        "CASEAPP_FIRM_IDENTITY_REQUIRED": "0",
        # Every client comes from 127.0.0.1 and answers faster than a person (the bot check's
        # floor before pressing Register).
        "CASEAPP_REGISTRATION_RATE": "1000000/h",
        "CASEAPP_REGISTRATION_MIN_SECONDS": "0",
        # Production requires a mail server: with no SmtpSink's environment in ``extra``, what
        # a registration enqueues waits in the task table and nothing is sent.
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": "9",
        "DATABASE_URL": database_url,
    } | (extra or {})


def manage(env: dict[str, str], *args: str, timeout: float = 3600, stdin: str = "") -> str:
    """Run manage.py, return its output (the timeout leaves room for a million-row migration)."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
                            input=stdin, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)[:80]} failed:\n{result.stdout}\n"
                         f"{result.stderr[-3000:]}")
    return result.stdout


def manage_shell(env: dict[str, str], code: str, tag: str, **options) -> list[str]:
    """Run ``code`` in ``manage.py shell``; the words after ``tag`` on the line it printed."""
    out = manage(env, "shell", "-c", code, **options)
    return next(line for line in out.splitlines() if line.startswith(tag + " ")).split()[1:]


def fresh_database(db, env: dict[str, str], keep: bool = False) -> None:
    """``db`` made anew and migrated, dropped at the end unless ``keep``."""
    db.create()
    if not keep:
        CLEANUP.callback(db.drop)
    manage(env, "migrate", "--noinput")


STAFF_CODE = """
import json, os
from django.contrib.auth.models import Group, User
from django_otp.plugins.otp_static.models import StaticDevice
from caseapp.models import SealedTOTPDevice
from caseapp.selectors.staff_accounts import BACKUP_DEVICE_NAME
for name, group in json.loads(os.environ["STAFF_ACCOUNTS"]).items():
    user, _ = User.objects.get_or_create(username=name)
    user.set_password(os.environ["STAFF_PASSWORD"])
    user.is_superuser = user.is_staff = group is None
    user.save()
    if group:
        user.groups.add(Group.objects.get(name=group))
    SealedTOTPDevice.objects.update_or_create(user=user, name="scripts", defaults={
        "key": os.environ["STAFF_TOTP_KEY"], "confirmed": True})
    StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME)
"""


def make_staff(env: dict[str, str], password: str, accounts: dict[str, str | None]) -> str:
    """Staff accounts (name: group, None for a superuser) with this password. Every account
    asks for the second factor (issue 20): each gets an authenticator whose key is returned,
    so that a client can enter the code as a person would (Visitor.sign_in), and backup
    codes made."""
    totp_key = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest()  # 20 bytes
    manage(env | {"STAFF_ACCOUNTS": json.dumps(accounts), "STAFF_PASSWORD": password,
                  "STAFF_TOTP_KEY": totp_key}, "shell", "-c", STAFF_CODE)
    return totp_key


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def origin(port: int) -> str:
    """The site as a browser behind the TLS proxy sees it; Django checks each POST against it."""
    return f"https://{HOST}:{port}"


class Server:
    """gunicorn with the production command (docs/deploy.md) on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], workers: int, log_path: Path,
                 timeout: int = 60) -> None:
        self.env, self.workers, self.log_path, self.timeout = env, workers, log_path, timeout
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "caseapp.wsgi", "--workers",
                 str(self.workers), "--bind", f"{HOST}:{self.port}", "--timeout",
                 str(self.timeout), "--graceful-timeout", "5", "--error-logfile", "-"],
                cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        CLEANUP.callback(self.stop)

        def ready() -> bool:  # every worker up: no measurement starts while one still boots
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}:\n"
                                 + self.log_path.read_text()[-3000:])
            with contextlib.suppress(OSError, Disconnected):
                return (fetch(self.port, "GET", "/healthz", timeout=5).status == 200
                        and len(self.worker_pids()) == self.workers)
            return False

        if not wait_until(ready, 90, interval=0.3):
            raise SystemExit("gunicorn did not answer /healthz within 90 s")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return sorted(int(x) for x in out.split())

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # any worker left behind
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


# --- email: a real SMTP server on loopback, and the db_worker processes that send to it -------

class SmtpSink:
    """An aiosmtpd server on a free port of 127.0.0.1, in this process (as tests/smtp.py):
    what it accepts is counted by recipient and by Message-ID, never kept. While ``holding``
    is set it keeps each message's reply back (``held`` counts the clients waiting on one):
    a worker killed then is killed mid-send for certain."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.lock = threading.Lock()
        self.by_recipient: Counter[str] = Counter()
        self.by_message_id: Counter[str] = Counter()
        self.first = self.last = 0.0
        self.holding = threading.Event()
        self.held = 0
        self.port = free_port()
        self._controller = Controller(self, hostname=HOST, port=self.port)

    @property
    def total(self) -> int:
        return sum(self.by_message_id.values())

    def start(self) -> SmtpSink:
        self._controller.start()
        CLEANUP.callback(self.stop)
        return self

    def stop(self) -> None:
        with contextlib.suppress(AssertionError, RuntimeError):  # stopped already
            self._controller.stop()

    def by_row(self) -> Counter[int]:
        """Messages received by their ``caseapp_message`` row: the Message-ID is
        ``<message-{row id}.{keyed hash}@domain>`` (services/email/compose.py)."""
        counts: Counter[int] = Counter()
        for header, n in list(self.by_message_id.items()):
            row = header.removeprefix("<message-").partition(".")[0]
            counts[int(row) if row.isdigit() else -1] += n
        return counts

    def environment(self) -> dict[str, str]:
        """What the app's settings need to send here."""
        return {"EMAIL_HOST": HOST, "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0",
                "DEFAULT_FROM_EMAIL": "Firm intake <intake@firm.example>"}

    async def handle_DATA(self, server, session, envelope):
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        message_id = next((line[11:].strip().decode("ascii", "replace")
                           for line in head.split(b"\r\n")
                           if line[:11].lower() == b"message-id:"), "")
        if self.holding.is_set():
            with self.lock:
                self.held += 1
            try:  # a client that dies meanwhile cancels this handler: it is no longer held
                while self.holding.is_set():
                    await asyncio.sleep(0.02)
            finally:
                with self.lock:
                    self.held -= 1
        with self.lock:
            self.by_message_id[message_id] += 1
            self.by_recipient.update(r.lower() for r in envelope.rcpt_tos)
            self.last = time.monotonic()
            self.first = self.first or self.last
        return "250 2.0.0 Ok: queued"


class Workers:
    """``manage.py db_worker`` processes (the deployment's email worker), their peak memory
    sampled every half second; ``kill_one`` sends SIGKILL and starts a replacement."""

    def __init__(self, env: dict[str, str], count: int, log_path: Path | None = None) -> None:
        self.env = env
        self._log = open(log_path or os.devnull, "w")  # noqa: SIM115  (closed in stop)
        self.processes = [self._start() for _ in range(count)]
        self.peak_kb: dict[int, int] = {}
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        CLEANUP.callback(self.stop)

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2",
             "--no-startup-delay"],
            cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            for process in list(self.processes):
                kb = proc_status_kb(process.pid).get("VmRSS", 0)
                self.peak_kb[process.pid] = max(self.peak_kb.get(process.pid, 0), kb)

    @property
    def peak_mb(self) -> float:
        return round(max(self.peak_kb.values(), default=0) / 1024, 1)

    def kill_one(self) -> int:
        victim = self.processes[-1]
        victim.kill()
        victim.wait(timeout=30)
        self.processes[-1] = self._start()
        return victim.pid

    def stop(self) -> None:
        self._stop.set()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes = []
        self._log.close()


# --- HTTP clients: exact bytes on the wire, one connection per request ----------------------------
# gunicorn's sync workers close every connection anyway. The clients are small on purpose: the
# load generator shares the CPUs with the server (docs/loadtest.md).

class ConnectFailed(Exception):
    """No TCP connection to gunicorn."""


class Disconnected(Exception):
    """The server closed the connection before a whole response arrived."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]  # names in lower case, in the order sent
    body: bytes
    wire_bytes: int
    seconds: float  # from before the connection to the last byte

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def app_ms(self) -> float | None:
        """The server's own time, from the bench middleware's Server-Timing header."""
        timing = re.search(r"dur=([\d.]+)", self.header("server-timing") or "")
        return float(timing.group(1)) if timing else None


def encode_request(port: int, method: str, path: str, headers: dict[str, str],
                   data: dict | None = None) -> bytes:
    body = urlencode(data).encode() if data is not None else b""
    # Every request comes as if through the TLS-terminating proxy the settings trust, so that
    # Django sets its Secure cookies and checks Origin as it does in production.
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close",
             "X-Forwarded-Proto: https", *(f"{k}: {v}" for k, v in headers.items())]
    if method == "POST":
        lines += ["Content-Type: application/x-www-form-urlencoded",
                  f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def decode_response(raw: bytes, seconds: float) -> Response:
    """A whole response read to EOF, or Disconnected when the server closed it early. The app
    sets Content-Length on its pages; a streamed (chunked) body is not decoded."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split(" ", 2)[1])
    except (IndexError, ValueError) as exc:
        raise Disconnected(f"bad status line {status_line[:60]!r}") from exc
    headers = [(name.strip().lower(), value.strip())
               for name, _c, value in (line.partition(":") for line in header_lines)]
    response = Response(status, headers, body, len(raw), seconds)
    length = response.header("content-length")
    if not sep or (length is not None and int(length) != len(body)):
        raise Disconnected(f"incomplete response ({len(raw)} bytes)")
    return response


def fetch(port: int, method: str, path: str, headers: dict[str, str] | None = None,
          data: dict | None = None, timeout: float = 60) -> Response:
    """One request, blocking: for timing pages one after another."""
    payload = encode_request(port, method, path, headers or {}, data)
    started = time.perf_counter()
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(payload)
        raw = b"".join(iter(lambda: sock.recv(65536), b""))
    return decode_response(raw, time.perf_counter() - started)


async def fetch_async(port: int, method: str, path: str, headers: dict[str, str],
                      data: dict | None, timeout: float) -> Response:
    """One request on asyncio streams: for many people at once in one process."""
    payload = encode_request(port, method, path, headers, data)
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 10)
    except (OSError, asyncio.TimeoutError) as exc:
        raise ConnectFailed(repr(exc)) from exc

    async def exchange() -> bytes:
        try:
            writer.write(payload)
            await writer.drain()
            return await reader.read()  # to EOF: the server closes after the response
        except (ConnectionError, OSError) as exc:
            raise Disconnected(repr(exc)) from exc

    try:  # a timeout is the caller's to count, not a disconnection
        raw = await asyncio.wait_for(exchange(), timeout)
    finally:
        writer.close()
    return decode_response(raw, time.perf_counter() - started)


class Visitor:
    """One person's cookies, and the headers their browser sends with each request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def headers(self, method: str, page: str) -> dict[str, str]:
        """``page`` is the path of the page the request is sent from (the POST's Referer)."""
        headers = {"User-Agent": "caseapp-scripts"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if method == "POST":  # Django's CSRF check on https compares both with the host
            headers["Origin"] = origin(self.port)
            headers["Referer"] = origin(self.port) + page
        return headers

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def store_cookies(self, response: Response) -> None:
        for name, header in response.headers:
            if name != "set-cookie":
                continue
            first, *attributes = header.split(";")
            name, _e, value = first.strip().partition("=")
            attrs = {a.strip().split("=", 1)[0].lower(): a.strip().partition("=")[2]
                     for a in attributes}
            if attrs.get("max-age") == "0" or "1970" in attrs.get("expires", ""):
                self.cookies.pop(name, None)  # Django deletes a cookie this way
            else:
                self.cookies[name] = value

    def request(self, method: str, path: str, data: dict | None = None,
                extra_headers: dict[str, str] | None = None) -> Response:
        """A blocking request from the page at ``path``, keeping the cookies it sets."""
        headers = {**self.headers(method, path), **(extra_headers or {})}
        response = fetch(self.port, method, path, headers, data)
        self.store_cookies(response)
        return response

    def post_form(self, page_path: str, data: dict | None = None,
                  action: str | None = None) -> Response:
        """A form on ``page_path`` sent to ``action`` (the page itself by default) with that
        page's CSRF token."""
        page = self.request("GET", page_path)
        return self.request("POST", action or page_path, {
            "csrfmiddlewaretoken": csrf_token(page.text), **(data or {})})

    def sign_in(self, username: str, password: str, totp_key: str) -> None:
        """As a staff member, with the code of the authenticator whose key is ``totp_key``."""
        from django_otp.oath import totp

        response = self.post_form("/staff/login/", {"username": username, "password": password})
        if response.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"{username} could not sign in: {response.status}")
        response = self.post_form("/staff/two-factor/",
                                  {"token": f"{totp(bytes.fromhex(totp_key)):06d}"})
        if response.status != 302:
            raise SystemExit(f"{username} could not enter the code: {response.status}")


def csrf_token(page: str) -> str | None:
    match = CSRF_RE.search(page)
    return match.group(1) if match else None
