"""Two agencies on one platform: a case registered at Atlas's counter is Atlas's in intake and in
trajecten; AgII's staff see nothing of it until intake transfers it, and then Atlas sees nothing."""

import httpx
import pytest

from civic_common.testing.waiting import eventually

pytestmark = pytest.mark.e2e

NIS = "11001"  # Aartselaar: no other e2e registers people there (some count theirs)


async def test_a_case_is_seen_by_its_own_agency_only_and_moves_with_a_transfer(
    system, auth
) -> None:
    intake, trajecten = system.urls["intake"], system.urls["trajecten"]
    atlas = {
        role: auth(role, f"{role}@atlas", organisation="atlas")
        for role in ("counter", "counsellor")
    }
    agii = {
        role: auth(role, f"{role}@agii", organisation="agii") for role in ("counter", "counsellor")
    }
    async with httpx.AsyncClient(timeout=15) as http:
        registered = await http.post(
            f"{intake}/api/v1/persons",
            json={
                "given_name": "Samira",
                "family_name": "Agentschapstest",
                "birth_date": "1994-06-12",
                "municipality_nis": NIS,
                "languages": ["ar"],
            },
            headers=atlas["counter"],
        )
        assert registered.status_code == 201, registered.text
        person = registered.json()

        async def trajectories_seen_by(staff: dict[str, str]) -> list[dict]:
            response = await http.get(
                f"{trajecten}/api/v1/trajectories",
                params={"person_id": person["id"]},
                headers=staff,
            )
            assert response.status_code == 200, response.text
            return response.json()

        [trajectory] = await eventually(lambda: trajectories_seen_by(atlas["counsellor"]), 60)
        case = f"{trajecten}/api/v1/trajectories/{trajectory['id']}"
        assert await trajectories_seen_by(agii["counsellor"]) == []
        assert (await http.get(case, headers=agii["counsellor"])).status_code == 404
        person_url = f"{intake}/api/v1/persons/{person['id']}"
        assert (await http.get(person_url, headers=agii["counter"])).status_code == 404

        current = await http.get(person_url, headers=atlas["counter"])
        transferred = await http.post(
            f"{person_url}/transfer",
            json={"agency": "agii"},
            headers=atlas["counter"] | {"If-Match": current.headers["etag"]},
        )
        assert transferred.status_code == 200, transferred.text

        # The transfer crosses Kafka: trajecten moves the trajectory when it consumes the event.
        await eventually(lambda: trajectories_seen_by(agii["counsellor"]), 60)
        assert (await http.get(case, headers=agii["counsellor"])).status_code == 200
        assert (await http.get(case, headers=atlas["counsellor"])).status_code == 404
        assert await trajectories_seen_by(atlas["counsellor"]) == []
        assert (await http.get(person_url, headers=agii["counter"])).status_code == 200
        assert (await http.get(person_url, headers=atlas["counter"])).status_code == 404

        # It arrives: AgII's counsellors see it as incoming, from Atlas, until one takes it up.
        async def incoming(staff: dict[str, str]) -> list[dict]:
            response = await http.get(f"{trajecten}/api/v1/transfers/incoming", headers=staff)
            assert response.status_code == 200, response.text
            return [i for i in response.json() if i["trajectory_id"] == trajectory["id"]]

        [arrived] = await incoming(agii["counsellor"])
        assert arrived["transferred_from"] == "atlas"
        assert await incoming(atlas["counsellor"]) == []
        async with httpx.AsyncClient(base_url=trajecten, timeout=15) as browser:
            page = await browser.get("/", headers=agii["counsellor"])
            assert page.status_code == 200, page.text
        assert "Overgedragen van Atlas" in page.text
        taken = await http.post(
            f"{case}/take-up",
            headers=agii["counsellor"] | {"If-Match": f'"{arrived["version"]}"'},
        )
        assert taken.status_code == 200, taken.text
        assert await incoming(agii["counsellor"]) == []
        timeline = (await http.get(f"{case}/timeline", headers=agii["counsellor"])).json()
        assert timeline[-1]["action"] == "take_up"
        again = await http.post(
            f"{case}/take-up", headers=agii["counsellor"] | {"If-Match": taken.headers["etag"]}
        )
        assert again.status_code in (409, 422), again.text
