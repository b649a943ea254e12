"""Forms of the Schedules page and of the temporary membership / owner / manager pages."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django_celery_beat import validators

from directory.models import DirectoryObject
from identitystores.models import IdentityStore

from .models import (
    TEMPORARY_SECURITY_TYPES,
    PasswordExpiryGroup,
    TemporaryManagedBy,
    TemporaryMembership,
)

Kind = DirectoryObject.Kind
CUSTOM = "custom"
DURATIONS = [("7", "7 days"), ("30", "30 days"), ("60", "60 days"), ("90", "90 days")]


class ScheduleForm(forms.Form):
    """One crontab, in the store's time zone."""

    enabled = forms.BooleanField(label="Enabled", required=False)
    minute = forms.CharField(max_length=60, validators=[validators.minute_validator])
    hour = forms.CharField(max_length=60, validators=[validators.hour_validator])
    day_of_week = forms.CharField(
        label="Day of week",
        max_length=64,
        validators=[validators.day_of_week_validator],
        help_text="0–6 (Sunday = 0), * for every day",
    )
    day_of_month = forms.CharField(
        label="Day of month", max_length=124, validators=[validators.day_of_month_validator]
    )
    month_of_year = forms.CharField(
        label="Month", max_length=64, validators=[validators.month_of_year_validator]
    )


class PasswordExpiryGroupForm(forms.ModelForm):
    class Meta:
        model = PasswordExpiryGroup
        fields = ["group", "days", "send_warnings"]

    def __init__(self, *args, store: IdentityStore, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.store = store
        self.fields["group"].queryset = DirectoryObject.objects.filter(store=store, kind=Kind.GROUP)
        self.fields["group"].label = "Password expiry Smart Group"


class DurationMixin(forms.ModelForm):
    """The portal's durations — 7, 30, 60 or 90 days from the start — or a custom end date."""

    duration = forms.ChoiceField(choices=[*DURATIONS, (CUSTOM, "Custom range")], initial="7")

    def clean(self) -> dict:
        data = super().clean()
        start, duration = data.get("start_date"), data.get("duration")
        if start and duration and duration != CUSTOM:
            data["end_date"] = start + timedelta(days=int(duration))
        elif duration == CUSTOM and not data.get("end_date"):
            self.add_error("end_date", "Enter the end of the custom range.")
        return data


def _objects(store: IdentityStore, *kinds: str):
    return DirectoryObject.objects.filter(store=store, kind__in=kinds).order_by("name")


class TemporaryMembershipForm(DurationMixin):
    class Meta:
        model = TemporaryMembership
        fields = ["action", "user", "group", "requested_by", "start_date", "end_date"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"requested_by": "Requested by (a peer or manager, on the user's behalf)"}

    field_order = ["action", "user", "group", "requested_by", "start_date", "duration", "end_date"]

    def __init__(self, *args, store: IdentityStore, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.store = store
        self.fields["end_date"].required = False
        self.fields["user"].queryset = _objects(store, Kind.USER)
        self.fields["requested_by"].queryset = _objects(store, Kind.USER)
        self.fields["group"].queryset = _objects(store, Kind.GROUP).filter(
            security_type__in=TEMPORARY_SECURITY_TYPES
        )


class TemporaryManagedByForm(DurationMixin):
    class Meta:
        model = TemporaryManagedBy
        fields = ["role", "target", "holder", "start_date", "end_date"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {
            "target": "Group (owner) or user (manager)",
            "holder": "Temporary owner or manager",
        }

    field_order = ["role", "target", "holder", "start_date", "duration", "end_date"]

    def __init__(self, *args, store: IdentityStore, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.store = store
        self.fields["end_date"].required = False
        self.fields["target"].queryset = _objects(store, Kind.USER, Kind.GROUP)
        self.fields["holder"].queryset = _objects(store, Kind.USER, Kind.GROUP)
