"""Who may administer and what a refused visitor reads: gaps mutation testing (docs/mutation.md) found."""

from __future__ import annotations

import pytest

from space.envs import load_settings
from space.identity import NotAllowed, check_admin, may_administer, user

SPACE = {"SPACE_ID": "org/board", "SYSTEM": "spaces", "MMAD_ADMINS": "root"}


class Profile:
    def __init__(self, username: str) -> None:
        self.username = username


def _refusal(*args) -> str:
    with pytest.raises(NotAllowed) as refused:
        check_admin(*args)
    return str(refused.value)


def test_on_a_space_the_admin_panel_is_shown_to_listed_users_only():
    space = load_settings(SPACE)
    assert may_administer(Profile("root"), space)
    assert not may_administer(Profile("alice"), space)
    assert not may_administer(None, space)


def test_outside_a_space_the_admin_panel_is_shown_when_the_operator_set_a_token():
    assert may_administer(None, load_settings({"MMAD_ADMIN_TOKEN": "s3cret"}))
    assert not may_administer(Profile("root"), load_settings({"MMAD_ADMINS": "root"}))


def test_refusals_say_who_and_what_is_needed():
    space = load_settings(SPACE)
    assert _refusal(Profile("alice"), space, "") == "alice is not an admin (MMAD_ADMINS); only admins can re-score."
    with pytest.raises(NotAllowed) as refused:
        user(None, space)
    assert str(refused.value) == "Log in with your Hugging Face account (button above) to submit."
    assert _refusal(None, load_settings({}), "x") == (
        "not an admin: outside a Space admin actions need MMAD_ADMIN_TOKEN set by the operator.")
    assert _refusal(None, load_settings({"MMAD_ADMIN_TOKEN": "s3cret"}), "guess") == (
        "not an admin: the admin token is wrong.")


@pytest.mark.parametrize("operator_token", ["s3cret", "XXXX", " "])
@pytest.mark.parametrize("typed", [None, ""])
def test_no_token_typed_never_admits_whatever_the_operators_token(operator_token, typed):
    assert "token is wrong" in _refusal(None, load_settings({"MMAD_ADMIN_TOKEN": operator_token}), typed)


def test_login_required_outside_a_space_is_refused_at_start_with_what_to_change():
    from space.identity import ConfigurationError, check_settings

    with pytest.raises(ConfigurationError) as refused:
        check_settings(load_settings({"MMAD_REQUIRE_LOGIN": "1"}))
    assert str(refused.value) == (
        "MMAD_REQUIRE_LOGIN=1 needs a Hugging Face Space (SYSTEM=spaces and SPACE_ID, set by the Hub itself): "
        "outside a Space, Gradio mocks the Hugging Face login and anyone would be logged in as the token's owner. "
        "Unset MMAD_REQUIRE_LOGIN to run locally (submissions are attributed to MMAD_LOCAL_USER) and "
        "MMAD_ADMIN_TOKEN for admin actions.")
