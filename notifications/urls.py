from django.urls import path

from .views import acting, explain, outbox, outbox_row, server_check, settings_page, templates

app_name = "notifications"
urlpatterns = [
    path(
        "identity-stores/<id:store_id>/email-templates/",
        templates.template_list,
        name="email_templates",
    ),
    path(
        "identity-stores/<id:store_id>/email-templates/new/",
        templates.template_edit,
        name="email_template_create",
    ),
    path(
        "identity-stores/<id:store_id>/email-templates/restore/",
        templates.template_restore,
        name="email_template_restore",
    ),
    path(
        "identity-stores/<id:store_id>/email-templates/<id:template_id>/",
        templates.template_edit,
        name="email_template_edit",
    ),
    path(
        "identity-stores/<id:store_id>/email-templates/<id:template_id>/delete/",
        templates.template_delete,
        name="email_template_delete",
    ),
    path("identity-stores/<id:store_id>/outbox/", outbox.outbox_page, name="outbox"),
    path(
        "identity-stores/<id:store_id>/outbox/<id:message_id>/",
        outbox_row.row_page,
        name="outbox_row",
    ),
    path(
        "identity-stores/<id:store_id>/smtp-server/confirm/",
        acting.confirm,
        name="acting_confirm",
    ),
    path(
        "identity-stores/<id:store_id>/smtp-server/not-me/",
        acting.decline,
        name="acting_decline",
    ),
    path(
        "identity-stores/<id:store_id>/configurations/notifications/",
        settings_page.notifications_page,
        name="settings",
    ),
    path(
        "identity-stores/<id:store_id>/configurations/notifications/who-would-be-notified/",
        explain.explain_page,
        name="explain",
    ),
    path(
        "identity-stores/<id:store_id>/configurations/notifications/test-server/",
        server_check.check_server,
        name="test_server",
    ),
]
