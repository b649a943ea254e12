from django.urls import path

from .views import outbox, settings_page, test_server

app_name = "notifications"
urlpatterns = [
    path("identity-stores/<int:store_id>/outbox/", outbox.outbox_page, name="outbox"),
    path(
        "identity-stores/<int:store_id>/configurations/notifications/",
        settings_page.notifications_page,
        name="settings",
    ),
    path(
        "identity-stores/<int:store_id>/configurations/notifications/test-server/",
        test_server.test_server,
        name="test_server",
    ),
]
