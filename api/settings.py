"""API settings; every one can be set by an environment variable ``PROVER_API_<FIELD>``."""

from __future__ import annotations

import ipaddress

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Who may call the API and how much. Environment variables: ``PROVER_API_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PROVER_API_")

    host: str = Field(default="127.0.0.1", description="Bind address; not loopback: auth on.")
    port: int = Field(default=8080, ge=0, le=65535)
    keys: str = Field(
        default="",
        description="Comma-separated sha256 hex digests of the accepted bearer tokens.",
    )
    admin_keys: str = Field(
        default="",
        description="Digests (as in `keys`, and accepted too) of keys that see every "
        "tenant's jobs and feedback; other keys see only their own.",
    )
    rate_per_minute: float = Field(
        default=120.0, gt=0, description="Requests per minute per key (per client IP without auth)."
    )
    max_active_jobs: int = Field(
        default=100, ge=1, description="Unfinished jobs one key (or client IP) may have."
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Largest request body.")
    cors_origins: str = Field(
        default="", description="Comma-separated origins allowed by CORS; empty: CORS off."
    )
    check_timeout_s: float = Field(
        default=120.0, gt=0, description="How long POST /v1/check waits for its verdict."
    )
    keepalive_s: float = Field(
        default=15.0, gt=0, description="A comment is sent on an idle event stream this often."
    )

    def key_hashes(self) -> frozenset[str]:
        """Every accepted key's digest, admin keys included."""
        return _digests(self.keys) | self.admin_hashes()

    def admin_hashes(self) -> frozenset[str]:
        return _digests(self.admin_keys)

    def origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def auth_required(self) -> bool:
        """Keys set, or a bind address other people can reach."""
        return bool(self.key_hashes()) or not is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _digests(text: str) -> frozenset[str]:
    return frozenset(k.strip().lower() for k in text.split(",") if k.strip())
