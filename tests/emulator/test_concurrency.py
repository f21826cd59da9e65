"""Parallel requests lose no write, and uniqueness holds under races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def test_parallel_creates_lose_nothing(emulator, tenant):
    def create(i: int) -> int:
        with emulator.management_client() as http:
            return http.post("/api/v2/organizations", json={"name": f"par-{i}-x"}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(create, range(60)))
    assert statuses == [201] * 60
    names = {o["name"] for o in tenant.http.get("/api/v2/organizations?per_page=100&include_totals=true").json()["organizations"]}
    assert {f"par-{i}-x" for i in range(60)} <= names


def test_racing_duplicates_get_exactly_one_success(emulator, tenant):
    api, client = tenant.api(), tenant.client()
    org_name = "race-org-unique"

    def grant(_: int) -> int:
        with emulator.management_client() as http:
            return http.post("/api/v2/client-grants", json={"client_id": client["client_id"], "audience": api["identifier"], "scope": []}).status_code

    def org(_: int) -> int:
        with emulator.management_client() as http:
            return http.post("/api/v2/organizations", json={"name": org_name}).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        grant_statuses = sorted(pool.map(grant, range(12)))
        org_statuses = sorted(pool.map(org, range(12)))
    assert grant_statuses == [201] + [409] * 11
    assert org_statuses == [201] + [409] * 11


def test_parallel_links_and_duplicate_links(emulator, tenant):
    org = tenant.org()
    api = tenant.api()
    grants = [tenant.grant(tenant.client(), api, []) for _ in range(20)]
    jobs = [g["id"] for g in grants] * 2  # every link requested twice, concurrently

    def link(grant_id: str) -> int:
        with emulator.management_client() as http:
            return http.post(f"/api/v2/organizations/{org['id']}/client-grants", json={"grant_id": grant_id}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(link, jobs))
    assert statuses.count(201) == 20 and statuses.count(409) == 20
    listed = tenant.http.get(f"/api/v2/organizations/{org['id']}/client-grants?include_totals=true&per_page=100").json()
    assert listed["total"] == 20
    assert {g["id"] for g in listed["client_grants"]} == {g["id"] for g in grants}


def test_parallel_token_requests(emulator, tenant):
    api, client = tenant.api(scopes=["r"]), tenant.client()
    tenant.grant(client, api, ["r"])

    def token(_: int) -> int:
        with emulator.client() as http:
            return http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": client["client_secret"], "audience": api["identifier"]}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert set(pool.map(token, range(64))) == {200}
