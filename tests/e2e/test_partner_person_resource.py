"""The OCMW basis as the law says (integration decree art. 20 §7, VVSG protocol): a thin
notification, then the person read at intake, and only name and INSZ, only of the OCMW's own
inhabitants, every read audited under its basis. Through the running system and its issuer."""

import asyncpg
import httpx
import pytest

from civic_common.db.engine import asyncpg_dsn

pytestmark = pytest.mark.e2e

NIS = "44084"  # Nazareth: no other e2e test registers people there
ELSEWHERE = "44086"
OCMW_BASIS = "ocmw-maatschappelijke-integratie"


async def register(http: httpx.AsyncClient, system, auth, nis: str, insz: str) -> str:
    response = await http.post(
        f"{system.urls['intake']}/api/v1/persons",
        json={
            "given_name": "Amina",
            "family_name": "Yousef",
            "birth_date": "1990-04-01",
            "insz": insz,
            "municipality_nis": nis,
            "nationality": "SY",
            "residence_category": "recognised_refugee",
            "languages": ["ar"],
        },
        headers=auth("counter"),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_an_ocmw_reads_name_and_insz_of_its_own_inhabitants_only(system, auth, partner_token):
    intake = system.urls["intake"]
    async with httpx.AsyncClient(timeout=15) as http:
        inhabitant = await register(http, system, auth, NIS, "90040112319")
        neighbour = await register(http, system, auth, ELSEWHERE, "90040154384")
        ocmw = await partner_token("ocmw-nazareth", "intake.persons", municipality=NIS)

        read = await http.get(f"{intake}/partners/v1/persons/{inhabitant}", headers=ocmw)
        assert read.status_code == 200, read.text
        assert read.json() == {
            "id": inhabitant,
            "legal_basis": OCMW_BASIS,
            "given_name": "Amina",
            "family_name": "Yousef",
            "insz": "90040112319",
        }, "name and INSZ, nothing more (no birth date, nationality, languages)"

        other = await http.get(f"{intake}/partners/v1/persons/{neighbour}", headers=ocmw)
        assert other.status_code == 404, "another municipality's inhabitant looks unknown"

        named = await http.get(
            f"{intake}/partners/v1/persons/{inhabitant}",
            params={"legal_basis": "vdab-arbeidsmarktactivering"},
            headers=ocmw,
        )
        assert named.status_code == 403, "a basis the client was not granted"

        vdab = await partner_token(
            "vdab-nazareth",
            "intake.persons",
            municipality=NIS,
            legal_bases=("vdab-arbeidsmarktactivering",),
        )
        refused = await http.get(f"{intake}/partners/v1/persons/{inhabitant}", headers=vdab)
        assert refused.status_code == 403, "VDAB's basis gives no person resource at intake"

        no_scope = await partner_token(
            "ocmw-nazareth-feed", "trajecten.feed:read", municipality=NIS
        )
        unscoped = await http.get(f"{intake}/partners/v1/persons/{inhabitant}", headers=no_scope)
        assert unscoped.status_code == 403

        staff = await http.get(
            f"{intake}/partners/v1/persons/{inhabitant}", headers=auth("counsellor")
        )
        assert staff.status_code == 403, "staff use /api/v1, not a partner's edge"

    conn = await asyncpg.connect(asyncpg_dsn(system.db.url("intake")))
    try:
        audited = await conn.fetch(
            "SELECT actor, role, action, purpose FROM intake.audit_log"
            " WHERE subject_id = $1 AND role = 'partner'",
            inhabitant,
        )
    finally:
        await conn.close()
    assert [(a["action"], a["purpose"]) for a in audited] == [
        ("read", f"partner, basis {OCMW_BASIS}")
    ], "the one read that answered is audited with its basis; refusals read nothing"
