"""Session fixtures: the real server on a fresh database and a client of it."""

import uuid
from typing import Iterator

import pytest

from _support import Server
from fluenzr import FluenzrClient


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The real server binary on a fresh temp database and a free loopback port."""
    srv = Server().start()
    try:
        yield srv
    finally:
        srv.cleanup()


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[FluenzrClient]:
    """A sync client of the session server."""
    with FluenzrClient(api_key=server.api_key, base_url=server.base_url) as c:
        yield c


@pytest.fixture()
def tag() -> str:
    """A unique marker for names and emails, so tests sharing the server do not collide."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def sandbox_account(client: FluenzrClient) -> str:
    """The id of a sandbox email account (its mail is kept by the server)."""
    account = client.email_accounts.create(
        email="sender@example.com", display_name="Sender", smtp={"host": "sandbox"}
    )
    return account["id"]
