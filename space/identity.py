"""Who is asking: the rules for attribution and admin rights.

Only a Hugging Face Space (SYSTEM=spaces and SPACE_ID, which the Hub sets; Gradio's own rule) has
real OAuth. Elsewhere Gradio mocks the login, so anyone who presses the button becomes the token's
owner: login is therefore refused outside a Space, every local visitor is the one configured local
user, and admin actions need a credential the operator sets (MMAD_ADMIN_TOKEN) and types into the
admin panel.
"""

from __future__ import annotations

import hmac
from typing import Any

from mmad_dataset import MMADError

from .envs import Settings


class ConfigurationError(MMADError):
    """The Space's settings would make identities forgeable; the message says what to change."""


class NotAllowed(MMADError):
    """The visitor may not do this; the message says what is needed."""


def check_settings(settings: Settings) -> None:
    """Refuse at start what would let a visitor pose as someone else."""
    if settings.require_login and not settings.on_space:
        raise ConfigurationError(
            "MMAD_REQUIRE_LOGIN=1 needs a Hugging Face Space (SYSTEM=spaces and SPACE_ID, set by the Hub itself): "
            "outside a Space, Gradio mocks the "
            "Hugging Face login and anyone would be logged in as the token's owner. Unset MMAD_REQUIRE_LOGIN to "
            "run locally (submissions are attributed to MMAD_LOCAL_USER) and MMAD_ADMIN_TOKEN for admin actions.")


def user(profile: Any, settings: Settings) -> str:
    """The name submissions are attributed to: the OAuth user on a Space, the local user elsewhere."""
    if settings.on_space:
        if profile is None:
            raise NotAllowed("Log in with your Hugging Face account (button above) to submit.")
        return profile.username
    return settings.local_user


def may_administer(profile: Any, settings: Settings) -> bool:
    """Whether the admin panel is shown: a listed OAuth user on a Space, an operator token elsewhere."""
    if settings.on_space:
        return profile is not None and profile.username in settings.admins
    return bool(settings.admin_token)


def check_admin(profile: Any, settings: Settings, token: str | None) -> str:
    """The admin's name, or NotAllowed. Outside a Space only the operator's token counts, never a name."""
    if settings.on_space:
        name = user(profile, settings)
        if name not in settings.admins:
            raise NotAllowed(f"{name} is not an admin (MMAD_ADMINS); only admins can re-score.")
        return name
    if not settings.admin_token:
        raise NotAllowed("not an admin: outside a Space admin actions need MMAD_ADMIN_TOKEN set by the operator.")
    if not hmac.compare_digest((token or "").encode(), settings.admin_token.encode()):
        raise NotAllowed("not an admin: the admin token is wrong.")
    return "operator"
