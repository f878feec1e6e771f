"""Bearer API keys (stored as sha256 digests), per-client rate limits and job caps."""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass

from fastapi.security import HTTPBearer

from api.errors import ApiError
from prover.core.jobs import FINAL_STATUSES
from prover.queue.connect import Redis
from prover.queue.jobs import JobQueue
from prover.queue.keys import Keys

bearer = HTTPBearer(auto_error=False, description="An API key, when authentication is on.")


@dataclass(frozen=True)
class Client:
    """Who is calling: ``key:<digest prefix>``, or ``ip:<address>`` when auth is off.
    A ``scoped`` caller (a key that is not an admin key) sees only its own jobs and
    feedback; without auth there are no tenants and nothing is scoped."""

    owner: str
    scoped: bool = False

    @property
    def tenant(self) -> str:
        """Recorded on the jobs it submits: what scoping compares."""
        return self.owner if self.owner.startswith("key:") else ""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def identify(
    token: str | None,
    host: str | None,
    auth: bool,
    hashes: frozenset[str],
    admins: frozenset[str] = frozenset(),
) -> Client:
    """The caller, or a 401 when auth is on and the token is missing or unknown."""
    if not auth:
        return Client(f"ip:{host or 'unknown'}")
    challenge = {"WWW-Authenticate": "Bearer"}
    if not hashes:
        message = "authentication is on (non-loopback bind) but PROVER_API_KEYS is empty"
        raise ApiError(401, "unauthorized", message, challenge)
    if not token:
        raise ApiError(401, "unauthorized", "an API key is required: Bearer <key>", challenge)
    mine = digest(token)
    # Compare against every digest, in constant time each, so timing tells nothing.
    if not any([hmac.compare_digest(mine, h) for h in hashes]):
        raise ApiError(401, "unauthorized", "unknown API key", challenge)
    return Client(f"key:{mine[:16]}", scoped=mine not in admins)


# One token bucket per client in a Redis hash, so every API process shares it. Redis's
# own clock is used: API hosts may disagree about the time.
_TAKE = """
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate else tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return tostring(wait)
"""


class TokenBuckets:
    """One token bucket per client: ``per_minute`` tokens, refilled continuously, kept in
    Redis (shared by every API process; each bucket expires once it would be full)."""

    def __init__(self, redis: Redis, keys: Keys, per_minute: float) -> None:
        self.redis, self.keys = redis, keys
        self.capacity, self.rate = per_minute, per_minute / 60.0
        self._take = redis.register_script(_TAKE)

    def take(self, owner: str) -> float:
        """Take a token: 0.0, or the seconds until one is there (nothing taken)."""
        key = f"{self.keys.base}:api:rate:{owner}"
        return float(self._take(keys=[key], args=[self.capacity, self.rate]))


def limit_rate(buckets: TokenBuckets, client: Client) -> None:
    wait = buckets.take(client.owner)
    if wait > 0:
        retry = str(max(1, math.ceil(wait)))
        message = f"rate limit of {buckets.capacity:g} requests a minute; retry in {retry} s"
        raise ApiError(429, "rate_limited", message, {"Retry-After": retry})


def _active_key(keys: Keys, owner: str) -> str:
    return f"{keys.base}:api:active:{owner}"


def active_jobs(redis: Redis, keys: Keys, owner: str) -> int:
    """The owner's unfinished jobs; finished ones are dropped from its set on the way."""
    key = _active_key(keys, owner)
    ids = sorted(redis.smembers(key))
    if not ids:
        return 0
    statuses = JobQueue(redis, keys).statuses(ids)
    done = [i for i, s in zip(ids, statuses, strict=True) if s is None or s in FINAL_STATUSES]
    if done:
        redis.srem(key, *done)
    return len(ids) - len(done)


def reserve_jobs(redis: Redis, keys: Keys, owner: str, wanted: int, cap: int) -> None:
    """429 unless the owner may have ``wanted`` more unfinished jobs."""
    active = active_jobs(redis, keys, owner)
    if active + wanted > cap:
        message = f"{active} unfinished jobs; at most {cap} at a time (wanted {wanted} more)"
        raise ApiError(429, "too_many_active_jobs", message, {"Retry-After": "10"})


def track_jobs(redis: Redis, keys: Keys, owner: str, ids: list[str]) -> None:
    if ids:
        redis.sadd(_active_key(keys, owner), *ids)
