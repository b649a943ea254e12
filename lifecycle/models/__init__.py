"""The life-cycle app's models, importable as `lifecycle.models` (where Django looks for them):
dated windows and attestation marks (`windows`), the password-expiry group (`password`) and the
record of job runs (`runs`).
"""

from .password import ENTRA_RULE, PasswordExpiryGroup, PasswordExpiryMember
from .runs import JobRun
from .windows import (
    TEMPORARY_SECURITY_TYPES,
    AttestationRemoval,
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
