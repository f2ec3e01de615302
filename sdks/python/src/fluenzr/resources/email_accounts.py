"""``client.email_accounts``: sending accounts (SMTP, optional IMAP) and their connection test."""

from typing import Optional

from .._call import Call, make_call, path
from ..types import EmailAccount, EmailAccountTest
from ._base import AsyncCrud, CrudCalls, SyncCrud


class _EmailAccountCalls(CrudCalls[EmailAccount]):
    _base = "/email-accounts"

    def _test_call(self, id: str, key: Optional[str]) -> "Call[EmailAccountTest]":
        return make_call("POST", path("/email-accounts/{}/test", id), idempotency_key=key)


class EmailAccounts(_EmailAccountCalls, SyncCrud[EmailAccount]):
    """Email accounts: ``list``, ``list_all``, ``create``, ``get``, ``update``, ``delete``,
    ``test``. ``smtp`` and ``imap`` settings are nested dicts sent unchanged, e.g.
    ``create(email="me@example.com", smtp={"host": "sandbox"})``."""

    def test(self, id: str, /, *, idempotency_key: Optional[str] = None) -> EmailAccountTest:
        """Connect and authenticate to the account's servers; ``ok`` and per-server checks
        (the failed ``step``: ``connect``, ``tls`` or ``auth``)."""
        return self._t.request(self._test_call(id, idempotency_key))


class AsyncEmailAccounts(_EmailAccountCalls, AsyncCrud[EmailAccount]):
    """The async twin of `EmailAccounts`."""

    async def test(self, id: str, /, *, idempotency_key: Optional[str] = None) -> EmailAccountTest:
        """Connect and authenticate to the account's servers."""
        return await self._t.request(self._test_call(id, idempotency_key))
