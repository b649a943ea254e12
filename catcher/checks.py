"""A warning for deployments still setting MAILBOX_ENABLED, which is no longer read.

The old variable defaulted to on and was set to true in the example production configuration,
so honouring it would keep every store's caught mail on show after an upgrade. The Mailbox now
opens only with DIRMGR_MAILBOX=true; the leftover variable is flagged so nobody relies on it.
"""

from __future__ import annotations

import os

from django.core.checks import Warning, register

LEGACY_VARIABLE = "MAILBOX_ENABLED"


@register()
def legacy_mailbox_variable(app_configs, **kwargs) -> list[Warning]:
    if LEGACY_VARIABLE not in os.environ:
        return []
    return [
        Warning(
            f"{LEGACY_VARIABLE} is no longer read: the Mailbox is off unless DIRMGR_MAILBOX=true.",
            hint="Remove MAILBOX_ENABLED; set DIRMGR_MAILBOX=true only for trials and demos.",
            id="catcher.W001",
        )
    ]
