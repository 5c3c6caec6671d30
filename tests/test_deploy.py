"""Deploy files agree with the code: valid rules, exported metric names, compose vs settings."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from service.metrics import (
    FAUST_PREFIX,
    BrokerMetrics,
    FeedMetrics,
    Metrics,
    ProducerMetrics,
    PushMetrics,
    WatchMetrics,
)
from service.producers.feeds import read_feed_list
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "wirefeed.json"
COMPOSE = ROOT / "docker-compose.yml"
# Series Prometheus itself writes for every target.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


# --- promtool -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    found = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if found:
        return found
    message = "promtool not found: run deploy/promtool.sh (Debian package `prometheus`)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run these checks")
    pytest.skip(message)


def run_promtool(promtool: str, *args: str, cwd: Path = PROMETHEUS) -> str:
    result = subprocess.run(
        [promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def test_prometheus_config_is_valid(promtool: str) -> None:
    output = run_promtool(promtool, "check", "config", "prometheus.yml")
    assert f"{len(RULE_FILES)} rule files found" in output


def test_rule_files_are_valid(promtool: str) -> None:
    assert RULE_FILES
    run_promtool(promtool, "check", "rules", *(str(p) for p in RULE_FILES))


def test_rule_unit_tests_pass(promtool: str) -> None:
    """deploy/prometheus/tests: the ratios come out right and each alert fires when it should."""
    output = run_promtool(promtool, "test", "rules", "tests/rules_test.yml")
    assert "SUCCESS" in output


def test_dashboard_queries_are_valid_promql(promtool: str, tmp_path: Path) -> None:
    # promtool has no bare expression check offline: wrap each query as a recording rule.
    rules = [
        {"record": f"dashboard:query_{i}", "expr": grafana_to_promql(expr)}
        for i, expr in enumerate(dashboard_exprs())
    ]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    run_promtool(promtool, "check", "rules", str(path), cwd=tmp_path)


# --- metric names ---------------------------------------------------------------------------

PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan",
}  # fmt: skip
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_LABEL_LISTS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# An identifier not inside a number and not a function call.
_IDENTIFIER = re.compile(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()")


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (strings, matchers, ranges and label
    lists removed first, so label names and values are not taken for metrics)."""
    for pattern in (_STRING, _MATCHERS, _RANGES, _LABEL_LISTS):
        expr = pattern.sub(" ", expr)
    return {name for name in _IDENTIFIER.findall(expr) if name.lower() not in PROMQL_WORDS}


def grafana_to_promql(expr: str) -> str:
    """Grafana's template variables replaced by what they expand to."""
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def rules() -> Iterator[dict[str, Any]]:
    for path in RULE_FILES:
        for group in load_yaml(path)["groups"]:
            yield from group["rules"]


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def dashboard_panels() -> Iterator[dict[str, Any]]:
    for panel in dashboard()["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs() -> list[str]:
    return [
        target["expr"]
        for panel in dashboard_panels()
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def template_metrics() -> set[str]:
    names: set[str] = set()
    for variable in dashboard()["templating"]["list"]:
        query = variable.get("query")
        text = query.get("query", "") if isinstance(query, dict) else str(query or "")
        match = re.match(r"\s*label_values\(\s*([^,)]+)", text)
        if match:
            names |= metric_names(match.group(1))
    return names


def exported_names() -> set[str]:
    """Every series name the worker's /metrics serves: our metrics and Faust's sensors on one
    registry (which also proves the two sets do not collide), in their exposed suffix forms."""
    from faust.sensors.prometheus import FaustMetrics

    registry = CollectorRegistry()
    Metrics(registry)
    BrokerMetrics(registry)  # the worker's, and the push endpoint's (one name set)
    FaustMetrics.create(registry, FAUST_PREFIX)
    # The ingest processes' metrics, each served by its own process (jobs wirefeed-feeds,
    # wirefeed-push, wirefeed-drop).
    ingest_metrics(registry)
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_count", "_sum", "_created"),
        "summary": ("", "_count", "_sum", "_created"),
        "gauge": ("",),
    }
    return {
        family.name + suffix
        for family in registry.collect()
        for suffix in suffixes.get(family.type, ("",))
    }


def ingest_metrics(registry: CollectorRegistry) -> None:
    FeedMetrics(registry)
    ProducerMetrics(registry)
    PushMetrics(registry)
    WatchMetrics(registry)


def recorded_names() -> set[str]:
    return {rule["record"] for rule in rules() if "record" in rule}


def test_metric_name_parser() -> None:
    expr = (
        'sum by (kind) (rate(wirefeed_duplicates_total{kind!="exact", job=~"a|b"}[5m]))'
        " / ignoring (kind) group_left wirefeed:articles_decided:rate5m"
        " > 0.05 and time() - max(foo_seconds offset 1h) > 1e-3"
    )
    names = metric_names(expr)
    assert names == {"wirefeed_duplicates_total", "wirefeed:articles_decided:rate5m", "foo_seconds"}
    assert metric_names(grafana_to_promql('x_total{source=~"$source"}[$__rate_interval]')) == {
        "x_total"
    }


def test_every_rule_and_dashboard_metric_is_exported() -> None:
    known = exported_names() | recorded_names() | PROMETHEUS_SERIES
    referenced: dict[str, set[str]] = {}
    for rule in rules():
        where = rule.get("record") or rule.get("alert")
        names = metric_names(rule["expr"])
        assert names, f"rule {where} selects no metric"
        for name in names:
            referenced.setdefault(name, set()).add(f"rule {where}")
    for expr in dashboard_exprs():
        names = metric_names(grafana_to_promql(expr))
        assert names, f"dashboard query selects no metric: {expr}"
        for name in names:
            referenced.setdefault(name, set()).add("dashboard")
    for name in template_metrics():
        referenced.setdefault(name, set()).add("dashboard variable")
    unknown = {name: sorted(where) for name, where in referenced.items() if name not in known}
    assert not unknown, f"not exported by the service: {unknown}"


def test_every_wirefeed_metric_is_watched() -> None:
    """Each of our metrics appears in a rule or on the dashboard: none is exported unused."""
    used = set().union(*(metric_names(rule["expr"]) for rule in rules()))
    used |= set().union(*(metric_names(grafana_to_promql(e)) for e in dashboard_exprs()))
    registry = CollectorRegistry()
    Metrics(registry)
    BrokerMetrics(registry)
    ingest_metrics(registry)
    unused = {
        family.name
        for family in registry.collect()
        if not any(name.startswith(family.name) for name in used)
    }
    assert not unused


def test_recording_rule_names_follow_the_convention() -> None:
    for name in recorded_names():
        level, metric, operation = name.split(":")
        assert (level, bool(metric), bool(operation)) == ("wirefeed", True, True), name


def test_alerts_cover_silence_lag_and_dead_letters() -> None:
    alerts = {rule["alert"]: rule for rule in rules() if "alert" in rule}
    assert {
        "WirefeedSourceSilent",
        "WirefeedConsumerLagGrowing",
        "WirefeedConsumerStalled",
        "WirefeedDeadLetterSpike",
    } <= set(alerts)
    # The latest over every worker (one that lost the source's partition keeps its old
    # value) and over the last day (a restarted worker exports nothing until it sees one).
    silent = " ".join(alerts["WirefeedSourceSilent"]["expr"].split())
    assert "time() - max by (source) (max_over_time( wirefeed_source_last_seen" in silent
    for rule in alerts.values():
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]


# --- grafana --------------------------------------------------------------------------------


def test_dashboard_uses_the_provisioned_datasource() -> None:
    datasources = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")
    uids = {source["uid"] for source in datasources["datasources"]}
    panels = list(dashboard_panels())
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] in uids, panel["title"]
            assert panel["targets"], panel["title"]
    assert dashboard()["uid"] == "wirefeed"


# --- docker compose -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE)
    return data


def service_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def port_map(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port."""
    mapping: dict[int, int] = {}
    for entry in service.get("ports", []):
        parts = str(entry).split("/")[0].split(":")  # [ip:]host:container[/protocol]
        mapping[int(parts[-1])] = int(parts[-2] if len(parts) > 1 else parts[-1])
    return mapping


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path, for bind mounts of repo files."""
    found: dict[str, str] = {}
    for entry in service.get("volumes", []):
        source, target = str(entry).split(":")[:2]
        if source.startswith("."):
            found[target] = source
    return found


def listeners(value: str) -> dict[str, tuple[str, int]]:
    """A Kafka listener list (NAME://host:port,...) as name -> (host, port)."""
    found: dict[str, tuple[str, int]] = {}
    for item in value.split(","):
        name, address = item.split("://", 1)
        host, port = address.rsplit(":", 1)
        found[name] = (host, int(port))
    return found


def wirefeed_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if any(key.startswith("WIRE_") for key in service_env(service))
    }


def dependencies(compose: dict[str, Any], name: str) -> set[str]:
    """Every service `name` waits for, directly or through another."""
    found: set[str] = set()
    todo = [name]
    while todo:
        for dependency in compose["services"][todo.pop()].get("depends_on", {}):
            if dependency not in found:
                found.add(dependency)
                todo.append(dependency)
    return found


def conditions(service: dict[str, Any]) -> dict[str, str]:
    depends = service.get("depends_on", {})
    if isinstance(depends, list):
        return dict.fromkeys(depends, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in depends.items()}


def scrape_job(name: str) -> dict[str, Any]:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    job: dict[str, Any] = next(j for j in config["scrape_configs"] if j["job_name"] == name)
    return job


def scrape_targets(job: dict[str, Any]) -> set[str]:
    """host:port of a scrape job's targets, static or found by DNS (A records of names)."""
    found = {t for group in job.get("static_configs", []) for t in group["targets"]}
    for dns in job.get("dns_sd_configs", []):
        assert dns.get("type", "SRV") == "A", "compose names are A records"
        found |= {f"{name}:{dns['port']}" for name in dns["names"]}
    return found


def default(field: str) -> Any:
    return Settings.model_fields[field].default


def compose_cli() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_compose_file_passes_the_compose_schema() -> None:
    """`config` validates without a Docker engine (Debian's docker-compose package will do)."""
    cli = compose_cli()
    if cli is None:
        pytest.skip("no docker compose CLI: the compose schema check needs one (no engine)")
    result = subprocess.run(
        [*cli, "-f", str(COMPOSE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_the_whole_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"kafka", "worker", "replay", "prometheus", "grafana"} <= set(services)
    kafka = services["kafka"]
    assert kafka["image"] == f"apache/kafka:{default('kafka_version')}"
    env = service_env(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "zookeeper" not in COMPOSE.read_text().lower()
    for name in ("worker", "replay", "topics"):
        build = services[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file()


def test_compose_commands_are_wirefeed_commands(compose: dict[str, Any]) -> None:
    import typer

    from service.cli import app

    commands = set(typer.main.get_group(app).commands)
    for name, service in wirefeed_services(compose).items():
        command = service["command"]
        assert command[0] == "wirefeed", name
        assert command[1] in commands, name
    assert compose["services"]["worker"]["command"][:2] == ["wirefeed", "worker"]
    replay = compose["services"]["replay"]
    assert replay["command"][:2] == ["wirefeed", "replay"]
    seeds_in_container = replay["command"][2]
    assert (ROOT / mounts(replay)[seeds_in_container]).is_dir()


def test_compose_ingest_services_are_opt_in_and_ready(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("feeds", "push", "drop"):
        assert services[name]["profiles"] == ["ingest"], name  # not started by a plain `up`
        assert conditions(services[name]) == {"topics": "service_completed_successfully"}
    feeds = services["feeds"]
    command = feeds["command"]
    listed = command[command.index("--list") + 1]
    folder, _, file_name = listed.rpartition("/")
    locations = read_feed_list(ROOT / mounts(feeds)[folder] / file_name)
    assert locations
    assert all(location.startswith(("http://", "https://")) for location in locations)
    state_dir = command[command.index("--state-dir") + 1]
    assert any(str(volume).endswith(f":{state_dir}") for volume in feeds["volumes"])
    # Prometheus scrapes the poller where it serves its metrics.
    port = command[command.index("--metrics-port") + 1]
    assert command[command.index("--metrics-host") + 1] == "0.0.0.0"
    assert scrape_targets(scrape_job("wirefeed-feeds")) == {f"feeds:{port}"}
    # Without a token the endpoint is published on the host's loopback only.
    push = services["push"]
    assert service_env(push)["WIRE_PUSH_TOKEN"] == "${WIRE_PUSH_TOKEN:-}"  # noqa: S105 (a reference)
    assert all(str(port).startswith("127.0.0.1:") for port in push["ports"])


def test_compose_environment_is_read_by_settings(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("WIRE_"):
            monkeypatch.delenv(key)
    services = wirefeed_services(compose)
    assert {"worker", "replay"} <= set(services)
    for name, service in services.items():
        env = {k: v for k, v in service_env(service).items() if k.startswith("WIRE_")}
        for key in env:
            field = key.removeprefix("WIRE_").lower().split("__")[0]
            assert field in Settings.model_fields, f"{name}: {key} is not a setting"
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            settings = Settings()
        for key, value in env.items():
            field = key.removeprefix("WIRE_").lower()
            if "__" not in field:
                read = getattr(settings, field)
                if isinstance(read, SecretStr):
                    read = read.get_secret_value()
                if isinstance(read, tuple):  # a comma-separated list
                    read = ",".join(read)
                assert str(read) == value, f"{name}: {key}"


def test_compose_services_reach_kafka_on_an_advertised_listener(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = service_env(kafka)
    advertised = listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    listener_ports = {name: port for name, (_, port) in listeners(env["KAFKA_LISTENERS"]).items()}
    protocol_map = env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
    protocols = dict(item.split(":") for item in protocol_map.split(","))
    assert set(listener_ports) == set(protocols)
    for name, service in wirefeed_services(compose).items():
        service_settings = service_env(service)
        address = (service_settings["WIRE_KAFKA_HOST"], int(service_settings["WIRE_KAFKA_PORT"]))
        assert address in advertised.values(), f"{name} uses {address}, not advertised"
        assert "kafka" in dependencies(compose, name), f"{name} may start before kafka"
    # A client on the host with default settings reaches the broker through the published port.
    host_address = ("localhost", default("kafka_port"))
    host_listener = next(name for name, addr in advertised.items() if addr == host_address)
    assert port_map(kafka)[listener_ports[host_listener]] == default("kafka_port")
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert voters.endswith(f":{listener_ports[env['KAFKA_CONTROLLER_LISTENER_NAMES']]}")


def test_compose_starts_in_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert conditions(services["topics"]) == {"kafka": "service_healthy"}
    assert conditions(services["worker"]) == {"topics": "service_completed_successfully"}
    # Seeds go in once the worker serves, so the replay's articles show up in the metrics.
    assert conditions(services["replay"]) == {"worker": "service_healthy"}
    assert "healthcheck" in services["kafka"]
    assert "healthcheck" in services["worker"]
    for name in ("topics", "replay"):
        assert services[name]["restart"] == "no"


def test_prometheus_scrapes_the_worker_web_port(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    env = service_env(worker)
    web_port = int(env.get("WIRE_WEB_PORT", default("web_port")))
    assert env["WIRE_WEB_HOST"] == "0.0.0.0"  # the container's own interface
    assert port_map(worker)[web_port] == default("web_port")
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    job = next(job for job in config["scrape_configs"] if job["job_name"] == "wirefeed")
    assert job.get("metrics_path", "/metrics") == "/metrics"
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"worker:{web_port}"}
    assert f"EXPOSE {default('web_port')}" in (DEPLOY / "Dockerfile").read_text()


def test_prometheus_and_grafana_mount_the_deploy_files(compose: dict[str, Any]) -> None:
    services = compose["services"]
    prometheus = services["prometheus"]
    config_dir = mounts(prometheus)["/etc/prometheus"]
    assert (ROOT / config_dir).resolve() == PROMETHEUS
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    grafana_mounts = mounts(services["grafana"])
    assert (ROOT / grafana_mounts["/etc/grafana/provisioning"]).resolve() == (
        DEPLOY / "grafana" / "provisioning"
    )
    provider = load_yaml(DEPLOY / "grafana/provisioning/dashboards/wirefeed.yml")
    dashboards_path = provider["providers"][0]["options"]["path"]
    assert (ROOT / grafana_mounts[dashboards_path]).resolve() == DASHBOARD.parent
    datasource = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")
    url = datasource["datasources"][0]["url"]
    assert url == f"http://prometheus:{next(iter(port_map(prometheus)))}"
    for path in (*mounts(prometheus).values(), *grafana_mounts.values()):
        assert (ROOT / path).exists(), path


def metrics_port(service: dict[str, Any]) -> int:
    """Where a wirefeed service serves /metrics: the worker's web port, `serve --port`, or
    `--metrics-port`; and (checked) on an address beyond the container's loopback."""
    command = service["command"]
    if command[1] == "worker":
        env = service_env(service)
        assert env["WIRE_WEB_HOST"] == "0.0.0.0"
        return int(env["WIRE_WEB_PORT"])
    serve = command[1] == "serve"
    flag, host_flag = ("--port", "--host") if serve else ("--metrics-port", "--metrics-host")
    assert command[command.index(host_flag) + 1] == "0.0.0.0", service["command"]
    return int(command[command.index(flag) + 1])


def test_every_long_running_wirefeed_service_is_scraped(compose: dict[str, Any]) -> None:
    """The worker and each ingest process (the review: push and drop were not scraped, and
    exposed nothing) serve /metrics, and Prometheus has a job for each."""
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    targets = {
        target: job["job_name"]
        for job in config["scrape_configs"]
        for target in scrape_targets(job)
    }
    long_running = {
        name: service
        for name, service in wirefeed_services(compose).items()
        if service.get("restart") != "no"
    }
    assert set(long_running) == {"worker", "feeds", "push", "drop"}
    for name, service in long_running.items():
        assert f"{name}:{metrics_port(service)}" in targets, name


def test_services_of_a_profile_are_found_by_dns_so_no_target_is_down_for_ever(
    compose: dict[str, Any],
) -> None:
    """A static target for a service that only runs with a profile is down on every stack
    started without it (the review: feeds:9101), and the down alerts would fire for ever."""
    services = compose["services"]
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    for job in config["scrape_configs"]:
        for group in job.get("static_configs", []):
            for target in group["targets"]:
                host = target.rsplit(":", 1)[0]
                assert host == "localhost" or not services[host].get("profiles"), job["job_name"]


def test_every_scrape_job_has_a_down_alert(promtool: str, tmp_path: Path) -> None:
    """A target of any job that stops answering fires an alert (the review: only the
    worker's job did): the worker's is critical, the others' a warning."""
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    tests = []
    for job in config["scrape_configs"]:
        name = job["job_name"]
        alert = "WirefeedWorkerDown" if name == "wirefeed" else "WirefeedTargetDown"
        severity = "critical" if name == "wirefeed" else "warning"
        who = "wirefeed worker" if name == "wirefeed" else f"{name} target"
        series = f'up{{job="{name}", instance="t:1"}}'
        tests.append(
            {
                "interval": "1m",
                "input_series": [{"series": series, "values": "1x5 0x30"}],
                "alert_rule_test": [
                    {"alertname": alert, "eval_time": "4m", "exp_alerts": []},
                    {
                        "alertname": alert,
                        "eval_time": "20m",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": severity,
                                    "job": name,
                                    "instance": "t:1",
                                },
                                "exp_annotations": {
                                    "summary": f"{who} t:1 is not answering on /metrics"
                                },
                            }
                        ],
                    },
                ],
            }
        )
    path = tmp_path / "down_test.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(p) for p in RULE_FILES],
                "evaluation_interval": "1m",
                "tests": tests,
            }
        )
    )
    output = run_promtool(promtool, "test", "rules", str(path), cwd=tmp_path)
    assert "SUCCESS" in output


def test_compose_publishes_ports_on_the_hosts_loopback_only(compose: dict[str, Any]) -> None:
    """The review: Kafka (PLAINTEXT, no auth: anyone could write to wire.raw or
    wire.commands), the worker, Prometheus and Grafana were published on every interface."""
    for name, service in compose["services"].items():
        for entry in service.get("ports", []):
            assert str(entry).startswith("127.0.0.1:"), f"{name}: {entry}"


def test_prometheus_can_not_be_stopped_or_wiped_over_http(compose: dict[str, Any]) -> None:
    # --web.enable-lifecycle lets anyone who reaches the port POST /-/quit and /-/reload.
    command = compose["services"]["prometheus"]["command"]
    assert not {"--web.enable-lifecycle", "--web.enable-admin-api"} & set(command)


def test_compose_lets_each_process_stop_cleanly(compose: dict[str, Any]) -> None:
    """Python as a container's PID 1 ignores SIGTERM unless it installs a handler (the
    feed poller and the watcher do not): `docker compose stop` then waited 10 s and killed
    them. An init process forwards the signal. The worker finishes the events in hand for up
    to FINISH_GRACE_SECONDS, the push endpoint its requests for up to push_send_seconds:
    compose's default 10 s before SIGKILL cut both short."""
    from service.streams.app import FINISH_GRACE_SECONDS

    services = compose["services"]
    for name, service in wirefeed_services(compose).items():
        if service.get("restart") != "no":
            assert service.get("init") is True, name

    def grace(name: str) -> float:
        value = str(services[name].get("stop_grace_period", "10s"))
        seconds = value.removesuffix("s")
        assert seconds.isdigit(), value
        return float(seconds)

    assert grace("worker") >= FINISH_GRACE_SECONDS + 15
    assert grace("push") >= default("push_send_seconds") + 10
