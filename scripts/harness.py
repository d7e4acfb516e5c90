"""What the bench and load scripts share: scratch databases, gunicorn, HTTP clients, cleanup."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench-results"
HOST = "127.0.0.1"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def logger(name: str, stream=None) -> Callable[[str], None]:
    """``[name HH:MM:SS] message`` lines; the stream is looked up per call (None: stdout)."""

    def log(message: str) -> None:
        print(f"[{name} {time.strftime('%H:%M:%S')}] {message}",
              file=stream or sys.stdout, flush=True)

    return log


def package_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


# --- cleanup: whatever happens, gunicorn is stopped, and temp files and scratch databases go -----

class Cleanup:
    def __init__(self) -> None:
        self._actions: list[tuple[str, Callable[[], object]]] = []

    def add(self, label: str, action: Callable[[], object]) -> None:
        self._actions.append((label, action))

    def run(self) -> None:
        while self._actions:
            label, action = self._actions.pop()
            try:
                action()
            except Exception as exc:  # cleanup must go on
                print(f"[harness] cleanup {label} failed: {exc!r}", file=sys.stderr)


CLEANUP = Cleanup()
atexit.register(CLEANUP.run)


def exit_on_signals(log: Callable[[str], None], *signums: int) -> None:
    """Turn these signals into SystemExit, which unwinds through every finally and CLEANUP."""

    def handler(signum, _frame):
        log(f"{signal.Signals(signum).name}: stopping gunicorn and cleaning up")
        raise SystemExit(128 + signum)

    for signum in signums:
        signal.signal(signum, handler)


def run_main(main: Callable[[], int]) -> None:
    try:
        code = main()
    finally:
        CLEANUP.run()
    sys.exit(code)


def temp_dir(prefix: str, keep: bool = False) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    if not keep:
        CLEANUP.add("temp dir", lambda: shutil.rmtree(tmp, ignore_errors=True))
    return tmp


# --- scratch databases ---------------------------------------------------------------------------

def database_server() -> tuple[str, bool]:
    """DATABASE_URL and whether it names a PostgreSQL server (else the scratch one is SQLite)."""
    server_url = os.environ.get("DATABASE_URL", "")
    use_postgres = server_url.startswith(("postgres://", "postgresql://", "pgsql://"))
    if server_url and not use_postgres and not server_url.startswith("sqlite"):
        raise SystemExit(f"unsupported DATABASE_URL scheme: {server_url.split(':')[0]}")
    return server_url, use_postgres


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, path: Path, label: str | None = None) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"  # an absolute path: sqlite:////tmp/...
        self.label = label or str(path)

    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> None:
        self.drop()  # the first connection makes the file

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def query(self, sql: str) -> list[tuple]:
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def analyze(self) -> None:
        conn = sqlite3.connect(self.path)
        try:
            conn.execute("ANALYZE")
        finally:
            conn.close()

    def lock(self, seconds: float) -> tuple[float, float]:
        """Hold the write lock (BEGIN EXCLUSIVE) for ``seconds``; return (waited, held)."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            t0 = time.monotonic()
            conn.execute("BEGIN EXCLUSIVE")
            t1 = time.monotonic()
            time.sleep(seconds)
            conn.execute("COMMIT")
            return t1 - t0, time.monotonic() - t1
        finally:
            conn.close()


class PostgresDatabase:
    """The database ``name`` on the server DATABASE_URL names, never the one it names."""

    kind = "postgresql"

    def __init__(self, server_url: str, name: str) -> None:
        parts = urlsplit(server_url)
        given = parts.path.lstrip("/")
        self.name = name
        self.url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
        # CREATE and DROP DATABASE run from another database: postgres, else the named one.
        self._admin_urls = [urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))
                            for db in ("postgres", given or "template1")]
        self.label = f"{parts.hostname}:{parts.port or 5432}/{name}"

    def _admin(self):
        import psycopg

        last = None
        for url in self._admin_urls:
            try:
                return psycopg.connect(url, autocommit=True, connect_timeout=10)
            except psycopg.OperationalError as exc:
                last = exc
        raise SystemExit(f"cannot reach the PostgreSQL server to make {self.name}: {last}")

    def _connect(self, **options):
        import psycopg

        return psycopg.connect(self.url, connect_timeout=10, **options)

    def exists(self) -> bool:
        with self._admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                [self.name]).fetchone() is not None

    def create(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def version(self) -> str:
        with self._connect() as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]

    def query(self, sql: str) -> list[tuple]:
        with self._connect() as conn:
            return conn.execute(sql).fetchall()

    def analyze(self) -> None:
        # The planner's statistics and the visibility map (index-only scans) after a bulk load.
        # Also after deleting what a measurement added: with autovacuum off, the dead rows at
        # the newest end of an index slow every "newest first" page until a VACUUM.
        # Then a checkpoint: the pages timed next must not share the disk with the flush of
        # what the load wrote (a search's audit row waits for its commit to reach the disk).
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
        with self._connect() as conn:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '20s'")
                t0 = time.monotonic()
                conn.execute("LOCK TABLE caseapp_submission IN ACCESS EXCLUSIVE MODE")
                t1 = time.monotonic()
                time.sleep(seconds)
            return t1 - t0, time.monotonic() - t1


# --- the app: production settings, fresh keys, the script's database ------------------------------

def fresh_keys() -> dict[str, str]:
    """A secret key, a field key and a blind-index key no developer's data was sealed with."""
    from cryptography.fernet import Fernet

    return {"secret_key": secrets.token_urlsafe(50),
            "field_keys": Fernet.generate_key().decode(),
            "blind_index_key": secrets.token_urlsafe(32)}


def write_settings_module(tmp: Path, module: str, purpose: str, extra: str = "") -> Path:
    """A settings module in ``tmp/settings``, returned: caseapp.settings fixes STATIC_ROOT,
    and collectstatic must write into the temp dir, not the work tree."""
    directory = tmp / "settings"
    directory.mkdir(exist_ok=True)
    (directory / f"{module}.py").write_text(
        f'"""Written by {purpose}."""\n'
        "import os\n\n"
        "from caseapp.settings import *  # noqa: F403\n\n"
        'STATIC_ROOT = os.environ["HARNESS_STATIC_ROOT"]\n' + extra
    )
    return directory


def app_environment(tmp: Path, module: str, database_url: str, keys: dict[str, str],
                    extra: dict[str, str] | None = None) -> dict[str, str]:
    """Production settings, these keys, this database; nothing from the developer's own."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "CASEAPP_"))
           and key not in ("DATABASE_URL", "REDIS_URL", "PYTHONPATH")}
    env.update({
        "DJANGO_SETTINGS_MODULE": module,
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
        # Production requires a mail server; no worker runs here, so the confirmations a
        # registration enqueues wait in the task table and nothing is sent.
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": "9",
        "DATABASE_URL": database_url,
        **(extra or {}),
    })
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    """Run manage.py, return its output; the default timeout leaves room for a migration at
    a million rows."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)[:80]} failed:\n{result.stdout}\n"
                         f"{result.stderr[-3000:]}")
    return result.stdout


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
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 90) -> None:
        self._log = open(self.log_path, "w")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "caseapp.wsgi", "--workers", str(self.workers),
             "--bind", f"{HOST}:{self.port}", "--timeout", str(self.timeout),
             "--graceful-timeout", "5", "--error-logfile", "-"],
            cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        CLEANUP.add(f"gunicorn {self.proc.pid}", self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.proc.returncode}:\n"
                                 + self.log_path.read_text()[-3000:])
            # Every worker up, so that no measurement starts while one is still booting.
            with contextlib.suppress(OSError, Disconnected):
                if fetch(self.port, "GET", "/healthz", timeout=5).status == 200 \
                        and len(self.worker_pids()) == self.workers:
                    return
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer /healthz within {timeout:.0f} s")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        pid = self.proc.pid
        children: list[int] = []
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                children += [int(x) for x in (task / "children").read_text().split()]
        if not children:  # a kernel without /proc/<pid>/task/*/children
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)],
                                 capture_output=True, text=True).stdout
            children = [int(x) for x in out.split()]
        return sorted(set(children))

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # any worker left behind
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None


# --- HTTP clients: exact bytes on the wire, one connection per request ----------------------------
# gunicorn's sync workers close every connection anyway. The clients are small on purpose: the
# load generator shares the CPUs with the server, and httpx spent about 3 ms of CPU per request
# here against gunicorn's ~9 (docs/loadtest.md).

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

    def header_list(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def encode_request(port: int, method: str, path: str, headers: dict[str, str],
                   data: dict | None = None) -> bytes:
    body = urlencode(data).encode() if data is not None else b""
    # Every request comes as if through the TLS-terminating proxy the settings trust, so that
    # Django sets its Secure cookies and checks Origin as it does in production.
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close",
             "X-Forwarded-Proto: https"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if method == "POST":
        lines += ["Content-Type: application/x-www-form-urlencoded",
                  f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def decode_response(raw: bytes, seconds: float) -> Response:
    """A whole response read to EOF, or Disconnected when the server closed it early."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise Disconnected(f"incomplete response ({len(raw)} bytes)")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split(" ", 2)[1])
    except (IndexError, ValueError) as exc:
        raise Disconnected(f"bad status line {status_line[:60]!r}") from exc
    headers = []
    for line in header_lines:
        name, _c, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    response = Response(status, headers, body, len(raw), seconds)
    if (response.header("transfer-encoding") or "").lower() == "chunked":
        response.body = _dechunk(body)
    length = response.header("content-length")
    if length is not None and int(length) != len(response.body):
        raise Disconnected(f"body {len(response.body)} of {length} bytes")
    return response


def _dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            raise Disconnected("truncated chunked body")
        size = int(data[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2:end + 2 + size]
        if len(data) < end + 4 + size:
            raise Disconnected("truncated chunked body")
        pos = end + 4 + size


def fetch(port: int, method: str, path: str, headers: dict[str, str] | None = None,
          data: dict | None = None, timeout: float = 60) -> Response:
    """One request, blocking: for timing pages one after another."""
    payload = encode_request(port, method, path, headers or {}, data)
    started = time.perf_counter()
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return decode_response(b"".join(chunks), time.perf_counter() - started)


class AsyncClient:
    """One request on asyncio streams: for many people at once in one process."""

    def __init__(self, port: int, timeout: float, connect_timeout: float = 10.0) -> None:
        self.port = port
        self.timeout = timeout
        self.connect_timeout = connect_timeout

    async def request(self, method: str, path: str, headers: dict[str, str],
                      data: dict | None = None) -> Response:
        payload = encode_request(self.port, method, path, headers, data)
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(HOST, self.port), self.connect_timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise ConnectFailed(repr(exc)) from exc
        try:
            raw = await asyncio.wait_for(self._exchange(reader, writer, payload), self.timeout)
        finally:
            writer.close()
        return decode_response(raw, time.perf_counter() - started)

    @staticmethod
    async def _exchange(reader, writer, payload: bytes) -> bytes:
        try:
            writer.write(payload)
            await writer.drain()
            return await reader.read()  # to EOF: the server closes after the response
        except (ConnectionError, OSError) as exc:
            raise Disconnected(repr(exc)) from exc


class Visitor:
    """One person's cookies, and the headers their browser sends with each request."""

    def __init__(self, port: int, user_agent: str) -> None:
        self.port = port
        self.user_agent = user_agent
        self.cookies: dict[str, str] = {}

    def headers(self, method: str, page: str) -> dict[str, str]:
        """``page`` is the path of the page the request is sent from (the POST's Referer)."""
        headers = {"User-Agent": self.user_agent}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if method == "POST":  # Django's CSRF check on https compares both with the host
            headers["Origin"] = origin(self.port)
            headers["Referer"] = origin(self.port) + page
        return headers

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def store_cookies(self, response: Response) -> None:
        for header in response.header_list("set-cookie"):
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


class StaffBrowser(Visitor):
    """Cookies and CSRF for a signed-in staff member."""

    def __init__(self, port: int, user_agent: str = "caseapp-scripts") -> None:
        super().__init__(port, user_agent)

    def sign_in(self, username: str, password: str, totp_key: str = "") -> None:
        page = self.request("GET", "/staff/login/")
        response = self.request("POST", "/staff/login/", {
            "csrfmiddlewaretoken": csrf_token(page.text), "username": username,
            "password": password})
        if response.status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"{username} could not sign in: {response.status}")
        if totp_key:
            from django_otp.oath import totp

            page = self.request("GET", "/staff/two-factor/")
            response = self.request("POST", "/staff/two-factor/", {
                "csrfmiddlewaretoken": csrf_token(page.text),
                "token": f"{totp(bytes.fromhex(totp_key)):06d}"})
            if response.status != 302:
                raise SystemExit(f"{username} could not enter the code: {response.status}")

    def post_form(self, page_path: str, action: str, data: dict | None = None) -> Response:
        """A form on ``page_path`` sent to ``action`` with that page's CSRF token."""
        page = self.request("GET", page_path)
        return self.request("POST", action, {
            "csrfmiddlewaretoken": csrf_token(page.text), **(data or {})})


def csrf_token(page: str) -> str | None:
    match = CSRF_RE.search(page)
    return match.group(1) if match else None


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# --- email: a real SMTP server on loopback, and the db_worker processes that send to it -------

class SmtpSink:
    """An aiosmtpd server on a free port of 127.0.0.1, in this process (as tests/smtp.py):
    what it accepts is counted by recipient and by Message-ID, never kept."""

    def __init__(self) -> None:
        import threading
        from collections import Counter

        self.lock = threading.Lock()
        self.by_recipient: Counter[str] = Counter()
        self.by_message_id: Counter[str] = Counter()
        self.first = self.last = 0.0
        self.port = free_port()
        self._controller = None

    @property
    def total(self) -> int:
        return sum(self.by_message_id.values())

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=HOST, port=self.port)
        self._controller.start()
        CLEANUP.add("smtp sink", self.stop)
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def environment(self) -> dict[str, str]:
        """What the app's settings need to send here."""
        return {"EMAIL_HOST": HOST, "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0",
                "DEFAULT_FROM_EMAIL": "Firm intake <intake@firm.example>"}

    async def handle_DATA(self, server, session, envelope):
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break  # the end of the headers
            if line[:11].lower() == b"message-id:":
                message_id = line[11:].strip().decode("ascii", "replace")
        now = time.monotonic()
        with self.lock:
            self.by_message_id[message_id] += 1
            for recipient in envelope.rcpt_tos:
                self.by_recipient[recipient.lower()] += 1
            self.first = self.first or now
            self.last = now
        return "250 2.0.0 Ok: queued"


class Workers:
    """``manage.py db_worker`` processes (the deployment's email worker), their peak memory
    sampled every half second; ``kill_one`` sends SIGKILL and starts a replacement."""

    def __init__(self, env: dict[str, str], count: int, log_path: Path | None = None) -> None:
        import threading

        self.env = env
        self._log = open(log_path or os.devnull, "w")  # noqa: SIM115  (closed in stop)
        self.processes = [self._start() for _ in range(count)]
        self.peak_kb: dict[int, int] = {}
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        CLEANUP.add("db_worker processes", self.stop)

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2",
             "--no-startup-delay"],
            cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            for process in list(self.processes):
                with contextlib.suppress(OSError, ValueError):
                    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            kb = int(line.split()[1])
                            self.peak_kb[process.pid] = max(self.peak_kb.get(process.pid, 0), kb)

    @property
    def peak_mb(self) -> float:
        return round(max(self.peak_kb.values(), default=0) / 1024, 1)

    def kill_one(self) -> int:
        victim = self.processes[-1]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        self.processes[-1] = self._start()
        return victim.pid

    def stop(self) -> None:
        self._stop.set()
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.processes = []
        self._log.close()
