"""The only way directory objects change: each service applies the change, records the event and
the store history, and announces it to the listeners (notifications writes the outbox rows) — all
in one transaction.

The Admin Center pages, the management commands, imports, directory sync and the life-cycle jobs
all call these functions with an `Actor` that says who acted and through which route. This
package's modules are its own business: callers use the names exported here.
"""

from .base import EDITABLE, Actor, ChangeError
from .objects import (
    BulkUpdate,
    create_object,
    delete_object,
    update_attributes,
    update_attributes_in_bulk,
)
from .recording import records_in_bulk
from .relations import (
    add_additional_manager,
    add_additional_owner,
    add_member,
    remove_additional_manager,
    remove_additional_owner,
    remove_member,
    set_primary_manager,
    set_primary_owner,
)

__all__ = [
    "EDITABLE",
    "Actor",
    "BulkUpdate",
    "ChangeError",
    "add_additional_manager",
    "add_additional_owner",
    "add_member",
    "create_object",
    "delete_object",
    "records_in_bulk",
    "remove_additional_manager",
    "remove_additional_owner",
    "remove_member",
    "set_primary_manager",
    "set_primary_owner",
    "update_attributes",
    "update_attributes_in_bulk",
]
