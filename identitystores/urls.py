from django.urls import path

from . import views

app_name = "identitystores"
urlpatterns = [
    path("identity-stores/", views.store_list, name="list"),
    path("identity-stores/new/", views.store_create, name="create"),
    path("identity-stores/<id:store_id>/edit/", views.store_edit, name="edit"),
    path("identity-stores/<id:store_id>/delete/", views.store_delete, name="delete"),
    path(
        "identity-stores/<id:store_id>/configurations/",
        views.configurations,
        name="configurations",
    ),
    path("identity-stores/<id:store_id>/history/", views.history, name="history"),
    path("portals/", views.portal_list, name="portal_list"),
    path("portals/new/", views.portal_edit, name="portal_create"),
    path("portals/<id:portal_id>/edit/", views.portal_edit, name="portal_edit"),
    path("portals/<id:portal_id>/delete/", views.portal_delete, name="portal_delete"),
]
