"""URL converters. `id` is `int` limited to what a 64-bit primary key can hold, so a URL with a
20-digit number is a 404 instead of a database overflow error."""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
