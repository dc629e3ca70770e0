"""Cheap password hashing for the tests' own processes and the throwaway demo worlds.

The same code path (argon2id through ``clearance.services.passwords``) at its lowest cost: the
product's parameters spend about 0.25 s of CPU per login and per user created, which was 40 %
of the web tests' time. Processes started from the tests (servers, workers, the CLI) keep the
product's parameters; a hash of either kind verifies in both, and a login where the
parameters differ rehashes, as it does after any change of parameters.
"""

from __future__ import annotations

from argon2 import PasswordHasher

from clearance.services import passwords


def use_cheap_hashing() -> None:
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
