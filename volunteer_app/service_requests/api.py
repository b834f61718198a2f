"""REST endpoints of resident services (thin: the rules are in service.py)."""
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint

from ..accounts.auth import require_role
from ..accounts.models import Role
from ..resources import ID_IN_URL, commit, page_schema, paginate, register_crud, update_schema_for
from . import schemas, service

blp = Blueprint("service_requests", __name__,
                description="便民服务: the menu, events and bookings, requests (工单), follow-ups, wishes (微心愿)")

STAFF = (Role.admin, Role.coordinator)
REQUEST_PAGE = page_schema(schemas.RequestSchema)

register_crud(blp, "/service-types", service.service_types, schemas.ServiceTypeSchema, schemas.ServiceTypeIn,
              schemas.ServiceTypeQuery, update_schema_for(schemas.ServiceTypeIn))


# --- events and bookings -----------------------------------------------------------------------------


@blp.route("/service-events")
class Events(MethodView):
    @blp.arguments(schemas.EventQuery, location="query")
    @blp.response(200, page_schema(schemas.EventSchema))
    def get(self, args):
        """Scheduled service events of your community, soonest first"""
        return paginate(service.events_query(args), args["page"], args["per_page"])

    @blp.arguments(schemas.EventIn)
    @blp.response(201, schemas.EventSchema)
    def post(self, data):
        """Schedule an event (e.g. 义诊 Saturday 9:00–11:30, 10-minute slots, 2 places each)"""
        require_role(*STAFF)
        event = service.create_event(data, current_user)
        commit()
        return event


@blp.route(f"/service-events/<{ID_IN_URL}:event_id>")
class Event(MethodView):
    @blp.response(200, schemas.EventSchema)
    def get(self, event_id):
        """One event"""
        return service.get_event(event_id)


@blp.route(f"/service-events/<{ID_IN_URL}:event_id>/cancel")
class EventCancel(MethodView):
    @blp.arguments(schemas.EventCancelIn)
    @blp.response(200, schemas.EventSchema)
    def post(self, data, event_id):
        """Call an event off: every booking is cancelled and the residents are told"""
        require_role(*STAFF)
        event = service.cancel_event(service.get_event(event_id), data["reason"], current_user)
        commit()
        return event


@blp.route(f"/service-events/<{ID_IN_URL}:event_id>/slots")
class Slots(MethodView):
    @blp.response(200, schemas.SlotSchema(many=True))
    def get(self, event_id):
        """The event's slots with free places and waiting-list lengths"""
        return service.slots_of(service.get_event(event_id))


@blp.route("/bookings")
class Bookings(MethodView):
    @blp.arguments(schemas.BookingQuery, location="query")
    @blp.response(200, page_schema(schemas.BookingSchema))
    def get(self, args):
        """Bookings: your own (residents) or those in your scope (coordinators)"""
        return paginate(service.bookings_query(args), args["page"], args["per_page"])

    @blp.arguments(schemas.BookingIn)
    @blp.response(201, schemas.BookingSchema)
    def post(self, data):
        """Book a slot (or its waiting list); grid workers may book for a resident (代办)"""
        booking = service.book(data["slot_id"], data.get("resident_id"), data["waitlist"], current_user)
        commit()
        return booking


@blp.route(f"/bookings/<{ID_IN_URL}:booking_id>")
class BookingItem(MethodView):
    @blp.response(200, schemas.BookingSchema)
    def get(self, booking_id):
        """One booking, with its place in the waiting list"""
        return service.get_booking(booking_id)


@blp.route(f"/bookings/<{ID_IN_URL}:booking_id>/cancel")
class BookingCancel(MethodView):
    @blp.arguments(schemas.BookingCancelIn)
    @blp.response(200, schemas.BookingSchema)
    def post(self, data, booking_id):
        """Cancel; the freed place goes to the next in the waiting list, who is notified"""
        booking = service.cancel_booking(booking_id, data["reason"], current_user)
        commit()
        return booking


# --- requests (工单) -------------------------------------------------------------------------------------


@blp.route("/service-requests")
class Requests(MethodView):
    @blp.arguments(schemas.RequestQuery, location="query")
    @blp.response(200, REQUEST_PAGE)
    def get(self, args):
        """Requests you may see: your scope (coordinators), your own, or those given to you"""
        return paginate(service.requests_query(args), args["page"], args["per_page"])

    @blp.arguments(schemas.IdempotencyHeaders, location="headers")
    @blp.arguments(schemas.RequestIn)
    @blp.response(201, schemas.RequestSchema)
    @blp.alt_response(200, schema=schemas.RequestSchema, description="a retry: the request first filed with this key")
    def post(self, headers, data):
        """File a request; send an Idempotency-Key so a retried phone request does not make two"""
        request, replayed = service.file_request(data, current_user, headers.get("idempotency_key"))
        commit()
        return (request, 200) if replayed else request


@blp.route("/service-requests/overdue")
class Overdue(MethodView):
    @blp.arguments(schemas.RequestQuery, location="query")
    @blp.response(200, REQUEST_PAGE)
    def get(self, args):
        """Open requests past the deadline of their current step, most overdue first"""
        require_role(*STAFF)
        return paginate(service.requests_query({**args, "overdue": True}), args["page"], args["per_page"])


@blp.route("/service-requests/tasks")
class Tasks(MethodView):
    @blp.arguments(schemas.TasksQuery, location="query")
    @blp.response(200, schemas.TaskListSchema)
    def get(self, args):
        """The week's timed requests as roster-problem/1 task demands (ids "r<request id>")"""
        require_role(*STAFF)
        service.require_staff_in(args["community_id"], what=_l("rosters"))
        return {"demands": service.tasks_for_week(args["community_id"], args["week"]),
                "pinned": service.task_pairs_for_week(args["community_id"], args["week"])}


@blp.route(f"/service-requests/<{ID_IN_URL}:request_id>")
class RequestItem(MethodView):
    @blp.response(200, schemas.RequestSchema)
    def get(self, request_id):
        """One request with its full history"""
        return service.get_request(request_id)


@blp.route(f"/service-requests/<{ID_IN_URL}:request_id>/transitions")
class Transitions(MethodView):
    @blp.response(200, schemas.RequestEventSchema(many=True))
    def get(self, request_id):
        """Every state change: who, when, from, to, why, and whether it was late"""
        return service.get_request(request_id).history

    @blp.arguments(schemas.TransitionIn)
    @blp.response(200, schemas.RequestSchema)
    def post(self, data, request_id):
        """Move the request: accept, dispatch, start, resolve, rate, reject, cancel or escalate (吹哨)"""
        request = service.transition(request_id, data, current_user)
        commit()
        return request


@blp.route(f"/service-requests/<{ID_IN_URL}:request_id>/candidates")
class Candidates(MethodView):
    @blp.response(200, schemas.CandidateSchema(many=True))
    def get(self, request_id):
        """Volunteers who could take it at its planned time, nearest first"""
        require_role(*STAFF)
        request = service.get_request(request_id)
        service.require_staff_in(request.community_id, request.grid_id, what=_l("requests"))
        return service.candidates(request)


@blp.route("/my/service-requests")
class MyRequests(MethodView):
    @blp.arguments(schemas.MyWeekQuery, location="query")
    @blp.response(200, schemas.RequestSchema(many=True))
    def get(self, args):
        """Work dispatched to you (volunteers) for your week, soonest first"""
        return service.my_requests(current_user, args.get("week"))


@blp.route("/follow-ups")
class FollowUps(MethodView):
    @blp.arguments(schemas.FollowUpQuery, location="query")
    @blp.response(200, page_schema(schemas.FollowUpSchema))
    def get(self, args):
        """Low ratings waiting for the coordinator (回访)"""
        require_role(*STAFF)
        return paginate(service.follow_ups_query(args), args["page"], args["per_page"])


@blp.route(f"/follow-ups/<{ID_IN_URL}:follow_up_id>/close")
class FollowUpClose(MethodView):
    @blp.arguments(schemas.FollowUpCloseIn)
    @blp.response(200, schemas.FollowUpSchema)
    def post(self, data, follow_up_id):
        """Close a follow-up with what was found and done"""
        require_role(*STAFF)
        follow_up = service.close_follow_up(follow_up_id, data["note"], current_user)
        commit()
        return follow_up


# --- micro-wishes (微心愿) ---------------------------------------------------------------------------------


@blp.route("/wishes")
class Wishes(MethodView):
    @blp.arguments(schemas.WishQuery, location="query")
    @blp.response(200, page_schema(schemas.WishSchema))
    def get(self, args):
        """The community's wish board, newest first"""
        return paginate(service.wishes_query(args), args["page"], args["per_page"])

    @blp.arguments(schemas.WishIn)
    @blp.response(201, schemas.WishSchema)
    def post(self, data):
        """Post a small wish (residents; grid workers on a resident's behalf)"""
        wish = service.post_wish(data, current_user)
        commit()
        return wish


@blp.route(f"/wishes/<{ID_IN_URL}:wish_id>")
class WishItem(MethodView):
    @blp.response(200, schemas.WishSchema)
    def get(self, wish_id):
        """One wish"""
        return service.get_wish(wish_id)


@blp.route(f"/wishes/<{ID_IN_URL}:wish_id>/transitions")
class WishTransitions(MethodView):
    @blp.arguments(schemas.WishTransitionIn)
    @blp.response(200, schemas.WishSchema)
    def post(self, data, wish_id):
        """Claim (认领), give back, fulfil, confirm or withdraw a wish"""
        wish = service.move_wish(wish_id, data, current_user)
        commit()
        return wish
