"""Named error conditions of the spatial engine; api/errors.py maps each to one HTTP status."""


class GridmapError(Exception):
    """Base of every condition gridmap reports to a person; ``code`` is machine-readable."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(GridmapError):
    code = "not_found"


class InvalidInput(GridmapError):
    code = "invalid_input"


class InvalidGeometry(InvalidInput):
    code = "invalid_geometry"


class InvalidCoordinates(InvalidInput):
    code = "invalid_coordinates"


class UnknownCRS(InvalidInput):
    code = "unknown_crs"


class MalformedFile(InvalidInput):
    code = "malformed_file"


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"


class UnsupportedMediaType(InvalidInput):
    """A file of a kind gridmap does not take here (a GIF or TIFF where a photo must be JPEG,
    PNG or WebP)."""

    code = "unsupported_media_type"


class SnapTooFar(InvalidInput):
    """A facility or point lies too far from the walking network to start a walk."""

    code = "snap_too_far"


class OutsideJurisdiction(GridmapError):
    code = "outside_jurisdiction"


class Conflict(GridmapError):
    code = "conflict"


class DuplicateCode(Conflict):
    code = "duplicate_code"


class PreconditionFailed(Conflict):
    """A write named a version of the object (``If-Match``) that is no longer the current one."""

    code = "precondition_failed"


class Unauthenticated(GridmapError):
    code = "unauthenticated"


class Forbidden(GridmapError):
    code = "forbidden"


class DatabaseUnavailable(GridmapError):
    code = "database_unavailable"


class ImportRejected(InvalidInput):
    """An all-or-nothing import found bad rows; ``details['report']`` lists each with its reason."""

    code = "import_rejected"


class RateLimited(GridmapError):
    """Too many requests of one kind from one key or address; ``details['retry_after']``
    says in how many seconds the next one is allowed."""

    code = "rate_limited"


class BadQueryParameter(InvalidInput):
    """A query parameter a standard API (OGC API) must answer with 400: unknown, malformed."""

    code = "bad_parameter"


class ClusterUnavailable(GridmapError):
    """The Dask scheduler of a batch run cannot be reached (gis.batch)."""

    code = "cluster_unavailable"
