"""The roster's pages whose task is calling volunteers (people/contact.py): a call-out's invited
volunteers, and the people on a week's printed duty sheet."""
from ..accounts import policy
from ..accounts.policy import Actor
from ..people import contact
from ..people.models import Volunteer
from . import service
from .models import CallOut, RosterWeek


def _invited(actor: Actor, callout_id: int) -> list[int]:
    return [invite.volunteer_id for invite in policy.get(actor, "roster.read", CallOut, callout_id).invites]


def _on_the_sheet(actor: Actor, week_id: int) -> set[int]:
    return service.sheet_volunteers(service.get_week(actor, week_id))


contact.register(contact.Need(contact.Purpose.callout, Volunteer, CallOut, _invited))
contact.register(contact.Need(contact.Purpose.duty_sheet, Volunteer, RosterWeek, _on_the_sheet))
