"""`idv assertion verify` (check a token against a JWKS) and `idv keys rotate|jwks` (the signing keys)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import click
import httpx

from api.cli.output import emit
from storage.keys import KeyRing, KeyUse
from storage.settings import get_settings
from verification.common.jws import TokenError, unverified_header, verify

JWKS_FETCH_TIMEOUT_S = 10.0


def _load_jwks(source: str) -> dict[str, Any]:
    if source.startswith(("https://", "http://")):
        response = httpx.get(source, timeout=JWKS_FETCH_TIMEOUT_S, follow_redirects=False)
        response.raise_for_status()
        return cast(dict[str, Any], response.json())
    return cast(dict[str, Any], json.loads(Path(source).read_text()))


@click.group()
def assertion() -> None:
    """Validated-identity assertions (ES256 JWS)."""


@assertion.command("verify")
@click.argument("token")
@click.option("--jwks", "jwks_source", required=True, help="JWKS file, or an http(s) URL to fetch it from.")
@click.option("--audience", default=None, help="Expected aud; without it the audience is not checked.")
@click.option("--issuer", default=None, help="Expected iss; without it the issuer is not checked.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def verify_command(
    ctx: click.Context, token: str, jwks_source: str, audience: str | None, issuer: str | None, as_json: bool
) -> None:
    """Verify TOKEN's signature, type, expiry and (if given) audience and issuer; exit 1 if invalid."""
    try:
        jwks = _load_jwks(jwks_source)
    except (OSError, ValueError, httpx.HTTPError) as error:
        raise click.ClickException(f"cannot read the JWKS from {jwks_source}: {error}") from error
    header: dict[str, Any] | None = None
    try:
        header = unverified_header(token)
        claims = verify(token, jwks, audience=audience, issuer=issuer)
    except TokenError as error:
        emit({"valid": False, "header": header, "error": {"code": error.code.value, "detail": error.detail}}, as_json)
        ctx.exit(1)
    emit({"valid": True, "header": header, "claims": claims}, as_json)


def _key_ring(directory: Path | None) -> KeyRing:
    settings = get_settings()
    return KeyRing.load(
        directory or settings.resolved_keys_dir,
        max_token_lifetime=timedelta(seconds=settings.assertion_ttl_seconds),
    )


_DIR_OPTION = click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Key directory (default: the settings' keys directory).",
)


@click.group()
def keys() -> None:
    """The service's signing keys."""


@keys.command("rotate")
@click.option("--use", "use", type=click.Choice([u.value for u in KeyUse]), required=True)
@_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def rotate_command(use: str, directory: Path | None, as_json: bool) -> None:
    """Generate a new signing key for USE and retire the current one (kept in the JWKS for a while)."""
    ring = _key_ring(directory)
    emit({"use": use, "kid": ring.rotate(KeyUse(use))}, as_json)


@keys.command("jwks")
@_DIR_OPTION
def jwks_command(directory: Path | None) -> None:
    """Print the public JWKS (what /.well-known/jwks.json serves)."""
    click.echo(json.dumps(_key_ring(directory).jwks(), indent=2))
