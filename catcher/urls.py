from django.urls import path

from . import views

app_name = "catcher"
urlpatterns = [
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<id:message_id>/", views.message_detail, name="message"),
    path("mailbox/empty/", views.empty_mailbox, name="empty"),
]
