"""Flash messages queued by several requests all reach the next page that shows them."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from somp.web.context import flash, pop_flash


def _app() -> Starlette:
    def queue(request: Request) -> PlainTextResponse:
        flash(request, request.path_params["key"], n=request.query_params.get("n", "0"))
        return PlainTextResponse("queued")  # a response that does not show the messages

    def show(request: Request) -> JSONResponse:
        return JSONResponse(pop_flash(request))

    return Starlette(
        routes=[Route("/queue/{key}", queue, methods=["POST"]), Route("/show", show)],
        middleware=[Middleware(SessionMiddleware, secret_key="test-secret")],
    )


def test_messages_queued_by_separate_requests_are_all_shown_once():
    with TestClient(_app()) as client:
        client.post("/queue/msg.saved?n=1")
        client.post("/queue/msg.created?n=2")  # the queue already holds the first message
        client.post("/queue/msg.saved?n=3")
        assert client.get("/show").json() == [
            ["msg.saved", {"n": "1"}],
            ["msg.created", {"n": "2"}],
            ["msg.saved", {"n": "3"}],
        ]
        assert client.get("/show").json() == []


def test_two_messages_of_one_request_are_both_kept():
    app = _app()

    def twice(request: Request) -> PlainTextResponse:
        flash(request, "msg.saved")
        flash(request, "msg.created", entity="合同")
        return PlainTextResponse("queued")

    app.add_route("/twice", twice, methods=["POST"])
    with TestClient(app) as client:
        client.post("/twice")
        assert client.get("/show").json() == [["msg.saved", {}], ["msg.created", {"entity": "合同"}]]
