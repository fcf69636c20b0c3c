"""Who may send a signed kiosk request: signature, clock, enrollment, revocation, replay.

``parse_auth`` and ``check_signed`` need no database (the kiosk gate runs them in its event
loop against a kept public key); ``KioskAdmission`` (mixed into ``IntakeService``) reads the
kiosk's record and records the request's nonce, one request or a group at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from foundation.errors import ApiError
from jobcentre.nonces import NonceStore
from jobcentre.repository import KioskRecord, Repository
from wire import protocol


def parse_auth(headers: dict[str, str]) -> protocol.RequestAuth:
    """The request's parsed signature headers, or 401 (malformed, outdated version)."""
    auth = protocol.parse_request_auth(headers)
    if isinstance(auth, str):
        if auth == protocol.ERROR_SIGNATURE_OUTDATED:
            raise ApiError(401, auth, supported=[protocol.SIGNATURE_VERSION])
        raise ApiError(401, auth)
    return auth


def check_signed(kiosk: KioskRecord, method: str, target: str,
                 auth: protocol.RequestAuth) -> None:
    """401 unless ``kiosk`` signed this request within the allowed clock skew (CPU only)."""
    if not protocol.verify_request(kiosk.public_key, method, target, auth):
        raise ApiError(401, protocol.ERROR_BAD_SIGNATURE)
    if not protocol.clock_skew_ok(auth.timestamp):
        raise ApiError(401, protocol.ERROR_CLOCK_SKEW, server_time=protocol.utc_now_iso())


class KioskAdmission:
    """The database part of authenticating kiosk requests (``self.repo``: the repository)."""

    repo: Repository

    def authenticate(
        self, method: str, target: str, headers: dict[str, str], nonces: NonceStore | None = None
    ) -> KioskRecord:
        """The kiosk that signed this request (headers only, no body), or 401/403.

        ``target`` is the raw path and query as received; ``headers`` have lower-case names.
        With ``nonces``, a nonce this kiosk already used is refused (401 ``replayed_request``).
        """
        auth = parse_auth(headers)
        kiosk = self.repo.get_kiosk(auth.kiosk_id)
        if kiosk is None:
            raise ApiError(401, protocol.ERROR_UNKNOWN_KIOSK)
        check_signed(kiosk, method, target, auth)
        return self.admit(kiosk, auth, nonces, reread=False)

    def admit(self, kiosk: KioskRecord, auth: protocol.RequestAuth,
              nonces: NonceStore | None = None, reread: bool = True) -> KioskRecord:
        """After ``check_signed``: refuse a revoked kiosk (403) and a used nonce (401).

        ``kiosk`` may come from a cache (a kiosk's key never changes): with ``reread`` its
        record is read again here, so a revocation takes effect with the next request.
        """
        if reread and nonces is not None and nonces.checks_revocation:
            # PostgreSQL: revocation and nonce in one round trip; the kiosk read only if refused
            if nonces.remember_if_active(kiosk.kiosk_id, auth.nonce, int(auth.timestamp)):
                return kiosk
            return self._refused_or_replayed(kiosk)
        fresh = self._refuse(self.repo.get_kiosk(kiosk.kiosk_id) if reread else kiosk)
        if nonces is not None and not nonces.remember(fresh.kiosk_id, auth.nonce,
                                                      int(auth.timestamp)):
            raise ApiError(401, protocol.ERROR_REPLAYED)
        return fresh

    def admit_many(self, requests: list[tuple[KioskRecord, protocol.RequestAuth]],
                   nonces: NonceStore) -> list[KioskRecord | ApiError]:
        """``admit`` for a group of requests: on PostgreSQL every nonce, with the kiosks'
        revocation, in one statement (a kiosk record is read only for one refused). Per
        request the kiosk, or the refusal ``admit`` would raise; a nonce twice in the group
        is a replay the second time."""
        if not nonces.checks_revocation:
            return [_admitted(functools.partial(self.admit, k, a, nonces)) for k, a in requests]
        firsts = {(k.kiosk_id, a.nonce): i for i, (k, a) in reversed(list(enumerate(requests)))}
        recorded = nonces.remember_many_if_active(
            [(requests[i][0].kiosk_id, nonce, int(requests[i][1].timestamp))
             for (_, nonce), i in firsts.items()])
        answers: list[KioskRecord | ApiError] = []
        for index, (kiosk, auth) in enumerate(requests):
            key = (kiosk.kiosk_id, auth.nonce)
            if firsts[key] == index and key in recorded:
                answers.append(kiosk)
            elif firsts[key] != index:
                answers.append(ApiError(401, protocol.ERROR_REPLAYED))
            else:  # revoked, gone, or a nonce used before
                answers.append(_admitted(functools.partial(self._refused_or_replayed, kiosk)))
        return answers

    def _refused_or_replayed(self, kiosk: KioskRecord) -> KioskRecord:
        """Why a kiosk's nonce was not recorded: 401/403 if it is gone or revoked, else 401
        ``replayed_request``; never returns."""
        self._refuse(self.repo.get_kiosk(kiosk.kiosk_id))
        raise ApiError(401, protocol.ERROR_REPLAYED)  # enrolled, not revoked: a used nonce

    @staticmethod
    def _refuse(kiosk: KioskRecord | None) -> KioskRecord:
        """401 for a kiosk no longer enrolled, 403 for a revoked one; else the kiosk."""
        if kiosk is None:
            raise ApiError(401, protocol.ERROR_UNKNOWN_KIOSK)
        if kiosk.revoked_at is not None:
            raise ApiError(403, protocol.ERROR_REVOKED)
        return kiosk


def _admitted(admit: Callable[[], KioskRecord]) -> KioskRecord | ApiError:
    """The kiosk ``admit()`` lets in, or its refusal."""
    try:
        return admit()
    except ApiError as exc:
        return exc
