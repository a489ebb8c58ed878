from tests.conftest import htmx_headers
from tests.factories import VillageFactory


def test_healthz_answers_plain_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.data == b"ok"


def test_finder_lists_villages_and_searches(client):
    VillageFactory(name="湖滨村")
    VillageFactory(name="山前村")
    page = client.get("/?q=湖滨")
    assert "湖滨村" in page.text and "山前村" not in page.text
    partial = client.get("/?q=湖滨", headers=htmx_headers("village-results"))
    assert "湖滨村" in partial.text and "<html" not in partial.text
