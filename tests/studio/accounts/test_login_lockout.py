"""Sign-in lockout (issue 8, django-axes): after RIFFLE_LOGIN_FAILURE_LIMIT (5) failed
sign-ins a username is locked out from that address, even with the right password, for
RIFFLE_LOGIN_LOCKOUT_MINUTES (15); other addresses and other users are not affected, a
success before the limit starts the count again, and an administrator can lift a lock.
Against the real login view and database."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

RIGHT = "alice-password-1"


def sign_in(address: str, password: str, username: str = "alice") -> tuple[int, str]:
    response = Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password})
    return response.status_code, response.content.decode()


def fail(times: int, address: str = "10.0.0.1", username: str = "alice") -> None:
    """``times`` wrong passwords: the form's error until the limit, then the lockout
    (the failure that reaches the limit is already answered with it)."""
    for n in range(1, times + 1):
        status, page = sign_in(address, "wrong", username)
        if n < settings.AXES_FAILURE_LIMIT:
            assert status == 200 and "Please enter a correct username and password" in page
        else:
            assert status == 429 and "Too many failed sign-in attempts" in page


def test_the_limit_is_five_failures_then_fifteen_minutes() -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)


def test_after_the_limit_even_the_right_password_is_refused(alice: User) -> None:
    fail(4)
    assert sign_in("10.0.0.1", RIGHT)[0] == 302          # four failures: still let in
    fail(5)                                               # the success started the count again
    status, page = sign_in("10.0.0.1", RIGHT)
    assert status == 429
    assert "Too many failed sign-in attempts" in page and "alice" in page
    # Locked for this username from this address only.
    assert sign_in("10.0.0.2", RIGHT)[0] == 302


def test_other_users_from_the_same_address_are_not_locked(alice: User) -> None:
    User.objects.create_user("bob", password="bob-password-1")
    fail(6)
    assert sign_in("10.0.0.1", "bob-password-1", username="bob")[0] == 302


def test_the_lock_ends_after_the_cool_off_or_when_an_admin_lifts_it(alice: User) -> None:
    fail(5)
    assert sign_in("10.0.0.1", RIGHT)[0] == 429
    # Sixteen minutes on: the recorded failures are older than the cool-off.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert sign_in("10.0.0.1", RIGHT)[0] == 302
    fail(5)
    assert sign_in("10.0.0.1", RIGHT)[0] == 429
    call_command("axes_reset_username", "alice", verbosity=0)
    assert sign_in("10.0.0.1", RIGHT)[0] == 302
