"""Making a merchant (an Alipay app) for the simulated gateway: its keys and the provider's TOML file.

:func:`generate_merchant` is re-exported by :mod:`simulators.alipay`, whose docstring says how it is used.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def public_pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def generate_merchant(folder: Path, *, notify_url: str, gateway: str, app_id: str = "2021000000000001") -> Path:
    """Make an app key pair, register it with the simulator at ``gateway``, write the provider's files.

    Returns the path of ``alipay.toml``; beside it ``app_private_key.pem`` (mode 600) and
    ``alipay_public_key.pem`` (the simulator's key).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    request = urllib.request.Request(urljoin(gateway, "/_sim/apps"), method="POST", data=json.dumps(
        {"app_id": app_id, "app_public_key": public_pem(key.public_key())}).encode("utf-8"),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        answer = json.loads(reply.read())
    private = folder / "app_private_key.pem"
    private.touch(mode=0o600)
    private.chmod(0o600)  # also when the file was there before
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    (folder / "alipay_public_key.pem").write_text(answer["alipay_public_key"], encoding="ascii")
    toml = folder / "alipay.toml"
    toml.write_text("\n".join([
        "# Alipay merchant of the simulated gateway (simulators/alipay.py); keys beside this file.",
        f'app_id = "{app_id}"', 'app_private_key_file = "app_private_key.pem"',
        'alipay_public_key_file = "alipay_public_key.pem"', f'seller_id = "{answer["seller_id"]}"',
        f"notify_url = {json.dumps(notify_url)}", f"gateway = {json.dumps(gateway)}", "timeout_seconds = 5", ""]),
        encoding="utf-8")
    return toml
