"""SASL (PLAIN, SCRAM) and TLS against a real broker with those listeners."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient
from kafka.admin._users import UserScramCredentialUpsertion

from tests.processor.kafka_tools import (
    Offsets,
    any_port,
    environment,
    in_process,
    produce,
    read_all,
    wait_until,
)
from tests.processor.samples import error_record
from tests.support.kafka_broker import ENV_BOOTSTRAP, KafkaBroker, create_topic, free_port

pytestmark = pytest.mark.kafka

USER, PASSWORD = "svc-vendor-errors", "s3cret-Pa55"
SCRAM = "SCRAM-SHA-256"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(directory: Path) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it (PEM, PKCS#8 key)."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=vendor-errors test CA", "-keyout", "ca.key", "-out", "ca.pem",
             cwd=directory)  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr", cwd=directory)  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem",
             cwd=directory)  # fmt: skip
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", "server.key", "-out", "server.p8",
             cwd=directory)  # fmt: skip
    keystore = directory / "keystore.pem"
    keystore.write_text(
        (directory / "server.p8").read_text() + (directory / "server.pem").read_text()
    )
    return {"ca": directory / "ca.pem", "keystore": keystore}


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if os.environ.get(ENV_BOOTSTRAP):
        pytest.skip(f"{ENV_BOOTSTRAP} is set: the SASL/TLS broker is only started locally")
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    broker = KafkaBroker()
    sasl_port, ssl_port = free_port(), free_port()
    jaas = "org.apache.kafka.common.security"
    broker.extra_properties.update(
        {
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{broker.port},SASL_PLAINTEXT://127.0.0.1:{sasl_port},"
                f"SSL://127.0.0.1:{ssl_port},CONTROLLER://127.0.0.1:{broker.controller_port}"
            ),
            "advertised.listeners": (
                f"PLAINTEXT://127.0.0.1:{broker.port},SASL_PLAINTEXT://127.0.0.1:{sasl_port},"
                f"SSL://127.0.0.1:{ssl_port}"
            ),
            "listener.security.protocol.map": (
                "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT"
            ),
            "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": (
                f'{jaas}.plain.PlainLoginModule required user_{USER}="{PASSWORD}";'
            ),
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config": (
                f"{jaas}.scram.ScramLoginModule required;"
            ),
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": (
                f"{jaas}.scram.ScramLoginModule required;"
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(certificates["keystore"]),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(certificates["ca"]),
        }
    )
    broker.start()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(USER, "SCRAM-SHA-256", PASSWORD)]
        )
    finally:
        admin.close()
    try:
        yield {
            "plaintext": broker.bootstrap,
            "sasl": f"127.0.0.1:{sasl_port}",
            "ssl": f"127.0.0.1:{ssl_port}",
            "ca": str(certificates["ca"]),
        }
    finally:
        broker.close()


@pytest.mark.parametrize(
    ("listener", "settings"),
    [
        (
            "sasl",
            {"KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA__SASL_MECHANISM": "PLAIN"},
        ),
        (
            "sasl",
            {
                "KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "KAFKA__SASL_MECHANISM": "SCRAM-SHA-256",
            },
        ),
        ("ssl", {"KAFKA__SECURITY_PROTOCOL": "SSL"}),
    ],
    ids=["sasl-plain", "sasl-scram-sha-256", "tls"],
)
def test_secured_listener(
    secure_broker: dict[str, str], listener: str, settings: dict[str, str], kafka_client: str
) -> None:
    plaintext = secure_broker["plaintext"]
    name = "-".join([*settings.values(), kafka_client]).lower()
    topic = create_topic(plaintext, f"secure-in-{name}", partitions=1)
    enriched = create_topic(plaintext, f"secure-out-{name}", partitions=1)
    produce(plaintext, topic, [error_record(n)[0] for n in range(10)])
    if listener == "sasl":
        settings = {**settings, "KAFKA__SASL_USERNAME": USER, "KAFKA__SASL_PASSWORD": PASSWORD}
    else:
        settings = {**settings, "KAFKA__SSL_CAFILE": secure_broker["ca"]}
    group = f"secure-{name}"
    env = environment(
        secure_broker[listener],
        topic,
        group,
        any_port(),
        kafka_client,
        OUTPUT__ENRICHED_TOPIC=enriched,
        OUTPUT__DEAD_LETTER_TOPIC="",
        **settings,
    )
    with Offsets(plaintext) as offsets, in_process(env):
        wait_until(lambda: offsets.caught_up(group, topic), 60, "consumption over the listener")
    assert len(read_all(plaintext, enriched)) == 10
