"""Teams: a call-out asking for a team calls its members first (or only them); the leader sees their answers."""
from tests.roster.test_urgent_and_exports import callout_payload


def make_team(district, members=(3, 4), leader=3):
    ids = district["volunteer_ids"]
    created = district["coordinator"].post("/teams", json={
        "community_id": district["community_id"], "name": "应急队", "leader_id": ids[leader],
        "member_ids": [ids[m] for m in members]})
    assert created.status_code == 201, created.json
    return created.json


def test_a_team_is_its_communitys_volunteers_with_its_leader_among_them(district, make_volunteer, make_grid):
    ids = district["volunteer_ids"]
    team = make_team(district, members=(4,), leader=3)
    assert sorted(team["member_ids"]) == sorted([ids[3], ids[4]])  # the leader is a member
    api = district["coordinator"]
    again = api.post("/teams", json={"community_id": district["community_id"], "name": "应急队"})
    assert again.status_code == 409 and again.json["error"] == "team_name_taken"
    stranger = make_volunteer(grid=make_grid(), name="外社区")
    elsewhere = api.put(f"/teams/{team['id']}", json={
        "community_id": district["community_id"], "name": "应急队", "member_ids": [stranger.id]})
    assert elsewhere.status_code == 422 and elsewhere.json["error"] == "volunteer_elsewhere"
    assert district["volunteer_apis"][0].post("/teams", json={
        "community_id": district["community_id"], "name": "义诊队"}).status_code == 403


def test_a_callout_asking_for_a_team_calls_its_members_first(district):
    ids = district["volunteer_ids"]
    team = make_team(district)
    callout = district["coordinator"].post("/roster/callouts", json={
        **callout_payload(district, needed=2), "team_id": team["id"]}).json
    invites = sorted(callout["invites"], key=lambda i: i["rank"])
    assert {i["volunteer_id"] for i in invites[:2]} == {ids[3], ids[4]}
    assert len(invites) > 2  # the others are called too, after them
    assert callout["team_id"] == team["id"] and callout["team_only"] is False


def test_a_callout_for_the_team_only_calls_no_one_else(district):
    ids = district["volunteer_ids"]
    team = make_team(district)
    callout = district["coordinator"].post("/roster/callouts", json={
        **callout_payload(district, needed=3), "team_id": team["id"], "team_only": True}).json
    assert {i["volunteer_id"] for i in callout["invites"]} == {ids[3], ids[4]}
    assert callout["reach"]["eligible"] == 2


def test_the_leader_sees_the_members_answers_and_no_one_else_does(district):
    ids = district["volunteer_ids"]
    team = make_team(district)
    callout = district["coordinator"].post("/roster/callouts", json={
        **callout_payload(district, needed=2), "team_id": team["id"], "team_only": True}).json
    member, leader, outsider = (district["volunteer_apis"][n] for n in (4, 3, 0))
    assert member.post(f"/my/callouts/{callout['id']}/answer", json={"accept": False}).status_code == 200
    seen = leader.get(f"/teams/{team['id']}/answers")
    assert seen.status_code == 200, seen.json
    answers = {i["volunteer_id"]: i["status"] for i in seen.json["callouts"][0]["invites"]}
    assert answers == {ids[4]: "declined", ids[3]: "invited"}
    assert [t["id"] for t in leader.get("/my/teams").json] == [team["id"]]
    assert member.get("/my/teams").json == []
    assert member.get(f"/teams/{team['id']}/answers").status_code == 403  # a member, not its leader
    assert outsider.get(f"/teams/{team['id']}/answers").status_code == 403
    assert district["coordinator"].get(f"/teams/{team['id']}/answers").status_code == 200
