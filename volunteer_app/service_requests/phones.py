"""Resident services' pages whose task is calling the resident (people/contact.py): a request's
page, and a follow-up call (回访)."""
from ..accounts import policy
from ..accounts.policy import Actor
from ..people import contact
from ..people.models import Resident
from . import service
from .models import FollowUp, ServiceRequest


def _requester(actor: Actor, request_id: int) -> list[int]:
    request = policy.get(actor, "service_requests.manage", ServiceRequest, request_id)
    return [request.resident_id] if request.resident_id else []


def _followed_up(actor: Actor, follow_up_id: int) -> list[int]:
    request = service.get_follow_up(actor, follow_up_id).request
    return [request.resident_id] if request.resident_id else []


contact.register(contact.Need(contact.Purpose.request, Resident, ServiceRequest, _requester))
contact.register(contact.Need(contact.Purpose.follow_up, Resident, FollowUp, _followed_up))
