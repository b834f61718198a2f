"""Points earned for served duties: the roster marks a duty served and never learns about points."""
from ..events import duty_served, duty_unserved
from . import service


@duty_served.connect
def earn_for_served_duty(assignment, **_) -> None:
    service.earn_for_assignment(assignment)


@duty_unserved.connect
def reverse_for_unserved_duty(assignment, **_) -> None:
    service.reverse_assignment(assignment)
