"""Email accounts, campaigns and the sandbox through the sync client, against the real server."""

from datetime import datetime, timedelta, timezone
from typing import List

import pytest

from _support import HELLO_WORKFLOW, SEND_NOW_SETTINGS, closed_day, wait_for
from fluenzr import FluenzrClient, FluenzrError, SandboxMessageSummary


def test_email_account_crud_and_test(client: FluenzrClient, tag: str) -> None:
    account = client.email_accounts.create(
        email=f"acc-{tag}@example.com", display_name="Acc", daily_limit=42,
        smtp={"host": "sandbox"},
    )
    assert account["id"].startswith("acc_")
    assert account["dailyLimit"] == 42 and account["smtp"]["host"] == "sandbox"
    assert account["smtp"]["hasPassword"] is False and account["status"] == "active"
    assert client.email_accounts.get(account["id"]) == account

    updated = client.email_accounts.update(account["id"], display_name="Renamed", daily_limit=7)
    assert updated["displayName"] == "Renamed"
    assert client.email_accounts.get(account["id"])["dailyLimit"] == 7
    assert account["id"] in [a["id"] for a in client.email_accounts.list(per_page=100)]
    assert account["id"] in {a["id"] for a in client.email_accounts.list_all()}

    result = client.email_accounts.test(account["id"])
    assert result["ok"] is True and result["smtp"]["ok"] is True
    assert result.get("imap") is None

    assert client.email_accounts.delete(account["id"])["deleted"] is True
    with pytest.raises(FluenzrError) as caught:
        client.email_accounts.get(account["id"])
    assert caught.value.status == 404


def test_a_failing_account_test_names_the_step(client: FluenzrClient, tag: str) -> None:
    account = client.email_accounts.create(
        email=f"bad-{tag}@example.com",
        smtp={"host": "127.0.0.1", "port": 1, "encryption": "none"},
    )
    result = client.email_accounts.test(account["id"])
    assert result["ok"] is False
    assert result["smtp"]["ok"] is False and result["smtp"]["step"] == "connect"


def _messages_to(client: FluenzrClient, emails: List[str]) -> List[SandboxMessageSummary]:
    return [m for m in client.sandbox.list_messages_all() if m["to"] in emails]


def test_campaign_life_cycle_sends_and_reports(
    client: FluenzrClient, sandbox_account: str, tag: str
) -> None:
    emails = [f"c{i}-{tag}@example.com" for i in range(3)]
    contacts = [client.contacts.create(email=e, first_name=f"C{i}") for i, e in enumerate(emails)]
    group = client.groups.create(name=f"Campaign {tag}")
    client.groups.add_contacts(group["id"], contact_ids=[c["id"] for c in contacts[:2]])

    campaign = client.campaigns.create(
        name=f"Campaign {tag}", description="Life cycle", email_account_id=sandbox_account,
        settings=SEND_NOW_SETTINGS, workflow=HELLO_WORKFLOW,
    )
    assert campaign["id"].startswith("cmp_") and campaign["status"] == "draft"
    assert campaign["settings"]["timezone"] == "UTC"
    assert campaign["workflow"] == HELLO_WORKFLOW
    assert client.campaigns.get(campaign["id"])["name"] == f"Campaign {tag}"

    updated = client.campaigns.update(campaign["id"], description="Updated")
    assert client.campaigns.get(campaign["id"])["description"] == updated["description"] == "Updated"
    assert [c["id"] for c in client.campaigns.list(name=f"Campaign {tag}")] == [campaign["id"]]
    assert campaign["id"] in {c["id"] for c in client.campaigns.list_all(status="draft")}

    added = client.campaigns.add_contacts(campaign["id"], group_id=group["id"])
    assert added["added"] == 2
    more = client.campaigns.add_contacts(campaign["id"], contact_ids=[contacts[2]["id"]])
    assert more["added"] == 1
    removed = client.campaigns.remove_contacts(campaign["id"], contact_ids=[contacts[2]["id"]])
    assert removed["removed"] == 1
    enrolled = client.campaigns.list_contacts(campaign["id"])
    assert sorted(c["email"] for c in enrolled) == sorted(emails[:2])
    assert enrolled.meta["total"] == 2 and all(c["status"] == "pending" for c in enrolled)

    preview = client.campaigns.preview(campaign["id"], node_id="hello", contact_id=contacts[0]["id"])
    assert preview["subject"] == "Hi C0" and preview["sendable"] is True
    assert preview["nodeId"] == "hello" and preview["emailNumber"] == 1
    assert "Hello" in (preview["html"] or "")
    forecast = client.campaigns.forecast(campaign["id"], limit=10)
    assert sorted(i["email"] for i in forecast["items"]) == sorted(emails[:2])
    assert forecast["truncated"] is False and isinstance(forecast["assumptions"], str)

    now = datetime.now(timezone.utc)
    started = client.campaigns.start(campaign["id"])
    assert started["status"] == "active" and started["startedAt"]
    assert client.campaigns.get(campaign["id"])["status"] == "active"

    sent = wait_for(lambda: len(_messages_to(client, emails[:2])) == 2 and _messages_to(client, emails[:2]))
    message = client.sandbox.get_message(sent[0]["id"])
    assert message["subject"] in ("Hi C0", "Hi C1") and message["from"].endswith("sender@example.com")
    assert "Hello" in message["html"] and any(h["name"].lower() == "message-id" for h in message["headers"])

    stats = wait_for(lambda: (s := client.campaigns.get_stats(campaign["id"]))["sent"] == 2 and s)
    assert stats["totalContacts"] == 2 and stats["delivered"] == 2
    assert stats["openRate"] == 0 and stats["replyRate"] == 0
    email_stats = client.campaigns.get_email_stats(campaign["id"])
    assert [(e["nodeId"], e["sent"]) for e in email_stats] == [("hello", 2)]
    # An explicit window (the server's default one ends at the current second, exclusive).
    window = {"from_": now - timedelta(hours=1), "to": now + timedelta(hours=1)}
    timeline = client.campaigns.get_timeline(campaign["id"], interval="hour", **window)
    assert sum(b["sent"] for b in timeline) == 2
    assert all(set(b) >= {"date", "opened", "clicked", "replied", "bounced"} for b in timeline)
    activity = client.campaigns.list_activity(campaign["id"], type="sent", **window)
    assert activity.meta["total"] == 2
    assert sorted(a["contactEmail"] or "" for a in activity) == sorted(emails[:2])
    assert len(list(client.campaigns.list_activity_all(campaign["id"]))) >= 2
    assert {c["emailsSent"] for c in client.campaigns.list_contacts_all(campaign["id"])} == {1}

    # With one email the campaign may already be completed; pause/resume need an active one.
    status = client.campaigns.get(campaign["id"])["status"]
    assert status in ("active", "completed")
    archived = client.campaigns.archive(campaign["id"])
    assert archived["status"] == "archived"
    assert client.campaigns.get(campaign["id"])["status"] == "archived"


def test_pause_resume_archive_and_delete(
    client: FluenzrClient, sandbox_account: str, tag: str
) -> None:
    closed = dict(SEND_NOW_SETTINGS, sendDays=[closed_day()])
    contact = client.contacts.create(email=f"pr-{tag}@example.com")
    campaign = client.campaigns.create(
        name=f"Paused {tag}", email_account_id=sandbox_account, settings=closed,
        workflow=HELLO_WORKFLOW,
    )
    client.campaigns.add_contacts(campaign["id"], contact_ids=[contact["id"]])
    assert client.campaigns.start(campaign["id"])["status"] == "active"
    assert client.campaigns.pause(campaign["id"])["status"] == "paused"
    assert client.campaigns.get(campaign["id"])["status"] == "paused"
    assert client.campaigns.resume(campaign["id"])["status"] == "active"
    assert client.campaigns.pause(campaign["id"])["status"] == "paused"
    assert client.campaigns.archive(campaign["id"])["status"] == "archived"

    with pytest.raises(FluenzrError) as caught:
        client.campaigns.update(campaign["id"], name="Not allowed")
    assert caught.value.status == 409 and caught.value.code == "CONFLICT"

    draft = client.campaigns.create(name=f"Draft {tag}", email_account_id=sandbox_account)
    assert client.campaigns.delete(draft["id"]) == {"id": draft["id"], "deleted": True}
    with pytest.raises(FluenzrError) as gone:
        client.campaigns.get(draft["id"])
    assert gone.value.code == "NOT_FOUND"


def test_sandbox_messages_can_be_cleared(
    client: FluenzrClient, sandbox_account: str, tag: str
) -> None:
    contact = client.contacts.create(email=f"clear-{tag}@example.com")
    campaign = client.campaigns.create(
        name=f"Clear {tag}", email_account_id=sandbox_account, settings=SEND_NOW_SETTINGS,
        workflow=HELLO_WORKFLOW,
    )
    client.campaigns.add_contacts(campaign["id"], contact_ids=[contact["id"]])
    client.campaigns.start(campaign["id"])
    wait_for(lambda: _messages_to(client, [contact["email"]]))
    page = client.sandbox.list_messages(per_page=1)
    assert len(page) == 1 and page.meta["total"] >= 1
    cleared = client.sandbox.delete_messages()
    assert cleared["deleted"] >= 1
    assert client.sandbox.list_messages().meta["total"] == 0
