"""``manage.py check --deploy`` stops a release that would run on the public development key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "x" * 20 + "-production-secret-key-with-enough-entropy-9f8e7d"
PRODUCTION = {"DEBUG": "false", "DIRMGR_HTTPS": "true", "ALLOWED_HOSTS": "dirmgr.example.com"}


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """The check as an operator runs it, with only these variables (no .env of the checkout)."""
    environment = {**PRODUCTION, "DIRMGR_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_fails_without_a_secret_key_or_encryption_keys(tmp_path):
    result = check_deploy(tmp_path)

    assert result.returncode != 0
    assert "(dirmgr.E001) SECRET_KEY is the public development key" in result.stderr
    assert (
        "(dirmgr.E002) Stored secrets are encrypted with a key derived from the public "
        "development SECRET_KEY" in result.stderr
    )


def test_it_fails_on_the_public_secret_key_even_with_encryption_keys(tmp_path):
    result = check_deploy(tmp_path, DIRMGR_ENCRYPTION_KEYS=Fernet.generate_key().decode())

    assert result.returncode != 0
    assert "dirmgr.E001" in result.stderr
    assert "dirmgr.E002" not in result.stderr


def test_it_passes_with_a_secret_key_of_the_operators_own(tmp_path):
    result = check_deploy(tmp_path, SECRET_KEY=REAL_KEY)

    assert result.returncode == 0, result.stderr
    assert "dirmgr.E0" not in result.stdout + result.stderr
