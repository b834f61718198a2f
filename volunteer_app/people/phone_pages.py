"""The "查看号码" button every page with a call to make shares (the call-out, a request, a follow-up)."""
from collections.abc import Callable

from ..accounts.policy import current_actor
from ..resources import commit
from ..views import form_id, no_store
from . import contact


def page_with_number(purpose: "contact.Purpose", record_id: int, render: Callable):
    """The page again with the one person's number its form named shown for the call: audited, never cached.
    ``render(record_id, revealed={person_id: phone})`` draws the page."""
    person_id = form_id("person_id")
    phone = contact.reveal_phone(current_actor(), purpose, record_id, person_id)
    commit()
    return no_store(render(record_id, revealed={person_id: phone}))
