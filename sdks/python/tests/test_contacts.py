"""Contacts and groups through the sync client, against the real server."""

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest

import fluenzr
from fluenzr import FluenzrClient, FluenzrError


def test_the_package_under_test_is_the_installed_wheel() -> None:
    assert "site-packages" in fluenzr.__file__
    assert fluenzr.__version__ == "0.1.0"


def test_contact_crud_round_trip(client: FluenzrClient, tag: str) -> None:
    email = f"ada-{tag}@example.com"
    created = client.contacts.create(
        email=email, first_name="Ada", last_name="Lovelace", company="Engines",
        job_title="Analyst", custom_fields={"plan": "gold", "seats": 3}, tags=["vip"],
    )
    assert created["id"].startswith("con_")
    assert created["email"] == email
    assert created["firstName"] == "Ada" and created["lastName"] == "Lovelace"
    assert created["jobTitle"] == "Analyst"
    assert created["customFields"] == {"plan": "gold", "seats": 3}
    assert created["tags"] == ["vip"]
    assert created["status"] == "active"

    fetched = client.contacts.get(created["id"])
    assert fetched == created

    updated = client.contacts.update(created["id"], company="Difference Engines", phone="+331")
    assert updated["company"] == "Difference Engines" and updated["phone"] == "+331"
    assert updated["firstName"] == "Ada"  # partial update: other fields unchanged
    again = client.contacts.get(created["id"])
    assert again["company"] == "Difference Engines" and again["phone"] == "+331"

    listed = client.contacts.list(email=email)
    assert [c["id"] for c in listed] == [created["id"]]
    assert listed.meta["total"] == 1 and listed.meta["page"] == 1

    deleted = client.contacts.delete(created["id"])
    assert deleted == {"id": created["id"], "deleted": True}
    with pytest.raises(FluenzrError) as caught:
        client.contacts.get(created["id"])
    assert caught.value.status == 404 and caught.value.code == "NOT_FOUND"


def test_a_single_dict_body_is_sent_as_is(client: FluenzrClient, tag: str) -> None:
    created = client.contacts.create({"email": f"dict-{tag}@example.com", "firstName": "Dee"})
    assert created["firstName"] == "Dee"
    updated = client.contacts.update(created["id"], {"lastName": "Dict"})
    assert client.contacts.get(created["id"])["lastName"] == updated["lastName"] == "Dict"


def test_tags_and_groups_added_then_removed(client: FluenzrClient, tag: str) -> None:
    contact = client.contacts.create(email=f"tags-{tag}@example.com")
    group = client.groups.create(name=f"Group {tag}", description="d", color="#ff0000")

    tagged = client.contacts.add_tags(contact["id"], tags=["a", "b"])
    assert sorted(tagged["tags"]) == ["a", "b"]
    assert sorted(client.contacts.get(contact["id"])["tags"]) == ["a", "b"]
    untagged = client.contacts.remove_tags(contact["id"], tags=["a"])
    assert untagged["tags"] == ["b"]
    assert client.contacts.get(contact["id"])["tags"] == ["b"]

    grouped = client.contacts.add_to_groups(contact["id"], group_ids=[group["id"]])
    assert grouped["groups"] == [{"id": group["id"], "name": group["name"]}]
    assert client.contacts.get(contact["id"])["groups"][0]["id"] == group["id"]
    assert client.groups.get(group["id"])["contactCount"] == 1
    assert [c["id"] for c in client.contacts.list(group_id=group["id"])] == [contact["id"]]

    ungrouped = client.contacts.remove_from_groups(contact["id"], group_ids=[group["id"]])
    assert ungrouped["groups"] == []
    assert client.groups.get(group["id"])["contactCount"] == 0


def test_bulk_create_reports_rows(client: FluenzrClient, tag: str) -> None:
    result = client.contacts.bulk(
        contacts=[
            {"email": f"b1-{tag}@example.com", "firstName": "B1"},
            {"email": "not-an-email"},
            {"email": f"b2-{tag}@example.com"},
        ],
        on_duplicate="skip",
    )
    assert result["created"] == 2 and result["errorCount"] == 1
    assert result["errors"][0]["index"] == 1 and result["errors"][0]["code"] == "VALIDATION_ERROR"
    again = client.contacts.bulk(
        contacts=[{"email": f"b1-{tag}@example.com", "firstName": "Updated"}],
        on_duplicate="update",
    )
    assert again["updated"] == 1 and again["created"] == 0
    assert client.contacts.list(email=f"b1-{tag}")[0]["firstName"] == "Updated"


def test_search_finds_by_query_and_filters(client: FluenzrClient, tag: str) -> None:
    client.contacts.create(email=f"s1-{tag}@example.com", company=f"Search{tag}", tags=["hot"])
    client.contacts.create(email=f"s2-{tag}@example.com", company=f"Search{tag}")
    page = client.contacts.search(query=f"Search{tag}", filters={"tags": ["hot"]}, per_page=10)
    assert [c["email"] for c in page] == [f"s1-{tag}@example.com"]
    assert page.meta["perPage"] == 10 and page.meta["total"] == 1
    everyone = client.contacts.search(query=f"Search{tag}", sort={"field": "email", "order": "asc"})
    assert [c["email"] for c in everyone] == [f"s1-{tag}@example.com", f"s2-{tag}@example.com"]
    found = sorted(c["email"] for c in client.contacts.search_all(query=f"Search{tag}"))
    assert found == [f"s1-{tag}@example.com", f"s2-{tag}@example.com"]


def test_date_and_datetime_filters_are_accepted_by_the_server(
    client: FluenzrClient, tag: str
) -> None:
    today = datetime.now(timezone.utc).date()
    created = client.contacts.create(email=f"dated-{tag}@example.com")
    email = f"dated-{tag}"
    # A date is sent as its midnight UTC, which createdAfter/createdBefore accept.
    assert [c["id"] for c in client.contacts.list(email=email, created_after=today)] == [
        created["id"]
    ]
    assert list(client.contacts.list(email=email, created_before=date(2000, 1, 1))) == []
    tomorrow = today + timedelta(days=1)
    assert list(client.contacts.list(email=email, created_after=tomorrow)) == []
    naive_midnight = datetime(today.year, today.month, today.day)  # naive: taken as UTC
    assert len(client.contacts.list(email=email, created_after=naive_midnight)) == 1
    exported = client.contacts.export_csv(email=email, created_before=tomorrow)
    assert [r["id"] for r in csv.DictReader(io.StringIO(exported))] == [created["id"]]


def test_csv_import_then_export_contains_the_rows(client: FluenzrClient, tag: str) -> None:
    group = client.groups.create(name=f"Imported {tag}")
    text = (
        "email,firstName,company,plan\n"
        f"imp1-{tag}@example.com,Imp1,Import{tag},gold\n"
        f"imp2-{tag}@example.com,Imp2,Import{tag},silver\n"
    )
    result = client.contacts.import_csv(text, on_duplicate="skip", group_ids=[group["id"]])
    assert result["created"] == 2 and result["errorCount"] == 0
    assert client.groups.get(group["id"])["contactCount"] == 2

    exported = client.contacts.export_csv(company=f"Import{tag}", sort="email", order="asc")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["email"], r["firstName"], r["plan"]) for r in rows] == [
        (f"imp1-{tag}@example.com", "Imp1", "gold"),
        (f"imp2-{tag}@example.com", "Imp2", "silver"),
    ]
    again = client.contacts.import_csv(text.encode("utf-8"), on_duplicate="skip")
    assert again["created"] == 0 and again["skipped"] == 2


def test_group_crud_and_members(client: FluenzrClient, tag: str) -> None:
    group = client.groups.create(name=f"Members {tag}", type="static")
    assert group["id"].startswith("grp_") and group["type"] == "static"
    assert group["contactCount"] == 0
    assert client.groups.get(group["id"]) == group

    renamed = client.groups.update(group["id"], name=f"Renamed {tag}", description="New")
    assert renamed["name"] == f"Renamed {tag}"
    assert client.groups.get(group["id"])["description"] == "New"
    assert [g["id"] for g in client.groups.list(name=f"Renamed {tag}")] == [group["id"]]
    assert group["id"] in {g["id"] for g in client.groups.list_all()}

    ids = [client.contacts.create(email=f"m{i}-{tag}@example.com")["id"] for i in range(3)]
    added = client.groups.add_contacts(group["id"], contact_ids=ids)
    assert added == {"added": 3, "skipped": 0, "errors": []}
    assert client.groups.add_contacts(group["id"], contact_ids=ids[:1])["skipped"] == 1
    members = client.groups.list_contacts(group["id"], per_page=2)
    assert len(members) == 2 and members.meta["total"] == 3
    assert sorted(c["id"] for c in client.groups.list_contacts_all(group["id"])) == sorted(ids)

    removed = client.groups.remove_contacts(group["id"], contact_ids=ids[:2])
    assert removed["removed"] == 2
    assert [c["id"] for c in client.groups.list_contacts(group["id"])] == ids[2:]

    assert client.groups.delete(group["id"]) == {"id": group["id"], "deleted": True}
    with pytest.raises(FluenzrError) as caught:
        client.groups.get(group["id"])
    assert caught.value.code == "NOT_FOUND"
    assert client.contacts.get(ids[0])["id"] == ids[0]  # deleting a group keeps its contacts


def test_pipeline_stages_are_listed_in_order(client: FluenzrClient) -> None:
    stages = client.pipeline_stages.list()
    assert [s["name"] for s in stages][:2] == ["Lead", "Contacted"]
    assert [s["position"] for s in stages] == sorted(s["position"] for s in stages)
    assert all(s["id"].startswith("stg_") for s in stages)
