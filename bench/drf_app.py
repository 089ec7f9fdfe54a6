"""Django REST framework's anchor for bench/web-load: staffdb's employees, read by DRF.

usage: STAFFDB_DRF_URL=URL gunicorn --chdir bench drf_app:application
  URL: sqlite:////abs/path.db or postgresql://user@host:port/db (postgres:// too), the database
       `staffdb serve` is serving, read as it is (no migration, no write).

What a Django user writes for the same JSON list: a `ModelSerializer` of the employees table with
the department's name beside its id (`select_related`, one query a page), a `ListAPIView` with
`CursorPagination` (50 a page, by id, DRF's keyset pages), `OrderingFilter` for `?ordering=name`
(the cursor then follows that order) and the employees' filters (`position`, `min_age`,
`max_age`) as `get_queryset` reads them. No authentication, no permissions, no sessions: DRF's
cheapest path, so that the comparison is of the list itself. Standalone Django
(`settings.configure`, no project). Needs: pip install 'django>=5.2,<5.3' djangorestframework
gunicorn, and psycopg2-binary for PostgreSQL.

Routes: GET /api/employees/?ordering=name&position=&min_age=&max_age=&cursor=
"""
import os
from urllib.parse import unquote, urlsplit

import django
from django.apps import AppConfig
from django.conf import settings


class BenchConfig(AppConfig):
    """This module as the Django app that holds the two unmanaged models."""

    name = "drf_app"
    label = "drf_app"
    path = os.path.dirname(os.path.abspath(__file__))


def database(url):
    """Django's DATABASES entry for a staffdb URL."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path)}
    if parts.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "127.0.0.1",
            "PORT": parts.port or 5432,
            "CONN_MAX_AGE": None,
        }
    raise SystemExit(f"error: STAFFDB_DRF_URL must be sqlite:// or postgres://, not {url!r}")


settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY="bench-only",
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["rest_framework", "drf_app.BenchConfig"],
    DATABASES={"default": database(os.environ["STAFFDB_DRF_URL"])},
    USE_TZ=False,
    MIDDLEWARE=[],
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

from django.db import models  # noqa: E402  (after setup, as standalone Django needs)
from django.urls import path  # noqa: E402
from rest_framework import filters, generics, pagination, serializers  # noqa: E402


class Department(models.Model):
    name = models.TextField()

    class Meta:
        app_label = "drf_app"
        db_table = "departments"
        managed = False


class Employee(models.Model):
    name = models.TextField()
    age = models.IntegerField()
    position = models.TextField()
    email = models.TextField(null=True)
    department = models.ForeignKey(Department, null=True, on_delete=models.DO_NOTHING)
    hired_on = models.DateField(null=True)
    version = models.IntegerField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        app_label = "drf_app"
        db_table = "employees"
        managed = False


class EmployeeSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.name", default=None)

    class Meta:
        model = Employee
        fields = ["id", "name", "age", "position", "email", "department_id", "hired_on",
                  "version", "created_at", "updated_at", "department"]


class Pages(pagination.CursorPagination):
    page_size = 50
    ordering = "id"


class EmployeeList(generics.ListAPIView):
    serializer_class = EmployeeSerializer
    pagination_class = Pages
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["id", "name", "age", "position", "hired_on"]

    def get_queryset(self):
        rows = Employee.objects.select_related("department")
        params = self.request.query_params
        if "position" in params:
            rows = rows.filter(position=params["position"])
        if "min_age" in params:
            rows = rows.filter(age__gte=int(params["min_age"]))
        if "max_age" in params:
            rows = rows.filter(age__lte=int(params["max_age"]))
        return rows


urlpatterns = [path("api/employees/", EmployeeList.as_view())]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
