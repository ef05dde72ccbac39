"""The upstream client (``mockserver.bridge.upstream``): login, session, paging, retries, the
write guard and how failures are reported, against a stand-in upstream (the mock under
``/Lemonsoft30`` with ``--auth required``) and, for what the mock cannot be made to do, an
``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from standin import StandIn, stand_in

from mockserver.bridge.upstream import (
    Credentials,
    Upstream,
    UpstreamConfigError,
    UpstreamError,
    UpstreamWriteRefused,
)

CREDENTIALS = Credentials("bridge-user", "s3cret-pass", "sandbox", "k3y-abc")
ENV = {
    "MOCKSERVER_UPSTREAM_USERNAME": "bridge-user",
    "MOCKSERVER_UPSTREAM_PASSWORD": "s3cret-pass",
    "MOCKSERVER_UPSTREAM_DATABASE": "sandbox",
    "MOCKSERVER_UPSTREAM_APIKEY": "k3y-abc",
}
SECRETS = ("s3cret-pass", "k3y-abc")


@pytest.fixture(scope="module")
def upstream_server() -> Iterator[StandIn]:
    with stand_in(seed=11, customers=23, invoices=57) as server:
        yield server


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# --- credentials --------------------------------------------------------------------------


def test_credentials_from_env() -> None:
    assert Credentials.from_env(ENV) == CREDENTIALS


def test_missing_credentials_name_every_variable() -> None:
    env = {k: v for k, v in ENV.items() if not k.endswith(("PASSWORD", "APIKEY"))}
    env["MOCKSERVER_UPSTREAM_DATABASE"] = ""
    with pytest.raises(UpstreamConfigError) as caught:
        Credentials.from_env(env)
    assert str(caught.value) == (
        "the upstream's credentials are missing: set MOCKSERVER_UPSTREAM_PASSWORD, "
        "MOCKSERVER_UPSTREAM_DATABASE, MOCKSERVER_UPSTREAM_APIKEY"
    )


def test_repr_never_shows_secrets() -> None:
    shown = repr(CREDENTIALS) + str(CREDENTIALS)
    assert "bridge-user" in shown
    assert not any(secret in shown for secret in SECRETS)
    assert not any(
        secret in repr(Upstream("http://127.0.0.1:1", CREDENTIALS)) for secret in SECRETS
    )


@pytest.mark.parametrize(
    "url",
    ["ftp://erp.example.fi", "erp.example.fi/Lemonsoft30", "http://u:p@erp.example.fi", "http://"],
)
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(UpstreamConfigError):
        Upstream(url, CREDENTIALS)


# --- against the stand-in -----------------------------------------------------------------


def test_pages_through_every_customer_with_one_login(upstream_server: StandIn) -> None:
    async def go() -> tuple[list[list[dict[str, Any]]], int]:
        async with Upstream(upstream_server.url, CREDENTIALS) as upstream:
            pages = [page async for page in upstream.pages("/api/customers", page_size=10)]
            return pages, upstream.logins

    before = len(upstream_server.counter.requests)
    pages, logins = run(go())
    assert [len(page) for page in pages] == [10, 10, 3]
    assert [c["id"] for page in pages for c in page] == list(range(1, 24))
    assert logins == 1
    sent = upstream_server.counter.requests[before:]
    assert sent[0] == ("POST", "/Lemonsoft30/api/auth/login")
    assert sent[1:] == [("GET", "/Lemonsoft30/api/customers")] * 4  # the 4th page is empty


def test_pages_with_filter_prefix_page_the_prefixed_keys(upstream_server: StandIn) -> None:
    async def go() -> list[int]:
        async with Upstream(upstream_server.url, CREDENTIALS) as upstream:
            params = [("filter.customer_number", "10001"), ("filter.customer_number", "10002")]
            return [
                c["number"]
                async for page in upstream.pages("/api/customers", params, page_size=1)
                for c in page
            ]

    assert run(go()) == [10001, 10002]


def test_a_session_the_upstream_forgot_is_renewed_once(upstream_server: StandIn) -> None:
    async def go() -> tuple[int, int]:
        async with Upstream(upstream_server.url, CREDENTIALS) as upstream:
            await upstream.request("GET", "/api/customers/1")
            upstream._session = "forgotten-session"  # as if the upstream expired it
            response = await upstream.request("GET", "/api/customers/1")
            return response.status_code, upstream.logins

    assert run(go()) == (200, 2)


def test_writes_are_refused_before_anything_is_sent(upstream_server: StandIn) -> None:
    async def go(method: str) -> None:
        async with Upstream(upstream_server.url, CREDENTIALS) as upstream:
            await upstream.request(method, "/api/customers", json_body=b'{"name":"x"}')

    before = len(upstream_server.counter.requests)
    for method in ("POST", "PUT", "DELETE", "PATCH", "post"):
        with pytest.raises(UpstreamWriteRefused) as caught:
            run(go(method))
        assert caught.value.kind == "write"
        assert caught.value.message == (
            f"{method.upper()} /api/customers was not sent upstream: the bridge sends only GET "
            "requests unless writes are allowed"
        )
    assert upstream_server.counter.requests[before:] == []


def test_allowed_writes_reach_the_upstream(upstream_server: StandIn) -> None:
    async def go() -> httpx.Response:
        async with Upstream(upstream_server.url, CREDENTIALS, allow_writes=True) as upstream:
            body = json.dumps({"name": "Kirjoitus Oy", "email": "a@kirjoitus.fi"}).encode()
            return await upstream.request("POST", "/api/customers", json_body=body)

    response = run(go())
    assert response.status_code == 200
    assert response.json()["name"] == "Kirjoitus Oy"


# --- with a transport that plays the upstream ---------------------------------------------


class Script:
    """A MockTransport handler: logins answer sessions s1, s2, ...; other requests answer
    from ``answers`` in turn (the last one repeats)."""

    def __init__(self, *answers: httpx.Response, login: httpx.Response | None = None) -> None:
        self.answers = list(answers)
        self.login = login
        self.seen: list[httpx.Request] = []
        self.logins = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path.endswith("/api/auth/login"):
            self.logins += 1
            if self.login is not None:
                return self.login
            return httpx.Response(
                200, json={"code": 200, "message": "ok", "session_id": f"s{self.logins}"}
            )
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def scripted(script: Callable[[httpx.Request], httpx.Response], **options: Any) -> Upstream:
    return Upstream(
        "https://erp.example.fi/Lemonsoft30/",
        CREDENTIALS,
        transport=httpx.MockTransport(script),
        **options,
    )


def recording_sleep() -> tuple[list[float], Callable[[float], Any]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return waits, sleep


def test_login_body_session_header_and_url() -> None:
    script = Script(httpx.Response(200, json={"result_count": 0, "results": []}))

    async def go() -> None:
        async with scripted(script) as upstream:
            await upstream.request(
                "get", "/api/customers", headers={"session-id": "theirs", "Accept": "x/y"}
            )

    run(go())
    login, read = script.seen
    assert str(login.url) == "https://erp.example.fi/Lemonsoft30/api/auth/login"
    assert json.loads(login.content) == {
        "UserName": "bridge-user",
        "Password": "s3cret-pass",
        "Database": "sandbox",
        "ApiKey": "k3y-abc",
    }
    assert "session-id" not in login.headers
    assert str(read.url) == "https://erp.example.fi/Lemonsoft30/api/customers"
    assert read.headers.get_list("session-id") == ["s1"]
    assert read.headers["accept"] == "x/y"


def test_a_second_401_is_returned_after_one_new_login() -> None:
    script = Script(httpx.Response(401, json={"Message": "Unauthorized"}))

    async def go() -> int:
        async with scripted(script) as upstream:
            return (await upstream.request("GET", "/api/customers")).status_code

    assert run(go()) == 401
    assert script.logins == 2
    assert [r.headers.get("session-id") for r in script.seen] == [None, "s1", None, "s2"]


def test_retry_after_is_honoured_then_the_answer_returned() -> None:
    busy = httpx.Response(429, headers={"Retry-After": "2"})
    script = Script(busy, httpx.Response(503, headers={"Retry-After": "1"}), httpx.Response(200))
    waits, sleep = recording_sleep()

    async def go() -> int:
        async with scripted(script, sleep=sleep) as upstream:
            return (await upstream.request("GET", "/api/invoices")).status_code

    assert run(go()) == 200
    assert waits == [2.0, 1.0]


def test_retries_are_bounded() -> None:
    script = Script(httpx.Response(503, headers={"Retry-After": "0"}))
    waits, sleep = recording_sleep()

    async def go() -> int:
        async with scripted(script, sleep=sleep, retries=2) as upstream:
            return (await upstream.request("GET", "/api/invoices")).status_code

    assert run(go()) == 503
    assert waits == [0.0, 0.0]
    assert len(script.seen) == 1 + 3  # the login, then the first try and two retries


@pytest.mark.parametrize("retry_after", [None, "31", "soon"])
def test_no_wait_without_a_readable_retry_after_within_the_cap(retry_after: str | None) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    script = Script(httpx.Response(429, headers=headers))
    waits, sleep = recording_sleep()

    async def go() -> int:
        async with scripted(script, sleep=sleep, max_wait_s=30.0) as upstream:
            return (await upstream.request("GET", "/api/invoices")).status_code

    assert run(go()) == 429
    assert waits == []


@pytest.mark.parametrize(
    "login",
    [
        httpx.Response(401, json={"Message": "bad s3cret-pass"}),
        httpx.Response(200, json={"code": 500, "message": "ok", "session_id": "x"}),
        httpx.Response(200, text="<html>"),
    ],
)
def test_a_refused_login_is_a_login_error(login: httpx.Response) -> None:
    script = Script(httpx.Response(200), login=login)

    async def go() -> None:
        async with scripted(script) as upstream:
            await upstream.request("GET", "/api/customers")

    with pytest.raises(UpstreamError) as caught:
        run(go())
    assert caught.value.kind == "login"
    assert "POST https://erp.example.fi/Lemonsoft30/api/auth/login" in caught.value.message
    assert not any(secret in str(caught.value) for secret in SECRETS)


PAGE = "GET /api/customers page 1 answered"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(500, text="boom"), f"{PAGE} HTTP 500"),
        (httpx.Response(200, text="nope"), f"{PAGE} with a body that is not JSON"),
        (httpx.Response(200, json={"results": []}), f"{PAGE} without a result_count"),
        (
            httpx.Response(200, json={"result_count": 1, "results": [1]}),
            f"{PAGE} without a list of results",
        ),
    ],
)
def test_pages_that_are_not_the_apis_are_protocol_errors(
    answer: httpx.Response, message: str
) -> None:
    async def go() -> None:
        async with scripted(Script(answer)) as upstream:
            async for _ in upstream.pages("/api/customers"):
                pass

    with pytest.raises(UpstreamError) as caught:
        run(go())
    assert (caught.value.kind, caught.value.message) == ("protocol", message)


# --- transport failures over real sockets -------------------------------------------------


def _fetch(url: str, timeout_s: float = 5.0) -> UpstreamError:
    async def go() -> None:
        async with Upstream(url, CREDENTIALS, timeout_s=timeout_s) as upstream:
            await upstream.request("GET", "/api/customers")

    with pytest.raises(UpstreamError) as caught:
        run(go())
    assert not any(secret in str(caught.value) for secret in SECRETS)
    return caught.value


def test_a_closed_port_is_refused() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    error = _fetch(f"http://127.0.0.1:{port}/Lemonsoft30")
    assert error.kind == "refused"
    assert error.message.startswith(
        f"POST http://127.0.0.1:{port}/Lemonsoft30/api/auth/login: cannot connect: "
    )


def test_a_silent_upstream_times_out() -> None:
    with socket.socket() as sock:  # listens (the kernel accepts) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        port = sock.getsockname()[1]
        error = _fetch(f"http://127.0.0.1:{port}", timeout_s=0.2)
    assert (error.kind, error.message) == (
        "timeout",
        f"POST http://127.0.0.1:{port}/api/auth/login: the upstream timed out waiting for "
        "the answer",
    )


def test_https_to_a_plain_http_server_is_a_tls_error(upstream_server: StandIn) -> None:
    error = _fetch(upstream_server.url.replace("http://", "https://"))
    assert error.kind == "tls"
    assert "TLS failed" in error.message


def test_an_answer_that_is_not_http_is_a_protocol_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        port = sock.getsockname()[1]

        def answer() -> None:
            conn, _ = sock.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        error = _fetch(f"http://127.0.0.1:{port}")
        thread.join(5)
    assert error.kind == "protocol"
    assert error.message.startswith(f"POST http://127.0.0.1:{port}/api/auth/login: ")


def test_an_upstream_that_ignores_the_page_is_a_protocol_error() -> None:
    same = httpx.Response(200, json={"result_count": 1, "results": [{"id": 1}]})

    async def go() -> list[list[dict[str, Any]]]:
        pages = []
        async with scripted(Script(same)) as upstream:
            async for page in upstream.pages("/api/customers"):
                pages.append(page)
        return pages

    with pytest.raises(UpstreamError) as caught:
        run(go())
    assert (caught.value.kind, caught.value.message) == (
        "protocol",
        "GET /api/customers page 2 answered page 1 again",
    )


def test_retry_after_as_an_http_date() -> None:
    script = Script(
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        httpx.Response(200),
    )
    waits, sleep = recording_sleep()

    async def go() -> int:
        async with scripted(script, sleep=sleep) as upstream:
            return (await upstream.request("GET", "/api/invoices")).status_code

    assert run(go()) == 200
    assert waits == [0.0]  # a date in the past: retry at once
