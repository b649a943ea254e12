"""The life-cycle app's models, importable as `lifecycle.models` (where Django looks for them):
dated windows (`windows`), attestation removal marks (`attestation`), the password-expiry group
(`password`) and the record of job runs (`runs`).
"""

from .attestation import AttestationRemoval
from .password import ENTRA_RULE, PasswordExpiryGroup, PasswordExpiryMember
from .runs import JobRun
from .windows import (
    TEMPORARY_SECURITY_TYPES,
    State,
    TemporaryManagedBy,
    TemporaryMembership,
)

__all__ = [
    "ENTRA_RULE",
    "TEMPORARY_SECURITY_TYPES",
    "AttestationRemoval",
    "JobRun",
    "PasswordExpiryGroup",
    "PasswordExpiryMember",
    "State",
    "TemporaryManagedBy",
    "TemporaryMembership",
]
