"""What the API's schemas share: resolvers for ``…Out`` (an answer's field read along a path of
attributes, ``resolve_zone = path("zone.code")``, or a choice field's label, ``display("status")``,
instead of a method written out for each) and the body of a change derived from the body of a
creation (:func:`patch_of`), so the two never list their fields apart; and what an uploaded
document answers (:class:`UploadedFileOut`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ninja import Schema
from pydantic import create_model
from pydantic.fields import FieldInfo


def path(dotted: str, convert: Callable[[Any], Any] | None = None) -> Any:
    """A resolver reading ``dotted`` (``"posting.reason"``) from the object shown, through
    ``convert`` when given (``str`` for a person or a record named by its text); a link that is
    ``None`` (a project without an enterprise) reads as ``None``."""
    names = dotted.split(".")

    def resolve(obj: Any) -> Any:
        for name in names:
            if obj is None:
                return None
            obj = getattr(obj, name)
        return convert(obj) if convert is not None and obj is not None else obj

    return staticmethod(resolve)


class ZonePollutantOut(Schema):
    """What every answer about one zone and pollutant says of them: their codes and the pollutant's
    display unit."""

    resolve_zone = path("zone.code")
    resolve_pollutant = path("pollutant.code")
    resolve_unit = path("pollutant.display_unit")


def display(field: str) -> Any:
    """A resolver giving the label of the choice in ``field`` (``get_<field>_display()``) as text."""
    return staticmethod(lambda obj: str(getattr(obj, f"get_{field}_display")()))


def _optional(annotation: Any) -> Any:
    return annotation | None


def patch_of(schema: type[Schema], *, exclude: tuple[str, ...] = ()) -> type[Schema]:
    """The fields of a change (``PATCH``) to what ``schema`` declares, as a base class: each of its
    fields but those in ``exclude``, optional and ``None`` when left out, with its description and
    checks. Routes read the change with ``exclude_unset=True``."""
    fields: dict[str, Any] = {
        field: (_optional(info.annotation), FieldInfo.merge_field_infos(info, default=None))
        for field, info in schema.model_fields.items()
        if field not in exclude
    }
    model = create_model(  # type: ignore[call-overload]
        f"{schema.__name__}Patch", __base__=Schema, __module__=schema.__module__, **fields
    )
    return model  # type: ignore[no-any-return]


class UploadedFileOut(Schema):
    """A document checked by content (``common.files``): reduction evidence, an application's
    documents. Each adds where its file is downloaded (``download_url``)."""

    id: int
    kind: str
    kind_label: str
    original_name: str
    size_bytes: int
    sha256: str
    content_type: str
    note: str
    uploaded_by: str
    uploaded_at: dt.datetime

    resolve_kind_label = display("kind")
    resolve_uploaded_by = path("uploaded_by", str)
