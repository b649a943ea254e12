from django.contrib import admin

from .models import AuditEntry, IdentityStore, Portal, StoreRole

admin.site.register(IdentityStore)
admin.site.register(Portal)
admin.site.register(StoreRole)
admin.site.register(AuditEntry)
