"""`manage.py directory`: the Management Shell route for directory changes.

Every subcommand calls the same change service as the Admin Center, so it records the same event
and notifies exactly the same recipients (route "Management Shell"). Objects are named by email
address, exact name, external id or #id.

    manage.py directory --store "Contoso AD" --actor alice add-member Sales ann@contoso.test
    manage.py directory --store "Contoso AD" update ann@contoso.test name="Ann Smith" language=de
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from directory import changes
from directory.changes import EDITABLE, ChangeError
from directory.import_rows import RowError, parse_value
from directory.models import DirectoryObject

from ._directory_args import actor_named, object_named, store_named

Kind = DirectoryObject.Kind
USER_OR_GROUP = (Kind.USER, Kind.GROUP)

# subcommand: (help, kinds of the first object, kinds of the second object or None)
PAIRS = {
    "add-member": ("Add a member to a group.", (Kind.GROUP,), ()),
    "remove-member": ("Remove a member from a group.", (Kind.GROUP,), ()),
    "add-owner": ("Add an additional owner to a group.", (Kind.GROUP,), USER_OR_GROUP),
    "remove-owner": ("Remove an additional owner.", (Kind.GROUP,), USER_OR_GROUP),
    "add-manager": ("Add an additional manager to a user.", (Kind.USER,), (Kind.USER,)),
    "remove-manager": ("Remove an additional manager.", (Kind.USER,), (Kind.USER,)),
    "set-owner": (
        "Set (or with --none clear) a group's primary owner.",
        (Kind.GROUP,),
        USER_OR_GROUP,
    ),
    "set-manager": (
        "Set (or with --none clear) a user's primary manager.",
        (Kind.USER,),
        (Kind.USER,),
    ),
}
SERVICES = {
    "add-member": changes.add_member,
    "remove-member": changes.remove_member,
    "add-owner": changes.add_additional_owner,
    "remove-owner": changes.remove_additional_owner,
    "add-manager": changes.add_additional_manager,
    "remove-manager": changes.remove_additional_manager,
    "set-owner": changes.set_primary_owner,
    "set-manager": changes.set_primary_manager,
}


class Command(BaseCommand):
    help = "Change directory objects of an identity store; notifies like the Admin Center."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--store", required=True, help="identity store name or id")
        parser.add_argument("--actor", help="Admin Center account the change is made as")
        sub = parser.add_subparsers(dest="subcommand", required=True)
        show = sub.add_parser("show", help="Show an object.")
        show.add_argument("object")
        create = sub.add_parser("create", help="Create a user, contact or group.")
        create.add_argument("kind", choices=Kind.values)
        create.add_argument("name")
        create.add_argument("values", nargs="*", metavar="field=value")
        update = sub.add_parser("update", help="Change attributes.")
        update.add_argument("object")
        update.add_argument("values", nargs="+", metavar="field=value")
        for name, (text, _, _) in PAIRS.items():
            pair = sub.add_parser(name, help=text)
            pair.add_argument("object")
            if name.startswith("set-"):
                pair.add_argument("other", nargs="?")
                pair.add_argument("--none", action="store_true", help="clear it")
            else:
                pair.add_argument("other")
            if name == "add-owner":
                pair.add_argument("--dont-notify", action="store_true")

    def handle(self, *args, **options) -> None:
        store = store_named(options["store"])
        actor = actor_named(options["actor"])
        command = options["subcommand"]
        try:
            if command == "show":
                self._show(object_named(store, options["object"]))
                return
            if command == "create":
                values = _values(options["kind"], options["values"])
                obj = changes.create_object(
                    store, actor, options["kind"], name=options["name"], **values
                )
                self.stdout.write(
                    f"Created {obj.get_kind_display().lower()} {obj.name} (#{obj.pk})."
                )
                return
            if command == "update":
                obj = object_named(store, options["object"])
                event = changes.update_attributes(
                    obj, actor, **_values(obj.kind, options["values"])
                )
            else:
                event = self._pair(store, actor, command, options)
        except ChangeError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{event}." if event else "Nothing changed.")

    def _pair(self, store, actor, command: str, options: dict):
        _, kinds, other_kinds = PAIRS[command]
        obj = object_named(store, options["object"], kinds)
        if command.startswith("set-") and (options["none"] or not options["other"]):
            if not options["none"]:
                raise CommandError("Name the new primary owner/manager, or pass --none.")
            return SERVICES[command](obj, None, actor)
        other = object_named(store, options["other"], other_kinds)
        if command == "add-owner":
            return SERVICES[command](obj, other, actor, dont_notify=options["dont_notify"])
        return SERVICES[command](obj, other, actor)

    def _show(self, obj: DirectoryObject) -> None:
        for name in ("kind", *EDITABLE[obj.kind], "external_id", "source"):
            self.stdout.write(f"{name}: {getattr(obj, name)}")
        if obj.is_group:
            self.stdout.write(f"primary_owner: {obj.primary_owner or ''}")
            self.stdout.write(f"members: {obj.member_links.count()}")
        if obj.is_user:
            self.stdout.write(f"primary_manager: {obj.primary_manager or ''}")


def _values(kind: str, pairs: list[str]) -> dict:
    """ "field=value" arguments, typed like the model field ("" clears a date)."""
    values = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or name not in EDITABLE[kind]:
            allowed = ", ".join(EDITABLE[kind])
            raise CommandError(f"Expected field=value with a field among: {allowed}.")
        try:
            values[name] = parse_value(name, raw)
        except RowError as exc:
            raise CommandError(str(exc)) from exc
    return values
