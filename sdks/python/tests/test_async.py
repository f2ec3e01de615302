"""The async client over every resource, against the real server."""

import asyncio
import json
import uuid
from typing import Awaitable, Callable, List

import pytest

from _support import HELLO_WORKFLOW, SEND_NOW_SETTINGS, Receiver, Server, closed_day
from fluenzr import AsyncFluenzrClient, FluenzrError, verify_webhook_signature


async def _wait(predicate: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def _run(server: Server, receiver: Receiver) -> None:
    tag = uuid.uuid4().hex[:8]
    async with AsyncFluenzrClient(api_key=server.api_key, base_url=server.base_url) as client:
        # Contacts: CRUD, tags, bulk, search, CSV.
        contact = await client.contacts.create(email=f"async-{tag}@example.com", first_name="As")
        assert (await client.contacts.get(contact["id"]))["firstName"] == "As"
        await client.contacts.update(contact["id"], last_name="Ync")
        assert (await client.contacts.get(contact["id"]))["lastName"] == "Ync"
        assert (await client.contacts.add_tags(contact["id"], tags=["t"]))["tags"] == ["t"]
        assert (await client.contacts.remove_tags(contact["id"], tags=["t"]))["tags"] == []
        bulk = await client.contacts.bulk(
            contacts=[{"email": f"ab{i}-{tag}@example.com", "company": f"Async{tag}"} for i in range(120)]
        )
        assert bulk["created"] == 120
        ids: List[str] = [c["id"] async for c in client.contacts.list_all(company=f"Async{tag}")]
        assert len(ids) == 120 and len(set(ids)) == 120
        page = await client.contacts.list(company=f"Async{tag}", per_page=50)
        assert len(page) == 50 and page.meta["total"] == 120
        found = await client.contacts.search(query=f"async-{tag}")
        assert [c["id"] for c in found] == [contact["id"]]
        assert len([c async for c in client.contacts.search_all(query=f"Async{tag}")]) == 120
        imported = await client.contacts.import_csv(f"email\nasync-csv-{tag}@example.com\n")
        assert imported["created"] == 1
        assert f"async-csv-{tag}@example.com" in await client.contacts.export_csv(email=f"async-csv-{tag}")

        # Groups and membership.
        group = await client.groups.create(name=f"Async {tag}")
        await client.contacts.add_to_groups(contact["id"], group_ids=[group["id"]])
        assert (await client.groups.get(group["id"]))["contactCount"] == 1
        await client.contacts.remove_from_groups(contact["id"], group_ids=[group["id"]])
        assert (await client.groups.add_contacts(group["id"], contact_ids=ids[:3]))["added"] == 3
        assert (await client.groups.remove_contacts(group["id"], contact_ids=ids[:1]))["removed"] == 1
        members = [c["id"] async for c in client.groups.list_contacts_all(group["id"])]
        assert sorted(members) == sorted(ids[1:3])
        assert (await client.groups.list_contacts(group["id"])).meta["total"] == 2
        await client.groups.update(group["id"], description="async")
        assert group["id"] in [g["id"] async for g in client.groups.list_all()]
        assert (await client.groups.list(name=f"Async {tag}"))[0]["description"] == "async"

        # Email accounts, campaigns, sandbox, pipeline stages.
        account = await client.email_accounts.create(
            email=f"async-sender-{tag}@example.com", smtp={"host": "sandbox"}
        )
        assert (await client.email_accounts.test(account["id"]))["ok"] is True
        await client.email_accounts.update(account["id"], display_name="Async")
        assert (await client.email_accounts.get(account["id"]))["displayName"] == "Async"
        assert account["id"] in [a["id"] async for a in client.email_accounts.list_all()]
        assert len(await client.email_accounts.list()) >= 1
        campaign = await client.campaigns.create(
            name=f"Async {tag}", email_account_id=account["id"], settings=SEND_NOW_SETTINGS,
            workflow=HELLO_WORKFLOW,
        )
        await client.campaigns.update(campaign["id"], description="async")
        assert (await client.campaigns.add_contacts(campaign["id"], group_id=group["id"]))["added"] == 2
        assert (await client.campaigns.remove_contacts(campaign["id"], contact_ids=ids[1:2]))["removed"] == 1
        assert len(await client.campaigns.list_contacts(campaign["id"])) == 1
        preview = await client.campaigns.preview(campaign["id"], node_id="hello")
        assert preview["contactId"] is None and (preview["subject"] or "").startswith("Hi ")
        assert len((await client.campaigns.forecast(campaign["id"]))["items"]) == 1
        assert (await client.campaigns.start(campaign["id"]))["status"] == "active"

        async def sent() -> bool:
            return (await client.campaigns.get_stats(campaign["id"]))["sent"] == 1

        await _wait(sent)
        assert [e["sent"] for e in await client.campaigns.get_email_stats(campaign["id"])] == [1]
        assert isinstance(await client.campaigns.get_timeline(campaign["id"]), list)
        assert [a["type"] async for a in client.campaigns.list_activity_all(campaign["id"])] == ["sent"]
        assert (await client.campaigns.list_activity(campaign["id"])).meta["total"] == 1
        assert [c["emailsSent"] async for c in client.campaigns.list_contacts_all(campaign["id"])] == [1]
        assert campaign["id"] in [c["id"] async for c in client.campaigns.list_all()]
        assert (await client.campaigns.list(name=f"Async {tag}"))[0]["id"] == campaign["id"]
        assert (await client.campaigns.get(campaign["id"]))["status"] == "completed"
        assert (await client.campaigns.archive(campaign["id"]))["status"] == "archived"

        closed = dict(SEND_NOW_SETTINGS, sendDays=[closed_day()])  # nothing is sent now
        paused = await client.campaigns.create(
            name=f"Async pause {tag}", email_account_id=account["id"], settings=closed,
            workflow=HELLO_WORKFLOW,
        )
        await client.campaigns.add_contacts(paused["id"], contact_ids=[contact["id"]])
        await client.campaigns.start(paused["id"])
        status = (await client.campaigns.pause(paused["id"]))["status"]
        assert status == "paused"
        assert (await client.campaigns.resume(paused["id"]))["status"] == "active"

        messages = [m async for m in client.sandbox.list_messages_all()]
        mine = [m for m in messages if m["from"].startswith(f"async-sender-{tag}")]
        assert len(mine) == 1
        full = await client.sandbox.get_message(mine[0]["id"])
        assert full["subject"] == mine[0]["subject"]
        assert (await client.sandbox.list_messages(per_page=1)).meta["total"] >= 1
        assert [s["name"] for s in await client.pipeline_stages.list()][0] == "Lead"

        # Webhooks with a real delivery.
        hook = await client.webhooks.create(url=receiver.url, events=["contact.created"])
        await client.webhooks.update(hook["id"], description="async")
        assert (await client.webhooks.get(hook["id"]))["description"] == "async"
        assert hook["id"] in [w["id"] async for w in client.webhooks.list_all()]
        assert len(await client.webhooks.list()) >= 1
        log = await client.webhooks.test(hook["id"])
        assert log["status"] == "delivered"
        headers, body = next(d for d in receiver.deliveries if json.loads(d[1])["type"] == "webhook.test")
        assert verify_webhook_signature(
            body, headers["x-fluenzr-signature"], headers["x-fluenzr-timestamp"], hook["secret"]
        )
        assert [entry["id"] async for entry in client.webhooks.list_logs_all(hook["id"])] == [log["id"]]
        assert (await client.webhooks.list_logs(hook["id"])).meta["total"] == 1

        # Deletions, then 404s.
        for deleted in (
            await client.webhooks.delete(hook["id"]),
            await client.groups.delete(group["id"]),
            await client.contacts.delete(contact["id"]),
        ):
            assert deleted["deleted"] is True
        with pytest.raises(FluenzrError) as caught:
            await client.contacts.get(contact["id"])
        assert caught.value.status == 404 and caught.value.code == "NOT_FOUND"
        draft = await client.campaigns.create(name=f"Async draft {tag}", email_account_id=account["id"])
        assert (await client.campaigns.delete(draft["id"]))["deleted"] is True
        spare = await client.email_accounts.create(email=f"spare-{tag}@example.com", smtp={"host": "sandbox"})
        assert (await client.email_accounts.delete(spare["id"]))["deleted"] is True
        assert (await client.sandbox.delete_messages())["deleted"] >= 1


def test_async_client_over_every_resource(server: Server) -> None:
    receiver = Receiver()
    try:
        asyncio.run(_run(server, receiver))
    finally:
        receiver.close()
