"""How a stored value reads in an audit entry, a change record or a mail: one helper, so a
blank or a yes/no box reads the same way wherever it is shown."""

from typing import Any


def as_text(value: Any, *, blank: str = "", true: str = "yes", false: str = "no") -> str:
    """`value` as text: None and "" become `blank`, booleans `true`/`false`, the rest str()."""
    if value is None or value == "":
        return blank
    if isinstance(value, bool):
        return true if value else false
    return str(value)
