"""One error shape for every error: {"error": <reason phrase>, "message": <detail>}."""

from http import HTTPStatus

from flask import jsonify
from werkzeug.exceptions import HTTPException


def error_body(status: int, message: str = "", **extra) -> dict:
    """The JSON error body for `status`."""
    return {"error": reason(status), "message": message or reason(status), **extra}


def error_response(status: int, message: str = "", **extra):
    """A JSON error body with its status code."""
    return jsonify(error_body(status, message, **extra)), status


def reason(status: int) -> str:
    """The status code's reason phrase ("Not Found")."""
    return HTTPStatus(status).phrase


def init_app(app) -> None:
    """Render every HTTP error in the one shape."""

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        response, status = error_response(exc.code or 500, exc.description or "")
        # What the status needs to be useful (Allow on a 405, WWW-Authenticate on a 401).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "internal error")
