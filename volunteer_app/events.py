"""What happened in one domain that others react to, as blinker signals (Flask ships blinker).

A domain sends its own signals and never learns who listens: the roster does not
know that points are earned for a served duty, or that residents' requests are
dispatched when a week is published. Receivers run synchronously, inside the
sender's transaction, so a reaction commits or rolls back with the change that
caused it. Each receiving domain connects its receivers in its ``reactions``
module, which the app imports once at start-up.
"""
from blinker import Namespace

signals = Namespace()

#: A week's roster went live. ``sender``: the RosterWeek; ``planned_requests``: {request id: volunteer id}
#: the published solve planned; ``actor``: the ``Actor`` who published (None for a repair after a decline).
week_published = signals.signal("week-published")

#: A duty was marked as served (考勤). ``sender``: the Assignment; its ServiceLog is already written.
duty_served = signals.signal("duty-served")

#: The served mark of a duty was taken back. ``sender``: the Assignment.
duty_unserved = signals.signal("duty-unserved")
