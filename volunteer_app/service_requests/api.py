"""REST endpoints of resident services (thin: the rules are in service.py)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..accounts.policy import current_actor
from ..resources import ID_IN_URL, commit, page_schema, paginate, register_crud, update_schema_for
from . import schemas, service

blp = Blueprint("service_requests", __name__,
                description="便民服务: the menu, events and bookings, requests (工单), follow-ups, wishes (微心愿)")

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
        return paginate(service.events_query(current_actor(), args), args["page"], args["per_page"])

    @blp.arguments(schemas.EventIn)
    @blp.response(201, schemas.EventSchema)
    def post(self, data):
        """Schedule an event (e.g. 义诊 Saturday 9:00–11:30, 10-minute slots, 2 places each)"""
        event = service.create_event(current_actor(), data)
        commit()
        return event


@blp.route(f"/service-events/<{ID_IN_URL}:event_id>")
class Event(MethodView):
    @blp.response(200, schemas.EventSchema)
    def get(self, event_id):
        """One event"""
        return service.get_event(current_actor(), event_id)


@blp.route(f"/service-events/<{ID_IN_URL}:event_id>/cancel")
class EventCancel(MethodView):
    @blp.arguments(schemas.EventCancelIn)
    @blp.response(200, schemas.EventSchema)
    def post(self, data, event_id):
        """Call an event off: every booking is cancelled and the residents are told"""
        event = service.cancel_event(current_actor(), event_id, data["reason"])
        commit()
        return event


@blp.route(f"/service-events/<{ID_IN_URL}:event_id>/slots")
class Slots(MethodView):
    @blp.response(200, schemas.SlotSchema(many=True))
    def get(self, event_id):
        """The event's slots with free places and waiting-list lengths"""
        actor = current_actor()
        return service.slots_of(actor, service.get_event(actor, event_id))


@blp.route("/bookings")
class Bookings(MethodView):
    @blp.arguments(schemas.BookingQuery, location="query")
    @blp.response(200, page_schema(schemas.BookingSchema))
    def get(self, args):
        """Bookings: your own (residents) or those in your scope (coordinators)"""
        return service.bookings_page(current_actor(), args)

    @blp.arguments(schemas.BookingIn)
    @blp.response(201, schemas.BookingSchema)
    def post(self, data):
        """Book a slot (or its waiting list); grid workers may book for a resident (代办)"""
        booking = service.book(current_actor(), data["slot_id"], data.get("resident_id"), data["waitlist"])
        commit()
        return booking


@blp.route(f"/bookings/<{ID_IN_URL}:booking_id>")
class BookingItem(MethodView):
    @blp.response(200, schemas.BookingSchema)
    def get(self, booking_id):
        """One booking, with its place in the waiting list"""
        return service.get_booking(current_actor(), booking_id)


@blp.route(f"/bookings/<{ID_IN_URL}:booking_id>/cancel")
class BookingCancel(MethodView):
    @blp.arguments(schemas.BookingCancelIn)
    @blp.response(200, schemas.BookingSchema)
    def post(self, data, booking_id):
        """Cancel; the freed place goes to the next in the waiting list, who is notified"""
        booking = service.cancel_booking(current_actor(), booking_id, data["reason"])
        commit()
        return booking


@blp.route(f"/bookings/<{ID_IN_URL}:booking_id>/attended")
class BookingAttended(MethodView):
    @blp.arguments(schemas.AttendedIn)
    @blp.response(200, schemas.BookingSchema)
    def post(self, data, booking_id):
        """到场: staff tick that the resident came to the booked place (or take the tick back)"""
        booking = service.mark_attended(current_actor(), booking_id, data["attended"])
        commit()
        return booking


# --- requests (工单) -------------------------------------------------------------------------------------


@blp.route("/service-requests")
class Requests(MethodView):
    @blp.arguments(schemas.RequestQuery, location="query")
    @blp.response(200, REQUEST_PAGE)
    def get(self, args):
        """Requests you may see: your scope (coordinators), your own, or those given to you"""
        return paginate(service.requests_query(current_actor(), args), args["page"], args["per_page"])

    @blp.arguments(schemas.IdempotencyHeaders, location="headers")
    @blp.arguments(schemas.RequestIn)
    @blp.response(201, schemas.RequestSchema)
    @blp.alt_response(200, schema=schemas.RequestSchema, description="a retry: the request first filed with this key")
    def post(self, headers, data):
        """File a request; send an Idempotency-Key so a retried phone request does not make two"""
        request, replayed = service.file_request(current_actor(), data, headers.get("idempotency_key"))
        commit()
        return (request, 200) if replayed else request


@blp.route("/service-requests/overdue")
class Overdue(MethodView):
    @blp.arguments(schemas.RequestQuery, location="query")
    @blp.response(200, REQUEST_PAGE)
    def get(self, args):
        """Open requests past the deadline of their current step, most overdue first"""
        return paginate(service.queue_query(current_actor(), args, "overdue"), args["page"], args["per_page"])


@blp.route("/service-requests/tasks")
class Tasks(MethodView):
    @blp.arguments(schemas.TasksQuery, location="query")
    @blp.response(200, schemas.TaskListSchema)
    def get(self, args):
        """The week's timed requests as roster-problem/1 task demands (ids "r<request id>")"""
        return service.week_tasks(current_actor(), args["community_id"], args["week"])


@blp.route(f"/service-requests/<{ID_IN_URL}:request_id>")
class RequestItem(MethodView):
    @blp.response(200, schemas.RequestSchema)
    def get(self, request_id):
        """One request with its full history"""
        return service.get_request(current_actor(), request_id)


@blp.route(f"/service-requests/<{ID_IN_URL}:request_id>/transitions")
class Transitions(MethodView):
    @blp.response(200, schemas.RequestEventSchema(many=True))
    def get(self, request_id):
        """Every state change: who, when, from, to, why, and whether it was late"""
        return service.get_request(current_actor(), request_id).history

    @blp.arguments(schemas.TransitionIn)
    @blp.response(200, schemas.RequestSchema)
    def post(self, data, request_id):
        """Move the request: accept, dispatch, start, resolve, rate, reject, cancel or escalate (吹哨)"""
        request = service.transition(current_actor(), request_id, data)
        commit()
        return request


@blp.route(f"/service-requests/<{ID_IN_URL}:request_id>/candidates")
class Candidates(MethodView):
    @blp.response(200, schemas.CandidateSchema(many=True))
    def get(self, request_id):
        """Volunteers who could take it at its planned time, nearest first"""
        actor = current_actor()
        return service.candidates(actor, service.get_request(actor, request_id))


@blp.route("/my/service-requests")
class MyRequests(MethodView):
    @blp.arguments(schemas.MyWeekQuery, location="query")
    @blp.response(200, schemas.RequestSchema(many=True))
    def get(self, args):
        """Work dispatched to you (volunteers) for your week, soonest first"""
        return service.my_requests(current_actor(), args.get("week"))


@blp.route("/follow-ups")
class FollowUps(MethodView):
    @blp.arguments(schemas.FollowUpQuery, location="query")
    @blp.response(200, page_schema(schemas.FollowUpSchema))
    def get(self, args):
        """Low ratings waiting for the coordinator (回访)"""
        return paginate(service.follow_ups_query(current_actor(), args), args["page"], args["per_page"])


@blp.route(f"/follow-ups/<{ID_IN_URL}:follow_up_id>/close")
class FollowUpClose(MethodView):
    @blp.arguments(schemas.FollowUpCloseIn)
    @blp.response(200, schemas.FollowUpSchema)
    def post(self, data, follow_up_id):
        """Close a follow-up with what was found and done"""
        follow_up = service.close_follow_up(current_actor(), follow_up_id, data["note"])
        commit()
        return follow_up


# --- micro-wishes (微心愿) ---------------------------------------------------------------------------------


@blp.route("/wishes")
class Wishes(MethodView):
    @blp.arguments(schemas.WishQuery, location="query")
    @blp.response(200, page_schema(schemas.WishSchema))
    def get(self, args):
        """The community's wish board, newest first"""
        return paginate(service.wishes_query(current_actor(), args), args["page"], args["per_page"])

    @blp.arguments(schemas.WishIn)
    @blp.response(201, schemas.WishSchema)
    def post(self, data):
        """Post a small wish (residents; grid workers on a resident's behalf)"""
        wish = service.post_wish(current_actor(), data)
        commit()
        return wish


@blp.route(f"/wishes/<{ID_IN_URL}:wish_id>")
class WishItem(MethodView):
    @blp.response(200, schemas.WishSchema)
    def get(self, wish_id):
        """One wish"""
        return service.get_wish(current_actor(), wish_id)


@blp.route(f"/wishes/<{ID_IN_URL}:wish_id>/transitions")
class WishTransitions(MethodView):
    @blp.arguments(schemas.WishTransitionIn)
    @blp.response(200, schemas.WishSchema)
    def post(self, data, wish_id):
        """Claim (认领), give back, fulfil, confirm or withdraw a wish"""
        wish = service.move_wish(current_actor(), wish_id, data)
        commit()
        return wish
