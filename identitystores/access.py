"""The one access helper every store view uses: a store the admin has no role on is a 404."""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .models import IdentityStore


def stores_for(user) -> QuerySet[IdentityStore]:
    if user.is_superuser:
        return IdentityStore.objects.all()
    return IdentityStore.objects.filter(roles__user=user).distinct()


def get_store_for_admin(request: HttpRequest, store_id: int) -> IdentityStore:
    """The store, if the signed-in admin may manage it; otherwise 404 (no hint that it exists)."""
    try:
        return stores_for(request.user).get(pk=store_id)
    except IdentityStore.DoesNotExist as exc:
        raise Http404("No such identity store.") from exc
