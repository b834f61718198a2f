"""Rules of the people registry: one phone per community, skills from the catalogue,
homes inside the volunteer's grid, party reports tied to their volunteer."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, or_, select

from ..accounts import policy
from ..accounts.models import Role, User
from ..accounts.policy import Actor
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..places.models import Building, Community, Grid, Station
from ..resources import ResourceService, check_version
from .availability import available_at_clause
from .models import (
    AvailabilityException, AvailabilitySlot, ClaimedPost, PartyMemberReport, Resident, ResidentPriorityGroup,
    ServiceLog, Skill, Volunteer, volunteer_skills,
)


def ensure_unique_phone(model, community_id: int, phone: str, exclude_id: int | None) -> None:
    """Same phone twice in one community is the same person: 409 naming the existing record."""
    existing = db.session.scalar(select(model).where(model.community_id == community_id, model.phone == phone))
    if existing is not None and existing.id != exclude_id:
        raise Conflict(
            _l("This phone is already registered in this community: %(name)s (No. %(id)s).",
               name=existing.name, id=existing.id),
            {"phone": [_l("Already used by record No. %(id)s.", id=existing.id)]},
            code="duplicate_phone", existing={"id": existing.id, "name": existing.name},
        )


def login_accounts(actor: Actor, record: Volunteer | Resident | None) -> list[User]:
    """The active login accounts of a volunteer's or resident's record, when the actor may make them a one-time
    login QR code: the record's page offers one per account, so a coordinator reaches it from the person."""
    if record is None or not policy.may(actor, "login_qr.create", record):
        return []
    link = User.volunteer_id if isinstance(record, Volunteer) else User.resident_id
    return list(db.session.scalars(select(User).where(
        link == record.id, User.active.is_(True), User.role.in_((Role.volunteer, Role.resident))).order_by(User.id)))


def skills_by_code(codes: list[str]) -> list[Skill]:
    found = {s.code: s for s in db.session.scalars(select(Skill).where(Skill.code.in_(codes)))}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise InvalidInput(_l("Unknown skill."), {"skills": [_l("Not in the skill catalogue: %(codes)s",
                                                                codes=", ".join(unknown))]}, code="unknown_skill")
    return [found[c] for c in dict.fromkeys(codes)]


def name_or_phone(statement, model, text: str | None):
    if text:
        statement = statement.where(or_(model.name.contains(text), model.phone.contains(text)))
    return statement


class VolunteerService(ResourceService):
    model, what = Volunteer, "volunteer"

    def filtered(self, actor: Actor, args):
        statement = name_or_phone(super().filtered(actor, args), Volunteer, args.get("q"))
        for key in ("community_id", "grid_id", "status", "is_party_member"):
            if args.get(key) is not None:
                statement = statement.where(getattr(Volunteer, key) == args[key])
        if args.get("skill"):
            statement = statement.where(Volunteer.id.in_(
                select(volunteer_skills.c.volunteer_id).join(Skill).where(Skill.code == args["skill"])))
        if args.get("available_at"):
            statement = statement.where(available_at_clause(args["available_at"]))
        return statement

    def build(self, actor: Actor, data: dict) -> Volunteer:
        data.setdefault("joined_on", date.today())
        return self.change(actor, Volunteer(), data)

    def change(self, actor: Actor, volunteer: Volunteer, data: dict) -> Volunteer:
        """Validate everything first, then change: a refused write leaves no trace."""
        community_id = data.get("community_id", volunteer.community_id)
        grid_id = data.get("grid_id", volunteer.grid_id)
        if "community_id" in data or "grid_id" in data:
            grid = policy.parent(actor, Grid, grid_id, "grid_id")
            if grid.community_id != community_id:
                raise InvalidInput(_l("The grid is in another community."), {"grid_id": [_l("Not in the chosen community.")]},
                                   code="other_community")
        building = None
        if data.get("building_id") is not None:
            building = policy.parent(actor, Building, data["building_id"], "building_id")
            if building.grid_id != grid_id:
                raise InvalidInput(_l("The building is in another grid."), {"building_id": [_l("Not in the chosen grid.")]},
                                   code="other_grid")
        if "phone" in data or "community_id" in data:
            ensure_unique_phone(Volunteer, community_id, data.get("phone", volunteer.phone), volunteer.id)
        skills = skills_by_code(data.pop("skills")) if "skills" in data else None
        slots = data.pop("availability", None)
        exceptions = data.pop("exceptions", None)
        if "lat" not in data and volunteer.lat is None:
            home = building or db.session.get(Grid, grid_id)
            data["lat"], data["lon"] = home.lat, home.lon
        for key, value in data.items():
            setattr(volunteer, key, value)
        if skills is not None:
            volunteer.skills = skills
        if slots is not None:
            volunteer.availability = [AvailabilitySlot(**s) for s in slots]
        if exceptions is not None:
            volunteer.exceptions = [AvailabilityException(**e) for e in exceptions]
        db.session.add(volunteer)
        db.session.flush()
        return volunteer


class ResidentService(ResourceService):
    model, what = Resident, "resident"

    def filtered(self, actor: Actor, args):
        statement = name_or_phone(super().filtered(actor, args), Resident, args.get("q"))
        for key in ("community_id", "grid_id", "building_id"):
            if args.get(key):
                statement = statement.where(getattr(Resident, key) == args[key])
        if args.get("priority_group"):
            statement = statement.where(Resident.id.in_(
                select(ResidentPriorityGroup.resident_id).where(ResidentPriorityGroup.group == args["priority_group"])))
        return statement

    def build(self, actor: Actor, data: dict) -> Resident:
        return self.change(actor, Resident(registered_by_id=actor.id), data)

    def change(self, actor: Actor, resident: Resident, data: dict) -> Resident:
        if "building_id" in data:
            building = policy.parent(actor, Building, data["building_id"], "building_id")
            data["grid_id"], data["community_id"] = building.grid_id, building.community_id
        if "phone" in data or "building_id" in data:
            ensure_unique_phone(Resident, data.get("community_id", resident.community_id),
                                data.get("phone", resident.phone), resident.id)
        groups = data.pop("priority_groups", None)
        for key, value in data.items():
            setattr(resident, key, value)
        if groups is not None:
            resident.priority_groups = [ResidentPriorityGroup(group=g) for g in dict.fromkeys(groups)]
        db.session.add(resident)
        db.session.flush()
        return resident


class PartyReportService(ResourceService):
    model, what = PartyMemberReport, "party member report"

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        if args.get("community_id"):
            statement = statement.where(PartyMemberReport.community_id == args["community_id"])
        if args.get("q"):
            statement = statement.where(PartyMemberReport.work_unit.contains(args["q"]))
        return statement

    def build(self, actor: Actor, data: dict) -> PartyMemberReport:
        return self.change(actor, PartyMemberReport(), data)

    def change(self, actor: Actor, report: PartyMemberReport, data: dict) -> PartyMemberReport:
        if "volunteer_id" in data:
            volunteer = policy.parent(actor, Volunteer, data["volunteer_id"], "volunteer_id")
            existing = db.session.scalar(select(PartyMemberReport).where(PartyMemberReport.volunteer_id == volunteer.id))
            if existing is not None and existing.id != report.id:
                raise Conflict(_l("This volunteer has already reported (report No. %(id)s).", id=existing.id),
                               {"volunteer_id": [_l("This volunteer has already reported (report No. %(id)s).",
                                                    id=existing.id)]},
                               code="already_reported", existing={"id": existing.id})
            volunteer.is_party_member = True
        if "community_id" in data:
            policy.parent(actor, Community, data["community_id"], "community_id")
        posts = data.pop("claimed_posts", None)
        if posts is not None:
            community_id = data.get("community_id", report.community_id)
            for post in posts:
                station = db.session.get(Station, post["station_id"])
                if station is None or station.community_id != community_id:
                    raise InvalidInput(_l("This station is not in the chosen community."),
                                       {"claimed_posts": [_l("This station is not in the chosen community.")]},
                                       code="other_community")
        for key, value in data.items():
            setattr(report, key, value)
        if posts is not None:
            report.claimed_posts = [ClaimedPost(**p) for p in posts]
        db.session.add(report)
        db.session.flush()
        return report


class ServiceLogService(ResourceService):
    """Hours served; scoped through the volunteer who served them."""

    model, what = ServiceLog, "service log"

    def query(self, actor: Actor):
        return select(ServiceLog).join(Volunteer).where(policy.where(actor, self.read_action, Volunteer))

    def visible(self, actor: Actor, obj) -> bool:
        return policy.may(actor, self.read_action, obj.volunteer)

    def require_writer(self, actor: Actor, obj=None) -> None:
        policy.require(actor, self.write_action, obj.volunteer if obj is not None else None)

    def filtered(self, actor: Actor, args):
        statement = super().filtered(actor, args)
        if args.get("volunteer_id"):
            statement = statement.where(ServiceLog.volunteer_id == args["volunteer_id"])
        if args.get("community_id"):
            statement = statement.where(Volunteer.community_id == args["community_id"])
        return statement

    def build(self, actor: Actor, data: dict) -> ServiceLog:
        return self.change(actor, ServiceLog(), data)

    def change(self, actor: Actor, log: ServiceLog, data: dict) -> ServiceLog:
        if "volunteer_id" in data:
            policy.parent(actor, Volunteer, data["volunteer_id"], "volunteer_id")
        for key, value in data.items():
            setattr(log, key, value)
        db.session.add(log)
        db.session.flush()
        return log


class SkillService(ResourceService):
    """The catalogue is shared by all communities; only admins change it."""

    model, what = Skill, "skill"
    read_action, write_action = "skills.read", "skills.write"
    order_by = (Skill.code,)

    def build(self, actor: Actor, data: dict) -> Skill:
        return self.change(actor, Skill(), data)

    def change(self, actor: Actor, skill: Skill, data: dict) -> Skill:
        if "code" in data:
            existing = db.session.scalar(select(Skill).where(Skill.code == data["code"]))
            if existing is not None and existing.id != skill.id:
                raise Conflict(_l("The code %(code)s is already in use.", code=data["code"]),
                               {"code": [_l("Already used by record No. %(id)s.", id=existing.id)]},
                               code="duplicate_code", existing={"id": existing.id})
        for key, value in data.items():
            setattr(skill, key, value)
        db.session.add(skill)
        db.session.flush()
        return skill


def set_ranking_consent(actor: Actor, consent: bool, version: int) -> Volunteer:
    """A volunteer's own choice to be named (or not) among top volunteers in published reports."""
    volunteer = db.session.get(Volunteer, actor.volunteer_id) if actor.volunteer_id is not None else None
    if volunteer is None:
        raise NotFound(_l("Your user is not linked to a volunteer record."), code="not_a_volunteer")
    check_version(volunteer, version)
    volunteer.show_in_rankings = consent
    db.session.flush()
    return volunteer


def yearly_progress(report: PartyMemberReport, year: int | None = None) -> dict:
    """Hours served this year against the yearly target (双报到 考核)."""
    year = year or date.today().year
    minutes = db.session.scalar(
        select(func.coalesce(func.sum(ServiceLog.minutes), 0)).where(
            ServiceLog.volunteer_id == report.volunteer_id, extract("year", ServiceLog.served_on) == year)
    )
    hours = round(minutes / 60, 1)
    target = report.yearly_target_hours
    return {"year": year, "served_hours": hours, "target_hours": target,
            "percent": min(100, round(100 * hours / target)) if target else 100}


volunteers = VolunteerService()
residents = ResidentService()
party_reports = PartyReportService()
service_logs = ServiceLogService()
skills = SkillService()
