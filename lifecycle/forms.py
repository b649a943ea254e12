"""Forms of the Schedules page and of the temporary membership / owner / manager pages."""

from __future__ import annotations

from datetime import time, timedelta

from django import forms

from directory.models import DirectoryObject
from identitystores.models import IdentityStore

from .cron import CRON_FIELDS, FIELD_RULES, field_error, schedule_error
from .models import (
    TEMPORARY_SECURITY_TYPES,
    PasswordExpiryGroup,
    TemporaryManagedBy,
    TemporaryMembership,
)

Kind = DirectoryObject.Kind
CUSTOM = "custom"
DURATIONS = [("7", "7 days"), ("30", "30 days"), ("60", "60 days"), ("90", "90 days")]
REPEAT = [
    ("daily", "Every day"),
    ("weekdays", "Weekdays, Monday to Friday"),
    ("weekly", "Once a week"),
    (CUSTOM, "Custom (cron fields)"),
]
WORKDAYS = "1-5"
WEEKDAYS = [("1", "Monday"), ("2", "Tuesday"), ("3", "Wednesday"), ("4", "Thursday"),
            ("5", "Friday"), ("6", "Saturday"), ("0", "Sunday")]  # fmt: skip


class ScheduleForm(forms.Form):
    """One crontab, in the store's time zone: a common choice with a time, or cron's five fields
    in cron's order. `cleaned_data["cron"]` holds the five fields to save either way."""

    enabled = forms.BooleanField(label="Enabled", required=False)
    repeat = forms.ChoiceField(label="Runs", choices=REPEAT, initial="daily")
    weekday = forms.ChoiceField(label="Weekday", choices=WEEKDAYS, required=False, initial="1")
    time = forms.TimeField(
        label="Time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 07:30."},
    )
    minute = forms.CharField(label="Minute", max_length=60, required=False, help_text="0–59")
    hour = forms.CharField(label="Hour", max_length=60, required=False, help_text="0–23")
    day_of_month = forms.CharField(
        label="Day of month", max_length=124, required=False, help_text="1–31"
    )
    month_of_year = forms.CharField(label="Month", max_length=64, required=False, help_text="1–12")
    day_of_week = forms.CharField(
        label="Day of week", max_length=64, required=False, help_text="0–6, Sunday = 0"
    )

    def clean(self) -> dict:
        data = super().clean()
        repeat = data.get("repeat")
        cron = self._custom_cron(data) if repeat == CUSTOM else self._common_cron(data, repeat)
        if cron and repeat == CUSTOM and (error := schedule_error(cron)):
            self.add_error("day_of_month", error)
        data["cron"] = cron
        return data

    def _common_cron(self, data: dict, repeat: str | None) -> dict[str, str] | None:
        at = data.get("time")
        if at is None and "time" not in self.errors:
            self.add_error("time", "Enter the time it runs, like 07:30.")
        if at is None or repeat is None:
            return None
        day = {"daily": "*", "weekdays": WORKDAYS}.get(repeat, data.get("weekday") or "1")
        return {"minute": str(at.minute), "hour": str(at.hour), "day_of_month": "*",
                "month_of_year": "*", "day_of_week": day}  # fmt: skip

    def _custom_cron(self, data: dict) -> dict[str, str] | None:
        cron = {name: (data.get(name) or "").strip().replace(" ", "") for name in CRON_FIELDS}
        for name, value in cron.items():
            error = FIELD_RULES[name] if not value else field_error(name, value)
            if error:
                self.add_error(name, error)
        return None if any(name in self.errors for name in CRON_FIELDS) else cron


def schedule_initial(cron: dict[str, str], enabled: bool) -> dict:
    """The form as the admin left it: a stored "30 7 * * 1-5" shows as Weekdays at 07:30."""
    initial = {"enabled": enabled, "repeat": CUSTOM, **cron}
    minute, hour, day = cron["minute"], cron["hour"], cron["day_of_week"]
    if cron["day_of_month"] != "*" or cron["month_of_year"] != "*":
        return initial
    if not (minute.isdigit() and hour.isdigit() and int(minute) < 60 and int(hour) < 24):
        return initial
    weekly = day in dict(WEEKDAYS)
    repeat = {"*": "daily", WORKDAYS: "weekdays"}.get(day, "weekly" if weekly else CUSTOM)
    initial.update(repeat=repeat, time=time(int(hour), int(minute)))
    if weekly:
        initial["weekday"] = day
    return initial


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
