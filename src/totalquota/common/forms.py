"""Form helpers: Bootstrap classes on every widget, so templates render forms uniformly."""

from __future__ import annotations

from django import forms


class StyledFormMixin:
    """Adds Bootstrap 5 classes to widgets and marks fields with errors as invalid.

    The invalid marks are added after validation (``full_clean``), never in ``__init__``: reading
    ``errors`` there would validate the form before a subclass has finished setting it up (for
    example before it narrows a field's queryset to the person's scope).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            self._mark_invalid(name)

    def add_error(self, field, error) -> None:
        """Also a refusal put on the form after validation (a service's, by ``web.forms``) marks
        its field, so the field is outlined where the message is."""
        super().add_error(field, error)  # type: ignore[misc]
        for name in self._errors or ():  # type: ignore[attr-defined]
            self._mark_invalid(name)

    def _mark_invalid(self, name: str) -> None:
        field = self.fields.get(name)  # type: ignore[attr-defined]
        if field is not None and "is-invalid" not in field.widget.attrs.get("class", "").split():
            field.widget.attrs["class"] = (field.widget.attrs.get("class", "") + " is-invalid").strip()


class StyledForm(StyledFormMixin, forms.Form):
    pass


class StyledModelForm(StyledFormMixin, forms.ModelForm):
    pass
