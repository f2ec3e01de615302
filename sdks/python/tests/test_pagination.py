"""Pagination: pages with meta, and full iteration over more than one page."""

from fluenzr import FluenzrClient, Page


def test_pages_and_list_all_over_150_contacts(client: FluenzrClient, tag: str) -> None:
    company = f"Paginated{tag}"
    rows = [{"email": f"p{i:03d}-{tag}@example.com", "company": company} for i in range(150)]
    result = client.contacts.bulk(contacts=rows)
    assert result["created"] == 150 and result["errorCount"] == 0

    first = client.contacts.list(company=company, per_page=100, sort="email", order="asc")
    assert isinstance(first, Page) and isinstance(first, list)
    assert len(first) == 100
    assert first.meta == {"page": 1, "perPage": 100, "total": 150, "totalPages": 2}
    second = client.contacts.list(company=company, per_page=100, page=2, sort="email", order="asc")
    assert len(second) == 50 and second.meta["page"] == 2
    assert [c["email"] for c in first + second] == [r["email"] for r in rows]

    default = client.contacts.list(company=company)
    assert len(default) == 20 and default.meta["perPage"] == 20 and default.meta["totalPages"] == 8

    everything = list(client.contacts.list_all(company=company))
    ids = [c["id"] for c in everything]
    assert len(ids) == 150 and len(set(ids)) == 150
    assert {c["email"] for c in everything} == {r["email"] for r in rows}

    small_pages = [c["id"] for c in client.contacts.list_all(company=company, per_page=7)]
    assert sorted(small_pages) == sorted(ids)

    searched = [c["id"] for c in client.contacts.search_all(query=company)]
    assert sorted(searched) == sorted(ids)

    group = client.groups.create(name=f"Big {tag}")
    added = client.groups.add_contacts(group["id"], contact_ids=ids[:120])
    assert added["added"] == 120
    members = [c["id"] for c in client.groups.list_contacts_all(group["id"])]
    assert sorted(members) == sorted(ids[:120])


def test_an_empty_listing_iterates_nothing(client: FluenzrClient, tag: str) -> None:
    page = client.contacts.list(company=f"Nobody{tag}")
    assert list(page) == [] and page.meta["total"] == 0
    assert list(client.contacts.list_all(company=f"Nobody{tag}")) == []
