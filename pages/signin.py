"""Sign-in at the UI edge: who is using this browser session, and the form until someone is.

``dashboard.py`` calls ``gate()`` on every run before the sidebar filters and the page (and
``pages/entry.ensure_entry`` calls it for a page script run on its own): with ``LEDGER_AUTH=off``
everyone is the local operator; with ``local`` it shows the Username/Password form until
``analytics.access.verify`` accepts them, then keeps a session token in ``st.session_state`` only
(no cookie: a reload signs in again, and no token is readable by page scripts); with ``oidc`` it
sends the user to the identity provider through Streamlit's ``st.login`` and reads ``st.user``.
Idle expiry is the access module's. Every word comes from the catalogue (``signin.*``) in the
run's language, set before the gate; callbacks run before that, so they store keys, not words. Pages ask ``current_actor()``; the decisions (roles, who may
do what, the audit log) stay in ``analytics.access``. Imports no other module of ``pages/``.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from analytics import access
from analytics.access import Actor
from analytics.errors import DomainError
from analytics.i18n import t
from analytics.untrusted import markdown_literal

ACTOR_KEY = "_signin_actor"  # the Actor of this run, set by gate()
TOKEN_KEY = "_signin_token"  # the access session token (local and oidc)
FLASH_KEY = "_signin_flash"  # the catalogue key of a line for the next form (signed out, session expired)
FORM_KEY = "signin_form"
NAME_KEY, PASSWORD_KEY = "signin_name", "signin_password"
REFUSED_KEY = "_signin_refused"


def gate() -> Actor | None:
    """The signed-in actor of this run, or None after drawing the sign-in form (the caller
    then draws nothing else and stops). A broken access setting shows its error and gives None."""
    try:
        mode = access.auth_mode()
        if mode == "off":
            actor: Actor | None = dataclasses.replace(access.local_operator(), via="web")
        elif mode == "local":
            actor = _local()
        else:
            actor = _oidc()
    except DomainError as error:
        st.error(t("signin.unavailable", reason=markdown_literal(error)), icon=":material/error:")
        actor = None
    if actor is None:
        st.session_state.pop(ACTOR_KEY, None)
    else:
        st.session_state[ACTOR_KEY] = actor
    return actor


def current_actor() -> Actor:
    """The actor ``gate()`` found in this run; a script that did not pass the gate (a helper run
    on its own) passes it here, and stops after the sign-in form when nobody is signed in."""
    actor = st.session_state.get(ACTOR_KEY)
    if isinstance(actor, Actor):
        return actor
    actor = gate()
    if actor is None:
        st.stop()
    return actor


def _resumed() -> Actor | None:
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    actor = access.resume_session(token)
    if actor is None:
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state[FLASH_KEY] = "signin.expired"
    return actor


def _heading() -> None:
    st.title(t("app.title"))
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.info(t(flash), icon=":material/info:")


def _client() -> str:
    address = st.context.ip_address  # the browser's address as Streamlit saw it (a proxy's, behind one)
    return address if isinstance(address, str) and address else "unknown"  # AppTest has none


def _local() -> Actor | None:
    actor = _resumed()
    if actor is not None:
        return actor
    _heading()
    with st.form(FORM_KEY, width=420):
        st.markdown(t("signin.prompt"))
        st.text_input(t("signin.username"), key=NAME_KEY, autocomplete="username")
        st.text_input(t("signin.password"), type="password", key=PASSWORD_KEY, autocomplete="current-password")
        st.form_submit_button(t("signin.sign_in"), type="primary", on_click=_check_password)
    if st.session_state.pop(REFUSED_KEY, None):
        st.error(t(access.SIGN_IN_REFUSED_KEY), icon=":material/lock:")
    return None


def _check_password() -> None:
    """The Sign in button's callback: it runs before the next script run, whichever script that
    is, so the session exists when the entry script draws the page. The password leaves the
    session state here, whatever the answer."""
    name = st.session_state.get(NAME_KEY) or ""
    password = st.session_state.pop(PASSWORD_KEY, None) or ""
    actor = access.verify(name, password, _client())
    if actor is None:
        st.session_state[REFUSED_KEY] = True  # one message for both failures (access.SIGN_IN_REFUSED)
        return
    st.session_state[TOKEN_KEY] = access.start_session(actor)
    st.session_state.pop(NAME_KEY, None)


def _oidc() -> Actor | None:
    if not st.user.is_logged_in:
        _heading()
        st.markdown(t("signin.prompt_oidc"))
        st.button(t("signin.sign_in"), key="signin_oidc", type="primary", icon=":material/login:", on_click=st.login)
        return None
    token = st.session_state.get(TOKEN_KEY)
    if token is None:  # the first run after the provider sent the user back: role from the claims
        actor = access.actor_from_claims(st.user.to_dict())
        st.session_state[TOKEN_KEY] = access.start_session(actor)
        access.audit(actor, access.SIGN_IN, actor.name, "oidc")
        return actor
    resumed = access.resume_session(token)  # keeps the sign-in's role
    if resumed is None:  # idle too long: sign out of Streamlit's identity cookie too
        st.session_state.pop(TOKEN_KEY, None)
        st.logout()
    return resumed


def sign_out() -> None:
    """End the access session (and Streamlit's OIDC identity cookie) and show the form again."""
    token = st.session_state.pop(TOKEN_KEY, None)
    st.session_state.pop(ACTOR_KEY, None)
    if token:
        access.end_session(token)
    st.session_state[FLASH_KEY] = "signin.signed_out"
    if access.auth_mode() == "oidc":
        st.logout()


def account_sidebar(actor: Actor) -> None:
    """Who is signed in, with which role, and the one-click Sign out (none with sign-in off)."""
    with st.sidebar:
        if actor.via == "web" and access.auth_mode() == "off":
            st.caption(t("signin.off", name=markdown_literal(actor.name), role=actor.role.title))
            return
        who, out = st.columns([3, 2], vertical_alignment="center")
        who.text(f"{actor.name} · {actor.role.title}")  # plain text: a provider's name is not markup
        out.button(
            t("signin.sign_out"), key="signin_sign_out", icon=":material/logout:", on_click=sign_out, type="tertiary"
        )
