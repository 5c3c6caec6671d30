"""A local single-node Apache Kafka broker (KRaft) from Kafka's own jars, for the demo and tests."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

from service.settings import PROJECT_ROOT, Settings

POM = PROJECT_ROOT / "deploy" / "kafka" / "pom.xml"


class BrokerError(RuntimeError):
    """The local broker could not be fetched, started or reached."""


def libs_dir(settings: Settings) -> Path:
    return settings.kafka_cache_dir / settings.kafka_version / "libs"


def fetch_jars(settings: Settings) -> Path:
    """Download kafka_2.13 and its dependencies with Maven, once; later calls download nothing."""
    libs = libs_dir(settings)
    marker = libs / f"kafka_2.13-{settings.kafka_version}.jar"
    if marker.exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError("Maven (mvn) is needed to fetch Apache Kafka's jars; install it first")
    partial = libs.with_name("libs.partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        f"-Dkafka.version={settings.kafka_version}",
        f"-DoutputDirectory={partial}",
        f"-Dmaven.repo.local={settings.kafka_cache_dir / 'm2'}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0 or not (partial / marker.name).exists():
        raise BrokerError(f"mvn failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    partial.rename(libs)
    return libs


def _server_properties(settings: Settings) -> str:
    host, port, cport = settings.kafka_host, settings.kafka_port, settings.kafka_controller_port
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@{host}:{cport}",
            f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
            f"advertised.listeners=PLAINTEXT://{host}:{port}",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            f"log.dirs={settings.kafka_data_dir / 'log'}",
            "num.partitions=1",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "",
        ]
    )


def _log4j_config(settings: Settings) -> str:
    log = settings.kafka_data_dir / "server.log"
    return "\n".join(
        [
            "appender.file.type=File",
            "appender.file.name=file",
            f"appender.file.fileName={log}",
            "appender.file.layout.type=PatternLayout",
            "appender.file.layout.pattern=[%d] %p %m (%c)%n",
            "rootLogger.level=INFO",
            "rootLogger.appenderRef.file.ref=file",
            "",
        ]
    )


def _pid_file(settings: Settings) -> Path:
    return settings.kafka_data_dir / "broker.pid"


def broker_pid(settings: Settings) -> int | None:
    """The pid of our running broker, or None."""
    try:
        pid = int(_pid_file(settings).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The state letter follows the parenthesised command name; Z is an exited child not
    # yet reaped by its parent (the test session), which counts as not running.
    state = stat.rsplit(")", 1)[-1].split()[0]
    if state in {"Z", "X"}:
        return None
    # After a reboot the file may name any process: only our broker, started on this data
    # directory's properties, is ours to stop.
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    properties = str(settings.kafka_data_dir / "server.properties").encode()
    return pid if b"kafka.Kafka" in command and properties in command else None


def _java(libs: Path, *args: str, log4j: Path | None = None) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise BrokerError("Java 17+ is needed to run Apache Kafka; install a JDK first")
    options = [f"-Dlog4j2.configurationFile={log4j}"] if log4j else []
    return [java, *options, "-cp", f"{libs}/*", *args]


def port_open(host: str, port: int) -> bool:
    """Whether something answers on host:port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def _wait_ready(
    settings: Settings, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until the broker answers a metadata request, not just until the port is open.
    `process`: the broker just started, whose own exit status says whether it ended (a look
    at /proc through the pid file once said "exited" of a broker that was starting)."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(settings.kafka_host, settings.kafka_port):
            try:
                admin = KafkaAdminClient(
                    bootstrap_servers=settings.bootstrap_servers, request_timeout_ms=5000
                )
            except KafkaError:
                pass
            else:
                try:
                    admin.list_topics()
                    return
                except KafkaError:
                    pass
                finally:
                    admin.close()
        ended = broker_pid(settings) is None if process is None else process.poll() is not None
        if ended:
            data = settings.kafka_data_dir
            raise BrokerError(
                f"broker exited; the end of {data / 'broker.out'}:\n{_tail(data / 'broker.out')}"
                f"\nthe end of {data / 'server.log'}:\n{_tail(data / 'server.log')}"
            )
        time.sleep(0.5)
    raise BrokerError(f"broker not ready after {timeout:.0f}s")


def new_cluster_id() -> str:
    """A random KRaft cluster id (a UUID in URL-safe base64, as Kafka's own). One starting
    with "-" would be read by the storage tool as an option (1 start in 64 failed with
    "argument --cluster-id/-t: expected one argument"), so, as Kafka does, draw again."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(not written)"


def start_broker(settings: Settings, timeout: float = 90.0) -> int:
    """Start the broker if it is not running (formatting storage the first time); return its pid."""
    running = broker_pid(settings)
    if running is not None:
        _wait_ready(settings, timeout)
        return running
    if port_open(settings.kafka_host, settings.kafka_port):
        raise BrokerError(f"port {settings.kafka_port} is taken by another process")
    libs = fetch_jars(settings)
    data = settings.kafka_data_dir
    data.mkdir(parents=True, exist_ok=True)
    properties = data / "server.properties"
    properties.write_text(_server_properties(settings))
    log4j = data / "log4j2.properties"
    log4j.write_text(_log4j_config(settings))
    if not (data / "log" / "meta.properties").exists():
        cluster_id = new_cluster_id()
        fmt = _java(
            libs, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(properties)
        )
        result = subprocess.run(fmt, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BrokerError(f"formatting KRaft storage failed:\n{result.stdout}{result.stderr}")
    command = _java(libs, f"-Xmx{settings.kafka_heap}", "kafka.Kafka", str(properties), log4j=log4j)
    with (data / "broker.out").open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _pid_file(settings).write_text(str(process.pid))
    _wait_ready(settings, timeout, process)
    return process.pid


def stop_broker(settings: Settings, timeout: float = 60.0) -> bool:
    """Stop the broker with SIGTERM (a clean shutdown), SIGKILL only if it hangs."""
    pid = broker_pid(settings)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and broker_pid(settings) is not None:
        time.sleep(0.2)
    if broker_pid(settings) is not None:
        os.kill(pid, signal.SIGKILL)
    _pid_file(settings).unlink(missing_ok=True)
    return True
