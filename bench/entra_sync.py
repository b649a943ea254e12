"""Entra ID sync benchmark against the loopback Graph server (tests/support/servers/graph.py),
run in a child process so its data does not count in this process's memory.

Full size: 100,000 users (90 % with a manager) and 5,000 groups of 400 members on average,
about 2 million memberships (one group in 20 also holds 1–3 other groups). Measures, in the
same run and with the same HTTP client (`entrasync.graph.GraphClient`):
- `bare_read_s`: a bare paged read of the users and groups delta rounds (JSON decoded, nothing
  kept);
- `full_sync_s`: the first sync of an empty store (the same pages + bulk import);
- `incremental_s`: a delta pass after `--changes` changes made in the tenant (60 % attribute
  updates, 30 % membership adds and removals, 10 % manager changes).
`peak_mb` is this process's peak resident memory. The last output line is one JSON object.
Goals: ratio (full ÷ bare) ≤ 3, incremental ≤ 5 % of the full sync, peak < 500 MB.

    .venv/bin/python bench/entra_sync.py            # full size
    .venv/bin/python bench/entra_sync.py --smoke    # 2,000 users / 100 groups, a few seconds

Uses DATABASE_URL when set, otherwise a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import ssl
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.servers.graph import GraphTestServer, group_id, user_id  # noqa: E402
from tests.support.servers.tls import TestCA  # noqa: E402


def fill(server: GraphTestServer, users: int, groups: int, members: int, seed: int) -> int:
    """The tenant; returns the number of memberships."""
    rng = random.Random(seed)
    ids = [user_id(i) for i in range(users)]
    for i, uid in enumerate(ids):
        server.users[uid] = {
            "displayName": f"User {i}",
            "mail": f"u{i}@example.test",
            "userPrincipalName": f"u{i}@example.test",
            "accountEnabled": True,
        }
        if i >= 10 and i % 10:
            server.managers[uid] = ids[i // 10]
    total = 0
    for j in range(groups):
        gid = group_id(j)
        size = rng.randint(members // 2, members * 3 // 2)
        picked = [ids[k] for k in rng.sample(range(users), min(size, users))]
        if j % 20 == 0 and j > 0:
            picked += [group_id(rng.randrange(j)) for _ in range(rng.randint(1, 3))]
        server.groups[gid] = {
            "displayName": f"Group {j}",
            "mail": f"g{j}@example.test",
            "mailEnabled": True,
            "visibility": "Private",
        }
        server.members[gid] = list(dict.fromkeys(picked))
        server.owners[gid] = [ids[rng.randrange(users)]]
        total += len(server.members[gid])
    return total


def change(server: GraphTestServer, count: int, users: int, groups: int, seed: int) -> dict:
    rng = random.Random(seed)
    plan = {"mail": 0, "member_add": 0, "member_remove": 0, "manager": 0}
    for n in range(count):
        roll = n % 10
        if roll < 6:
            i = rng.randrange(users)
            server.update_user(user_id(i), mail=f"u{i}.new{n}@example.test")
            plan["mail"] += 1
        elif roll < 9:
            gid = group_id(rng.randrange(groups))
            if roll % 2 and server.members[gid]:
                server.remove_member(gid, server.members[gid][0])
                plan["member_remove"] += 1
            else:
                server.add_member(gid, user_id(rng.randrange(users)))
                plan["member_add"] += 1
        else:
            i = rng.randrange(1, users)
            server.set_manager(user_id(i), user_id(rng.randrange(i)))
            plan["manager"] += 1
    return plan


def serve(pipe, ca_dir: str, users: int, groups: int, members: int, seed: int) -> None:
    """The child process: the Graph server, driven over `pipe`."""
    context = pipe.recv()  # (cert PEM, key PEM) of the server
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert, key = Path(ca_dir) / "server.pem", Path(ca_dir) / "server.key"
    cert.write_bytes(context[0])
    key.write_bytes(context[1])
    tls.load_cert_chain(cert, key)
    server = GraphTestServer(tls_context=tls, page_size=500, group_page_size=10, member_chunk=2000)
    started = time.perf_counter()
    values = fill(server, users, groups, members, seed)
    server.start()
    pipe.send((server.base_url, values, time.perf_counter() - started))
    while True:
        command = pipe.recv()
        if command[0] == "changes":
            pipe.send(change(server, command[1], users, groups, seed + 1))
        else:
            server.stop()
            return


def setup_django(workdir: str, ca_pem: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dirmgr.settings")
    os.environ.setdefault("DIRMGR_VAR_DIR", workdir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/entra-bench.sqlite3")
    os.environ["DIRMGR_CA_BUNDLE"] = ca_pem
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_store(base_url: str):
    from entrasync.models import EntraConnection
    from identitystores.models import IdentityStore

    store = IdentityStore.objects.create(name="Bench Entra", type=IdentityStore.Type.ENTRA_ID)
    probe = GraphTestServer.__dataclass_fields__
    EntraConnection.objects.create(
        store=store,
        tenant=probe["tenant"].default,
        client_id=probe["client_id"].default,
        client_secret=probe["client_secret"].default,
        authority_url=base_url,
        graph_url=base_url,
        timeout=60,
    )
    return store


def bare_read(store) -> tuple[float, int]:
    """The same delta rounds through the same client, JSON decoded and dropped."""
    from entrasync.graph import GraphClient
    from entrasync.mapping import GROUPS_DELTA, USERS_DELTA

    client = GraphClient(store.entra_connection)
    client.token()
    started, entries = time.perf_counter(), 0
    for path in (USERS_DELTA, GROUPS_DELTA):
        for page, _link in client.pages(path):
            entries += len(page)
    return time.perf_counter() - started, entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--changes", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    if args.smoke:
        args.users, args.groups, args.members, args.changes = 2_000, 100, 40, 100
    workdir = tempfile.mkdtemp(prefix="entra-bench-")
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: str) -> None:
    ca = TestCA.create(Path(workdir))
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("fork").Process(
        target=serve, args=(theirs, workdir, args.users, args.groups, args.members, args.seed)
    )
    child.start()
    ours.send((ca.leaf.cert_chain_pems[0].bytes(), ca.leaf.private_key_pem.bytes()))
    base_url, values, fill_s = ours.recv()
    print(
        f"graph server: {args.users} users, {args.groups} groups, {values} memberships "
        f"in {fill_s:.1f} s",
        flush=True,
    )
    try:
        measure(args, ours, base_url, values, str(ca.ca_pem), workdir)
    finally:
        ours.send(("stop",))
        child.join(10)


def measure(args, pipe, base_url: str, values: int, ca_pem: str, workdir: str) -> None:
    setup_django(workdir, ca_pem)
    from directory.models import GroupMembership
    from entrasync.sync import sync_store

    store = make_store(base_url)
    bare_s, entries = bare_read(store)
    print(f"bare paged read: {entries} entries in {bare_s:.2f} s", flush=True)
    full = sync_store(store)
    print(f"full sync: {full.counts} in {full.duration:.2f} s", flush=True)
    memberships = GroupMembership.objects.filter(group__store=store).count()
    assert memberships == values, (memberships, values)
    pipe.send(("changes", args.changes))
    plan = pipe.recv()
    print(f"changes made in the tenant: {plan}", flush=True)
    incremental = sync_store(store)
    phases = {k: round(v, 2) for k, v in incremental.timings.items()}
    print(
        f"incremental sync: {incremental.counts} in {incremental.duration:.2f} s {phases}",
        flush=True,
    )
    assert incremental.kind == "incremental", incremental.kind
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "users": args.users,
                "groups": args.groups,
                "memberships": values,
                "full_sync_s": round(full.duration, 2),
                "bare_read_s": round(bare_s, 2),
                "ratio": round(full.duration / bare_s, 2),
                "incremental_s": round(incremental.duration, 2),
                "incremental_pct": round(100 * incremental.duration / full.duration, 2),
                "peak_mb": round(peak_mb, 1),
                "changes": args.changes,
            }
        )
    )


if __name__ == "__main__":
    main()
