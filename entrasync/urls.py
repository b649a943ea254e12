from django.urls import path

from . import views

app_name = "entrasync"
urlpatterns = [
    path(
        "identity-stores/<id:store_id>/entra-connection/",
        views.entra_connection,
        name="connection",
    ),
    path(
        "identity-stores/<id:store_id>/entra-connection/sync/",
        views.sync_now,
        name="sync_now",
    ),
]
