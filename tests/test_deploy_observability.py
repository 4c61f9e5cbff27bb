"""deploy/'s Grafana dashboard and Prometheus alert rules refer only to metrics the servers
report, and the dashboard shows every one of them."""

import json
import re

import yaml

from config.metrics import metric_names
from tests.e2e.servers import REPO_ROOT

DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "expert-support.json"
ALERTS = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
SCRAPE = REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml"
# Series Prometheus makes itself for every target.
PROMETHEUS_OWN = {"up"}
PROJECT_METRIC = re.compile(r"\bexpert_support_[a-z0-9_]+")


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def alert_queries() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_every_metric_on_the_dashboard_exists():
    exposed = set(metric_names())
    named = {name for query in dashboard_queries() for name in PROJECT_METRIC.findall(query)}

    assert named, "the dashboard names no metric"
    assert named - exposed == set()


def test_every_metric_is_on_the_dashboard():
    queries = " ".join(dashboard_queries())
    families = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in metric_names()}
    project = {name for name in families if name.startswith("expert_support_")}

    assert {name for name in project if name not in queries} == set()


def test_every_panel_has_a_query():
    panels = json.loads(DASHBOARD.read_text())["panels"]

    assert [p["title"] for p in panels if p["type"] != "row" and not p.get("targets")] == []


def test_every_alert_rule_refers_to_metrics_that_exist_and_to_its_runbook():
    exposed = set(metric_names()) | PROMETHEUS_OWN
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    named = {name for query in alert_queries() for name in PROJECT_METRIC.findall(query)}
    runbook = (REPO_ROOT / "docs" / "operations.md").read_text().lower()

    assert named - exposed == set()
    for rule in rules:
        anchor = rule["alert"].lower()
        assert f"docs/operations.md#{anchor}" in rule["annotations"]["description"]
        assert f"### {anchor}" in runbook, f"docs/operations.md has no section {rule['alert']}"


def test_the_scrape_example_loads_the_alert_rules_and_sends_the_token():
    config = yaml.safe_load(SCRAPE.read_text())
    (job,) = config["scrape_configs"]

    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
    assert config["rule_files"]
