from django.urls import path

from . import views, views_create, views_delete

app_name = "directory"
urlpatterns = [
    path("identity-stores/<id:store_id>/directory/", views.directory_list, name="list"),
    path(
        "identity-stores/<id:store_id>/directory/new/<str:kind>/",
        views_create.create_object,
        name="create",
    ),
    path(
        "identity-stores/<id:store_id>/directory/<id:object_id>/",
        views.directory_object,
        name="object",
    ),
    path(
        "identity-stores/<id:store_id>/directory/<id:object_id>/delete/",
        views_delete.delete_object,
        name="delete",
    ),
]
