"""Employees workload benchmark, Django 5.2's ORM (a peer of shared/bench/sqlalchemy_workload.py).

usage: python3 django_workload.py <n> <url>
  url: sqlite:////abs/path.db (file deleted first), postgresql://user:pass@host:port/db or
       mysql://user:pass@host:port/db (also postgres://, postgresql+psycopg2://, mysql+pymysql://;
       tables dropped and created).
  env JOURNAL=wal: SQLite in WAL mode, as the harness runs the SQLAlchemy references.

Standalone Django (settings.configure, no project), on the `full` model: the table a Django user
writes to store what staffdb stores -- a departments table, email UNIQUE, department_id FK,
hired_on, a version counter, created_at/updated_at (auto_now_add/auto_now), CHECK on age,
indexes on position and department_id. The script creates its tables itself (schema_editor, as
`migrate --run-syncdb` would), on a database of its own.

It prints one `RESULT ...` line with the fields sqlalchemy_workload.py prints, plus
`hash=` (xxh3-64 of the load output, as the Rust harness hashes it), so the harness checks the
bytes as well as their count. Needs: pip install 'django>=5.2,<5.3' xxhash, and psycopg2-binary
for PostgreSQL, mysqlclient for MariaDB/MySQL (a C build: libmariadb-dev and pkg-config).
Data generator is identical to the Rust bench (splitmix64, seed 42).
"""
import os
import sys
import time
from urllib.parse import unquote, urlsplit

import django
import xxhash
from django.conf import settings

FIRST = ["Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy",
         "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil"]
LAST = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts",
        "Walker", "Wright", "Green", "Hall", "Wood", "Clarke", "Baker"]
POSITIONS = ["Manager", "Developer", "Designer", "Tester", "Analyst", "Architect", "Support",
             "Intern"]
M64 = (1 << 64) - 1

# Rows per INSERT asked of bulk_create (the raw Diesel peer's chunk). Django caps it on SQLite
# at 999 bind variables per statement, i.e. 111 rows of 9 columns; PostgreSQL takes it whole.
BATCH = 5_000
# Rows per fetch of the load's iterator (Django's default, spelled out): one FETCH from a
# server-side cursor on PostgreSQL, one fetchmany() on SQLite. Also the hashing batch.
CHUNK = 2_000


def gen_rows(n):
    """The workload's rows: (name, age, position), as sqlalchemy_workload.py makes them."""
    s = 42
    out = []
    for _ in range(n):
        s = (s + 0x9E3779B97F4A7C15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        x = z ^ (z >> 31)
        name = f"{FIRST[x & 15]} {LAST[(x >> 4) & 15]} {(x >> 8) % 100000}"
        out.append((name, 18 + (x >> 32) % 48, POSITIONS[(x >> 40) & 7]))
    return out


def database_settings(url):
    """Django's DATABASES["default"] for a sqlite:///…, postgres or mysql URL."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        options = {}
        if os.environ.get("JOURNAL", "").lower() == "wal":
            # Run on every new connection (Django >= 5.1), like the SQLAlchemy script's PRAGMA.
            options["init_command"] = "PRAGMA journal_mode=WAL"
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": options}
    parts = urlsplit(url)
    # postgresql+psycopg2:// and mysql+pymysql:// (SQLAlchemy's forms) name the same servers.
    scheme = parts.scheme.split("+")[0]
    engines = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}
    if scheme not in engines:
        raise SystemExit(f"unsupported URL {url!r}: use sqlite:///…, postgresql://… or mysql://…")
    db = {
        "ENGINE": f"django.db.backends.{engines[scheme]}",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }
    if scheme == "mysql":
        db["OPTIONS"] = {"charset": "utf8mb4"}  # through mysqlclient, Django's MySQL driver
    return db


def remove_sqlite_file(url):
    """Deletes a SQLite database and its journal files, as sqlalchemy_workload.py does."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.remove(path + suffix)
            except FileNotFoundError:
                pass


N = int(sys.argv[1]) if len(sys.argv) > 2 else 0
URL = sys.argv[2] if len(sys.argv) > 2 else ""
if not URL:
    raise SystemExit(__doc__)
remove_sqlite_file(URL)

# Standalone Django: settings in code, no project. DEBUG stays off (with it on, every query is
# kept in connection.queries); USE_TZ as a new project has it, so timestamps are UTC instants.
settings.configure(
    DATABASES={"default": database_settings(URL)},
    INSTALLED_APPS=[],
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEBUG=False,
)
django.setup()

# Imported after setup(): models need the app registry.
from django.db import connection, models, transaction  # noqa: E402
from django.db.models import F, Q  # noqa: E402
from django.db.models.functions import Now  # noqa: E402


class Department(models.Model):
    """staffdb's departments table."""
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "staffbench"  # a minimal app of this script's own, not in INSTALLED_APPS
        db_table = "departments"
        # In Meta rather than unique=True, for the reason given on Employee.
        constraints = [models.UniqueConstraint(fields=["name"], name="departments_name_key")]


class Employee(models.Model):
    """staffdb's employees table, the way a Django user declares it.

    Indexes and the UNIQUE on email are in Meta, not `db_index=True`/`unique=True` on the
    fields: on PostgreSQL those would add a second, `varchar_pattern_ops` index to each
    CharField, which staffdb's table does not have. The ForeignKey brings its own index.
    """
    name = models.CharField(max_length=200)
    age = models.IntegerField()
    position = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, null=True, blank=True)
    department = models.ForeignKey(Department, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="employees")
    hired_on = models.DateField(null=True, blank=True)
    # Django has no optimistic-locking counter of its own: the code below bumps it.
    version = models.IntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "staffbench"
        db_table = "employees"
        indexes = [models.Index(fields=["position"], name="employees_position_idx")]
        constraints = [
            models.UniqueConstraint(fields=["email"], name="employees_email_key"),
            models.CheckConstraint(condition=Q(age__range=(0, 150)), name="employees_age_check"),
        ]


def create_tables():
    """Drops and creates both tables, as `migrate --run-syncdb` would create them."""
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in (Employee, Department):
            if model._meta.db_table in existing:
                editor.delete_model(model)
        for model in (Department, Employee):
            editor.create_model(model)


def insert_batch_size(n):
    """The rows per INSERT that bulk_create will really send (for the RESULT line)."""
    fields = [f for f in Employee._meta.concrete_fields if not f.primary_key]
    cap = connection.ops.bulk_batch_size(fields, [None] * max(n, 1))
    return min(BATCH, cap) if cap else BATCH


def main():
    n = N
    create_tables()
    connection.ensure_connection()  # connect before the clock starts, as every peer does
    rows = gen_rows(n)
    ids = [(i * 7919) % n + 1 for i in range(1000)]
    t = {}

    # insert: model instances, bulk_create in batches, one transaction.
    s0 = time.perf_counter()
    with transaction.atomic():
        Employee.objects.bulk_create(
            [Employee(name=a, age=b, position=c) for a, b, c in rows], batch_size=BATCH)
    t["insert"] = time.perf_counter() - s0
    del rows

    # load: values_list, not model instances -- the line needs four values, and building a
    # model per row (Model.from_db, __init__, the pre_init/post_init signals) is the ORM's
    # slowest path; .iterator() streams instead of caching the whole result in the queryset.
    # In a transaction: on PostgreSQL the server-side cursor is then not WITH HOLD (which
    # would copy the whole result on the server at the autocommit).
    s0 = time.perf_counter()
    digest = xxhash.xxh3_64()
    out_bytes = 0
    lines = []
    with transaction.atomic():
        listing = Employee.objects.order_by("id").values_list("id", "name", "age", "position")
        for pk, name, age, position in listing.iterator(chunk_size=CHUNK):
            lines.append(f"ID: {pk}, Name: {name}, Age: {age}, Position: {position}\n")
            if len(lines) == CHUNK:
                # Hashed a batch of lines at a time: the same xxh3 stream as line by line.
                data = "".join(lines).encode()
                digest.update(data)
                out_bytes += len(data)
                lines.clear()
    data = "".join(lines).encode()
    digest.update(data)
    out_bytes += len(data)
    t["load"] = time.perf_counter() - s0
    del lines, data

    # upd_set: one UPDATE; update() skips auto_now, so updated_at and version are set here.
    s0 = time.perf_counter()
    Employee.objects.filter(position="Developer").update(
        age=F("age") + 1, version=F("version") + 1, updated_at=Now())
    t["upd_set"] = time.perf_counter() - s0

    # upd_row: get() then save(update_fields=...) per row -- one SELECT and one UPDATE of
    # those columns only (auto_now sets updated_at because it is listed), in one transaction.
    s0 = time.perf_counter()
    with transaction.atomic():
        for i in ids:
            e = Employee.objects.get(pk=i)
            e.age += 1
            e.position = "Senior Developer"
            e.version += 1
            e.save(update_fields=["age", "position", "version", "updated_at"])
    t["upd_row"] = time.perf_counter() - s0

    # delete: QuerySet.delete() collects related objects first, but Employee has no reverse
    # relations and no delete signals, so the collector takes its fast path: one
    # `DELETE ... WHERE age > 60`, no rows fetched.
    s0 = time.perf_counter()
    Employee.objects.filter(age__gt=60).delete()
    t["delete"] = time.perf_counter() - s0

    s0 = time.perf_counter()
    remaining = Employee.objects.count()
    t["count"] = time.perf_counter() - s0

    total = sum(t.values())
    journal = "wal" if os.environ.get("JOURNAL", "").lower() == "wal" else "default"
    vendor = {"postgresql": "-pg", "mysql": "-mysql"}.get(connection.vendor, "")
    print(f"RESULT impl=django-full{vendor} n={n} "
          f"chunk={insert_batch_size(n)} journal={journal} "
          + " ".join(f"{k}={v:.4f}" for k, v in t.items())
          + f" total={total:.4f} remaining={remaining} out_bytes={out_bytes}"
          + f" hash={digest.intdigest():016x}")


if __name__ == "__main__":
    main()
