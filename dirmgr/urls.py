"""Top-level URLs: sign-in, identity stores, portals, the directory, notifications."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from core import converters  # noqa: F401  (registers <id:...> before the includes below)
from dirmgr.health import health
from dirmgr.help import help_page
from dirmgr.metrics import metrics
from dirmgr.signin import SignInView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="identitystores:list"), name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("entrasync.signin_urls")),
    path("", include("identitystores.urls")),
    path("", include("directory.urls")),
    path("", include("notifications.urls")),
    path("", include("catcher.urls")),
    path("", include("ldapsync.urls")),
    path("", include("entrasync.urls")),
    path("", include("lifecycle.urls")),
    path("health/", health, name="health"),
    path("metrics", metrics, name="metrics"),
    path("help/<slug:name>/", help_page, name="help"),
]
