from django.urls import path

from . import views, views_temporary

app_name = "lifecycle"
urlpatterns = [
    path(
        "identity-stores/<id:store_id>/schedules/",
        views.schedules_page,
        name="schedules",
    ),
    path(
        "identity-stores/<id:store_id>/schedules/preview/",
        views.schedule_preview,
        name="schedule_preview",
    ),
    path(
        "identity-stores/<id:store_id>/schedules/password-expiry-group/",
        views.password_group,
        name="password_group",
    ),
    path(
        "identity-stores/<id:store_id>/temporary-memberships/",
        views_temporary.temporary_memberships,
        name="temporary_memberships",
    ),
    path(
        "identity-stores/<id:store_id>/temporary-owners-managers/",
        views_temporary.temporary_managed_by,
        name="temporary_managed_by",
    ),
    path(
        "identity-stores/<id:store_id>/temporary-memberships/<id:item_id>/cancel/",
        views_temporary.cancel_membership,
        name="temporary_membership_cancel",
    ),
    path(
        "identity-stores/<id:store_id>/temporary-owners-managers/<id:item_id>/cancel/",
        views_temporary.cancel_managed_by,
        name="temporary_managed_by_cancel",
    ),
]
