"""Run the built image here, without a Docker daemon, and check it serves (used by .ci/run).

    .venv/bin/python scripts/image_smoke.py run      # one container, SQLite in /data
    .venv/bin/python scripts/image_smoke.py cluster  # compose.yaml's topology, see below

Containers are started with ``buildah run --isolation chroot --network host`` (``podman run``
and ``docker run`` cannot run here: no daemon, and crun refuses this machine's cgroups).

``run``: in one container made from the image, ``workchat migrate`` and ``workchat
create-org`` (the image's CLI), then the image's own command (``workchat serve``); checks
``/readyz``, logs in through GraphQL and reads ``viewer`` with the token.

``cluster``: what ``compose.yaml`` describes, with this machine's PostgreSQL (a fresh database
named ``ship_smoke_<pid>``, dropped afterwards) and Redis (db 5) instead of their containers:
the migrate step once, the image twice (replicas A and B), and nginx run natively with
``deploy/nginx/nginx.conf`` (only its upstream addresses and listen port rewritten). A message
posted through replica A must arrive over graphql-transport-ws ``channelEvents`` subscriptions
both on replica B directly and through the load balancer.

``check``: only the cross-replica checks, against a cluster already running (``docker compose
up``: replicas at ``--a``/``--b``, the balancer at ``--lb``; the org made with ``docker compose
run --rm migrate workchat create-org Smoke --admin-email admin@smoke.example.com
--password-stdin``). The GitHub workflow uses it, where Docker runs.

Everything started is stopped and removed at the end, on failure too. Exits non-zero and says
why on any failure. Ports: 22000-22019 (override the base with ``--port``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parent.parent
SECRET = "image-smoke-secret-key-that-is-long-enough-0123456789"
ADMIN_EMAIL = "admin@smoke.example.com"
ADMIN_PASSWORD = "smoke-admin-password-1"
READY_SECONDS = 90
RECEIVE_SECONDS = 10
ATTEMPTS = 5


class SmokeError(Exception):
    """A check failed; the message says which."""


def say(message: str) -> None:
    print(f"image-smoke: {message}", flush=True)


class Container:
    """A working container from the image, and the processes ``buildah run`` starts in it."""

    def __init__(self, image: str, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.env = env
        self.log = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        created = subprocess.run(
            ["buildah", "from", "--pull=never", "--name", f"smoke-{name}-{os.getpid()}", image],
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode != 0:
            raise SmokeError(f"buildah from {image} failed: {created.stderr.strip()}")
        self.id = created.stdout.strip().splitlines()[-1]

    def _argv(self, command: Sequence[str]) -> list[str]:
        argv = ["buildah", "run", "--isolation", "chroot", "--network", "host"]
        for key, value in self.env.items():
            argv += ["--env", f"{key}={value}"]
        return [*argv, self.id, "--", *command]

    def run(self, *command: str, stdin: str | None = None) -> str:
        """Run a one-shot command to completion (like ``docker compose run``)."""
        done = subprocess.run(
            self._argv(command), input=stdin, capture_output=True, text=True, check=False
        )
        with self.log.open("a") as log:
            log.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            raise SmokeError(
                f"{self.name}: `{' '.join(command)}` exited {done.returncode}:\n"
                f"{(done.stdout + done.stderr).strip()[-2000:]}"
            )
        return done.stdout

    def start(self, *command: str) -> None:
        """Start a long-running command; no command means the image's own CMD."""
        # `buildah run` has no "use the image's CMD": read it from the image config.
        argv = self._argv(command or image_cmd(self.id))
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def remove(self) -> None:
        self.stop()
        subprocess.run(["buildah", "rm", self.id], capture_output=True, check=False)


def inspect(container: str) -> dict[str, Any]:
    inspected = subprocess.run(
        ["buildah", "inspect", "--type", "container", container],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(inspected.stdout))


def image_cmd(container: str) -> list[str]:
    cmd = inspect(container)["OCIv1"]["config"].get("Cmd")
    if not cmd:
        raise SmokeError("the image has no CMD")
    return [str(part) for part in cmd]


def check_config(container: str) -> list[str]:
    """What the Dockerfile promises in the image config; returns the HEALTHCHECK command."""
    config = inspect(container)["Docker"]["config"]
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    labels = config.get("Labels") or {}
    expected = {
        "User": config.get("User") == "10001:10001",
        "/data volume": "/data" in (config.get("Volumes") or {}),
        "WORKCHAT_ENV=prod": "WORKCHAT_ENV=prod" in (config.get("Env") or []),
        "OCI version label": version is not None
        and labels.get("org.opencontainers.image.version") == version.group(1),
        "OCI revision label": bool(labels.get("org.opencontainers.image.revision")),
    }
    missing = [name for name, ok in expected.items() if not ok]
    if missing:
        raise SmokeError(f"the image config lacks: {', '.join(missing)}")
    test = (config.get("Healthcheck") or {}).get("Test") or []
    if not test or test[0] != "CMD" or "/readyz" not in " ".join(test):
        raise SmokeError(f"the image has no HEALTHCHECK on /readyz ({test})")
    return [str(part) for part in test[1:]]


def tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_ready(
    base: str, owner: Container | subprocess.Popen[bytes] | None = None, log: Path | None = None
) -> None:
    deadline = time.monotonic() + READY_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if owner is None:
            running = True
        else:
            running = owner.alive() if isinstance(owner, Container) else owner.poll() is None
        if not running and log is not None:
            raise SmokeError(f"{base} exited before it was ready; its log:\n{tail(log)}")
        try:
            reply = httpx.get(f"{base}/readyz", timeout=2)
            if reply.status_code == 200 and reply.json().get("status") == "ready":
                return
            last = f"{reply.status_code} {reply.text[:200]}"
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.5)
    raise SmokeError(f"{base}/readyz not ready in {READY_SECONDS} s ({last}); log:\n{tail(log)}")


def graphql(base: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    reply = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )
    is_json = reply.headers.get("content-type", "").startswith("application/json")
    body = reply.json() if is_json else None
    if reply.status_code != 200 or body is None or body.get("errors"):
        raise SmokeError(f"POST {base}/graphql: {reply.status_code} {reply.text[:500]}")
    return body["data"]


def payload(data: Any, field: str) -> Any:
    result = data[field]
    if result.get("errors"):
        raise SmokeError(f"{field} refused: {result['errors']}")
    return result


LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { errors { code message } accessToken }
}"""
VIEWER = "query { viewer { email } org { name } }"
CREATE_CHANNEL = """mutation($name: String!) {
  createChannel(input: {name: $name}) { errors { code message } channel { id } }
}"""
POST = """mutation($channel: ID!, $body: String!) {
  postMessage(input: {channelId: $channel, body: $body}) { errors { code message } message { id } }
}"""
SUBSCRIBE = """subscription($channel: ID!) {
  channelEvents(channelId: $channel) { __typename ... on MessagePosted { message { id body } } }
}"""


def login(base: str) -> str:
    data = graphql(base, LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    token = payload(data, "login")["accessToken"]
    if not token:
        raise SmokeError("login returned no access token")
    viewer = graphql(base, VIEWER, {}, token)
    if viewer["viewer"]["email"] != ADMIN_EMAIL:
        raise SmokeError(f"viewer after login is {viewer['viewer']}, not {ADMIN_EMAIL}")
    return str(token)


def create_org(container: Container, org: str) -> None:
    container.run(
        "workchat",
        "create-org",
        org,
        "--admin-email",
        ADMIN_EMAIL,
        "--admin-name",
        "Smoke Admin",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )


# --- run: one container --------------------------------------------------------------------


def smoke_run(image: str, port: int, logs: Path) -> None:
    env = {"WORKCHAT_SECRET_KEY": SECRET, "WORKCHAT_PORT": str(port), "WORKCHAT_HOST": "127.0.0.1"}
    app = Container(image, "run", env, logs)
    try:
        healthcheck = check_config(app.id)
        say("image config: user 10001, /data volume, WORKCHAT_ENV=prod, OCI labels, HEALTHCHECK")
        user = app.run("id", "-u").strip()
        if user == "0":
            raise SmokeError("the image runs as root")
        env_seen = app.run("printenv", "WORKCHAT_ENV").strip()
        if env_seen != "prod":
            raise SmokeError(f"WORKCHAT_ENV in the image is {env_seen!r}, not 'prod'")
        app.run("workchat", "migrate")
        create_org(app, "Smoke")
        app.start()
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, app, app.log)
        say(f"{base}/readyz is ready (uid {user}, WORKCHAT_ENV=prod)")
        app.run(*healthcheck)  # what Docker would run: it exits non-zero when not ready
        say("the image's HEALTHCHECK command passes against the running server")
        login(base)
        say("create-org through the image's CLI, then login + viewer through GraphQL: ok")
        index = httpx.get(f"{base}/", timeout=10)
        if index.status_code != 200 or "<html" not in index.text.lower():
            raise SmokeError(f"GET / (the web client) answered {index.status_code}")
        say("the web client is served at /")
    finally:
        app.remove()


# --- cluster: compose.yaml's topology ------------------------------------------------------


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    name = f"ship_smoke_{os.getpid()}"

    async def execute(sql: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def nginx_config(work: Path, upstreams: Sequence[int], listen: int) -> Path:
    """deploy/nginx/nginx.conf with only the upstream addresses and listen port changed."""
    text = (ROOT / "deploy/nginx/nginx.conf").read_text()
    swaps = {
        "server app1:8000 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server app2:8000 ": f"server 127.0.0.1:{upstreams[1]} ",
        "listen 8000;": f"listen 127.0.0.1:{listen};",
    }
    for old, new in swaps.items():
        if text.count(old) != 1:
            raise SmokeError(f"deploy/nginx/nginx.conf: expected {old!r} exactly once")
        text = text.replace(old, new)
    path = work / "nginx.conf"
    path.write_text(text)
    return path


def start_nginx(config: Path, work: Path, log: Path) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SmokeError("nginx is not installed (apt-get install nginx-light)")
    globals_ = f"pid {work}/nginx.pid;"
    checked = subprocess.run(
        [nginx, "-t", "-q", "-e", "stderr", "-p", str(work), "-c", str(config), "-g", globals_],
        capture_output=True,
        text=True,
        check=False,
    )
    if checked.returncode != 0:
        raise SmokeError(f"nginx -t refused the config: {checked.stderr.strip()}")
    with log.open("ab") as out:
        daemon = ["-g", f"daemon off; {globals_}"]
        return subprocess.Popen(
            [nginx, "-e", "stderr", "-p", str(work), "-c", str(config), *daemon],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def subscribe(url: str, token: str, channel: str) -> ClientConnection:
    ws = await connect(
        f"{url}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10
    )
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    await ws.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
    if ack.get("type") != "connection_ack":
        raise SmokeError(f"{url}: no connection_ack ({ack})")
    subscribe_message = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": SUBSCRIBE, "variables": {"channel": channel}},
    }
    await ws.send(json.dumps(subscribe_message))
    return ws


async def next_post(ws: ClientConnection, deadline: float) -> dict[str, Any] | None:
    """The next MessagePosted on the socket, or None when the deadline passes."""
    while (left := deadline - time.monotonic()) > 0:
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=left)
        except TimeoutError:
            return None
        message = json.loads(raw)
        if message.get("type") in ("error", "complete"):
            raise SmokeError(f"subscription ended: {message}")
        if message.get("type") == "next":
            if message["payload"].get("errors"):
                raise SmokeError(f"subscription error: {message['payload']['errors']}")
            event = message["payload"]["data"]["channelEvents"]
            if event["__typename"] == "MessagePosted":
                return dict(event["message"])
    return None


async def cross_replica(a: str, b: str, lb: str, token: str, channel: str) -> str:
    """Post on A until B (directly) and the LB subscription both see the same message.

    Subscriptions start asynchronously (the protocol has no "subscribed" reply), so a post
    may land before one is live; each retry posts a new message and waits for that one.
    """
    on_b = await subscribe(b.replace("http", "ws", 1), token, channel)
    via_lb = await subscribe(lb.replace("http", "ws", 1), token, channel)
    try:
        for attempt in range(1, ATTEMPTS + 1):
            body = f"smoke {uuid.uuid4()}"
            variables = {"channel": channel, "body": body}
            data = await asyncio.to_thread(graphql, a, POST, variables, token)
            posted = payload(data, "postMessage")["message"]["id"]
            deadline = time.monotonic() + (RECEIVE_SECONDS if attempt > 1 else 3)
            seen_b, seen_lb = await asyncio.gather(
                next_until(on_b, posted, deadline), next_until(via_lb, posted, deadline)
            )
            if seen_b and seen_lb:
                return f"message {posted} ({body!r}) posted on A, received on B and through the LB"
            say(f"attempt {attempt}: B saw it: {seen_b}, LB saw it: {seen_lb}; posting again")
        raise SmokeError("a message posted on replica A never reached the subscribers")
    finally:
        await on_b.close()
        await via_lb.close()


async def next_until(ws: ClientConnection, message_id: str, deadline: float) -> bool:
    while (event := await next_post(ws, deadline)) is not None:
        if event["id"] == message_id:
            return True
    return False


def smoke_cluster(image: str, port: int, logs: Path, postgres: str, redis: str) -> None:
    lb_port, port_a, port_b = port, port + 1, port + 2
    started: list[Container] = []
    nginx: subprocess.Popen[bytes] | None = None
    work = Path(tempfile.mkdtemp(prefix="ship-nginx-"))
    with fresh_database(postgres) as database_url:
        common = {
            "WORKCHAT_DATABASE_URL": database_url,
            "WORKCHAT_BROADCAST_URL": redis,
            "WORKCHAT_SECRET_KEY": SECRET,
            "WORKCHAT_HOST": "127.0.0.1",
            "WORKCHAT_TRUSTED_PROXIES": "127.0.0.1/32",
            "WORKCHAT_RATE_LIMIT_KEY_PREFIX": f"ship-smoke-{os.getpid()}",
        }
        try:
            migrate = Container(image, "migrate", common, logs)
            started.append(migrate)
            migrate.run("workchat", "migrate")
            create_org(migrate, "Smoke")
            say(f"migrate (once) and create-org done in {database_url.rsplit('/', 1)[1]}")
            replicas = []
            for name, replica_port in (("app-a", port_a), ("app-b", port_b)):
                env = {**common, "WORKCHAT_PORT": str(replica_port)}
                replica = Container(image, name, env, logs)
                started.append(replica)
                replica.start()
                replicas.append(replica)
            a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
            wait_ready(a, replicas[0], replicas[0].log)
            wait_ready(b, replicas[1], replicas[1].log)
            config = nginx_config(work, (port_a, port_b), lb_port)
            nginx = start_nginx(config, work, logs / "nginx.log")
            lb = f"http://127.0.0.1:{lb_port}"
            wait_ready(lb, nginx, logs / "nginx.log")
            say(f"replicas ready at {a} and {b}, nginx at {lb}")
            check_cluster(a, b, lb)
        finally:
            if nginx is not None and nginx.poll() is None:
                os.killpg(nginx.pid, signal.SIGTERM)
                nginx.wait(timeout=20)
            for container in reversed(started):
                container.remove()
            shutil.rmtree(work, ignore_errors=True)


def check_cluster(a: str, b: str, lb: str) -> None:
    """Log in through the LB, then a post on A must reach B and a subscription via the LB."""
    token = login(lb)
    data = graphql(a, CREATE_CHANNEL, {"name": f"smoke-{uuid.uuid4().hex[:12]}"}, token)
    channel = payload(data, "createChannel")["channel"]["id"]
    say(asyncio.run(cross_replica(a, b, lb, token, channel)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("run", "cluster", "check"))
    parser.add_argument("--image", default="workchat:local")
    parser.add_argument("--port", type=int, default=22000, help="first of the ports used")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "WORKCHAT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a database the fresh smoke database is created from (cluster)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="the bus (cluster)")
    for name, url in (("a", 8001), ("b", 8002), ("lb", 8000)):
        parser.add_argument(f"--{name}", default=f"http://127.0.0.1:{url}", help="(check)")
    args = parser.parse_args(argv)
    # SIGTERM (CI timeouts, `timeout`) unwinds like an error, so the cleanup still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.mode == "check":  # an already running cluster, e.g. `docker compose up`
        try:
            for base in (args.a, args.b, args.lb):
                wait_ready(base)
            check_cluster(args.a, args.b, args.lb)
        except SmokeError as error:
            say(f"FAILED: {error}")
            return 1
        say("check: ok")
        return 0
    if shutil.which("buildah") is None:
        say("buildah is not installed: run scripts/build-image first (it installs it)")
        return 1
    logs = Path(tempfile.mkdtemp(prefix=f"image-smoke-{args.mode}-"))
    started = time.monotonic()
    try:
        if args.mode == "run":
            smoke_run(args.image, args.port + 10, logs)
        else:
            smoke_cluster(args.image, args.port, logs, args.postgres_url, args.redis_url)
    except SmokeError as error:
        say(f"FAILED: {error}")
        say(f"logs kept in {logs}")
        return 1
    shutil.rmtree(logs, ignore_errors=True)
    say(f"{args.mode}: ok in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
