"""The rules of service-record certificates: apply → accept → issue (or reject), revoke, correct, verify.

Following the national rules on volunteer service records, a certificate is issued free of charge by the
organisation that keeps the records, from those records alone: its hours are the attended service of the
period (``roster.service.served_records``), never plans. Issuing freezes every fact the certificate
shows in ``Certificate.facts`` and gives it the issuer's next number; nothing rewrites an issued
certificate afterwards. A correction revokes it and issues a new number in its place.

Anyone holding a certificate can check it without an account: its QR code opens
``/certificates/verify/<number>?s=<signature>``, the signature an HMAC of the number under a key derived
from ``SECRET_KEY``, so a number typed or changed by hand is not accepted.
"""
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..accounts import policy
from ..accounts.policy import Actor
from ..clock import CHINA_TIME, today_local
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..labels import label
from ..models_base import as_utc, utcnow
from ..people.models import Volunteer
from ..pii import mask_id_number
from ..places.models import Community
from ..resources import check_version, paginate
from ..roster.service import served_records
from .models import Certificate, CertificateIssuer, CertificateState as S

#: The longest period one certificate covers (a longer one is split, as the rules' annual records are).
MAX_PERIOD_DAYS = 366 * 5
#: What the signature of a number is keyed with, beside SECRET_KEY: a key of its own for this purpose.
SIGNATURE_PURPOSE = b"jiamenkou/certificate-verification/v1"
SIGNATURE_LENGTH = 20  # hex digits: 80 bits
OPEN = (S.applied, S.accepted)
ID_TYPE = "resident_id_card"  # the register keeps mainland resident ID numbers only


# --- reading ------------------------------------------------------------------------------------


def certificates(actor: Actor, args: dict) -> dict:
    """A page of the certificates the actor reads, newest first (``state``, ``community_id``, ``volunteer_id``)."""
    policy.require(actor, "certificates.read")
    statement = select(Certificate).where(policy.where(actor, "certificates.read", Certificate))
    for key in ("state", "community_id", "volunteer_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Certificate, key) == args[key])
    return paginate(statement.order_by(Certificate.id.desc()), args["page"], args["per_page"])


def certificate(actor: Actor, certificate_id: int) -> Certificate:
    return policy.get(actor, "certificates.read", Certificate, certificate_id)


def printable(actor: Actor, certificate_id: int) -> Certificate:
    """A certificate the actor reads that has a number to print (issued, or revoked: it says so when checked)."""
    record = certificate(actor, certificate_id)
    if record.facts is None:
        raise Conflict(_l("This certificate is %(state)s; only an issued certificate can be downloaded.",
                          state=label("certificate_state", record.state)), code="not_issued")
    return record


def managed(actor: Actor, certificate_id: int) -> Certificate:
    return policy.get(actor, "certificates.manage", Certificate, certificate_id)


def may_manage(actor: Actor, record: Certificate) -> bool:
    return policy.may(actor, "certificates.manage", record)


def register(actor: Actor, community_id: int | None = None) -> list[Certificate]:
    """The register of numbers given (出具登记): every issued or revoked certificate the actor manages, in
    number order per issuer."""
    policy.require(actor, "certificates.manage")
    statement = select(Certificate).where(policy.where(actor, "certificates.manage", Certificate),
                                          Certificate.sequence.is_not(None))
    if community_id is not None:
        community = policy.get(actor, "certificates.manage", Community, community_id)
        statement = statement.where(Certificate.community_id == community.id)
    return list(db.session.scalars(statement.order_by(Certificate.community_id, Certificate.sequence)))


# --- applying and deciding ----------------------------------------------------------------------


def _check_period(start: date, end: date) -> None:
    if end < start:
        problem = _l("The period ends before it starts.")
        raise InvalidInput(problem, {"period_end": [problem]}, code="period_reversed")
    if end > today_local():
        problem = _l("A certificate covers service already done: the period cannot end after today.")
        raise InvalidInput(problem, {"period_end": [problem]}, code="period_in_future")
    if (end - start).days >= MAX_PERIOD_DAYS:
        problem = _l("One certificate covers at most five years.")
        raise InvalidInput(problem, {"period_start": [problem]}, code="period_too_long")


def apply(actor: Actor, data: dict) -> Certificate:
    """A volunteer asks for a certificate of a period (staff ask for a volunteer they manage, 代办)."""
    policy.require(actor, "certificates.apply")
    volunteer_id = data.get("volunteer_id") or actor.volunteer_id
    volunteer = db.session.get(Volunteer, volunteer_id) if volunteer_id is not None else None
    # Asked of the certificate to be: one's own (its volunteer_id), or one in a community the staff manage.
    if volunteer is None or not policy.may(actor, "certificates.apply", Certificate(
            volunteer_id=volunteer.id, community_id=volunteer.community_id)):
        raise policy.out_of_reach("volunteer_id")
    _check_period(data["period_start"], data["period_end"])
    waiting = db.session.scalar(select(Certificate.id).where(
        Certificate.volunteer_id == volunteer.id, Certificate.state.in_(OPEN),
        Certificate.period_start == data["period_start"], Certificate.period_end == data["period_end"]))
    if waiting is not None:
        raise Conflict(_l("An application for this period is already waiting (No. %(id)s).", id=waiting),
                       {"period_start": [_l("Already applied for.")]}, code="already_applied")
    record = Certificate(community_id=volunteer.community_id, volunteer_id=volunteer.id,
                         period_start=data["period_start"], period_end=data["period_end"],
                         purpose=data.get("purpose", ""), state=S.applied, applied_at=utcnow())
    db.session.add(record)
    db.session.flush()
    return record


def _expect(record: Certificate, states: tuple, data: dict) -> None:
    check_version(record, data["version"])
    if record.state not in states:
        raise Conflict(_l("This certificate is %(state)s; that cannot be done to it now.",
                          state=label("certificate_state", record.state)),
                       {"state": [record.state.value]}, code="wrong_state")


def accept(actor: Actor, certificate_id: int, data: dict) -> Certificate:
    """受理: the coordinator takes the application up."""
    record = managed(actor, certificate_id)
    _expect(record, (S.applied,), data)
    record.state, record.accepted_at, record.handler_id = S.accepted, utcnow(), actor.id
    db.session.flush()
    return record


def reject(actor: Actor, certificate_id: int, data: dict) -> Certificate:
    """不予出具, with the reason the volunteer reads."""
    record = managed(actor, certificate_id)
    _expect(record, OPEN, data)
    record.state, record.rejection_reason, record.handler_id = S.rejected, data["reason"], actor.id
    db.session.flush()
    return record


def issue(actor: Actor, certificate_id: int, data: dict) -> Certificate:
    """出具: number the certificate and freeze its facts (accepting it first if it was not yet)."""
    record = managed(actor, certificate_id)
    _expect(record, OPEN, data)
    if record.volunteer is None:
        raise Conflict(_l("The volunteer has left the register; nothing to certify."), code="volunteer_gone")
    _issue(actor, record, data.get("note", ""))
    return record


def revoke(actor: Actor, certificate_id: int, data: dict) -> Certificate:
    """撤销: the certificate stays on the register and its verification page says it is revoked."""
    record = managed(actor, certificate_id)
    _expect(record, (S.issued,), data)
    _revoke(actor, record, data["reason"])
    db.session.flush()
    return record


def correct(actor: Actor, certificate_id: int, data: dict) -> Certificate:
    """更正: revoke an issued certificate and issue a new number for the (corrected) period in its place."""
    record = managed(actor, certificate_id)
    _expect(record, (S.issued,), data)
    if record.volunteer is None:
        raise Conflict(_l("The volunteer has left the register; nothing to certify."), code="volunteer_gone")
    start, end = data.get("period_start") or record.period_start, data.get("period_end") or record.period_end
    _check_period(start, end)
    replacement = Certificate(community_id=record.community_id, volunteer_id=record.volunteer_id,
                              period_start=start, period_end=end, purpose=record.purpose,
                              applied_at=utcnow(), accepted_at=utcnow())
    db.session.add(replacement)
    _revoke(actor, record, data["reason"])
    _issue(actor, replacement, data.get("note", ""), replaces=record.number)
    record.replaced_by_id = replacement.id
    db.session.flush()
    return replacement


def revoked_on(record: Certificate) -> date | None:
    """The China-time day a certificate was revoked."""
    return as_utc(record.revoked_at).astimezone(CHINA_TIME).date() if record.revoked_at else None


def _revoke(actor: Actor, record: Certificate, reason: str) -> None:
    record.state, record.revoked_at, record.revoked_by_id, record.revoke_reason = \
        S.revoked, utcnow(), actor.id, reason


# --- issuing ------------------------------------------------------------------------------------


def hours(minutes: int) -> str:
    """Minutes as the hours a certificate states: one decimal, as the national records keep them."""
    return f"{minutes / 60:.1f}"


def volunteer_number(volunteer: Volunteer) -> str:
    """The volunteer's number in this register (the app keeps no national registration number)."""
    return f"V{volunteer.id:06d}"


def facts_for(record: Certificate, issuer: CertificateIssuer, handler: str, note: str) -> dict:
    """Everything the certificate will say, from the volunteer's register entry and the period's attended
    records; the ID number is masked as the rules allow (type, first four and last four)."""
    volunteer = record.volunteer
    served = served_records(volunteer.id, record.period_start, record.period_end)
    minutes = sum(r.minutes for r in served)
    return {
        "volunteer": {"name": volunteer.name, "id_type": ID_TYPE if volunteer.id_number else None,
                      "id_number": mask_id_number(volunteer.id_number), "number": volunteer_number(volunteer)},
        "period": {"start": record.period_start.isoformat(), "end": record.period_end.isoformat()},
        "total_minutes": minutes, "total_hours": hours(minutes),
        "records": [{"date": r.served_on.isoformat(), "content": r.content, "minutes": r.minutes,
                     "hours": hours(r.minutes)} for r in served],
        "issuer": {"name": issuer.name, "person_in_charge": issuer.person_in_charge, "contact": issuer.contact},
        "handler": handler, "note": note,
    }


def preview(actor: Actor, certificate_id: int) -> dict | None:
    """What issuing would certify now (for the coordinator's review), or None while the issuer is not set."""
    record = managed(actor, certificate_id)
    issuer = _issuer(record.community_id)
    if issuer is None or record.volunteer is None:
        return None
    return facts_for(record, issuer, _handler_name(actor), "")


def _handler_name(actor: Actor) -> str:
    return actor.user.display_name if actor.user is not None else ""


def _issuer(community_id: int) -> CertificateIssuer | None:
    return db.session.scalar(select(CertificateIssuer).where(CertificateIssuer.community_id == community_id))


def _next_sequence(issuer: CertificateIssuer) -> int:
    """The issuer's next number: one atomic UPDATE … RETURNING, so two coordinators issuing at once wait
    for each other's row lock and never get the same number (the unique key is the last guard)."""
    sequence = db.session.execute(
        update(CertificateIssuer).where(CertificateIssuer.id == issuer.id)
        .values(last_sequence=CertificateIssuer.last_sequence + 1, version=CertificateIssuer.version + 1)
        .returning(CertificateIssuer.last_sequence)
        .execution_options(synchronize_session=False)).scalar_one()
    db.session.expire(issuer)
    return sequence


def _issue(actor: Actor, record: Certificate, note: str, replaces: str | None = None) -> None:
    issuer = _issuer(record.community_id)
    if issuer is None:
        problem = _l("Set who issues this community's certificates first (name, person in charge, contact).")
        raise InvalidInput(problem, {"issuer": [problem]}, code="issuer_not_set")
    facts = facts_for(record, issuer, _handler_name(actor), note)
    if not facts["records"]:
        problem = _l("No attended service in this period: there is nothing to certify.")
        raise InvalidInput(problem, {"period_start": [problem]}, code="nothing_served")
    record.sequence = _next_sequence(issuer)
    record.number = f"{issuer.prefix}-{record.sequence:06d}"
    record.issued_on = today_local()
    facts.update(number=record.number, issued_on=record.issued_on.isoformat(), replaces=replaces)
    record.facts = facts
    record.state, record.handler_id = S.issued, actor.id
    record.accepted_at = record.accepted_at or utcnow()
    db.session.flush()


# --- the issuing organisation -------------------------------------------------------------------


def issuer(actor: Actor, community_id: int) -> CertificateIssuer | None:
    community = policy.get(actor, "certificates.manage", Community, community_id)
    return _issuer(community.id)


def issuer_or_404(actor: Actor, community_id: int) -> CertificateIssuer:
    record = issuer(actor, community_id)
    if record is None:
        raise NotFound(_l("Nobody issues this community's certificates yet."), code="issuer_not_set")
    return record


def set_issuer(actor: Actor, community_id: int, data: dict) -> CertificateIssuer:
    """Who issues a community's certificates; the facts of certificates already issued stay as they were."""
    community = policy.get(actor, "certificates.manage", Community, community_id)
    record = _issuer(community.id)
    clash = db.session.scalar(select(CertificateIssuer.id).where(
        CertificateIssuer.prefix == data["prefix"], CertificateIssuer.community_id != community.id))
    if clash is not None:
        problem = _l("Another community's certificates already use this prefix.")
        raise Conflict(problem, {"prefix": [problem]}, code="prefix_taken")
    if record is None:
        record = CertificateIssuer(community_id=community.id)
        db.session.add(record)
    elif data.get("version") is not None:
        check_version(record, data["version"])
    if record.last_sequence and record.prefix != data["prefix"]:
        problem = _l("Numbers were already given with this prefix; it cannot change.")
        raise Conflict(problem, {"prefix": [problem]}, code="prefix_in_use")
    for key in ("name", "person_in_charge", "contact", "prefix"):
        setattr(record, key, data[key])
    db.session.flush()
    return record


# --- verification (no one acts: anyone holding the certificate) ---------------------------------


def signature(number: str) -> str:
    """The number's signature in its verification link: without SECRET_KEY it cannot be made."""
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), SIGNATURE_PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def verify_url(number: str) -> str:
    """The public page a certificate's QR code opens."""
    return url_for("certificate_pages.verify", number=number, s=signature(number), _external=True)


@dataclass(frozen=True)
class Verified:
    """What the public verification page shows: the frozen facts, and whether (and by what) it was revoked."""

    number: str
    facts: dict
    revoked: bool
    revoked_on: date | None
    replaced_by: str | None


def verify(number: str, signed: str) -> Verified | None:
    """The certificate ``number`` if ``signed`` is its signature; None for a wrong signature or number."""
    if not hmac.compare_digest(signature(number), (signed or "")[:64]):
        return None
    record = db.session.scalar(select(Certificate).where(Certificate.number == number))
    if record is None or record.facts is None:
        return None
    return Verified(record.number, record.facts, record.state == S.revoked, revoked_on(record),
                    record.replaced_by.number if record.replaced_by is not None else None)
