import pytest

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from deletion_console.services.preview import preview
from tests.fixtures import dumps

pytestmark = pytest.mark.usefixtures("clean_stores")


@pytest.mark.parametrize(
    "spec",
    [
        CampaignSpec(name="New format", new_format=True, string_id=False, players=("p1", "p2")),
        CampaignSpec(name="Legacy", new_format=False, string_id=True, players=("p1",)),
    ],
    ids=["new-format-objectid", "legacy-string-id"],
)
def test_preview_counts_every_entity_the_campaign_owns_in_each_store(spec, rng):
    create_players(["p1", "p2"])
    seeded = create_campaign(spec, rng)

    result = preview("campaign", seeded.id)

    assert result.exists
    assert result.label == spec.name
    assert result.counts == seeded.counts


def test_preview_changes_nothing(rng):
    create_players(["p1"])
    seeded = create_campaign(CampaignSpec(name="Untouched", players=("p1",)), rng)
    before = dumps.all_stores()

    preview("campaign", seeded.id)

    assert dumps.all_stores() == before


def test_preview_of_unknown_campaign_is_empty_and_says_so():
    result = preview("campaign", "no-such-campaign")

    assert not result.exists
    assert result.total == 0


def test_preview_finds_an_objectid_campaign_given_its_hex_in_upper_case(rng):
    seeded = create_campaign(CampaignSpec(name="Upper"), rng)

    result = preview("campaign", seeded.id.upper())

    assert result.exists and result.target_id == seeded.id
