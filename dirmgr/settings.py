"""Settings, all from the environment (django-environ), with defaults that let a bare checkout run.

Every secret may also come from a file: ``SECRET_KEY_FILE=/run/secrets/key`` (FileAwareEnv).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("DIRMGR_VAR_DIR", default=str(BASE_DIR / "var")))

VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.FileAwareEnv()
environ.FileAwareEnv.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# This key is public: `check --deploy` fails on it (dirmgr/checks.py); production sets SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-dirmgr-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Fernet keys for secrets at rest, newest first. Older keys still decrypt, so a rotation is:
# prepend a new key, run `manage.py rotate_encryption_keys`, then drop the old key.
# Without keys, one is derived from SECRET_KEY (fine for a demo, not for production: with the
# public development key `check --deploy` fails).
ENCRYPTION_KEYS = env.list("DIRMGR_ENCRYPTION_KEYS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_htmx",
    "django_filters",
    "dirmgr",
    "identitystores",
    "directory",
    "notifications",
    "catcher",
    "django_celery_beat",
    "lifecycle",
    "ldapsync",
    "entrasync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before LoginRequiredMiddleware: a session past its lifetime or idle timeout is signed out.
    "dirmgr.sessions.SessionLimitsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: live pages answer their own polls with a partial template.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: locks out repeated failed sign-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dirmgr.urls"
WSGI_APPLICATION = "dirmgr.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catcher.context_processors.mailbox",
                "dirmgr.context_processors.live_refresh",
                "dirmgr.secret_banners.secret_banners",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'dirmgr.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web, workers and beat share the file. In SQLite's default DEFERRED mode a transaction that
    # reads before it writes fails at once with "database is locked" when another process holds
    # the write lock (django-celery-beat's schedule sync does this); IMMEDIATE takes the lock at
    # BEGIN and waits up to `timeout` seconds for it instead.
    _sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite_options.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite_options.setdefault("timeout", 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# AxesStandaloneBackend first: it refuses sign-in while an account/address is locked out.
# EntraSignInBackend answers only a validated Microsoft sign-in (entrasync/oidc.py).
# DirectoryBindBackend answers only sign-ins for an identity store (and then never lets the local
# ModelBackend try the same name), by binding to that store's directory.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "entrasync.signin_backend.EntraSignInBackend",
    "ldapsync.auth.DirectoryBindBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (dirmgr/signin_throttle.py, docs/production.md "Sign-in throttling").
# AXES_FAILURE_LIMIT failures for one username from one address lock that pair; the shared limits
# stop password spraying (many usernames from one address) and distributed guessing (one username
# from many addresses), but never lock a username out of an address it signed in from in the last
# SIGNIN_FAMILIAR_DAYS days. 0 turns a shared limit off. All count within the cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HANDLER = "dirmgr.signin_throttle.SignInThrottle"
AXES_USERNAME_CALLABLE = "dirmgr.signin_throttle.username_key"
AXES_CLIENT_IP_CALLABLE = "dirmgr.client_address.client_address"
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("SIGNIN_ADDRESS_FAILURE_LIMIT", default=20)
SIGNIN_USERNAME_FAILURE_LIMIT = env.int("SIGNIN_USERNAME_FAILURE_LIMIT", default=20)
SIGNIN_FAMILIAR_DAYS = env.int("SIGNIN_FAMILIAR_DAYS", default=30)
# The client address comes from X-Forwarded-For only when the connection comes from one of these
# reverse proxies (addresses or networks); TRUSTED_PROXY_COUNT is how many proxies in a row append
# to that header. Empty (the default): the header is ignored and the peer address is the client.
TRUSTED_PROXIES = env.list("DIRMGR_TRUSTED_PROXIES", default=[])
TRUSTED_PROXY_COUNT = env.int("DIRMGR_TRUSTED_PROXY_COUNT", default=1)

# Sessions end SESSION_LIFETIME_HOURS after sign-in and after SESSION_IDLE_MINUTES without a
# request, whichever comes first; the sign-in password kept (encrypted) in the session goes with
# them. Expired sessions are deleted by the beat job "clear-expired-sessions".
SESSION_LIFETIME_SECONDS = int(env.float("SESSION_LIFETIME_HOURS", default=8.0) * 3600)
SESSION_IDLE_SECONDS = int(env.float("SESSION_IDLE_MINUTES", default=60.0) * 60)
SESSION_COOKIE_AGE = min(SESSION_LIFETIME_SECONDS, SESSION_IDLE_SECONDS)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "identitystores:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from the source folders unless collectstatic was run (production images run it).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG

# Behind HTTPS (production): redirect, secure cookies, HSTS. Off for the local http demo; the
# production env file and docker-compose turn it on, and then `check --deploy` is clean.
HTTPS = env.bool("DIRMGR_HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Joining the browsers' HSTS preload list binds the whole domain: the admin opts in, not us.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True

# Shared between web and worker processes (e.g. the OAuth token cache, rate limits).
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# Celery. The default broker keeps messages in files under var/ so nothing needs a server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# A broker that is down, or accepts connections and never answers, must not hold a web request:
# each connect and each command gives up after BROKER_TIMEOUT_SECONDS and a publish is tried
# twice, so queueing costs a request about two timeouts at most. Outbox rows stay committed and
# the sweeper queues them once the broker is back.
BROKER_TIMEOUT_SECONDS = env.float("BROKER_TIMEOUT_SECONDS", default=1.0)
# After a failed publish a process stops publishing for this long (core/queueing.py): with the
# broker down, a burst of changes pays the timeout once; the sweeper queues their rows later.
BROKER_PAUSE_SECONDS = env.float("BROKER_PAUSE_SECONDS", default=30.0)
BROKER_SOCKET_TIMEOUTS = {
    "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
    "socket_timeout": BROKER_TIMEOUT_SECONDS,
}
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)  # kombu does not create it
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Longer than the longest retry countdown (MAIL_RETRY_MAX_SECONDS plus jitter) and any task,
    # so a delayed task is not handed to a second worker; dead workers are covered by the sweeper.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200),
        **BROKER_SOCKET_TIMEOUTS,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
# The worker heartbeat that /health/ reports: beat sends it, a worker runs it (dirmgr/health.py).
CELERY_IMPORTS = ["dirmgr.health", "dirmgr.sessions", "dirmgr.secret_expiry"]
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "dirmgr.health.record_heartbeat",
        "schedule": 30.0,
        # django-celery-beat's DatabaseScheduler stores this as the entry's expiry.
        "options": {"expire_seconds": 25},
    },
    "clear-expired-sessions": {
        "task": "dirmgr.sessions.clear_expired_sessions",
        "schedule": 3600.0,
    },
    "sweep-outbox": {
        "task": "notifications.sweep_outbox",
        "schedule": env.float("MAIL_SWEEP_INTERVAL_SECONDS", default=60.0),
    },
}
# Schedules live in the database (django-celery-beat): the entries above are synced into it at
# start, and each store's life-cycle jobs are edited on its Schedules page.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE["ldap-sync"] = {
    "task": "ldapsync.sync_all",
    "schedule": env.float("LDAP_SYNC_INTERVAL_SECONDS", default=300.0),
}
CELERY_BEAT_SCHEDULE["entra-sync"] = {
    "task": "entrasync.sync_all",
    "schedule": env.float("ENTRA_SYNC_INTERVAL_SECONDS", default=300.0),
}
# Client secrets that expire soon: mailed 30, 7 and 1 days before (dirmgr/secret_expiry.py).
CELERY_BEAT_SCHEDULE["secret-expiry"] = {
    "task": "dirmgr.secret_expiry.warn_secret_expiry",
    "schedule": env.float("SECRET_EXPIRY_CHECK_SECONDS", default=86400.0),
}
CELERY_TASK_ROUTES = {
    "notifications.deliver": {"queue": "mail"},
    "notifications.sweep_outbox": {"queue": "mail"},
}

# Outbox delivery (notifications/delivery/; the schedule is written down in docs/delivery.md).
MAIL_CONNECTIONS_PER_STORE = env.int("MAIL_CONNECTIONS_PER_STORE", default=4)
MAIL_TASK_BATCH_SIZE = env.int("MAIL_TASK_BATCH_SIZE", default=100)
# A delivery for a store without sending limits also takes the store's other due rows, up to this
# many in all: a burst goes out in a few large batches rather than one per task.
MAIL_CLAIM_LIMIT = env.int("MAIL_CLAIM_LIMIT", default=500)
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=8)
MAIL_RETRY_BASE_SECONDS = env.float("MAIL_RETRY_BASE_SECONDS", default=60.0)
MAIL_RETRY_MAX_SECONDS = env.float("MAIL_RETRY_MAX_SECONDS", default=3600.0)
# Messages deleted on the Outbox page can be restored for this long; the sweeper then purges them.
OUTBOX_RESTORE_HOURS = env.int("OUTBOX_RESTORE_HOURS", default=24)
# A store is flagged "delivery is failing" (store list, Notifications page, Outbox) when within
# DELIVERY_FAILING_HOURS a message failed for good or was retried MAIL_FAILING_ATTEMPTS times.
DELIVERY_FAILING_HOURS = env.int("DELIVERY_FAILING_HOURS", default=24)
MAIL_FAILING_ATTEMPTS = env.int("MAIL_FAILING_ATTEMPTS", default=3)
# A due row nobody claimed for this long lost its task (broker down, task dropped): re-enqueue.
MAIL_LOST_AFTER_SECONDS = env.float("MAIL_LOST_AFTER_SECONDS", default=60.0)
# A row "sending" for this long belongs to a dead worker: it goes back to the queue.
MAIL_SENDING_STALE_SECONDS = env.float("MAIL_SENDING_STALE_SECONDS", default=600.0)
# The length of a "minute" for send lanes (notifications/delivery/lanes.py): sending limits per
# minute and per day are counted in these. Only benchmarks and tests shorten it.
DIRMGR_LANE_MINUTE_SECONDS = env.float("DIRMGR_LANE_MINUTE_SECONDS", default=60.0)

# Where admins' settings may make this server connect (SMTP, token endpoint, Graph, LDAP):
# "network-or-host[:port]" entries. Denied entries are refused; when the allowed list is set,
# everything else is refused too. Link-local and metadata addresses are always refused. The old
# name TEST_SERVER_ALLOWED_DESTINATIONS is still read. See core/destinations.py.
DIRMGR_DESTINATIONS_ALLOWED = env.list(
    "DIRMGR_DESTINATIONS_ALLOWED",
    default=env.list("TEST_SERVER_ALLOWED_DESTINATIONS", default=[]),
)
DIRMGR_DESTINATIONS_DENIED = env.list("DIRMGR_DESTINATIONS_DENIED", default=[])
# Stores without SMTP user authentication sign in with the acting admin's own password, over TLS
# only, to a server that admin saved or confirmed — or to one of these "network-or-host[:port]"
# entries, which every admin trusts without a confirmation (notifications/acting.py).
DIRMGR_ACTING_CREDENTIALS_HOSTS = env.list("DIRMGR_ACTING_CREDENTIALS_HOSTS", default=[])

# Outgoing TLS (SMTP, token endpoint, Graph, LDAPS) trusts the system CAs plus this PEM bundle if
# set (core/tls.py). The old name SMTP_CA_BUNDLE is still read; `check` warns until it is renamed.
DIRMGR_CA_BUNDLE = env.str("DIRMGR_CA_BUNDLE", default=env.str("SMTP_CA_BUNDLE", default=""))
# "SSL enabled" means implicit TLS on these ports and STARTTLS on every other port.
SMTP_IMPLICIT_TLS_PORTS = env.list("SMTP_IMPLICIT_TLS_PORTS", cast=int, default=[465])
# Where Office 365 (Graph) stores get their tokens: https://<this host>/<tenant in Scope>.
GRAPH_LOGIN_AUTHORITY_HOST = env.str(
    "GRAPH_LOGIN_AUTHORITY_HOST", default="login.microsoftonline.com"
)

# The bearer token Prometheus sends to /metrics; unset, /metrics answers 404 (dirmgr/metrics.py).
DIRMGR_METRICS_TOKEN = env.str("DIRMGR_METRICS_TOKEN", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# The Mailbox page shows what the local mail catcher (manage.py run_mail_catcher) received: each
# admin the mail of their own stores, superusers all of it. A development and demo tool, off
# unless DIRMGR_MAILBOX=true (scripts/run sets it). The old MAILBOX_ENABLED is not read: it was on
# in copied production configurations (catcher/checks.py warns while it is still set).
MAILBOX_ENABLED = env.bool("DIRMGR_MAILBOX", default=False)
# Live pages (Outbox, an outbox row, Mailbox, Directory connection, Schedules) ask the server
# for their changing part this often. These polls do not count as activity for the idle timeout.
LIVE_REFRESH_SECONDS = env.int("LIVE_REFRESH_SECONDS", default=5)
# Recipients per notification message beyond To:/CC: (in Bcc), so no message exceeds server limits.
NOTIFICATION_BCC_BATCH = env.int("NOTIFICATION_BCC_BATCH", default=100)
# Life-cycle items handled per transaction (lifecycle/runs.py): a killed run redoes at most one
# chunk, and each chunk reads and writes its rows together.
LIFECYCLE_CHUNK = env.int("LIFECYCLE_CHUNK", default=200)

# LDAP / Active Directory stores (ldapsync, docs/ldap.md). Incremental sync runs every
# LDAP_SYNC_INTERVAL_SECONDS (beat); a reconciliation (deletes, renames) when the last is older
# than LDAP_RECONCILE_INTERVAL_SECONDS. The overlap is the clock skew allowed between this server
# and the directory: each pass re-reads changes stamped up to that long before it started.
LDAP_RECONCILE_INTERVAL_SECONDS = env.float("LDAP_RECONCILE_INTERVAL_SECONDS", default=3600.0)
LDAP_SYNC_OVERLAP_SECONDS = env.float("LDAP_SYNC_OVERLAP_SECONDS", default=60.0)
# A claim on a store's sync older than this belongs to a dead process.
LDAP_SYNC_STALE_SECONDS = env.float("LDAP_SYNC_STALE_SECONDS", default=3600.0)
# Sync refuses to delete more than this fraction of a store's objects in one pass.
LDAP_SYNC_MAX_DELETE_FRACTION = env.float("LDAP_SYNC_MAX_DELETE_FRACTION", default=0.5)
# Directory users signing in for the first time get no role unless this is set: then they become
# administrators of the store they signed in with.
LDAP_SIGNIN_GRANT_ROLE = env.bool("LDAP_SIGNIN_GRANT_ROLE", default=False)

# Microsoft Entra ID stores (entrasync, docs/entra-id.md). Incremental (delta) sync runs every
# ENTRA_SYNC_INTERVAL_SECONDS. Graph's throttling answers (429, 503) are retried after the
# Retry-After they give, at most ENTRA_GRAPH_RETRIES times and never longer than
# ENTRA_GRAPH_MAX_WAIT_SECONDS per wait (a longer one fails the pass; the next one resumes).
ENTRA_GRAPH_RETRIES = env.int("ENTRA_GRAPH_RETRIES", default=5)
ENTRA_GRAPH_MAX_WAIT_SECONDS = env.float("ENTRA_GRAPH_MAX_WAIT_SECONDS", default=120.0)
