"""The real redis-server the fleet's tests run on (tests/redis_server.py, the ``redis_server``
fixture): it starts on a free port of 127.0.0.1 in a folder of its own, stops, comes back on the
same port (with persistence, with every key), two are two, and it is stopped when a test fails.
And redis-py's asyncio client, the one the fleet uses, does what the backend needs of it on
this server (scripts/test runs this file again on the redis extra's lowest version)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
import redis
import redis.asyncio
from conftest import StartRedis
from redis_server import RedisServer, RedisServerError


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_fixture_answers_on_its_own_port_and_folder(redis_server: RedisServer) -> None:
    assert redis_server.running
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert redis_server.port != 6379
    client = redis_server.client()
    assert client.ping() is True
    assert client.set("k", b"v") is True
    assert client.get("k") == b"v"
    config = client.config_get("*")
    assert config["bind"] == "127.0.0.1"
    assert config["port"] == str(redis_server.port)
    assert Path(config["dir"]) == redis_server.folder.resolve()
    assert config["appendonly"] == "no"
    assert config["save"] == ""
    client.close()


def test_stop_refuses_connections_and_start_comes_back_on_the_same_port(
    redis_server: RedisServer,
) -> None:
    port = redis_server.port
    redis_server.client().set("k", b"v")
    redis_server.stop()
    assert not redis_server.running
    assert redis_server.process is not None and redis_server.process.returncode == 0
    assert _refused(port)
    with pytest.raises(redis.ConnectionError):
        redis_server.client().ping()
    redis_server.stop()  # stopped already: nothing to do
    redis_server.start()
    assert redis_server.port == port
    assert redis_server.client().ping() is True
    assert redis_server.client().get("k") is None  # not persistent: nothing kept


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_a_persistent_server_keeps_every_key_across_a_restart(
    start_redis: StartRedis, how: str
) -> None:
    server = start_redis(persistent=True)
    client = server.client()
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("appendfsync") == {"appendfsync": "always"}
    for number in range(100):
        client.set(f"key:{number}", number)
    client.hset("hash", mapping={"a": "1", "b": "2"})
    client.close()
    getattr(server, how)()  # kill: no shutdown at all, as a crash; appendfsync always
    assert not server.running
    server.start()
    client = server.client()
    assert [client.get(f"key:{n}") for n in range(100)] == [str(n).encode() for n in range(100)]
    assert client.hgetall("hash") == {b"a": b"1", b"b": b"2"}
    client.close()


def test_two_servers_get_different_ports_and_folders(start_redis: StartRedis) -> None:
    one, other = start_redis(), start_redis()
    assert one.port != other.port
    assert one.folder != other.folder
    one.client().set("k", b"one")
    assert other.client().get("k") is None


def test_it_is_stopped_and_its_folder_removed_when_the_test_fails() -> None:
    with pytest.raises(RuntimeError, match="the test failed"), RedisServer() as server:
        port, folder = server.port, server.folder
        assert server.client().ping() is True
        raise RuntimeError("the test failed")
    assert not server.running
    assert _refused(port)
    assert not folder.exists()


def test_a_start_that_fails_says_why_with_the_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = RedisServer(tmp_path / "redis", port=port)  # a port given: no other tried
        with pytest.raises(RedisServerError) as failed:
            server.start()
    message = str(failed.value)
    assert message.startswith(f"redis-server on port {port} exited with 1 before answering PING")
    assert "Address already in use" in message
    assert not server.running
    assert (tmp_path / "redis").exists()  # a folder given is left for a look


def test_the_unix_socket_answers_too(redis_server: RedisServer) -> None:
    assert redis_server.unix_url == f"unix://{redis_server.unix_socket}?db=0"
    client = redis.Redis.from_url(redis_server.unix_url)
    assert client.ping() is True
    client.close()


def test_redis_py_asyncio_does_what_the_fleet_needs(redis_server: RedisServer) -> None:
    """``from_url``, pipelines in a transaction, Lua scripts (``register_script``), pub/sub,
    streams, and a password: on this server, with the installed redis-py."""

    async def scenario() -> None:
        client = redis.asyncio.from_url(redis_server.url)
        try:
            assert await client.ping() is True
            async with client.pipeline(transaction=True) as pipe:
                pipe.incr("counter").incr("counter").get("counter")
                assert await pipe.execute() == [1, 2, b"2"]
            bump = client.register_script(
                "local v = redis.call('INCRBY', KEYS[1], ARGV[1]); return v"
            )
            assert await bump(keys=["counter"], args=[40]) == 42
            await client.xadd("journal", {"n": "1"}, maxlen=10, approximate=False)
            await client.xadd("journal", {"n": "2"}, maxlen=10, approximate=False)
            entries = await client.xrange("journal")
            assert [fields for _, fields in entries] == [{b"n": b"1"}, {b"n": b"2"}]
            pubsub = client.pubsub()
            await pubsub.subscribe("changes")
            first = await pubsub.get_message(timeout=10)
            assert first is not None and first["type"] == "subscribe"
            assert await client.publish("changes", b"hello") == 1
            message = None
            for _ in range(100):
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
                if message is not None:
                    break
            assert message is not None and message["data"] == b"hello"
            await pubsub.aclose()
            await client.config_set("requirepass", "s3cret")
        finally:
            await client.aclose()
        with_password = redis.asyncio.from_url(f"redis://:s3cret@127.0.0.1:{redis_server.port}/0")
        try:
            assert await with_password.get("counter") == b"42"
        finally:
            await with_password.aclose()

    asyncio.run(scenario())
