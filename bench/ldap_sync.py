"""LDAP sync benchmark against a private slapd loaded offline with `slapadd -q`.

Full size: 100,000 users and 5,000 groups with about 2 million member values (some groups nest
other groups). Measures, in the same run:
- `full_sync_s`: the first full sync of an empty store (ldap3 paged read + bulk import);
- `bare_search_s`: a bare ldap3 paged search of the same entries and attributes, same TLS;
- `ldapsearch_s`: the C `ldapsearch` dump of the same entries (the floor);
- `incremental_s`: an incremental sync after `--changes` changes (mail, membership, manager,
  renames, deletes) made online; `reconcile_s`: the next pass with reconciliation, which is
  what finds the deletes.
The last output line is one JSON object. Targets: ratio (full ÷ bare) ≤ 3, incremental ≤ 5 % of
the full sync.

    .venv/bin/python bench/ldap_sync.py            # full size
    .venv/bin/python bench/ldap_sync.py --smoke    # ~2,000 users / 100 groups, under a minute

Uses DATABASE_URL when set, otherwise a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.ldap_server import (  # noqa: E402
    ROOT_DN,
    ROOT_PASSWORD,
    SUFFIX,
    SYNC_DN,
    SYNC_PASSWORD,
    Slapd,
)

PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
# Entries were last changed a day ago, as in a directory that has been running for a while.
STAMP = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y%m%d%H%M%SZ")


def user_dn(i: int) -> str:
    return f"uid=u{i},{PEOPLE}"


def group_dn(j: int) -> str:
    return f"cn=g{j},{GROUPS}"


def write_ldif(path: Path, users: int, groups: int, members: int, rng: random.Random) -> int:
    """Users (90 % with a manager), then groups of `members` users on average; one group in 20
    also holds 1–3 other groups. Returns the number of member values."""
    values = 0
    with path.open("w") as out:
        for ou in ("people", "groups"):
            out.write(f"dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}\n\n")
        for i in range(users):
            manager = f"manager: {user_dn(i // 10)}\n" if i >= 10 and i % 10 else ""
            out.write(
                f"dn: {user_dn(i)}\nobjectClass: inetOrgPerson\nuid: u{i}\ncn: User {i}\n"
                f"sn: {i}\nmail: u{i}@example.test\n{manager}"
                f"modifyTimestamp: {STAMP}\ncreateTimestamp: {STAMP}\n\n"
            )
        for j in range(groups):
            size = rng.randint(members // 2, members * 3 // 2)
            picked = rng.sample(range(users), min(size, users))
            lines = [f"member: {user_dn(i)}" for i in picked]
            if j % 20 == 0 and j > 0:
                lines += [f"member: {group_dn(rng.randrange(j))}" for _ in range(rng.randint(1, 3))]
            lines = list(dict.fromkeys(lines))
            values += len(lines)
            out.write(
                f"dn: {group_dn(j)}\nobjectClass: groupOfNames\ncn: g{j}\n"
                f"owner: {user_dn(rng.randrange(users))}\n"
                + "\n".join(lines)
                + f"\nmodifyTimestamp: {STAMP}\ncreateTimestamp: {STAMP}\n\n"
            )
    return values


def setup_django(workdir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dirmgr.settings")
    os.environ.setdefault("DIRMGR_VAR_DIR", workdir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/ldap-bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_store(slapd: Slapd):
    from identitystores.models import IdentityStore
    from ldapsync.mapping import PRESETS
    from ldapsync.models import DirectoryConnection, Flavor

    store = IdentityStore.objects.create(name="Bench LDAP", type=IdentityStore.Type.LDAP)
    DirectoryConnection.objects.create(
        store=store,
        flavor=Flavor.OPENLDAP,
        urls=slapd.ldap_url,
        ca_certificate=slapd.ca_path.read_text(),
        bind_dn=SYNC_DN,
        bind_password=SYNC_PASSWORD,
        base_dn=SUFFIX,
        **PRESETS[Flavor.OPENLDAP],
    )
    return store


def ldap3_connection(slapd: Slapd, user: str, password: str):
    import ldap3

    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(slapd.ca_path))
    server = ldap3.Server("127.0.0.1", port=slapd.port, tls=tls, get_info=ldap3.NONE)
    conn = ldap3.Connection(server, user, password)
    conn.open()
    conn.start_tls()
    conn.bind()
    return conn


def searches(store) -> list[tuple[str, list[str]]]:
    """(filter, attributes) of each kind the sync reads."""
    from ldapsync.mapping import attributes_for
    from ldapsync.reader import KINDS, kind_filter

    conn = store.ldap_connection
    return [
        (kind_filter(conn, kind), attributes_for(conn, kind))
        for kind in KINDS
        if kind_filter(conn, kind)
    ]


def bare_search(slapd: Slapd, store) -> tuple[float, int]:
    """ldap3 alone: the same paged searches, entries counted and dropped."""
    started = time.perf_counter()
    conn = ldap3_connection(slapd, SYNC_DN, SYNC_PASSWORD)
    entries = 0
    for search_filter, attributes in searches(store):
        cookie = None
        while True:
            conn.search(
                SUFFIX, search_filter, attributes=attributes, paged_size=1000, paged_cookie=cookie
            )
            assert conn.result["result"] == 0, conn.result
            entries += sum(1 for e in conn.response if e["type"] == "searchResEntry")
            cookie = conn.result["controls"]["1.2.840.113556.1.4.319"]["value"]["cookie"]
            if not cookie:
                break
    conn.unbind()
    return time.perf_counter() - started, entries


def ldapsearch(slapd: Slapd, store) -> float:
    env = {**os.environ, "LDAPTLS_CACERT": str(slapd.ca_path), "LDAPTLS_REQCERT": "demand"}
    started = time.perf_counter()
    for search_filter, attributes in searches(store):
        subprocess.run(
            ["ldapsearch", "-x", "-ZZ", "-LLL", "-H", slapd.ldap_url, "-D", SYNC_DN]
            + ["-w", SYNC_PASSWORD, "-b", SUFFIX, "-E", "pr=1000/noprompt", search_filter]
            + attributes,
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
    return time.perf_counter() - started


def make_changes(slapd: Slapd, users: int, groups: int, count: int, rng: random.Random) -> dict:
    """`count` changes online: 60 % mail, 20 % membership (half adds, half removals), 10 %
    managers, 5 % renames, 5 % deletes."""
    import ldap3

    conn = ldap3_connection(slapd, ROOT_DN, ROOT_PASSWORD)
    plan = {
        "mail": count * 60 // 100,
        "member": count * 20 // 100,
        "manager": count * 10 // 100,
        "rename": count * 5 // 100,
    }
    plan["delete"] = count - sum(plan.values())
    touched = plan["mail"] + plan["manager"] + plan["rename"] + plan["delete"]
    picked = rng.sample(range(10, users), touched)
    cursor = iter(picked)
    for _ in range(plan["mail"]):
        i = next(cursor)
        conn.modify(user_dn(i), {"mail": [(ldap3.MODIFY_REPLACE, [f"new.u{i}@example.test"])]})
    for n in range(plan["member"]):
        j, i = rng.randrange(groups), rng.randrange(users)
        op = ldap3.MODIFY_ADD if n % 2 == 0 else ldap3.MODIFY_DELETE
        if op == ldap3.MODIFY_DELETE:
            conn.search(group_dn(j), "(objectClass=*)", ldap3.BASE, attributes=["member"])
            i_dn = conn.response[0]["attributes"]["member"][0]
        else:
            i_dn = user_dn(i)
        conn.modify(group_dn(j), {"member": [(op, [i_dn])]})
    for _ in range(plan["manager"]):
        i = next(cursor)
        conn.modify(user_dn(i), {"manager": [(ldap3.MODIFY_REPLACE, [user_dn(rng.randrange(10))])]})
    for _ in range(plan["rename"]):
        i = next(cursor)
        conn.modify_dn(user_dn(i), f"uid=renamed{i}")
    for _ in range(plan["delete"]):
        conn.delete(user_dn(next(cursor)))
    conn.unbind()
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="2,000 users, 100 groups")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=400, help="average members per group")
    parser.add_argument("--changes", type=int, default=1_000)
    args = parser.parse_args()
    if args.smoke:
        args.users, args.groups, args.members, args.changes = 2_000, 100, 200, 100
    rng = random.Random(42)
    workdir = tempfile.mkdtemp(prefix="ldap-bench-")
    slapd = Slapd(Path(workdir) / "slapd")
    try:
        run(args, rng, workdir, slapd)
    finally:
        slapd.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, rng: random.Random, workdir: str, slapd: Slapd) -> None:
    ldif = Path(workdir) / "bench.ldif"
    values = write_ldif(ldif, args.users, args.groups, args.members, rng)
    started = time.perf_counter()
    slapd.load(ldif)
    print(
        f"slapadd -q: {args.users} users, {args.groups} groups, {values} member values "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    slapd.start()
    setup_django(workdir)
    from directory.models import DirectoryEvent, GroupMembership
    from ldapsync.sync import sync_store

    store = make_store(slapd)
    bare_s, entries = bare_search(slapd, store)
    print(f"bare ldap3 paged search: {entries} entries in {bare_s:.2f} s", flush=True)
    ldapsearch_s = ldapsearch(slapd, store)
    print(f"ldapsearch: {ldapsearch_s:.2f} s", flush=True)

    full = sync_store(store, full=True)
    print(f"full sync: {full.counts} in {full.duration:.2f} s", flush=True)
    memberships = GroupMembership.objects.filter(group__store=store).count()
    assert memberships == values, (memberships, values)

    plan = make_changes(slapd, args.users, args.groups, args.changes, rng)
    print(f"changes made online: {plan}", flush=True)
    incremental = sync_store(store, reconcile_now=False)
    phases = {k: round(v, 2) for k, v in incremental.timings.items()}
    print(
        f"incremental sync: {incremental.counts} in {incremental.duration:.2f} s {phases}",
        flush=True,
    )
    reconciled = sync_store(store, reconcile_now=True)
    print(
        f"incremental + reconciliation: {reconciled.counts} in {reconciled.duration:.2f} s",
        flush=True,
    )
    assert reconciled.counts["deleted"] == plan["delete"], reconciled.counts
    events = DirectoryEvent.objects.filter(store=store).count()
    print(f"directory events recorded: {events}", flush=True)
    print(
        json.dumps(
            {
                "users": args.users,
                "groups": args.groups,
                "member_values": values,
                "full_sync_s": round(full.duration, 2),
                "bare_search_s": round(bare_s, 2),
                "ldapsearch_s": round(ldapsearch_s, 2),
                "ratio": round(full.duration / bare_s, 2),
                "incremental_s": round(incremental.duration, 2),
                "incremental_pct": round(100 * incremental.duration / full.duration, 2),
                "reconcile_s": round(reconciled.duration, 2),
                "changes": args.changes,
            }
        )
    )


if __name__ == "__main__":
    main()
