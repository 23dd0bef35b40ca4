"""Fleet counters in Redis, for a fleet that has one (``counters_url = "redis://..."``).

A sorted set holds every live process by when it last published; one hash per process
holds its counters (field ``route key`` + US + ``name``). Every write and the read run as
Lua scripts, so a fold never races a publish and a reader never sees a process counted
both under its own name and under ``retired``. The keys share one hash tag: one slot in
a cluster.

Example:
    store = RedisFleetStore("redis://127.0.0.1:6379/0")
    store.publish("host:1:ab", {("GET /api/v1/me", "requests.new"): 3}, register=True)
    store.totals()["GET /api/v1/me"]["requests.new"]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import redis

from rollout.errors import FleetError
from rollout.telemetry.fleet.store import (
    RETIRED,
    STALE_AFTER,
    Counts,
    ProcessCounts,
    Values,
    summed,
)

T = TypeVar("T")
PREFIX = "strangler:{fleet}"
_SEP = "\x1f"

# KEYS: seen, the process's hash. ARGV: process id, now, register (1/0), field, value, ...
_PUBLISH = """
if ARGV[3] ~= '1' and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
"""
# KEYS: seen, retired's hash. ARGV: key prefix, cutoff (fold every process seen before
# it) or '' with process ids after it (fold exactly those).
_FOLD = """
local ids
if ARGV[2] ~= '' then
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
else
  ids = {}
  for i = 3, #ARGV do
    if redis.call('ZSCORE', KEYS[1], ARGV[i]) then table.insert(ids, ARGV[i]) end
  end
end
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do redis.call('HINCRBY', KEYS[2], fields[i], fields[i + 1]) end
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1], id)
end
return #ids
"""
# KEYS: seen. ARGV: key prefix, retired's id. Returns id, seen, n, field, value, ... per process.
_READ = """
local out = {}
local seen = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
table.insert(seen, ARGV[2])
table.insert(seen, '')
for i = 1, #seen, 2 do
  local fields = redis.call('HGETALL', ARGV[1] .. seen[i])
  table.insert(out, seen[i])
  table.insert(out, seen[i + 1])
  table.insert(out, #fields)
  for _, item in ipairs(fields) do table.insert(out, item) end
end
return out
"""


class RedisFleetStore:
    def __init__(
        self, url: str, prefix: str = PREFIX, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5, decode_responses=True
        )
        self._clock = clock
        self._seen = f"{prefix}:seen"
        self._hashes = f"{prefix}:p:"
        self._publish = self._redis.register_script(_PUBLISH)
        self._fold_script = self._redis.register_script(_FOLD)
        self._read = self._redis.register_script(_READ)

    def publish(self, process_id: str, values: Values, register: bool) -> bool:
        args: list[Any] = [process_id, self._clock(), int(register)]
        for (key, name), value in values.items():
            args += [f"{key}{_SEP}{name}", value]
        keys = [self._seen, self._hashes + process_id]
        return bool(self._run(lambda: self._publish(keys, args)))

    def retire(self, process_id: str) -> None:
        self._fold(["", process_id])

    def fold_stale(self, older_than: timedelta = STALE_AFTER) -> int:
        return self._fold([self._clock() - older_than.total_seconds()])

    def _fold(self, which: list[Any]) -> int:
        keys = [self._seen, self._hashes + RETIRED]
        return int(self._run(lambda: self._fold_script(keys, [self._hashes, *which])))

    def totals(self) -> Counts:
        return summed(self.per_process())

    def per_process(self) -> list[ProcessCounts]:
        flat: list[str] = self._run(lambda: self._read([self._seen], [self._hashes, RETIRED]))
        processes, i = [], 0
        while i < len(flat):
            process_id, seen, n = flat[i], flat[i + 1], int(flat[i + 2])
            routes: Counts = {}
            items = flat[i + 3 : i + 3 + n]
            for field, value in zip(items[::2], items[1::2], strict=True):
                key, _, name = field.partition(_SEP)
                routes.setdefault(key, {})[name] = int(value)
            seen_at = datetime.fromtimestamp(float(seen), UTC) if seen else None
            if routes or seen_at is not None:
                processes.append(ProcessCounts(process_id, seen_at, routes))
            i += 3 + n
        return processes

    def close(self) -> None:
        self._redis.close()

    def _run(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except redis.RedisError as exc:
            raise FleetError(f"fleet counters in redis: {type(exc).__name__}: {exc}") from exc
