"""The seed page's Python snippet as written, and its three usage examples in Python."""

import os
import subprocess
import sys
import uuid
from typing import Dict, List

import pytest

from _support import HELLO_WORKFLOW, SEND_NOW_SETTINGS, Server, wait_for
from fluenzr import FluenzrClient

PAGE_SNIPPET = """\
from fluenzr import FluenzrClient

client = FluenzrClient(api_key='your-api-key')
contacts = client.contacts.list()
"""


def test_the_pages_snippet_runs_as_written(server: Server, client: FluenzrClient) -> None:
    code = PAGE_SNIPPET.replace("your-api-key", server.api_key)
    code += "print(type(contacts).__name__, len(contacts), contacts.meta['total'])\n"
    env = dict(os.environ, FLUENZR_BASE_URL=server.base_url)
    env.pop("FLUENZR_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
        cwd=os.path.dirname(server.dir),
    )
    assert done.returncode == 0, done.stderr
    total = client.contacts.list().meta["total"]
    kind, count, reported = done.stdout.split()
    assert kind == "Page" and int(count) == min(20, total) and int(reported) == total


class MyCrm:
    """A stand-in CRM with new contacts in its own (snake_case) shape."""

    def __init__(self, tag: str) -> None:
        self.rows = [
            {"email": f"crm1-{tag}@example.com", "first_name": "Grace", "last_name": "Hopper",
             "company": f"Navy{tag}"},
            {"email": f"crm2-{tag}@example.com", "first_name": "Alan", "last_name": "Turing",
             "company": f"Navy{tag}"},
        ]

    def get_new_contacts(self) -> List[Dict[str, str]]:
        return self.rows


def test_sync_a_crm(client: FluenzrClient, tag: str) -> None:
    fluenzr = client
    my_crm = MyCrm(tag)

    # Get new contacts from your CRM
    crm_contacts = my_crm.get_new_contacts()

    # Create them in FluenzR
    for contact in crm_contacts:
        fluenzr.contacts.create(
            email=contact["email"],
            first_name=contact["first_name"],
            last_name=contact["last_name"],
            company=contact["company"],
        )

    stored = fluenzr.contacts.list(company=f"Navy{tag}", sort="email", order="asc")
    assert [(c["email"], c["firstName"], c["lastName"], c["company"]) for c in stored] == [
        (r["email"], r["first_name"], r["last_name"], r["company"]) for r in crm_contacts
    ]


def test_automate_a_campaign(client: FluenzrClient, sandbox_account: str, tag: str) -> None:
    fluenzr = client
    group = fluenzr.groups.create(name=f"Q1 targets {tag}")
    emails = [f"q1-{i}-{tag}@example.com" for i in range(2)]
    for email in emails:
        fluenzr.contacts.create(email=email, first_name="Q", group_ids=[group["id"]])

    # Create a campaign via API
    campaign = fluenzr.campaigns.create(
        name=f"Automated Q1 2025 {tag}",
        email_account_id=sandbox_account,
        settings=SEND_NOW_SETTINGS,
        workflow=HELLO_WORKFLOW,
    )

    # Add contacts
    fluenzr.campaigns.add_contacts(campaign["id"], group_id=group["id"])

    # Start
    fluenzr.campaigns.start(campaign["id"])

    assert fluenzr.campaigns.get(campaign["id"])["startedAt"]
    stats = wait_for(lambda: (s := fluenzr.campaigns.get_stats(campaign["id"]))["sent"] == 2 and s)
    assert stats["totalContacts"] == 2
    kept = wait_for(
        lambda: [m for m in fluenzr.sandbox.list_messages_all() if m["to"] in emails]
    )
    assert sorted(m["to"] for m in kept) == sorted(emails)
    assert {m["subject"] for m in kept} == {"Hi Q"}


def test_export_statistics(
    client: FluenzrClient, sandbox_account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fluenzr = client
    name = f"Stats {uuid.uuid4().hex[:8]}"
    fluenzr.campaigns.create(name=name, email_account_id=sandbox_account)

    # Get stats for all campaigns
    campaigns = fluenzr.campaigns.list()

    for campaign in campaigns:
        stats = fluenzr.campaigns.get_stats(campaign["id"])
        print(f"{campaign['name']}: {stats['openRate']}% opens, {stats['replyRate']}% replies")

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(campaigns) >= 1
    assert f"{name}: 0.0% opens, 0.0% replies" in lines
