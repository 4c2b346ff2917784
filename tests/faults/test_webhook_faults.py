"""Faults at the webhook and the tenant registry: SSRF attempts refused when a URL is set and
when a summary is delivered, signed and unsigned summaries meeting a receiver that verifies
Standard Webhooks signatures, and hostile tenant input refused in one line on both dialects.
"""

import ipaddress

import dagster as dg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bakery_orchestration.cli.main import cli
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.schema import daily_summaries, tenants
from bakery_orchestration.notifications.addresses import ALLOWED_NETWORKS_ENV
from bakery_orchestration.tenants.registry import get_tenant
from tests.faults.conftest import partition_rows
from tests.helpers.http_server import RecordedRequest, Reply, ScriptedServer
from tests.integration.audit_world import DAY

# One worker builds the shared world once per dialect (the fixture is session-scoped).
pytestmark = pytest.mark.xdist_group("faults")


def invoke(url: str, *args: str):
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def tenant_rows(url: str) -> dict[str, int]:
    engine = create_db_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(tenants)).scalar_one()
    engine.dispose()
    return {"tenants": count}


@pytest.fixture
def migrated_url(empty_db_url) -> str:
    assert invoke(empty_db_url, "db", "upgrade").exit_code == 0
    return empty_db_url


def verifying_receiver(secret: str | None):
    """A receiver as a bakery would write it: 401 unless the signature verifies."""

    def answer(request: RecordedRequest) -> Reply:
        try:
            Webhook(secret or "whsec_bm90IHRoZSBzZWNyZXQ=").verify(request.body, request.headers)
        except WebhookVerificationError as error:
            return Reply(401, {"detail": f"signature: {error}"})
        return Reply(200, {"ok": True})

    return answer


def _set_webhook(world, tenant, url: str | None, secret: str | None = None) -> None:
    """As a row written before URLs were checked (or a name re-pointed since) would look."""
    with world.engine.begin() as conn:
        conn.execute(
            sa.update(tenants)
            .where(tenants.c.id == tenant.id)
            .values(webhook_url=url, webhook_secret=secret)
        )


def _run_summary(world, tenant):
    return world.run(tenant.slug, DAY, asset_selection=[dg.AssetKey("daily_summary")])


def _summary_row(world, tenant) -> dict:
    with world.engine.connect() as conn:
        query = sa.select(daily_summaries).where(
            daily_summaries.c.tenant_id == tenant.id, daily_summaries.c.partition_date == DAY
        )
        return dict(conn.execute(query).mappings().one())


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "gopher://x:70/"]
)
def test_ssrf_webhook_url_refused_at_registration(migrated_url, record_fault, url):
    result = invoke(migrated_url, "tenants", "add", "bakery-a", "--webhook-url", url)
    after = tenant_rows(migrated_url)
    outcome = result.output.strip()
    lost, duplicated = record_fault(
        f"webhook URL {url.split('/')[0]}//{url.split('/')[2]} at tenants add",
        f"exit {result.exit_code}: {outcome}",
        {"tenants": 0},
        after,
    )
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert outcome.startswith(f"error: webhook URL {url!r}")
    assert (lost, duplicated) == (0, 0)


def test_ssrf_webhook_refused_at_delivery(world, record_fault, monkeypatch):
    monkeypatch.delenv(ALLOWED_NETWORKS_ENV, raising=False)
    tenant = world.tenants[0]
    with ScriptedServer() as admin:
        _set_webhook(world, tenant, f"{admin.url}/admin/internal", "whsec_c2VjcmV0")
        try:
            result = _run_summary(world, tenant)
        finally:
            _set_webhook(world, tenant, None)
        reached = len(admin.requests)
    summary = _summary_row(world, tenant)
    audit = world.row_of(result.run_id)
    after = partition_rows(world.engine, tenant.id, DAY)
    lost, duplicated = record_fault(
        "webhook to a loopback admin endpoint at delivery",
        f"not posted ({reached} requests reached it): {summary['delivery_error']}",
        world.clean_rows[tenant.slug],
        after,
    )
    assert reached == 0 and result.success
    assert summary["delivery_status"] == "failed"
    assert "127.0.0.1 is a loopback address" in summary["delivery_error"]
    assert audit["notification_status"] == "failed"
    assert (lost, duplicated) == (0, 0)


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_receiver_verifies_the_summary_signature(world, record_fault, monkeypatch, signed):
    monkeypatch.setenv(ALLOWED_NETWORKS_ENV, "127.0.0.1/32")
    tenant = world.tenants[0]
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    with ScriptedServer() as receiver:
        receiver.reply(verifying_receiver(secret))
        _set_webhook(world, tenant, f"{receiver.url}/hooks", secret if signed else None)
        try:
            result = _run_summary(world, tenant)
        finally:
            _set_webhook(world, tenant, None)
    summary = _summary_row(world, tenant)
    after = partition_rows(world.engine, tenant.id, DAY)
    outcome = f"receiver answered {summary['http_status']}: {summary['delivery_status']}"
    if summary["delivery_error"]:
        outcome += f" ({summary['delivery_error']})"
    lost, duplicated = record_fault(
        f"{'signed' if signed else 'unsigned'} summary at a verifying receiver",
        outcome,
        world.clean_rows[tenant.slug],
        after,
    )
    assert result.success and (lost, duplicated) == (0, 0)
    if signed:
        assert (summary["delivery_status"], summary["http_status"]) == ("sent", 200)
    else:
        assert (summary["delivery_status"], summary["http_status"]) == ("failed", 401)
        assert summary["delivery_error"].startswith("rejected: HTTP 401 Unauthorized: signature")


def test_secret_is_shown_once_and_rotation_retires_the_old_one(migrated_url, record_fault):
    added = invoke(migrated_url, "tenants", "add", "bakery-a")
    first = added.output.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    shown = invoke(migrated_url, "tenants", "show", "bakery-a").output
    rotated = invoke(migrated_url, "tenants", "rotate-webhook-secret", "bakery-a")
    second = rotated.output.strip().rsplit(" ", 1)[-1]
    engine = create_db_engine(migrated_url)
    stored = get_tenant(engine, "bakery-a").webhook_secret
    engine.dispose()
    record_fault(
        "webhook secret rotation",
        "new secret shown once, stored; the old one no longer matches",
        {"tenants": 1},
        tenant_rows(migrated_url),
    )
    assert added.exit_code == 0 and rotated.exit_code == 0
    assert first.startswith("whsec_") and second.startswith("whsec_") and first != second
    assert stored == second and first not in shown and second not in shown
    assert "(signed)" in shown


@pytest.mark.parametrize(
    ("label", "args", "error"),
    [
        ("name too long", ["--name", "B" * 201], "error: tenant bakery-a: name is 201 characters"),
        ("country too long", ["--country", "ESP"], "error: tenant bakery-a: country is 3 char"),
        ("country not letters", ["--country", "1!"], "error: tenant bakery-a: country '1!' is not"),
        ("subdivision too long", ["--subdivision", "X" * 11], "error: tenant bakery-a: subdivi"),
    ],
)
def test_tenant_values_longer_than_their_column_are_one_line(
    migrated_url, record_fault, label, args, error
):
    result = invoke(migrated_url, "tenants", "add", "bakery-a", *args)
    lost, duplicated = record_fault(
        f"tenants add, {label}", result.output.strip(), {"tenants": 0}, tenant_rows(migrated_url)
    )
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith(error)
    assert (lost, duplicated) == (0, 0)


HOSTILE_SLUGS = ["../../etc", "a;drop table tenants", "b\x00x", "bаkery", "Bakery", "x" * 64, ""]


@pytest.mark.parametrize("slug", HOSTILE_SLUGS, ids=[repr(s)[:20] for s in HOSTILE_SLUGS])
def test_hostile_slugs_are_refused(migrated_url, record_fault, slug):
    result = invoke(migrated_url, "tenants", "add", slug)
    lost, duplicated = record_fault(
        f"hostile slug {slug[:20]!r}",
        result.output.strip(),
        {"tenants": 0},
        tenant_rows(migrated_url),
    )
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith("error: invalid tenant slug")
    assert (lost, duplicated) == (0, 0)


def test_a_public_address_is_accepted(migrated_url, monkeypatch):
    """The rule refuses what is private, not webhooks in general (no DNS: a literal address)."""
    public = ipaddress.ip_address("93.184.216.34")
    result = invoke(
        migrated_url, "tenants", "add", "bakery-a", "--webhook-url", f"https://{public}/h"
    )
    assert result.exit_code == 0, result.output
    assert "signing secret (shown once" in result.output
