"""The password hasher of one-time passwords (一次性初始密码), cheaper than the default one."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OneTimePasswordHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane), for one-time passwords
    only: the platform generates them (``services.one_time_password``) when it opens or resets a
    unit's account, and they must be changed at the first sign-in.

    Django's default (100 MiB, 2 passes, 8 lanes) costs about 0.13 s a password on an idle
    two-core machine and 0.5 s under load, so opening 240 units' accounts at once ran past the
    workers' 120 s timeout. A slow hash protects guessable passwords; these are not guessable:
    12 characters drawn by ``secrets`` from a 56-symbol alphabet, about 69 bits. Even hashed with
    plain SHA-256 at 10^12 guesses a second, half that space takes about 9 years; with argon2 at
    these parameters (tens of milliseconds and 19 MiB a guess), far longer. We still keep OWASP's
    floor rather than going lower: the hash is a unit's valid password until its first sign-in
    (the letter may lie in a drawer for weeks), and the floor costs only about 0.03-0.07 s.

    Listed in ``PASSWORD_HASHERS`` after the default, so every other password keeps the default
    hasher; Django rehashes a one-time password with the default at its first successful check (the
    sign-in), and the forced change replaces it anyway. The ``algorithm`` name, the prefix of the
    stored hash, is how Django tells which hasher verifies it.
    """

    algorithm = "argon2_onetime"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
