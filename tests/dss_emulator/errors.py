"""Domain errors of the emulator. Models raise them; the web layer (app.py) answers each one as DSS does: HTTP
`status` with the JSON `body()` {errorType, message, detailedMessage, ...}, which dataikuapi turns into
DataikuException("<errorType>: <detailedMessage>")."""

import html

# errorType strings used by DSS (see docs/emulator.md for which ones are inferred).
NOT_FOUND = "com.dataiku.dip.server.controllers.NotFoundException"
ILLEGAL_ARGUMENT = "java.lang.IllegalArgumentException"
UNAUTHORIZED = "com.dataiku.dip.exceptions.UnauthorizedException"
CODED = "com.dataiku.dip.exceptions.CodedException"
CODED_IO = "com.dataiku.dip.exceptions.CodedIOException"
ILLEGAL_STATE = "java.lang.IllegalStateException"


class DSSError(Exception):
    def __init__(self, message, error_type=ILLEGAL_ARGUMENT, status=500, code=None, extra=None):
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.status = status
        self.code = code
        self.extra = extra or {}

    def body(self):
        body = {
            "errorType": self.error_type,
            "message": self.message,
            "detailedMessage": self.message,
            "detailedMessageHTML": "<span>%s</span>" % html.escape(self.message),
            "stackTraceStr": "",
            "stackTrace": [],
        }
        if self.code:
            body["code"] = self.code
        body.update(self.extra)
        return body


def not_found(message, code=None):
    return DSSError(message, NOT_FOUND, 404, code)


def bad_request(message, code=None):
    return DSSError(message, ILLEGAL_ARGUMENT, 400, code)


def unknown_project(key):
    return DSSError("Project %s does not exist" % key, NOT_FOUND, 404, "ERR_PROJECT_UNKNOWN_PROJECT_KEY")
