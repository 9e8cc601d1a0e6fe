"""An Application Load Balancer in miniature: EC P-256 keys made in the test, the public keys served
by kid over HTTP on 127.0.0.1 (as the region's public-key endpoint serves them, PEM), and
``x-amzn-oidc-data`` tokens written the way the ALB writes them: base64url segments *with*
padding, signed over the padded segments."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/athena-bot/50dc6c495c0c9188"
OTHER_ALB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/someone-else/0123456789abcdef"


def padded_b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")  # keeps the '=' padding, as the ALB does


@dataclass
class FakeAlb:
    keys: dict[str, ec.EllipticCurvePrivateKey] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def new_key(self) -> str:
        kid = str(uuid.uuid4())
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        return kid

    def start(self) -> "FakeAlb":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake.requests.append(self.path)
                key = fake.keys.get(self.path.rsplit("/", 1)[-1])
                if key is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-pem-file")
                self.send_header("Content-Length", str(len(pem)))
                self.end_headers()
                self.wfile.write(pem)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/keys"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def token(self, kid: str, claims: dict[str, Any] | None = None, *, signer: str = ALB_ARN,
              expires_in: float = 120, alg: str = "ES256", signing_key: ec.EllipticCurvePrivateKey | None = None,
              pad: bool = True) -> str:
        """An ``x-amzn-oidc-data`` value for ``claims`` signed by key ``kid``."""
        header = {"typ": "JWT", "kid": kid, "alg": alg, "signer": signer,
                  "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
                  "client": "4fmvht22tjrgd7d3k3tghttct7", "exp": int(time.time() + expires_in)}
        payload = {"sub": "3f1c0a52-0000-4000-8000-000000000001", "email": "ana@example.com",
                   "email_verified": "true", "username": "ana", "exp": int(time.time() + expires_in),
                   "iss": header["iss"], **(claims or {})}
        encode = padded_b64 if pad else (lambda b: padded_b64(b).rstrip("="))
        signing_input = f"{encode(json.dumps(header).encode())}.{encode(json.dumps(payload).encode())}"
        signature = ECAlgorithm(ECAlgorithm.SHA256).sign(signing_input.encode(), signing_key or self.keys[kid])
        return f"{signing_input}.{encode(signature)}"
