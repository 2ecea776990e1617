"""Real certificates for tests of https actions and of how a CA PEM is shown.

Made by the `openssl` command, so each is a genuine, separate CA that our own code
had no hand in; an `https` action that carries one as `capem` is written here too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed(
    directory: Path, name: str, subject: str = "/CN=127.0.0.1", ip: str | None = "127.0.0.1"
) -> tuple[Path, Path]:
    """A one-day EC certificate and its key, `<name>.pem` and `<name>.key` in `directory`.

    With `ip`, the certificate is valid for that address (a server can present it).
    """
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    san = ["-addext", f"subjectAltName=IP:{ip}"] if ip else []
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            subject,
            *san,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def self_signed_pem(directory: Path) -> str:
    """The PEM text of a CA certificate (`ca.pem` in `directory`) that names no address."""
    cert, _ = self_signed(directory, "ca", subject="/CN=echoer", ip=None)
    return cert.read_text()


def https_action(capem: str) -> str:
    """FSL for the https action `secure` at an address nobody serves, trusting `capem`."""
    return (
        "action secure\n"
        '    addr = "https://127.0.0.1:1/secure";\n'
        "    method = https;\n"
        f'    secret = (capem = "{capem}");\n'
        "    args = (str project);\n"
        "    return = (SUCCESS | FAIL);\n"
        "action_end"
    )
