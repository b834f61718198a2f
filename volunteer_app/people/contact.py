"""Full phone numbers for those who must call (个人信息保护法: the minimum necessary).

Lists show numbers masked. Where a page's task is calling people (a call-out's invited volunteers, a
request's resident, a follow-up call, the printed duty sheet), staff see the full number of someone
they manage through a reveal: the page's domain registers a ``Need`` saying whose numbers its record
calls for, and every reveal writes an audit row (who saw whose number, when, from which page).
"""
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts import policy
from ..accounts.models import AuditLog
from ..accounts.policy import Actor
from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..models_base import utcnow
from ..pii import sees_pii

REVEAL = "reveal"  # the audit rows' action, for every disclosure of full numbers
EXPORT = "export"  # the purpose of a registry export with full numbers


class Purpose(str, enum.Enum):
    """The pages whose task needs full numbers (a fixed list: a new one is a decision, not a parameter)."""

    callout = "callout"  # an emergency call-out's invited volunteers
    duty_sheet = "duty_sheet"  # a week's printed duty sheet: its volunteers
    request = "request"  # a service request's resident
    follow_up = "follow_up"  # a follow-up call (回访) to a request's resident


@dataclass(frozen=True)
class Need:
    """Whose numbers a page's record calls for, registered by the domain that owns the page."""

    purpose: Purpose
    people: type  # Volunteer or Resident: whose numbers
    record: type  # the page's record (a call-out …): the audit row names it
    called: Callable[[Actor, int], Iterable[int]]  # the people the record calls; 404 when it is beyond reach


_NEEDS: dict[Purpose, Need] = {}


def register(need: Need) -> None:
    _NEEDS[need.purpose] = need


def _need(purpose: Purpose) -> Need:
    need = _NEEDS.get(purpose)
    if need is None:  # a purpose whose page is not installed
        message = _l("No page shows phone numbers for this purpose.")
        raise InvalidInput(message, {"purpose": [message]}, code="unknown_purpose")
    return need


def may_reveal(actor: Actor) -> bool:
    """Whether the actor's role reveals numbers at all (a page shows its reveal buttons)."""
    return policy.may(actor, "phones.reveal")


def revealable(actor: Actor, purpose: Purpose, record_id: int) -> set[int]:
    """The people of the page's record whose numbers the actor may reveal there (none when the record is
    beyond the reach its calling needs: a page one may open for another reason offers no number)."""
    if not may_reveal(actor):
        return set()
    need = _need(purpose)
    try:
        called = need.called(actor, record_id)
    except NotFound:
        return set()
    return _managed(actor, need, called)


def _managed(actor: Actor, need: Need, called: Iterable[int]) -> set[int]:
    """Those of ``called`` the actor manages."""
    called = set(called)
    return set(db.session.scalars(select(need.people.id).where(
        need.people.id.in_(called), policy.where(actor, "phones.reveal", need.people)))) if called else set()


def offered(actor: Actor, purpose: Purpose, record_id: int) -> set[int]:
    """Whose numbers the page offers to reveal ("查看号码"): none to an actor who sees every number anyway."""
    return set() if sees_pii(actor) else revealable(actor, purpose, record_id)


def reveal_phone(actor: Actor, purpose: Purpose, record_id: int, person_id: int) -> str:
    """One person's full number on the page about ``record_id``: someone the record calls and the actor
    manages, else 404 (as for a record beyond reach); one audit row."""
    policy.require(actor, "phones.reveal")
    need = _need(purpose)
    called = set(need.called(actor, record_id))
    person = policy.get(actor, "phones.reveal", need.people, person_id)
    if person.id not in called:
        raise NotFound(policy.NOT_FOUND)
    _audit(actor, need, record_id, [person.id])
    return person.phone


def reveal_phones(actor: Actor, purpose: Purpose, record_id: int) -> dict[int, str]:
    """Every number a page's record calls for (the printed duty sheet), of the people the actor manages;
    one audit row per number shown, written together."""
    policy.require(actor, "phones.reveal")
    need = _need(purpose)
    ids = _managed(actor, need, need.called(actor, record_id))
    people = db.session.scalars(select(need.people).where(need.people.id.in_(ids))).all() if ids else []
    _audit(actor, need, record_id, [person.id for person in people])
    return {person.id: person.phone for person in people}


def _audit(actor: Actor, need: Need, record_id: int, people: list[int]) -> None:
    """Who saw whose number, when, from which page (the number itself is never written down)."""
    at = utcnow()
    db.session.add_all(AuditLog(at=at, user_id=actor.id, action=REVEAL, entity=need.people.__tablename__,
                                entity_id=str(person_id), changes={
                                    "revealed": "phone", "purpose": need.purpose.value,
                                    "page": need.record.__tablename__, "page_id": record_id})
                       for person_id in sorted(people))
    db.session.flush()


def audit_export(actor: Actor, people: type, community_id: int | None, rows: int, file_format: str,
                 revealed: str = "phone,id_number", page: str | None = None) -> None:
    """An export with full numbers: one audit row. A registry export (the file's people are the actor's records
    of that kind, of ``community_id`` or of all their communities when None) reveals phone and ID numbers; a
    week's roster workbook only its volunteers' phones, and names its ``page`` (the week). The exporter has
    asked the policy (``phones.export_full``)."""
    changes = {"revealed": revealed, "purpose": EXPORT, "community_id": community_id, "rows": rows,
               "format": file_format}
    db.session.add(AuditLog(at=utcnow(), user_id=actor.id, action=REVEAL, entity=people.__tablename__,
                            entity_id=str(community_id or ""), changes=changes | ({"page": page} if page else {})))
    db.session.flush()
