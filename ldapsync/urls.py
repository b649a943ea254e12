from django.urls import path

from . import views

app_name = "ldapsync"
urlpatterns = [
    path(
        "identity-stores/<id:store_id>/directory-connection/",
        views.directory_connection,
        name="connection",
    ),
    path(
        "identity-stores/<id:store_id>/directory-connection/sync/",
        views.sync_now,
        name="sync_now",
    ),
]
