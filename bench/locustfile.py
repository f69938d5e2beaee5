"""Locust load test: chat users over HTTP and graphql-transport-ws.

Each simulated user logs in, holds one WebSocket with a ``channelEvents`` and a
``viewerEvents`` subscription, and then reads channels, posts, reacts and searches. Posted
bodies carry the send time, so every receiver reports push latency (post -> received over the
socket) as the custom request type ``WS`` named ``push MessagePosted``.

Locust runs on gevent: this file is only ever loaded by locust's own process (never import it
into the server or pytest). ``bench/load_smoke.py`` starts a server and runs it headless; to run
it against a server you started yourself::

    WORKCHAT_LOAD_ADMIN_EMAIL=... WORKCHAT_LOAD_ADMIN_PASSWORD=... \
        .venv/bin/locust -f bench/locustfile.py --headless -u 30 -r 10 -t 60s \
        --host http://127.0.0.1:8000

The admin (of an org made for the load test) creates the load users and channels once, when
the test starts.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid
from typing import Any

import gevent
import websocket
from locust import HttpUser, between, events, task
from locust.env import Environment

USERS = int(os.environ.get("WORKCHAT_LOAD_USERS", "200"))
CHANNELS = int(os.environ.get("WORKCHAT_LOAD_CHANNELS", "4"))
PASSWORD = "load-test-password-1"
EMAIL = "load{}@load.example.com"
SENT_AT = re.compile(r"\bt=(\d+\.\d+)\b")

LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code message } } }"""
CREATE_USER = """mutation($email: String!, $name: String!, $password: String!) {
  createUser(input: {email: $email, displayName: $name, password: $password}) {
    user { id } errors { code } } }"""
CREATE_CHANNEL = """mutation($name: String!) {
  createChannel(input: {name: $name}) { channel { id } errors { code } } }"""
CHANNELS_QUERY = """query { channels(first: 50) { edges { node { id name } } } }"""
JOIN = """mutation($id: ID!) { joinChannel(input: {channelId: $id}) { errors { code } } }"""
JOINED = """query { channels(first: 20, filter: {joined: true}) {
  edges { node { id name unreadCount } } } }"""
HISTORY = """query($id: ID!) { channel(id: $id) { name messages(last: 20) {
  edges { node { id body author { displayName } reactions { emoji count } } } } } }"""
POST = """mutation($id: ID!, $body: String!, $key: String!) {
  postMessage(input: {channelId: $id, body: $body, clientMutationId: $key}) {
    message { id } errors { code message } } }"""
REACT = """mutation($id: ID!, $emoji: String!) {
  addReaction(input: {messageId: $id, emoji: $emoji}) { errors { code } } }"""
SEARCH = """query($q: String!) { search(query: $q, first: 10) {
  edges { node { snippet } } } }"""
CHANNEL_EVENTS = """subscription($id: ID!) { channelEvents(channelId: $id) {
  __typename ... on MessagePosted { cursor message { id body author { id } } } } }"""
VIEWER_EVENTS = """subscription { viewerEvents { __typename
  ... on UnreadCountChanged { cursor unreadCount channel { id } } } }"""


def graphql(
    client: Any, query: str, variables: dict[str, Any], name: str, token: str | None = None
) -> dict[str, Any]:
    """POST one operation; a transport error, a top-level error or a payload error fails it."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    with client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        name=name,
        catch_response=True,
    ) as response:
        try:
            body = response.json()
        except ValueError:
            response.failure(f"HTTP {response.status_code}: not JSON")
            return {}
        if response.status_code != 200 or body.get("errors"):
            response.failure(f"HTTP {response.status_code}: {body.get('errors')}")
            return {}
        data: dict[str, Any] = body.get("data") or {}
        for payload in data.values():
            if isinstance(payload, dict) and payload.get("errors"):
                response.failure(str(payload["errors"]))
        return data


@events.test_start.add_listener
def create_load_users(environment: Environment, **_: Any) -> None:
    """Once per run: the load org's admin creates the users and channels (idempotent)."""
    import requests  # locust's own dependency; plain HTTP, outside the statistics

    host = environment.host
    email = os.environ["WORKCHAT_LOAD_ADMIN_EMAIL"]
    password = os.environ["WORKCHAT_LOAD_ADMIN_PASSWORD"]

    def call(query: str, variables: dict[str, Any], token: str | None = None) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        reply = requests.post(
            f"{host}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )
        reply.raise_for_status()
        return reply.json()["data"]

    token = call(LOGIN, {"email": email, "password": password})["login"]["accessToken"]
    if not token:
        raise RuntimeError("the load admin could not log in")
    for index in range(CHANNELS):
        call(CREATE_CHANNEL, {"name": f"load-{index}"}, token)  # NAME_TAKEN on a rerun: fine
    for index in range(USERS):
        variables = {"email": EMAIL.format(index), "name": f"Load {index}", "password": PASSWORD}
        call(CREATE_USER, variables, token)


class Subscriptions:
    """One graphql-transport-ws socket per user, read by its own greenlet."""

    def __init__(self, user: ChatUser, url: str, token: str) -> None:
        self.user = user
        self.ws = websocket.create_connection(
            url, subprotocols=["graphql-transport-ws"], timeout=10
        )
        self.ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        ack = json.loads(self.ws.recv())
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")
        self.ids = itertools.count(1)
        self.closing = False
        self.reader = gevent.spawn(self._read)

    def subscribe(self, query: str, variables: dict[str, Any]) -> None:
        message = {"query": query, "variables": variables}
        self.ws.send(
            json.dumps({"id": str(next(self.ids)), "type": "subscribe", "payload": message})
        )

    def _read(self) -> None:
        fire = self.user.environment.events.request.fire
        while not self.closing:
            try:
                self.ws.settimeout(None)
                raw = self.ws.recv()
            except Exception as exc:
                if not self.closing:
                    fire(
                        request_type="WS",
                        name="socket",
                        response_time=0,
                        response_length=0,
                        exception=exc,
                    )
                return
            if not raw:  # the socket closed (the run is ending, or the server said 1012)
                return
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "ping":
                self.ws.send(json.dumps({"type": "pong"}))
                continue
            if kind == "error" or (kind == "next" and message["payload"].get("errors")):
                fire(
                    request_type="WS",
                    name="subscription error",
                    response_time=0,
                    response_length=len(raw),
                    exception=RuntimeError(raw[:300]),
                )
                continue
            if kind != "next":
                continue
            (event,) = message["payload"]["data"].values()
            if event["__typename"] == "MessagePosted":
                sent = SENT_AT.search(event["message"]["body"])
                if sent:
                    latency_ms = (time.time() - float(sent.group(1))) * 1000
                    fire(
                        request_type="WS",
                        name="push MessagePosted",
                        response_time=latency_ms,
                        response_length=len(raw),
                        exception=None,
                    )
                self.user.recent_messages.append(event["message"]["id"])
                del self.user.recent_messages[:-20]

    def close(self) -> None:
        self.closing = True
        self.ws.close()
        self.reader.kill(block=False)


class ChatUser(HttpUser):
    # A busy chat user: one action every two seconds on average.
    wait_time = between(1.0, 3.0)
    numbers = itertools.count()

    def on_start(self) -> None:
        number = next(self.numbers) % USERS
        login = graphql(
            self.client, LOGIN, {"email": EMAIL.format(number), "password": PASSWORD}, "login"
        )
        self.token = login["login"]["accessToken"]
        listed = graphql(self.client, CHANNELS_QUERY, {}, "channels", self.token)
        self.channels = [
            edge["node"]["id"]
            for edge in listed["channels"]["edges"]
            if edge["node"]["name"].startswith("load-")
        ]
        for channel_id in self.channels:
            graphql(self.client, JOIN, {"id": channel_id}, "joinChannel", self.token)
        self.recent_messages: list[str] = []
        url = self.host.replace("http", "ws", 1) + "/graphql"
        self.sockets = Subscriptions(self, url, self.token)
        self.home = random.choice(self.channels)
        self.sockets.subscribe(CHANNEL_EVENTS, {"id": self.home})
        self.sockets.subscribe(VIEWER_EVENTS, {})

    def on_stop(self) -> None:
        self.sockets.close()

    @task(3)
    def read_channels(self) -> None:
        graphql(self.client, JOINED, {}, "channels(joined)", self.token)

    @task(3)
    def read_history(self) -> None:
        graphql(self.client, HISTORY, {"id": random.choice(self.channels)}, "history", self.token)

    @task(4)
    def post(self) -> None:
        body = f"load message {uuid.uuid4().hex[:8]} t={time.time():.6f}"
        variables = {"id": self.home, "body": body, "key": uuid.uuid4().hex}
        graphql(self.client, POST, variables, "postMessage", self.token)

    @task(1)
    def react(self) -> None:
        if self.recent_messages:
            variables = {"id": random.choice(self.recent_messages), "emoji": "👍"}
            graphql(self.client, REACT, variables, "addReaction", self.token)

    @task(1)
    def search(self) -> None:
        graphql(self.client, SEARCH, {"q": "load message"}, "search", self.token)
