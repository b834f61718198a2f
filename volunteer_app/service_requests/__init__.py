"""Resident services: the service menu, bookable events, requests (工单) and micro-wishes."""
